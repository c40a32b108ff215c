package intel_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/domain"
	nhenrich "github.com/nethunt/nethunt/internal/enrich"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/intel"
	"github.com/nethunt/nethunt/internal/reflist"
)

// enrichment is what the enrich stage would store per event (the lead's
// event.Enrichment; GeoIP fields omitted here, see internal/geoip).
type enrichment struct {
	Intel      []intel.Hit
	Domain     string
	CDN        string
	Tunnel     string
	DynDNS     string
	Tor        []string
	ProxyPort  string
	CertTraits []string
	HostRandom bool
}

// host is the event's main DNS name, as the enrich stage picks it.
var host = nhenrich.Name

// enrich is the per-event sequence docs/enrichment.md recommends.
func enrich(set *intel.Set, l *reflist.Lists, ev *event.Event, en *enrichment, hits []intel.Hit) []intel.Hit {
	hits = set.AppendMatches(hits[:0], ev)
	en.Intel = hits
	h := host(ev)
	en.Domain = domain.Registered(h)
	en.CDN, _ = l.IsCDN(ev.DestIP)
	if en.CDN == "" {
		en.CDN, _ = l.CDNSuffix(h)
	}
	if en.CDN == "" && ev.DNS != nil {
		for _, a := range ev.DNS.AnswerData { // CNAME chain into a CDN
			if p, ok := l.CDNSuffix(a); ok {
				en.CDN = p
				break
			}
		}
	}
	en.Tunnel, _ = l.TunnelService(h)
	en.DynDNS, _ = l.DynDNSProvider(h)
	en.Tor = en.Tor[:0]
	if l.IsTor(ev.DestIP) {
		en.Tor = append(en.Tor, "dest-relay")
	}
	if l.IsTor(ev.SrcIP) {
		en.Tor = append(en.Tor, "src-relay")
	}
	if k, ok := l.TorName(h); ok {
		en.Tor = append(en.Tor, k)
	}
	en.ProxyPort = ""
	if ev.DestPort > 0 && ev.DestPort < 65536 {
		en.ProxyPort, _ = l.ProxyPort(uint16(ev.DestPort))
	}
	en.CertTraits = nil
	if ev.TLS != nil {
		en.CertTraits = domain.CertTraitsWith(l, ev.TLS, ev.Time)
	}
	if i := indexDot(h); i > 0 {
		en.HostRandom = domain.LooksRandom(h[:i])
	}
	return hits
}

func indexDot(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

func ExampleSet_Match() {
	dir, _ := os.MkdirTemp("", "intel-example")
	defer os.RemoveAll(dir)
	feed := filepath.Join(dir, "c2.txt")
	os.WriteFile(feed, []byte("# C2 list\nevil.example.com  # campaign X\n203.0.113.0/24\n"), 0o644)

	set, rep, err := intel.Load([]intel.Source{{Path: feed, Name: "c2"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Indicators, "indicators")
	ev := &event.Event{
		EventType: "tls", SrcIP: netip.MustParseAddr("10.1.2.3"), DestIP: netip.MustParseAddr("203.0.113.9"), DestPort: 443,
		TLS: &event.TLS{SNI: "cdn.evil.example.com", Subject: "CN=www.rcfcvvesd.net", IssuerDN: "CN=www.wlfkimfg.com"},
	}
	var en enrichment
	enrich(set, reflist.Default(), ev, &en, nil)
	for _, h := range en.Intel {
		fmt.Println(h)
	}
	fmt.Println(en.Domain, en.CertTraits)
	// Output:
	// 2 indicators
	// cidr 203.0.113.0/24 matched dest_ip=203.0.113.9 (c2)
	// domain evil.example.com matched tls.sni=cdn.evil.example.com (c2)
	// example.com [tor-like]
}

// BenchmarkEnrichEvent measures the per-event cost of everything above
// except GeoIP (see internal/geoip's benchmarks) on a mix of flow, DNS, TLS
// and HTTP events against a 20k-indicator set, nothing matching.
func BenchmarkEnrichEvent(b *testing.B) {
	bl := intel.NewBuilder()
	for i := 0; i < 10000; i++ {
		bl.Add(intel.Indicator{Type: intel.IP, Value: fmt.Sprintf("45.0.%d.%d", i>>8&255, i&255)})
		bl.Add(intel.Indicator{Type: intel.Domain, Value: fmt.Sprintf("bad%d.example.com", i)})
	}
	set := bl.Build()
	l := reflist.Default()
	ts := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	evs := []*event.Event{
		{EventType: "flow", SrcIP: netip.MustParseAddr("10.1.2.3"), DestIP: netip.MustParseAddr("93.184.216.34"), DestPort: 443},
		{EventType: "dns", SrcIP: netip.MustParseAddr("10.1.2.3"), DestIP: netip.MustParseAddr("10.0.0.53"), DestPort: 53,
			DNS: &event.DNS{Names: []string{"www.googleapis.com"}, AnswerData: []string{"142.250.74.78"}}},
		{EventType: "tls", Time: ts, SrcIP: netip.MustParseAddr("10.1.2.3"), DestIP: netip.MustParseAddr("142.250.74.78"), DestPort: 443,
			TLS: &event.TLS{SNI: "www.googleapis.com", Subject: "CN=*.googleapis.com", IssuerDN: "C=US, O=Google Trust Services, CN=WR2",
				NotBefore: "2024-05-01T00:00:00", NotAfter: "2024-07-24T00:00:00", JA3: &event.Hash{Hash: "cd08e31494f9531f560d64c695473da9"},
				JA4: "t13d1516h2_8daaf6152771_b186095e22b6", Fingerprint: "d4:59:08:1c:0f:a1:72:e7:ac:2c:1f:82:96:c0:a3:bf:2a:d1:6c:24"}},
		{EventType: "http", SrcIP: netip.MustParseAddr("10.1.2.3"), DestIP: netip.MustParseAddr("93.184.216.34"), DestPort: 80,
			HTTP: &event.HTTP{Hostname: "www.example.com", URL: "/index.html", UserAgent: "Mozilla/5.0"}},
	}
	var en enrichment
	var hits []intel.Hit
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		hits = enrich(set, l, evs[i%len(evs)], &en, hits)
		i++
	}
}
