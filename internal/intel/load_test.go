package intel

import (
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// lineOf returns the 1-based line of the first occurrence of marker in a
// test file, so expected problem lines follow edits of the file.
func lineOf(t *testing.T, path, marker string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), marker)
	if i < 0 {
		t.Fatalf("%s: marker %q not found", path, marker)
	}
	return strings.Count(string(data[:i]), "\n") + 1
}

func load1(t *testing.T, src Source) (*Set, FileReport) {
	t.Helper()
	set, rep, err := Load([]Source{src})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 1 {
		t.Fatalf("files = %d", len(rep.Files))
	}
	return set, rep.Files[0]
}

func problemLines(fr FileReport) []int {
	var out []int
	for _, p := range fr.Problems {
		out = append(out, p.Line)
	}
	return out
}

// has reports whether set holds value as type t (via the builder's keys).
func keys(s *Set) map[string]Type {
	out := map[string]Type{}
	for p, es := range s.ips.All() {
		for _, e := range es {
			if e.value == p.Addr().String() || e.value == p.String() {
				out[e.value] = e.typ
			}
		}
	}
	for k, es := range s.domains {
		out[k] = es[0].typ
	}
	for k, es := range s.urls {
		out[k] = es[0].typ
	}
	for _, m := range s.exact {
		for k, es := range m {
			out[k] = es[0].typ
		}
	}
	return out
}

func TestLoadList(t *testing.T) {
	set, fr := load1(t, Source{Path: "testdata/list.txt"})
	if fr.Format != FormatList || fr.Loaded != 11 {
		t.Errorf("format %s loaded %d", fr.Format, fr.Loaded)
	}
	want := map[string]Type{
		"203.0.113.50": IP, "198.51.100.0/24": CIDR, "evil.example.com": Domain, "badcdn.example.net": Domain,
		"phish.example.org/login.php?id=1": URL, "dl.example.org/payload.bin": URL,
		"e7d705a3286e19ea42f587b344ee6865": JA3, "t13d1516h2_8daaf6152771_b186095e22b6": JA4,
		"d459081c0fa172e7ac2c1f8296c0a3bf2ad16c24": CertSHA1, "ads.example.com": Domain, "2001:db8:dead::/48": CIDR,
	}
	if got := keys(set); !reflect.DeepEqual(got, want) {
		t.Errorf("keys:\n got %v\nwant %v", got, want)
	}
	p := "testdata/list.txt"
	wantLines := []int{lineOf(t, p, "not-a-valid"), lineOf(t, p, "\ncom\n") + 1, lineOf(t, p, "300.1.2.3"), lineOf(t, p, "co.uk")}
	if got := problemLines(fr); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("problem lines %v want %v (%v)", got, wantLines, fr.Problems)
	}
	if !strings.HasPrefix(fr.Problems[0].String(), "testdata/list.txt:") {
		t.Errorf("problem format: %s", fr.Problems[0])
	}
	// The comment becomes the description.
	if es, _ := set.ips.Lookup(mustAddr("203.0.113.50")); len(es) != 1 || es[0].desc != "C2 server" || es[0].source != "list.txt" {
		t.Errorf("entry = %+v", es[0])
	}
}

func TestLoadListForcedType(t *testing.T) {
	set, fr := load1(t, Source{Path: "testdata/ua.txt", Type: "ua", Name: "ua-feed"})
	if fr.Loaded != 2 || len(fr.Problems) != 0 {
		t.Fatalf("%+v", fr)
	}
	if _, ok := set.exact[exUA]["Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko EvilBot"]; !ok {
		t.Errorf("UA with spaces not loaded whole: %v", set.exact[exUA])
	}
	// A list forced to domain rejects other values.
	dir := t.TempDir()
	os.WriteFile(dir+"/d.txt", []byte("a.example.com\n1.2.3.4\n"), 0o644)
	_, fr = load1(t, Source{Path: dir + "/d.txt", Type: Domain})
	if fr.Loaded != 1 || len(fr.Problems) != 1 || fr.Problems[0].Line != 2 {
		t.Errorf("%+v", fr)
	}
}

func TestLoadCSV(t *testing.T) {
	p := "testdata/indicators.csv"
	set, fr := load1(t, Source{Path: p})
	if fr.Format != FormatCSV || fr.Loaded != 9 {
		t.Errorf("format %s loaded %d: %v", fr.Format, fr.Loaded, fr.Problems)
	}
	want := []int{lineOf(t, p, "bogus"), lineOf(t, p, "not-an-ip"), lineOf(t, p, "ok.example.com"), lineOf(t, p, "ip\n")}
	if got := problemLines(fr); !reflect.DeepEqual(got, want) {
		t.Errorf("problem lines %v want %v: %v", got, want, fr.Problems)
	}
	es, _ := set.ips.Lookup(mustAddr("192.0.2.66"))
	if len(es) != 1 || es[0].source != "feedA" || es[0].desc != "Scanner" || es[0].confidence != 80 {
		t.Errorf("ip entry %+v", es)
	}
	if es := set.domains["bad.example.org"]; len(es) != 1 || es[0].source != "indicators.csv" {
		t.Errorf("domain normalised? %v", set.domains)
	}
	if _, ok := set.exact[exUA]["Mozilla/5.0 (Windows NT; Evil, like Gecko)"]; !ok {
		t.Error("quoted UA")
	}
	if _, ok := set.exact[exCert]["00112233445566778899aabbccddeeff00112233"]; !ok {
		t.Error("colon hex cert fingerprint")
	}
}

func TestLoadSTIX(t *testing.T) {
	p := "testdata/bundle.json"
	set, fr := load1(t, Source{Path: p})
	if fr.Format != FormatSTIX {
		t.Errorf("format %s", fr.Format)
	}
	if fr.Loaded != 18 || fr.Skipped != 1 || fr.Loosened != 2 {
		t.Errorf("loaded %d skipped %d loosened %d", fr.Loaded, fr.Skipped, fr.Loosened)
	}
	wantUnsup := map[string]int{"email-addr:value": 1, "pattern without supported comparisons": 1, "pattern_type sigma": 1}
	if !reflect.DeepEqual(fr.Unsupported, wantUnsup) {
		t.Errorf("unsupported %v", fr.Unsupported)
	}
	want := []int{lineOf(t, p, "indicator--broken"), lineOf(t, p, "indicator--badtype")}
	if got := problemLines(fr); !reflect.DeepEqual(got, want) {
		t.Errorf("problem lines %v want %v: %v", got, want, fr.Problems)
	}
	k := keys(set)
	for v, typ := range map[string]Type{
		"203.0.113.10": IP, "203.0.113.11": IP, "2001:db8:beef::1": IP, "203.0.113.13": IP, "203.0.113.20": IP,
		"203.0.113.21": IP, "203.0.113.30": IP, "203.0.113.40": IP, "203.0.113.41": IP, "198.18.0.0/15": CIDR,
		"stix-evil.example.com": Domain, "q.example.com": Domain, "observed.example.net": Domain,
		"stix-evil.example.com/gate.php":           URL,
		"546f9a93beec1cac6ac923a3cd8ca4c5ec249d1a": CertSHA1,
		"d459081c0fa172e7ac2c1f8296c0a3bf2ad16c24": FileSHA1,
		"0123456789abcdef0123456789abcdef":         FileMD5,
		"EvilAgent/2.0":                            UserAgent,
	} {
		if k[v] != typ {
			t.Errorf("%s: type %q want %q", v, k[v], typ)
		}
	}
	if _, ok := k["203.0.113.99"]; ok {
		t.Error("revoked indicator loaded")
	}
	es, _ := set.ips.Lookup(mustAddr("203.0.113.10"))
	if es[0].desc != "C2 address" || es[0].confidence != 75 {
		t.Errorf("%+v", es[0])
	}

	// Observables can be switched off.
	set, fr = load1(t, Source{Path: p, NoObservables: true})
	if _, ok := keys(set)["203.0.113.20"]; ok || fr.Skipped != 4 {
		t.Errorf("observables loaded; skipped %d", fr.Skipped)
	}
}

func TestLoadSTIXTruncated(t *testing.T) {
	p := "testdata/bundle-truncated.json"
	set, fr := load1(t, Source{Path: p, Format: FormatSTIX})
	if fr.Loaded != 1 || len(fr.Problems) != 1 || fr.Problems[0].Line != 3 {
		t.Errorf("%+v", fr)
	}
	if _, ok := keys(set)["203.0.113.77"]; !ok {
		t.Error("objects before the error must be kept")
	}
}

func TestLoadMISP(t *testing.T) {
	set, fr := load1(t, Source{Path: "testdata/misp-event.json"})
	if fr.Format != FormatMISP || fr.Loaded != 14 || fr.Skipped != 1 {
		t.Errorf("format %s loaded %d skipped %d: %v %v", fr.Format, fr.Loaded, fr.Skipped, fr.Problems, fr.Unsupported)
	}
	if !reflect.DeepEqual(fr.Unsupported, map[string]int{"misp type email-src": 1, "misp type link": 1}) {
		t.Errorf("unsupported %v", fr.Unsupported)
	}
	k := keys(set)
	for v, typ := range map[string]Type{
		"198.51.100.7": IP, "198.51.100.77": IP, "198.51.100.9": IP, "198.51.100.10": IP, "192.0.2.200": IP,
		"misp-evil.example.com": Domain, "host.misp.example.net": Domain, "pair.example.com": Domain, "obj.example.com": Domain,
		"misp-evil.example.com/a.php":                                      URL,
		"b32309a26951912be7dba376398abc3b":                                 JA3,
		"5aab11223344556677889900aabbccddeeff0011":                         CertSHA1,
		"MISPAgent/1.0":                                                    UserAgent,
		"0000000000000000000000000000000000000000000000000000000000000001": FileSHA256,
	} {
		if k[v] != typ {
			t.Errorf("%s: type %q want %q", v, k[v], typ)
		}
	}
	if _, ok := k["198.51.100.8"]; ok {
		t.Error("deleted attribute loaded")
	}
	es, _ := set.ips.Lookup(mustAddr("198.51.100.7"))
	if es[0].desc != "C2" {
		t.Errorf("comment as description: %q", es[0].desc)
	}
	if es := set.domains["obj.example.com"]; es[0].desc != "Phishing campaign X" {
		t.Errorf("event info as description: %q", es[0].desc)
	}

	// to_ids honoured on request.
	set, fr = load1(t, Source{Path: "testdata/misp-event.json", IDSOnly: true})
	if _, ok := keys(set)["198.51.100.9"]; ok || fr.Skipped != 3 {
		t.Errorf("IDSOnly: skipped %d", fr.Skipped)
	}

	// A search response with several events; a bad value has its line.
	p := "testdata/misp-response.json"
	set, fr = load1(t, Source{Path: p, Format: FormatMISP})
	if fr.Loaded != 2 || len(fr.Problems) != 1 || fr.Problems[0].Line != lineOf(t, p, "999.1.1.1") {
		t.Errorf("%+v", fr)
	}
	if es := set.domains["second.example.com"]; es[0].desc != "second event" {
		t.Errorf("per-event info: %q", es[0].desc)
	}
	es, _ = set.ips.Lookup(mustAddr("192.0.2.31"))
	if es[0].desc != "first event" {
		t.Errorf("per-event info: %q", es[0].desc)
	}
}

func TestLoadMalformed(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"empty.txt":      "",
		"binary.txt":     "\x00\x01\x02\xff\xfe\n\x00",
		"bad.json":       `{"objects": [ {"type": "indicator", "pattern": 5}, nonsense ]}`,
		"array.json":     `[{"type":"indicator","pattern":"[domain-name:value = 'arr.example.com']"}]`,
		"single.json":    `{"type":"indicator","pattern":"[url:value = 'http://one.example.com/']"}`,
		"notstix.json":   `{"foo": 1}`,
		"deep.json":      strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
		"misp-bad.json":  `{"Event": {"Attribute": [{"type": "ip-dst", "value": 7}, {"type":"domain","value":"ok.example.org"}]}}`,
		"misp-none.json": `{"Event": {"info": "no attributes"}}`,
		"noheader.csv":   "foo,bar\n1,2\n",
		"badquote.csv":   "type,value\nip,\"1.2.3.4\nip,5.6.7.8\n",
		"long.txt":       strings.Repeat("a", 2<<20) + "\nok.example.net\n",
	}
	for name, data := range files {
		if err := os.WriteFile(dir+"/"+name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var srcs []Source
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		srcs = append(srcs, Source{Path: dir + "/" + name})
	}
	set, rep, err := Load(srcs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]FileReport{}
	for _, f := range rep.Files {
		got[f.Path[len(dir)+1:]] = f
	}
	if f := got["array.json"]; f.Loaded != 1 {
		t.Errorf("array.json %+v", f)
	}
	if f := got["single.json"]; f.Loaded != 1 {
		t.Errorf("single.json %+v", f)
	}
	if f := got["bad.json"]; len(f.Problems) != 2 || f.Problems[0].Line != 1 {
		t.Errorf("bad.json %+v", f)
	}
	if f := got["notstix.json"]; len(f.Problems) != 1 {
		t.Errorf("notstix.json %+v", f)
	}
	if f := got["deep.json"]; len(f.Problems) != 1 {
		t.Errorf("deep.json %+v", f)
	}
	if f := got["misp-bad.json"]; f.Loaded != 1 || len(f.Problems) != 1 {
		t.Errorf("misp-bad.json %+v", f)
	}
	if f := got["noheader.csv"]; len(f.Problems) != 1 || f.Format != FormatCSV || f.Loaded != 0 {
		t.Errorf("noheader.csv %+v", f)
	}
	if f := got["badquote.csv"]; f.Loaded+len(f.Problems) == 0 {
		t.Errorf("badquote.csv %+v", f)
	}
	if f := got["long.txt"]; len(f.Problems) != 1 {
		t.Errorf("long.txt %+v", f)
	}
	if set.Len() == 0 {
		t.Error("nothing loaded")
	}
	if s := rep.String(); !strings.Contains(s, "indicators") {
		t.Error(s)
	}

	// Unreadable sources and bad options are errors.
	for _, src := range []Source{
		{Path: dir + "/missing.txt"},
		{Path: dir + "/empty.txt", Format: "yaml"},
		{Path: dir + "/empty.txt", Type: "banana"},
	} {
		if _, _, err := Load([]Source{src}); err == nil {
			t.Errorf("%+v: want error", src)
		}
	}
}

func TestProblemCap(t *testing.T) {
	p := t.TempDir() + "/many.txt"
	os.WriteFile(p, []byte(strings.Repeat("!!bad\n", MaxProblems+50)), 0o644)
	_, fr := load1(t, Source{Path: p})
	if len(fr.Problems) != MaxProblems || fr.More != 50 {
		t.Errorf("problems %d more %d", len(fr.Problems), fr.More)
	}
}

func TestAllowList(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/bad.txt", []byte("evil.example.com\n203.0.113.0/24\nhttp://x.example.org/a\n"), 0o644)
	os.WriteFile(dir+"/allow.txt", []byte("ok.evil.example.com\n203.0.113.7\n"), 0o644)
	set, rep, err := Load([]Source{{Path: dir + "/bad.txt"}, {Path: dir + "/allow.txt", Allow: true}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Allowed != 2 || rep.Indicators != 3 {
		t.Errorf("%+v", rep)
	}
	if hits := set.Match(dnsEvent("a.ok.evil.example.com")); len(hits) != 0 {
		t.Errorf("allowed subdomain hit: %v", hits)
	}
	if hits := set.Match(dnsEvent("b.evil.example.com")); len(hits) != 1 {
		t.Errorf("want a hit: %v", hits)
	}
	if hits := set.Match(flowEvent("10.0.0.1", "203.0.113.7")); len(hits) != 0 {
		t.Errorf("allowed address hit: %v", hits)
	}
	if hits := set.Match(flowEvent("10.0.0.1", "203.0.113.8")); len(hits) != 1 {
		t.Errorf("want a hit: %v", hits)
	}
}

func TestParseTypeAndFormat(t *testing.T) {
	for s, want := range map[string]Type{"IPv4": IP, "ip-dst": IP, "hostname": Domain, "x509-fingerprint-sha1": CertSHA1, " UA ": UserAgent, "ja3-fingerprint-md5": JA3, "md5": FileMD5} {
		if got, ok := ParseType(s); !ok || got != want {
			t.Errorf("ParseType(%q) = %q", s, got)
		}
	}
	if _, ok := ParseType("email"); ok {
		t.Error("email")
	}
	for s, want := range map[string]Format{"": FormatAuto, "STIX2": FormatSTIX, "txt": FormatList, "csv": FormatCSV, "misp": FormatMISP} {
		if got, ok := ParseFormat(s); !ok || got != want {
			t.Errorf("ParseFormat(%q) = %q", s, got)
		}
	}
}

func TestDetectAndNormalize(t *testing.T) {
	for v, want := range map[string]Type{
		"1.2.3.4": IP, "1.2.3.4:443": IP, "2001:db8::1": IP, "10.0.0.0/8": CIDR, "http://x.example/": URL,
		"evil[.]example[.]com": Domain, "hxxps://evil[.]example/x": URL, "x.example.com/path": URL,
		"0123456789abcdef0123456789abcdef": JA3, "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67": CertSHA1,
		"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef": FileSHA256,
		"t13d1516h2_8daaf6152771_b186095e22b6":                             JA4, "q13d0312h3_55b375c5d22e_06cda9e17597": JA4,
	} {
		if got, ok := DetectType(v); !ok || got != want {
			t.Errorf("DetectType(%q) = %q,%v want %q", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "foo", "1.2.3", "com", "!!"} {
		if got, ok := DetectType(v); ok {
			t.Errorf("DetectType(%q) = %q", v, got)
		}
	}
	for _, c := range []struct {
		t        Type
		in, key  string
		mustFail bool
	}{
		{URL, "HTTP://User:pw@Evil.Example.COM:8080/A/b?c=D#frag", "evil.example.com/A/b?c=D", false},
		{URL, "https://evil.example.com", "evil.example.com/", false},
		{URL, "https://evil.example.com?q=1", "evil.example.com/?q=1", false},
		{URL, "http://[2001:db8::1]:80/x", "2001:db8::1/x", false},
		{URL, "/just/a/path", "", true},
		{IP, "::ffff:1.2.3.4", "1.2.3.4/32", false},
		{CIDR, "10.1.2.3/8", "10.0.0.0/8", false},
		{IP, "10.1.2.3/8", "10.0.0.0/8", false},
		{Domain, "*.Evil.Example.COM.", "evil.example.com", false},
		{Domain, "1.2.3.4", "", true},
		{Domain, "co.uk", "", true},
		{Domain, "evil-c2.duckdns.org", "evil-c2.duckdns.org", false},
		{Domain, "duckdns.org", "duckdns.org", false},
		{JA3, "abc", "", true},
		{CertSHA1, "AA BB CC DD EE FF 00 11 22 33 44 55 66 77 88 99 AA BB CC DD", "aabbccddeeff00112233445566778899aabbccdd", false},
		{CertSHA1, strings.Repeat("a", 41), "", true},
		{JA4, "T13D1516H2_8DAAF6152771_B186095E22B6", "t13d1516h2_8daaf6152771_b186095e22b6", false},
		{UserAgent, "  Mozilla/5.0 x  ", "Mozilla/5.0 x", false},
		{"nonsense", "x", "", true},
	} {
		_, key, _, err := normalize(c.t, c.in)
		if (err != nil) != c.mustFail || key != c.key {
			t.Errorf("normalize(%s, %q) = %q, %v", c.t, c.in, key, err)
		}
	}
}
