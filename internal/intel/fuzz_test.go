package intel

import (
	"os"
	"strings"
	"testing"
)

func TestParsePattern(t *testing.T) {
	for _, c := range []struct {
		p        string
		want     string // "type=value ..." in order
		loosened bool
		unsup    string
		err      bool
	}{
		{p: "[ipv4-addr:value = '1.2.3.4']", want: "ip=1.2.3.4"},
		{p: "[ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '5.6.7.8']", want: "ip=1.2.3.4 ip=5.6.7.8"},
		{p: "[domain-name:value = 'x.example'] OR [url:value = 'http://x.example/a']", want: "domain=x.example url=http://x.example/a"},
		{p: "[file:hashes.'SHA-1' = 'aa'] OR [file:hashes.MD5 = 'bb'] OR [file:hashes.'SHA-256' = 'cc']", want: "file-sha1=aa file-md5=bb file-sha256=cc"},
		{p: "[x509-certificate:hashes.'SHA-1' = 'AB:CD']", want: "cert-sha1=AB:CD"},
		{p: "[x509-certificate:hashes.sha1 = 'abcd']", want: "cert-sha1=abcd"},
		{p: "[domain-name:value = 'it\\'s.example']", want: "domain=it's.example"},
		{p: "[ipv4-addr:value IN ('1.1.1.1','2.2.2.2')]", want: "ip=1.1.1.1 ip=2.2.2.2"},
		{p: "[ipv4-addr:value ISSUBSET '10.0.0.0/8']", want: "ip=10.0.0.0/8"},
		{p: "[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '5.6.7.8']", want: "ip=1.2.3.4 ip=5.6.7.8", loosened: true},
		{p: "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'a.example']", want: "ip=1.2.3.4 domain=a.example", loosened: true},
		{p: "[ipv4-addr:value = '1.2.3.4'] REPEATS 5 TIMES WITHIN 10 SECONDS", want: "ip=1.2.3.4", loosened: true},
		{p: "[ipv4-addr:value = '1.2.3.4'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", want: "ip=1.2.3.4", loosened: true},
		{p: "([ipv4-addr:value = '1.2.3.4'] OR ([domain-name:value = 'a.example']))", want: "ip=1.2.3.4 domain=a.example"},
		{p: "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '9.9.9.9' AND network-traffic:dst_port = 80]", want: "ip=9.9.9.9", loosened: true},
		{p: "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Bad UA']", want: "user-agent=Bad UA"},
		{p: "[domain-name:value != 'good.example']", want: ""},
		{p: "[domain-name:value NOT = 'good.example']", want: ""},
		{p: "[domain-name:value LIKE '%.example']", want: ""},
		{p: "[domain-name:value MATCHES '^a']", want: ""},
		{p: "[email-addr:value = 'a@b.c']", want: "", unsup: "email-addr:value"},
		{p: "[email-addr:value = 'a@b.c' OR ipv4-addr:value = '1.1.1.1']", want: "ip=1.1.1.1", loosened: true, unsup: "email-addr:value"},
		{p: "[file:size > 1000]", want: "", unsup: "file:size"},
		{p: "[windows-registry-key:values[*].name = 'x']", want: "", unsup: "windows-registry-key:values[*].name"},
		{p: "[file:hashes.'SHA-256' = h'00ff']", want: ""},
		{p: "[x:y = true]", want: "", unsup: "x:y"},
		{p: "[x:y = -1.5]", want: "", unsup: "x:y"},
		{p: "[EXISTS file:name]", want: ""},
		{p: "", err: true},
		{p: "[", err: true},
		{p: "[ipv4-addr:value = '1.2.3.4'", err: true},
		{p: "[ipv4-addr:value = 1.2.3.4']", err: true},
		{p: "[ipv4-addr:value '1.2.3.4']", err: true},
		{p: "[ipv4-addr = '1.2.3.4']", err: true},
		{p: "[ipv4-addr:value = '1.2.3.4'] junk", err: true},
		{p: "[ipv4-addr:value = '1.2.3.4'] WITHIN SECONDS", err: true},
		{p: "[ipv4-addr:value IN ()]", err: true},
		{p: "[a:b = 'unterminated]", err: true},
		{p: strings.Repeat("(", 200) + "[a:b = 'x']" + strings.Repeat(")", 200), err: true},
	} {
		r, err := ParsePattern(c.p)
		if (err != nil) != c.err {
			t.Errorf("%q: err = %v", c.p, err)
			continue
		}
		if c.err {
			continue
		}
		var got []string
		for _, v := range r.Values {
			got = append(got, string(v.Type)+"="+v.Value)
		}
		if strings.Join(got, " ") != c.want || r.Loosened != c.loosened || strings.Join(r.Unsupported, " ") != c.unsup {
			t.Errorf("%q: got %q loosened %v unsup %v", c.p, got, r.Loosened, r.Unsupported)
		}
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{
		"[ipv4-addr:value = '1.2.3.4']",
		"[ipv4-addr:value = '1.2.3.4' OR ipv6-addr:value = '::1'] AND [domain-name:value = 'a.b']",
		"([file:hashes.'SHA-1' = 'aa'] FOLLOWEDBY [url:value = 'http://x/']) WITHIN 5 SECONDS",
		"[network-traffic:dst_ref.value IN ('1.1.1.1', '2.2.2.2')] REPEATS 2 TIMES",
		"[x509-certificate:hashes.'SHA-1' = 'it\\'s']",
		"[a:b[*].c = t'2020-01-01T00:00:00Z'] START t'2020' STOP t'2021'",
		"[a:b NOT MATCHES '^x']", "((((", "[a:'b' = -1e5]", "']",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		r, err := ParsePattern(p)
		if err != nil {
			return
		}
		for _, v := range r.Values {
			if v.Type == "" {
				t.Fatalf("empty type from %q", p)
			}
			// Whatever the pattern names must go through normalisation
			// without panicking.
			normalize(v.Type, v.Value)
		}
	})
}

// FuzzLoaders feeds arbitrary bytes to every format: malformed input must
// become problems, never a panic.
func FuzzLoaders(f *testing.F) {
	for _, name := range []string{"list.txt", "indicators.csv", "bundle.json", "misp-event.json", "bundle-truncated.json"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"response":[{"Event":{"Object":[{"Attribute":[{"type":"domain|ip","value":"a|b|c"}]}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, load := range []func(*sink, []byte){loadList, loadCSV, loadSTIX, loadMISP} {
			b := NewBuilder()
			k := &sink{b: b, src: Source{Path: "fuzz"}, fr: &FileReport{Path: "fuzz"}}
			load(k, data)
			s := b.Build()
			s.Match(flowEvent("10.0.0.1", "203.0.113.1"))
		}
	})
}
