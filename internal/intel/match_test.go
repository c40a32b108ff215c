package intel

import (
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/nethunt/nethunt/internal/event"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func flowEvent(src, dst string) *event.Event {
	return &event.Event{EventType: "flow", SrcIP: mustAddr(src), DestIP: mustAddr(dst)}
}

func dnsEvent(names ...string) *event.Event {
	return &event.Event{EventType: "dns", SrcIP: mustAddr("10.0.0.5"), DestIP: mustAddr("10.0.0.53"), DNS: &event.DNS{Names: names}}
}

func testSet(t testing.TB) *Set {
	b := NewBuilder()
	for _, ind := range []Indicator{
		{Type: IP, Value: "203.0.113.50", Source: "a", Description: "c2"},
		{Type: CIDR, Value: "203.0.113.0/24", Source: "b"},
		{Type: IP, Value: "2001:db8::66", Source: "a"},
		{Type: Domain, Value: "evil.example.com", Source: "a"},
		{Type: Domain, Value: "sub.evil.example.com", Source: "b"},
		{Type: Domain, Value: "trycloudflare.com", Source: "tunnels"},
		{Type: URL, Value: "http://dl.example.org/payload.bin", Source: "a"},
		{Type: URL, Value: "http://dl.example.org/gate.php?id=1", Source: "a"},
		{Type: JA3, Value: "E7D705A3286E19EA42F587B344EE6865", Source: "a"},
		{Type: JA4, Value: "t13d1516h2_8daaf6152771_b186095e22b6", Source: "a"},
		{Type: CertSHA1, Value: "d459081c0fa172e7ac2c1f8296c0a3bf2ad16c24", Source: "certs"},
		{Type: FileSHA1, Value: "d459081c0fa172e7ac2c1f8296c0a3bf2ad16c24", Source: "stix"},
		{Type: UserAgent, Value: "EvilAgent/2.0", Source: "a"},
		{Type: FileMD5, Value: "0123456789abcdef0123456789abcdef", Source: "a"},
	} {
		if _, err := b.Add(ind); err != nil {
			t.Fatal(err)
		}
	}
	// A duplicate from the same source is dropped, from another kept.
	b.Add(Indicator{Type: IP, Value: "203.0.113.50", Source: "a"})
	if b.Duplicates() != 1 {
		t.Fatalf("dups = %d", b.Duplicates())
	}
	return b.Build()
}

func hitStrings(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s:%s@%s=%s/%s", h.Type, h.Value, h.Field, h.Observed, h.Source))
	}
	sort.Strings(out)
	return out
}

func TestMatch(t *testing.T) {
	s := testSet(t)
	for _, c := range []struct {
		name string
		ev   *event.Event
		want string
	}{
		{"no hit", flowEvent("10.0.0.1", "198.51.100.1"), ""},
		{"ip and covering cidr", flowEvent("10.0.0.1", "203.0.113.50"),
			"cidr:203.0.113.0/24@dest_ip=203.0.113.50/b ip:203.0.113.50@dest_ip=203.0.113.50/a"},
		{"cidr only, src side", flowEvent("203.0.113.9", "10.0.0.1"), "cidr:203.0.113.0/24@src_ip=203.0.113.9/b"},
		{"v4-mapped", &event.Event{SrcIP: mustAddr("::ffff:203.0.113.9")}, "cidr:203.0.113.0/24@src_ip=203.0.113.9/b"},
		{"ipv6", flowEvent("2001:db8::66", "2001:db8::1"), "ip:2001:db8::66@src_ip=2001:db8::66/a"},
		{"dns subdomain", dnsEvent("x.Evil.Example.com."), "domain:evil.example.com@dns.rrname=x.Evil.Example.com./a"},
		{"dns both levels", dnsEvent("a.sub.evil.example.com"),
			"domain:evil.example.com@dns.rrname=a.sub.evil.example.com/a domain:sub.evil.example.com@dns.rrname=a.sub.evil.example.com/b"},
		{"label boundary", dnsEvent("notevil.example.com", "evil.example.com.au", "example.com"), ""},
		{"tunnel", dnsEvent("abc-def.trycloudflare.com"), "domain:trycloudflare.com@dns.rrname=abc-def.trycloudflare.com/tunnels"},
		{"dns answers", &event.Event{DNS: &event.DNS{Names: []string{"cdn.example.net"}, AnswerData: []string{"evil.example.com", "203.0.113.50"}}},
			"cidr:203.0.113.0/24@dns.answers.rdata=203.0.113.50/b domain:evil.example.com@dns.answers.rdata=evil.example.com/a ip:203.0.113.50@dns.answers.rdata=203.0.113.50/a"},
		{"tls", &event.Event{TLS: &event.TLS{SNI: "www.evil.example.com", JA3: &event.Hash{Hash: "e7d705a3286e19ea42f587b344ee6865"},
			JA4: "t13d1516h2_8daaf6152771_b186095e22b6", Fingerprint: "d4:59:08:1c:0f:a1:72:e7:ac:2c:1f:82:96:c0:a3:bf:2a:d1:6c:24"}},
			"cert-sha1:d459081c0fa172e7ac2c1f8296c0a3bf2ad16c24@tls.fingerprint=d4:59:08:1c:0f:a1:72:e7:ac:2c:1f:82:96:c0:a3:bf:2a:d1:6c:24/certs " +
				"domain:evil.example.com@tls.sni=www.evil.example.com/a " +
				"file-sha1:d459081c0fa172e7ac2c1f8296c0a3bf2ad16c24@tls.fingerprint=d4:59:08:1c:0f:a1:72:e7:ac:2c:1f:82:96:c0:a3:bf:2a:d1:6c:24/stix " +
				"ja3:e7d705a3286e19ea42f587b344ee6865@tls.ja3.hash=e7d705a3286e19ea42f587b344ee6865/a " +
				"ja4:t13d1516h2_8daaf6152771_b186095e22b6@tls.ja4=t13d1516h2_8daaf6152771_b186095e22b6/a"},
		{"sni ip literal", &event.Event{TLS: &event.TLS{SNI: "203.0.113.50"}},
			"cidr:203.0.113.0/24@tls.sni=203.0.113.50/b ip:203.0.113.50@tls.sni=203.0.113.50/a"},
		{"quic", &event.Event{QUIC: &event.QUIC{SNI: "evil.example.com", UA: "EvilAgent/2.0"}},
			"domain:evil.example.com@quic.sni=evil.example.com/a user-agent:EvilAgent/2.0@quic.ua=EvilAgent/2.0/a"},
		{"http url + ua", &event.Event{HTTP: &event.HTTP{Hostname: "DL.example.org", URL: "/payload.bin", UserAgent: "EvilAgent/2.0"}},
			"url:http://dl.example.org/payload.bin@http.url=/payload.bin/a user-agent:EvilAgent/2.0@http.http_user_agent=EvilAgent/2.0/a"},
		{"url with extra query", &event.Event{HTTP: &event.HTTP{Hostname: "dl.example.org", URL: "/payload.bin?x=1"}},
			"url:http://dl.example.org/payload.bin@http.url=/payload.bin?x=1/a"},
		{"url with its query", &event.Event{HTTP: &event.HTTP{Hostname: "dl.example.org", URL: "/gate.php?id=1"}},
			"url:http://dl.example.org/gate.php?id=1@http.url=/gate.php?id=1/a"},
		{"url query differs", &event.Event{HTTP: &event.HTTP{Hostname: "dl.example.org", URL: "/gate.php?id=2"}}, ""},
		{"ua case matters", &event.Event{HTTP: &event.HTTP{UserAgent: "evilagent/2.0"}}, ""},
		{"absolute uri (forward proxy)", &event.Event{HTTP: &event.HTTP{Hostname: "proxy.corp", URL: "http://dl.example.org:8080/payload.bin"}},
			"url:http://dl.example.org/payload.bin@http.url=http://dl.example.org:8080/payload.bin/a"},
		{"connect target", &event.Event{HTTP: &event.HTTP{Method: "CONNECT", URL: "evil.example.com:443"}},
			"domain:evil.example.com@http.url=evil.example.com:443/a"},
		{"connect ip target", &event.Event{HTTP: &event.HTTP{Method: "CONNECT", URL: "203.0.113.7:443"}},
			"cidr:203.0.113.0/24@http.url=203.0.113.7:443/b"},
		{"http host", &event.Event{HTTP: &event.HTTP{Hostname: "evil.example.com", URL: "/"}}, "domain:evil.example.com@http.hostname=evil.example.com/a"},
		{"fileinfo", &event.Event{FileInfo: &event.File{MD5: "0123456789ABCDEF0123456789abcdef"}},
			"file-md5:0123456789abcdef0123456789abcdef@fileinfo.md5=0123456789ABCDEF0123456789abcdef/a"},
		{"garbage fields", &event.Event{TLS: &event.TLS{SNI: "..", Fingerprint: "zz", JA4: strings.Repeat("x", 600)}, HTTP: &event.HTTP{URL: "[::1"}}, ""},
	} {
		got := strings.Join(hitStrings(s.Match(c.ev)), " ")
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	var nilSet *Set
	if nilSet.Match(flowEvent("1.1.1.1", "2.2.2.2")) != nil || nilSet.Len() != 0 {
		t.Error("nil set")
	}
	if s.Match(nil) != nil {
		t.Error("nil event")
	}
	if n := s.Len(); n != 14 {
		t.Errorf("Len = %d", n)
	}
	h := s.Match(flowEvent("10.0.0.1", "203.0.113.50"))
	if !strings.Contains(h[0].String(), "matched dest_ip=203.0.113.50") {
		t.Error(h[0].String())
	}
}

func TestMatchNoAllocs(t *testing.T) {
	s := testSet(t)
	evs := []*event.Event{
		flowEvent("10.0.0.1", "198.51.100.1"),
		dnsEvent("WWW.Example.COM.", "0d6b0175375169c68f.dnsc.r-1x.com", "1.2.3.4.in-addr.arpa"),
		{TLS: &event.TLS{SNI: "login.microsoftonline.com", JA3: &event.Hash{Hash: "aaaabbbbccccddddeeeeffff00001111"}, JA4: "t13d1516h2_8daaf6152771_000000000000", Fingerprint: "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33"}},
		{HTTP: &event.HTTP{Hostname: "dl.example.org", URL: "/other.bin?x=1", UserAgent: "Mozilla/5.0"}},
		{HTTP: &event.HTTP{URL: "good.example.net:443"}},
	}
	var buf []Hit
	n := testing.AllocsPerRun(100, func() {
		for _, ev := range evs {
			buf = s.AppendMatches(buf[:0], ev)
		}
	})
	if n != 0 || len(buf) != 0 {
		t.Errorf("allocs = %v, hits %v", n, buf)
	}
}

// A realistic set: 20k IPs, 2k CIDRs, 20k domains, 5k URLs, 1k JA3, 1k
// certificates, and a mix of events that mostly miss.
func benchSet(b *testing.B) (*Set, []*event.Event) {
	bl := NewBuilder()
	for i := 0; i < 20000; i++ {
		bl.Add(Indicator{Type: IP, Value: fmt.Sprintf("45.%d.%d.%d", i>>16&255, i>>8&255, i&255), Source: "bench"})
		bl.Add(Indicator{Type: Domain, Value: fmt.Sprintf("bad%d.example%d.com", i, i%50), Source: "bench"})
	}
	for i := 0; i < 2000; i++ {
		bl.Add(Indicator{Type: CIDR, Value: fmt.Sprintf("46.%d.%d.0/24", i>>8, i&255), Source: "bench"})
	}
	for i := 0; i < 5000; i++ {
		bl.Add(Indicator{Type: URL, Value: fmt.Sprintf("http://dl%d.example.org/p/%d.bin", i%100, i), Source: "bench"})
	}
	for i := 0; i < 1000; i++ {
		bl.Add(Indicator{Type: JA3, Value: fmt.Sprintf("%032x", i), Source: "bench"})
		bl.Add(Indicator{Type: CertSHA1, Value: fmt.Sprintf("%040x", i), Source: "bench"})
	}
	evs := []*event.Event{
		{EventType: "flow", SrcIP: mustAddr("10.1.2.3"), DestIP: mustAddr("93.184.216.34")},
		{EventType: "dns", SrcIP: mustAddr("10.1.2.3"), DestIP: mustAddr("10.0.0.53"), DNS: &event.DNS{Names: []string{"www.googleapis.com"}, AnswerData: []string{"142.250.74.78", "142.250.74.79"}}},
		{EventType: "tls", SrcIP: mustAddr("10.1.2.3"), DestIP: mustAddr("142.250.74.78"), TLS: &event.TLS{SNI: "www.googleapis.com",
			JA3: &event.Hash{Hash: "cd08e31494f9531f560d64c695473da9"}, JA4: "t13d1516h2_8daaf6152771_b186095e22b6", Fingerprint: "d4:59:08:1c:0f:a1:72:e7:ac:2c:1f:82:96:c0:a3:bf:2a:d1:6c:24"}},
		{EventType: "http", SrcIP: mustAddr("10.1.2.3"), DestIP: mustAddr("93.184.216.34"), HTTP: &event.HTTP{Hostname: "www.example.com", URL: "/index.html?q=1", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)"}},
	}
	return bl.Build(), evs
}

// Per event, mixed flow/dns/tls/http, no hits.
func BenchmarkMatchMiss(b *testing.B) {
	s, evs := benchSet(b)
	var buf []Hit
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = s.AppendMatches(buf[:0], evs[i%len(evs)])
		i++
	}
}

// One domain hit and one IP hit per event.
func BenchmarkMatchHit(b *testing.B) {
	s, _ := benchSet(b)
	ev := &event.Event{EventType: "tls", SrcIP: mustAddr("10.1.2.3"), DestIP: mustAddr("45.0.1.2"), TLS: &event.TLS{SNI: "x.bad7.example7.com"}}
	b.ReportAllocs()
	for b.Loop() {
		if len(s.Match(ev)) != 2 {
			b.Fatal("want 2 hits")
		}
	}
}

func BenchmarkLoadList(b *testing.B) {
	p := b.TempDir() + "/l.txt"
	var sb strings.Builder
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&sb, "bad%d.example.com\n45.0.%d.%d\n", i, i>>8&255, i&255)
	}
	os.WriteFile(p, []byte(sb.String()), 0o644)
	for b.Loop() {
		if _, _, err := Load([]Source{{Path: p}}); err != nil {
			b.Fatal(err)
		}
	}
}
