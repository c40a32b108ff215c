package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// small, fast configuration shared by the tests
var testCfg = Config{Seed: 42, Hosts: 60, Hours: 4, Start: time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC)}

type genOut struct {
	eve, truth []byte
	st         Stats
	lines      []map[string]any
	doc        Truth
}

var (
	outOnce sync.Once
	out     genOut
	outErr  error
)

func generated(t *testing.T) *genOut {
	t.Helper()
	outOnce.Do(func() {
		var e, tr bytes.Buffer
		out.st, outErr = Generate(testCfg, &e, &tr)
		out.eve, out.truth = e.Bytes(), tr.Bytes()
		if outErr != nil {
			return
		}
		for _, ln := range bytes.Split(bytes.TrimSuffix(out.eve, []byte("\n")), []byte("\n")) {
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(ln))
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				outErr = err
				return
			}
			out.lines = append(out.lines, m)
		}
		outErr = json.Unmarshal(out.truth, &out.doc)
	})
	if outErr != nil {
		t.Fatal(outErr)
	}
	return &out
}

func TestDeterministic(t *testing.T) {
	g := generated(t)
	var e2, t2 bytes.Buffer
	if _, err := Generate(testCfg, &e2, &t2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.eve, e2.Bytes()) || !bytes.Equal(g.truth, t2.Bytes()) {
		t.Fatal("same config produced different output")
	}
	other := testCfg
	other.Seed = 43
	var e3 bytes.Buffer
	if _, err := Generate(other, &e3, nil); err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(e3.Bytes()) == sha256.Sum256(g.eve) {
		t.Fatal("different seeds produced identical output")
	}
	if !strings.Contains(string(g.truth), `"seed": 42`) {
		t.Fatal("truth lacks the seed")
	}
}

var tsRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000$`)

func str(m map[string]any, path ...string) string {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[p]
	}
	switch v := cur.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func TestEVELines(t *testing.T) {
	g := generated(t)
	if int64(len(g.lines)) != g.st.Events || g.st.Events < 10000 {
		t.Fatalf("events: %d lines vs %d stats", len(g.lines), g.st.Events)
	}
	type fl struct {
		a, b      string
		sensor    string
		flowRecs  int
		firstType string
	}
	flows := map[string]*fl{}
	var prev time.Time
	for i, m := range g.lines {
		for _, k := range []string{"timestamp", "flow_id", "in_iface", "event_type", "src_ip", "dest_ip", "proto", "host"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("line %d lacks %s", i, k)
			}
		}
		et := str(m, "event_type")
		if _, ok := m[et]; !ok {
			t.Fatalf("line %d (%s) lacks its event object", i, et)
		}
		if str(m, "proto") != "ICMP" {
			if _, ok := m["src_port"]; !ok {
				t.Fatalf("line %d lacks ports", i)
			}
		}
		ts := str(m, "timestamp")
		if !tsRe.MatchString(ts) {
			t.Fatalf("line %d: bad timestamp %q", i, ts)
		}
		tm, err := time.Parse("2006-01-02T15:04:05.999999-0700", ts)
		if err != nil {
			t.Fatal(err)
		}
		if tm.Before(prev) {
			t.Fatalf("line %d: timestamp goes backwards (%s < %s)", i, tm, prev)
		}
		prev = tm
		fid, err := m["flow_id"].(json.Number).Int64()
		if err != nil || fid <= 0 || fid >= 1<<51 {
			t.Fatalf("line %d: bad flow_id %v", i, m["flow_id"])
		}
		for _, k := range []string{"src_ip", "dest_ip"} {
			if _, err := netip.ParseAddr(str(m, k)); err != nil {
				t.Fatalf("line %d: bad %s", i, k)
			}
		}
		a := str(m, "src_ip") + ":" + str(m, "src_port")
		b := str(m, "dest_ip") + ":" + str(m, "dest_port")
		if a > b {
			a, b = b, a
		}
		key := str(m, "flow_id")
		f := flows[key]
		if f == nil {
			f = &fl{a: a, b: b, sensor: str(m, "host"), firstType: et}
			flows[key] = f
		} else if f.a != a || f.b != b || f.sensor != str(m, "host") {
			t.Fatalf("line %d: flow_id %s shared by different flows", i, key)
		}
		if et == "flow" {
			f.flowRecs++
			if str(m, "flow", "start") > ts || str(m, "flow", "end") > ts {
				t.Fatalf("line %d: flow record before its flow ended", i)
			}
		}
		if et == "dns" {
			if ans, ok := m["dns"].(map[string]any)["answers"].([]any); ok {
				for _, a := range ans {
					am := a.(map[string]any)
					rd, _ := am["rdata"].(string)
					switch am["rrtype"] {
					case "A", "AAAA":
						ad, err := netip.ParseAddr(rd)
						if err != nil || ad.Is4() != (am["rrtype"] == "A") {
							t.Fatalf("line %d: bad %v rdata %q", i, am["rrtype"], rd)
						}
					}
				}
			}
		}
		if et == "dns" && str(m, "dns", "type") == "response" && str(m, "src_port") != "53" {
			t.Fatalf("line %d: DNS v3 response must come from the responder", i)
		}
	}
	shared := 0
	for k, f := range flows {
		if f.flowRecs != 1 {
			t.Fatalf("flow %s has %d flow records", k, f.flowRecs)
		}
		if f.firstType != "flow" {
			shared++
		}
	}
	if shared < len(flows)/3 {
		t.Fatalf("only %d of %d flows have app-layer records sharing the flow_id", shared, len(flows))
	}
	// all event types of the mix are present
	for _, et := range []string{"flow", "dns", "tls", "http", "fileinfo", "alert", "anomaly", "smb", "krb5", "dhcp", "ssh", "smtp", "quic"} {
		if g.st.ByType[et] == 0 {
			t.Errorf("no %s events", et)
		}
	}
	// both dialects and both sensors
	var v2, v3, cid, nocid int
	for _, m := range g.lines {
		switch str(m, "dns", "version") {
		case "2":
			v2++
		case "3":
			v3++
		}
		if _, ok := m["community_id"]; ok {
			cid++
		} else {
			nocid++
		}
	}
	if v2 == 0 || v3 == 0 || cid == 0 || nocid == 0 {
		t.Fatalf("dialect/sensor mix missing: v2=%d v3=%d cid=%d nocid=%d", v2, v3, cid, nocid)
	}
}

func TestNoGiveaways(t *testing.T) {
	g := generated(t)
	low := bytes.ToLower(g.eve)
	for _, w := range []string{"rogue", "malicious", "attacker", "t1090", "planted"} {
		if bytes.Contains(low, []byte(w)) {
			t.Errorf("EVE output contains giveaway %q", w)
		}
	}
}

func TestOrgAndYAML(t *testing.T) {
	g := generated(t)
	o := testCfg.Org()
	b1, _ := json.Marshal(o)
	b2, _ := json.Marshal(g.doc.Org)
	if !bytes.Equal(b1, b2) {
		t.Fatal("Config.Org() differs from the organisation in the truth file")
	}
	var users netip.Prefix
	for _, gr := range o.Groups {
		if gr.Name == "Users" {
			users = netip.MustParsePrefix(gr.CIDR)
		}
	}
	if !users.IsValid() {
		t.Fatal(`no "Users" group`)
	}
	if len(o.Workstations) != testCfg.Hosts {
		t.Fatalf("%d workstations, want %d", len(o.Workstations), testCfg.Hosts)
	}
	for _, w := range o.Workstations {
		if !users.Contains(netip.MustParseAddr(w.IP)) {
			t.Fatalf("workstation %s outside Users", w.IP)
		}
	}
	if len(o.ApprovedProxies) != 2 {
		t.Fatal("want 2 approved proxies")
	}
	y := o.ConfigYAML()
	for _, want := range []string{"home_nets:", "network_groups:", `- name: "Users"`, `cidr: "10.10.0.0/16"`, "approved_proxies:", `"10.20.0.10:3128"`} {
		if !strings.Contains(y, want) {
			t.Errorf("ConfigYAML lacks %q:\n%s", want, y)
		}
	}
	// every workstation is active in the EVE
	seen := map[string]bool{}
	for _, m := range g.lines {
		seen[str(m, "src_ip")] = true
	}
	missing := 0
	for _, w := range o.Workstations {
		if !seen[w.IP] {
			missing++
		}
	}
	if missing > len(o.Workstations)/10 {
		t.Fatalf("%d workstations never appear as src_ip", missing)
	}
}

func findCase(t *testing.T, doc *Truth, kind string) TruthCase {
	t.Helper()
	for _, c := range doc.Cases {
		if c.Kind == kind {
			return c
		}
	}
	t.Fatalf("truth lacks case %q", kind)
	return TruthCase{}
}

func hostOf(hp string) string { h, _, _ := strings.Cut(hp, ":"); return h }

func TestTruthCases(t *testing.T) {
	g := generated(t)
	doc := &g.doc
	start, _ := time.Parse(time.RFC3339Nano, doc.Start)
	end, _ := time.Parse(time.RFC3339Nano, doc.End)
	planted := map[string]string{
		"internal_rogue_http_proxy": "T1090.001", "external_http_proxy_letsencrypt": "T1090.002", "socks_proxy": "T1090",
		"tor": "T1090.003", "multi_hop_chain": "T1090.003", "domain_fronting": "T1090.004", "tunnel_service": "T1090", "cdn_abuse": "T1090",
	}
	benign := []string{"approved_proxy", "reverse_proxy", "dev_web_server", "jenkins_server", "letsencrypt_websites", "cdn_usage", "corporate_vpn"}
	srcs := map[string]bool{}
	dsts := map[string]bool{}
	for _, m := range g.lines {
		srcs[str(m, "src_ip")] = true
		dsts[str(m, "dest_ip")] = true
	}
	ids := map[string]bool{}
	for kind, tech := range planted {
		c := findCase(t, doc, kind)
		if c.Benign || c.Technique != tech {
			t.Errorf("%s: benign=%v technique=%s", kind, c.Benign, c.Technique)
		}
		if c.Events < 20 || c.Events > g.st.Events/20 {
			t.Errorf("%s: %d events (want dozens..a few %%)", kind, c.Events)
		}
		fs, err1 := time.Parse(time.RFC3339Nano, c.FirstSeen)
		ls, err2 := time.Parse(time.RFC3339Nano, c.LastSeen)
		if err1 != nil || err2 != nil || fs.Before(start) || ls.After(end) || ls.Before(fs) {
			t.Errorf("%s: bad first/last seen %s %s", kind, c.FirstSeen, c.LastSeen)
		}
		if c.FirstClient == "" || c.FirstUse == "" || len(c.Hosts.Clients) == 0 {
			t.Errorf("%s: missing first client / first use / clients", kind)
		}
		for _, cl := range c.Hosts.Clients {
			if !srcs[cl] {
				t.Errorf("%s: client %s never appears in the EVE", kind, cl)
			}
		}
		for _, e := range c.Hosts.External {
			if !dsts[hostOf(e)] {
				t.Errorf("%s: external %s never appears as dest_ip", kind, e)
			}
		}
		if ids[c.ID] {
			t.Errorf("duplicate id %s", c.ID)
		}
		ids[c.ID] = true
	}
	for _, kind := range benign {
		c := findCase(t, doc, kind)
		if !c.Benign || c.LookalikeOf == "" {
			t.Errorf("%s: want benign look-alike, got %+v", kind, c)
		}
	}
	if len(doc.TorRelays) == 0 {
		t.Error("no tor relays in the truth")
	}
}

// each planted case shows up on the wire the way the truth describes it
func TestCaseWireEvidence(t *testing.T) {
	g := generated(t)
	doc := &g.doc
	has := func(pred func(m map[string]any) bool) bool {
		for _, m := range g.lines {
			if pred(m) {
				return true
			}
		}
		return false
	}

	c := findCase(t, doc, "internal_rogue_http_proxy")
	pip, pport, _ := strings.Cut(c.Hosts.Proxy, ":")
	if !has(func(m map[string]any) bool {
		return str(m, "event_type") == "http" && str(m, "dest_ip") == pip && str(m, "dest_port") == pport && str(m, "http", "http_method") == "CONNECT"
	}) {
		t.Error("rogue proxy: no CONNECT to it")
	}
	if !has(func(m map[string]any) bool {
		return str(m, "src_ip") == pip && str(m, "event_type") == "flow" && !strings.HasPrefix(str(m, "dest_ip"), "10.")
	}) {
		t.Error("rogue proxy: no outbound flows from it")
	}

	c = findCase(t, doc, "external_http_proxy_letsencrypt")
	eip := hostOf(c.Hosts.Proxy)
	if !has(func(m map[string]any) bool {
		return str(m, "event_type") == "tls" && str(m, "dest_ip") == eip && str(m, "dest_port") == "443" &&
			strings.Contains(str(m, "tls", "issuerdn"), "Let's Encrypt") && str(m, "tls", "subject") == "CN="+c.Domains[0]
	}) {
		t.Error("external proxy: no Let's Encrypt TLS on 443")
	}
	if !has(func(m map[string]any) bool {
		u := str(m, "http", "url")
		return str(m, "event_type") == "http" && str(m, "dest_ip") == eip && (str(m, "http", "http_method") == "CONNECT" || strings.HasPrefix(u, "http://"))
	}) {
		t.Error("external proxy: no proxy requests")
	}
	if !has(func(m map[string]any) bool {
		return str(m, "src_ip") == c.FirstClient && str(m, "dest_ip") == eip
	}) {
		t.Error("external proxy: first client never talks to it")
	}

	c = findCase(t, doc, "socks_proxy")
	sip, sport, _ := strings.Cut(c.Hosts.Proxy, ":")
	if !has(func(m map[string]any) bool {
		return str(m, "event_type") == "flow" && str(m, "dest_ip") == sip && str(m, "dest_port") == sport && str(m, "app_proto") == "failed"
	}) {
		t.Error("socks: no failed-protocol flows")
	}

	c = findCase(t, doc, "tor")
	for _, rl := range c.Hosts.Relays {
		ip := hostOf(rl)
		if !has(func(m map[string]any) bool {
			return str(m, "dest_ip") == ip && str(m, "event_type") == "tls" &&
				regexp.MustCompile(`^CN=www\.[a-z]+\.com$`).MatchString(str(m, "tls", "subject")) &&
				regexp.MustCompile(`^CN=www\.[a-z]+\.net$`).MatchString(str(m, "tls", "issuerdn"))
		}) {
			t.Errorf("tor: relay %s has no tor-like TLS", rl)
		}
	}

	c = findCase(t, doc, "multi_hop_chain")
	if c.HopCount != 2 || len(c.Hops) != 4 {
		t.Errorf("multi-hop: hops %v count %d", c.Hops, c.HopCount)
	}
	piv := hostOf(c.Hosts.Pivot)
	ext := hostOf(c.Hosts.Proxy)
	if !has(func(m map[string]any) bool {
		return str(m, "event_type") == "http" && str(m, "src_ip") == piv && str(m, "dest_ip") == ext && strings.Contains(str(m, "http", "xff"), c.Hops[0])
	}) {
		t.Error("multi-hop: pivot never forwards with X-Forwarded-For")
	}

	c = findCase(t, doc, "domain_fronting")
	front, backend := c.Domains[0], c.Domains[1]
	fips := map[string]bool{}
	for _, e := range c.Hosts.External {
		fips[e] = true
	}
	if !has(func(m map[string]any) bool {
		return str(m, "event_type") == "tls" && fips[str(m, "dest_ip")] && str(m, "tls", "sni") == front
	}) {
		t.Error("fronting: no TLS with the front SNI")
	}
	if !has(func(m map[string]any) bool {
		return str(m, "event_type") == "http" && fips[str(m, "dest_ip")] && str(m, "dest_port") == "80" && str(m, "http", "hostname") == backend
	}) {
		t.Error("fronting: no cleartext request with the backend Host")
	}
	if has(func(m map[string]any) bool {
		return str(m, "event_type") == "dns" && strings.Contains(str(m, "dns", "rrname")+str(m, "dns", "queries"), backend)
	}) {
		t.Error("fronting: backend must never be resolved")
	}

	for _, kind := range []string{"tunnel_service", "cdn_abuse"} {
		c = findCase(t, doc, kind)
		if !has(func(m map[string]any) bool {
			return str(m, "event_type") == "tls" && str(m, "tls", "sni") == c.Domains[0]
		}) {
			t.Errorf("%s: no TLS with SNI %s", kind, c.Domains[0])
		}
	}
}

func TestSuricataDialects(t *testing.T) {
	for _, tc := range []struct {
		frac   float64
		v2, v3 bool
	}{{-1, true, false}, {1, false, true}} {
		cfg := Config{Seed: 3, Hosts: 20, Hours: 1, Suricata8Fraction: tc.frac}
		var e bytes.Buffer
		if _, err := Generate(cfg, &e, nil); err != nil {
			t.Fatal(err)
		}
		s := e.String()
		if got := strings.Contains(s, `"version":2,"type":"answer"`); got != tc.v2 {
			t.Errorf("frac %v: v2 answers present=%v", tc.frac, got)
		}
		if got := strings.Contains(s, `"version":3`); got != tc.v3 {
			t.Errorf("frac %v: v3 present=%v", tc.frac, got)
		}
		if got := strings.Contains(s, `"ip_v":4`); got != tc.v3 {
			t.Errorf("frac %v: ip_v present=%v", tc.frac, got)
		}
	}
}

func TestEdgeConfigs(t *testing.T) {
	for _, cfg := range []Config{{Seed: 9, Hosts: 1, Hours: 0.5}, {Seed: 9, Hosts: 3, Hours: 0.02}, {Seed: -5, Hosts: 7, Hours: 1, Start: time.Date(2026, 11, 21, 12, 0, 0, 0, time.FixedZone("x", 3600))}} {
		var e, tr bytes.Buffer
		st, err := Generate(cfg, &e, &tr)
		if err != nil {
			t.Fatal(err)
		}
		if st.Events == 0 || !json.Valid(tr.Bytes()) {
			t.Fatalf("%+v: %d events", cfg, st.Events)
		}
	}
	if _, err := Generate(Config{Hosts: maxHosts + 1}, &bytes.Buffer{}, nil); err == nil {
		t.Fatal("want an error for too many hosts")
	}
	if o := (Config{Seed: 1, Hosts: maxHosts}).Org(); len(o.Workstations) != maxHosts {
		t.Fatal("max hosts plan")
	}
}

func TestJA4Published(t *testing.T) {
	// our JA4 implementation reproduces published browser fingerprints
	a := computeJA4('t', 13, true, tcChrome.ciphers, tcChrome.exts, "h2", tcChrome.sigs)
	if a != "t13d1516h2_8daaf6152771_d8a2da3f94cd" {
		t.Fatalf("chrome JA4 %s", a)
	}
	a = computeJA4('t', 13, true, tcChromeOld.ciphers, tcChromeOld.exts, "h2", tcChromeOld.sigs)
	if a != "t13d1516h2_8daaf6152771_02713d6af862" {
		t.Fatalf("chrome 131 JA4 %s", a)
	}
	if tcChrome.ja3 != "98487aa16281980e7d1120d399efb6a4" {
		t.Fatalf("chrome JA3 %s", tcChrome.ja3)
	}
	if c := communityID(parseIP4("10.0.0.1"), parseIP4("10.0.0.2"), 1000, 80, pTCP); c != communityID(parseIP4("10.0.0.2"), parseIP4("10.0.0.1"), 80, 1000, pTCP) {
		t.Fatal("community id must be direction independent")
	}
}

func TestAppStrEscaping(t *testing.T) {
	in := "a\"b\\c\n\x00\x1f/é"
	var back string
	if err := json.Unmarshal(appStr(nil, in), &back); err != nil || back != in {
		t.Fatalf("escape round trip: %q %v", back, err)
	}
}

// BenchmarkGenerate generates about one million events per iteration and
// reports events/s (run with -benchtime=1x).
func BenchmarkGenerate(b *testing.B) {
	cfg := Config{Seed: 1, Hosts: 400, Hours: 24}
	var events int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := Generate(cfg, discard{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		events += st.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
