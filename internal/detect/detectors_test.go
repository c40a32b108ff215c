package detect

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/reflist"
)

func TestSOCKSFlows(t *testing.T) {
	st := newStage(t, Options{})
	var evs []*event.Event
	// handshake-sized then bulk sessions of an unknown protocol on 1080
	evs = append(evs, flowRec(t, 0, 1, 1, "10.10.1.5", 50001, "207.180.221.173", 1080, "failed", "", 300, 120))
	evs = append(evs, flowRec(t, 10, 900, 2, "10.10.1.5", 50002, "207.180.221.173", 1080, "failed", "", 400000, 20<<20))
	fs := run(st, evs...)
	p := byKind(fs, KindSOCKS)
	if len(p) != 1 || p[0].Proxy != "207.180.221.173:1080" || p[0].Decision != Review {
		t.Fatalf("want one socks_proxy review finding, got %s", describe(fs))
	}
}

func TestSOCKSAlert(t *testing.T) {
	st := newStage(t, Options{})
	fs := run(st, alertRec(t, 0, 7, "10.10.1.5", 50007, "45.79.123.186", 10808, "ET POLICY SOCKSv5 Proxy Inbound Connect (Outbound)"))
	if p := byKind(fs, KindSOCKS); len(p) != 1 {
		t.Fatalf("want one socks_proxy finding from the alert, got %s", describe(fs))
	}
}

// Port-only traffic is not proxy use: a web page on 8080, the corporate
// VPN's UDP tunnel, short TLS on 8443.
func TestPortOnlyIsNothing(t *testing.T) {
	st := newStage(t, Options{})
	var evs []*event.Event
	for i := 0; i < 5; i++ {
		evs = append(evs, flowRec(t, float64(i*10), float64(i*10+2), 10+i, "10.10.1.5", 50010+i, "93.184.216.34", 8080, "http", "", 600, 30000))
		evs = append(evs, flowRec(t, float64(i*10), float64(i*10+3), 20+i, "10.10.1.5", 50020+i, "93.184.216.34", 8443, "tls", "", 3000, 30000))
	}
	if fs := run(st, evs...); len(fs) != 0 {
		t.Fatalf("port-only traffic raised: %s", describe(fs))
	}
}

func TestLongTLSToProxyPort(t *testing.T) {
	st := newStage(t, Options{})
	fs := run(st, flowRec(t, 0, 3600, 1, "10.10.1.5", 50001, "51.38.1.2", 3128, "tls", "", 2<<20, 50<<20))
	p := byKind(fs, KindExternalProxy)
	if len(p) != 1 || p[0].Detector != DetPortUse {
		t.Fatalf("want a proxy_port finding, got %s", describe(fs))
	}
}

const (
	torSubject = "CN=www.pqmurfslpldoro.com"
	torIssuer  = "CN=www.juezxpulpnksmcsxneh.net"
)

func TestTorCertificate(t *testing.T) {
	st := newStage(t, Options{})
	evs := []*event.Event{
		tlsRec(t, 0, 1, "10.10.1.7", "51.77.75.89", 9001, "", torSubject, torIssuer, ""),
		flowRec(t, 0, 20, 1, "10.10.1.7", 50001, "51.77.75.89", 9001, "tls", "", 20000, 900000),
	}
	fs := run(st, evs...)
	p := byKind(fs, KindTor)
	if len(p) != 1 || p[0].Decision != Escalate || p[0].Technique != "T1090.003" || !slices.Contains(p[0].Destinations, "51.77.75.89") {
		t.Fatalf("want an escalated tor finding, got %s", describe(fs))
	}
}

func TestTorRelayList(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "relays.txt")
	if err := os.WriteFile(path, []byte("192.42.119.64\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := reflist.Default().WithTorRelays(path)
	if err != nil {
		t.Fatal(err)
	}
	st := newStage(t, Options{Lists: l})
	fs := run(st, flowRec(t, 0, 20, 1, "10.10.1.7", 50001, "192.42.119.64", 443, "tls", "", 20000, 900000))
	if p := byKind(fs, KindTor); len(p) != 1 || p[0].Decision != Escalate {
		t.Fatalf("want an escalated tor finding from the relay list, got %s", describe(fs))
	}
}

func TestTorOnionAndBenignTLS(t *testing.T) {
	st := newStage(t, Options{})
	evs := []*event.Event{
		tlsRec(t, 0, 1, "10.10.1.8", "142.250.1.1", 443, "www.google.com", "C=US, O=Google LLC, CN=www.google.com", "C=US, O=Google Trust Services, CN=WR2", ""),
		dnsQuery(t, 1, 2, "10.10.1.9", "10.20.0.53", "duskgytldkxiuqc6.onion"),
	}
	fs := run(st, evs...)
	p := byKind(fs, KindTor)
	if len(p) != 1 || !slices.Contains(p[0].Clients, "10.10.1.9") || p[0].Decision != Escalate {
		t.Fatalf("want one escalated tor finding for the .onion asker only, got %s", describe(fs))
	}
}

func TestTorProjectVisitIsReview(t *testing.T) {
	st := newStage(t, Options{})
	fs := run(st, tlsRec(t, 0, 1, "10.10.1.8", "116.202.120.181", 443, "www.torproject.org", "CN=www.torproject.org", "C=US, O=Let's Encrypt, CN=R11", ""))
	if p := byKind(fs, KindTor); len(p) != 1 || p[0].Decision != Review {
		t.Fatalf("torproject.org alone: want review, got %s", describe(fs))
	}
}

func TestTunnelService(t *testing.T) {
	st := newStage(t, Options{ReEmitEvery: time.Nanosecond})
	name := "e0d0-92-215-108-130.ngrok-free.app"
	var evs []*event.Event
	// the resolver forwards the query upstream: not the asker
	evs = append(evs, rec(t, map[string]any{"timestamp": ts(0), "flow_id": 9, "event_type": "dns", "src_ip": "10.20.0.53", "src_port": 53,
		"dest_ip": "10.10.1.3", "dest_port": 53000, "proto": "UDP", "dns": map[string]any{"version": 3, "type": "response", "queries": []map[string]any{{"rrname": "x", "rrtype": "A"}}}}))
	evs = append(evs, dnsQuery(t, 0.5, 10, "10.20.0.53", "8.8.8.8", name))
	for i := 0; i < 10; i++ {
		evs = append(evs, dnsAnswer(t, float64(i*60), 20+i, "10.10.1.3", "10.20.0.53", name, nil, "44.194.54.87"))
		evs = append(evs, tlsRec(t, float64(i*60)+0.1, 40+i, "10.10.1.3", "44.194.54.87", 443, name, "", "", "t13d3112h2_e8f1e7e78f70_5115b83b49e2"))
	}
	fs := run(st, evs...)
	p := byKind(fs, KindTunnel)
	if len(p) != 1 || !slices.Equal(p[0].Clients, []string{"10.10.1.3"}) || !slices.Contains(p[0].Domains, name) {
		t.Fatalf("want one tunnel finding for 10.10.1.3, got %s", describe(fs))
	}
	if !slices.ContainsFunc(p[0].Reasons, func(r string) bool { return strings.Contains(r, "regular check-ins") }) {
		t.Errorf("beaconing not seen: %v", p[0].Reasons)
	}
}

func TestFrontingCleartextHost(t *testing.T) {
	st := newStage(t, Options{})
	var evs []*event.Event
	cli, edge := "10.10.0.53", "151.101.209.38"
	evs = append(evs, dnsAnswer(t, 0, 1, cli, "10.20.0.53", "cdn.jsdelivr.net", []string{"jsdelivr.map.fastly.net"}, edge))
	evs = append(evs, tlsRec(t, 0.1, 2, cli, edge, 443, "cdn.jsdelivr.net", "", "", "t13d190900_9dc949149365_97f8aa674fd9"))
	for i := 0; i < 2; i++ {
		evs = append(evs, httpRec(t, float64(5+i*300), 3+i, cli, edge, 80, "GET", "/api/v2/sync", "ember-core.global.ssl.fastly.net", 200, nil, nil))
	}
	fs := run(st, evs...)
	p := byKind(fs, KindFronting)
	if len(p) != 1 || p[0].Decision != Escalate || !slices.Contains(p[0].Domains, "ember-core.global.ssl.fastly.net") || slices.Contains(p[0].Domains, "cdn.jsdelivr.net") || !strings.Contains(p[0].Title, "cdn.jsdelivr.net") {
		t.Fatalf("want one escalated fronting finding, got %s", describe(fs))
	}
}

// Ordinary CDN use: the Host is the name the client resolved, or a name
// someone resolved (shared hosting).
func TestFrontingBenign(t *testing.T) {
	st := newStage(t, Options{})
	var evs []*event.Event
	edge := "151.101.1.1"
	evs = append(evs, dnsAnswer(t, 0, 1, "10.10.0.5", "10.20.0.53", "www.reddit.com", []string{"reddit.map.fastly.net"}, edge))
	evs = append(evs, dnsAnswer(t, 0, 2, "10.10.0.6", "10.20.0.53", "static.example.com", []string{"x.map.fastly.net"}, edge))
	for i := 0; i < 3; i++ {
		evs = append(evs, httpRec(t, float64(1+i), 3+i, "10.10.0.5", edge, 80, "GET", "/", "www.reddit.com", 301, nil, nil))
		evs = append(evs, httpRec(t, float64(1+i), 13+i, "10.10.0.5", edge, 80, "GET", "/", "static.example.com", 200, nil, nil))
	}
	if fs := run(st, evs...); len(fs) != 0 {
		t.Fatalf("ordinary CDN use raised: %s", describe(fs))
	}
}

func TestFrontingSameFlowAndConnect(t *testing.T) {
	st := newStage(t, Options{})
	evs := []*event.Event{
		// decrypted traffic: SNI and Host on one flow
		tlsRec(t, 0, 1, "10.10.0.7", "13.107.246.10", 443, "ajax.aspnetcdn.com", "", "", ""),
		httpRec(t, 0.2, 1, "10.10.0.7", "13.107.246.10", 443, "GET", "/beacon", "evil-backend.azureedge.net", 200, nil, nil),
		tlsRec(t, 10, 2, "10.10.0.7", "13.107.246.10", 443, "ajax.aspnetcdn.com", "", "", ""),
		httpRec(t, 10.2, 2, "10.10.0.7", "13.107.246.10", 443, "GET", "/beacon", "evil-backend.azureedge.net", 200, nil, nil),
	}
	// through a proxy: CONNECT one name, SNI another
	evs = append(evs, httpRec(t, 20, 3, "10.10.0.8", "10.20.0.10", 3128, "CONNECT", "allowed.example.com:443", "allowed.example.com", 200, nil, nil))
	evs = append(evs, tlsRec(t, 20.1, 3, "10.10.0.8", "10.20.0.10", 3128, "hidden.example.net", "", "", ""))
	fs := run(newStage(t, Options{ApprovedProxies: approved("10.20.0.10:3128")}), evs...)
	p := byKind(fs, KindFronting)
	if len(p) != 2 {
		t.Fatalf("want two fronting findings, got %s", describe(fs))
	}
	for _, f := range p {
		if slices.Contains(f.Clients, "10.10.0.7") && f.Decision != Escalate {
			t.Errorf("repeated same-flow mismatch must escalate: %s", describe([]event.Finding{f}))
		}
	}
	_ = st
}

func TestChainHeadersAndFlows(t *testing.T) {
	st := newStage(t, Options{ReEmitEvery: time.Nanosecond})
	var evs []*event.Event
	cli, piv, ext := "10.10.72.38", "10.20.5.11", "88.198.155.180"
	for i := 0; i < 3; i++ {
		sec := float64(i * 100)
		// client -> pivot
		evs = append(evs, httpRec(t, sec, 100+i, cli, piv, 8081, "CONNECT", "api.embercdn.net:443", "api.embercdn.net", 200, []string{"Host", "api.embercdn.net:443"}, nil))
		// pivot -> external proxy, forwarding the client
		evs = append(evs, httpRec(t, sec+0.01, 200+i, piv, ext, 3128, "CONNECT", "api.embercdn.net:443", "api.embercdn.net", 200,
			[]string{"Host", "api.embercdn.net:443", "Via", "1.1 app02.corp (squid/4.15)", "X-Forwarded-For", cli}, nil))
		evs = append(evs, flowRec(t, sec, sec+30, 100+i, cli, 50100+i, piv, 8081, "tls", "http", 5000, 200000))
		evs = append(evs, flowRec(t, sec+0.02, sec+29.9, 200+i, piv, 40200+i, ext, 3128, "tls", "http", 5180, 201000))
	}
	fs := run(st, evs...)
	c := byKind(fs, KindChain)
	if len(c) != 1 {
		t.Fatalf("want one chain finding, got %s", describe(fs))
	}
	f := c[0]
	if f.HopCount != 2 || f.Decision != Escalate || f.Proxy != "10.20.5.11:8081" || !slices.Contains(f.Clients, cli) || !slices.Contains(f.Destinations, ext) {
		t.Errorf("chain: %s", describe(c))
	}
	if !slices.ContainsFunc(f.Reasons, func(r string) bool { return strings.Contains(r, "matched outbound flows") }) {
		t.Errorf("flow pairing not in reasons: %v", f.Reasons)
	}
	if len(byKind(fs, KindInternalProxy)) != 1 || len(byKind(fs, KindExternalProxy)) != 1 {
		t.Errorf("want the pivot and the upstream proxy reported too: %s", describe(fs))
	}
}

// Flow pairing alone: a port forwarder on a SOCKS port relaying to an
// external SOCKS server.
func TestChainFromFlowsOnly(t *testing.T) {
	st := newStage(t, Options{})
	var evs []*event.Event
	for i := 0; i < 4; i++ {
		sec := float64(i * 200)
		evs = append(evs, flowRec(t, sec, sec+100, 10+i, "10.10.1.20", 51000+i, "10.20.5.30", 1080, "failed", "", 80000, 3000000))
		evs = append(evs, flowRec(t, sec+0.004, sec+99.99, 20+i, "10.20.5.30", 41000+i, "207.180.221.173", 1080, "failed", "", 80300, 3001000))
	}
	fs := run(st, evs...)
	if c := byKind(fs, KindChain); len(c) != 1 || c[0].Decision != Escalate {
		t.Fatalf("want an escalated chain finding from flows, got %s", describe(fs))
	}
}

func TestCDNUpload(t *testing.T) {
	st := newStage(t, Options{})
	var evs []*event.Event
	cli, name := "10.10.0.34", "d8x5pu07ou7q0d.cloudfront.net"
	// the host's ordinary browsing
	for i := 0; i < 30; i++ {
		evs = append(evs, tlsRec(t, float64(i), 1000+i, cli, "142.250.1.1", 443, "www.google.com", "", "", "t13d1516h2_8daaf6152771_browser"))
	}
	for i := 0; i < 4; i++ {
		sec := float64(100 + i*600)
		evs = append(evs, dnsAnswer(t, sec, 10+i, cli, "10.20.0.53", name, nil, "13.224.176.55"))
		evs = append(evs, tlsRec(t, sec+0.1, 20+i, cli, "13.224.176.55", 443, name, "", "", "t13d4312h1_c7886603b240_python"))
		evs = append(evs, flowRec(t, sec, sec+40, 20+i, cli, 52000+i, "13.224.176.55", 443, "tls", "", 12<<20, 300000))
	}
	fs := run(st, evs...)
	p := byKind(fs, KindCDN)
	if len(p) != 1 || p[0].Decision != Review || !slices.Contains(p[0].Domains, name) {
		t.Fatalf("want one cdn_abuse finding, got %s", describe(fs))
	}
}

func TestCDNBrowsingIsNothing(t *testing.T) {
	st := newStage(t, Options{})
	var evs []*event.Event
	for i := 0; i < 40; i++ {
		cli := "10.10.0." + string(rune('1'+i%5))
		evs = append(evs, tlsRec(t, float64(i*30), 20+i, cli, "13.224.176.55", 443, "d111.cloudfront.net", "", "", "t13d1516h2_8daaf6152771_browser"))
		evs = append(evs, flowRec(t, float64(i*30), float64(i*30+3), 20+i, cli, 52000+i, "13.224.176.55", 443, "tls", "", 3000, 900000))
	}
	if fs := run(st, evs...); len(fs) != 0 {
		t.Fatalf("browsing raised: %s", describe(fs))
	}
}

func TestNewDestinationFromSightings(t *testing.T) {
	st := newStage(t, Options{})
	sg := rec(t, map[string]any{"timestamp": ts(0), "flow_id": 5, "event_type": "sighting", "src_ip": "10.10.1.1", "src_port": 50000,
		"dest_ip": "88.198.155.180", "dest_port": 3128, "proto": "TCP", "app_proto": "http",
		"sighting": map[string]any{"key": "service", "value": "88.198.155.180/3128/http", "asset": "88.198.155.180", "asset_side": "dest", "trigger_event_type": "http"}})
	web := rec(t, map[string]any{"timestamp": ts(1), "flow_id": 6, "event_type": "sighting", "src_ip": "10.10.1.1", "src_port": 50001,
		"dest_ip": "93.184.216.34", "dest_port": 443, "proto": "TCP", "app_proto": "tls",
		"sighting": map[string]any{"key": "service", "value": "93.184.216.34/443/tls", "asset": "93.184.216.34", "asset_side": "dest", "trigger_event_type": "tls"}})
	fs := run(st, sg, web)
	if p := byKind(fs, KindNewDest); len(p) != 1 || p[0].Destinations[0] != "88.198.155.180" {
		t.Fatalf("want one new_destination finding for the proxy port only, got %s", describe(fs))
	}
}

func TestIntelMatch(t *testing.T) {
	st := newStage(t, Options{})
	evs := connect(t, 0, 1, "10.10.1.1", "167.99.63.97", 8080, "www.example.com", nil)
	for _, ev := range evs {
		ev.Enrich.Intel = []event.IntelHit{{Type: "ip", Value: "167.99.63.97", Field: "dest_ip", Source: "feodo", Description: "open proxy used by C2", Confidence: 90}}
	}
	fs := run(st, evs...)
	if p := byKind(fs, KindIntel); len(p) != 1 || p[0].Decision != Escalate {
		t.Fatalf("want an escalated intel_match finding, got %s", describe(fs))
	}
	if p := byKind(fs, KindExternalProxy); len(p) != 1 || p[0].Decision != Escalate {
		t.Fatalf("a proxy on a confirmed indicator must escalate, got %s", describe(fs))
	}
	// low confidence: review
	st = newStage(t, Options{})
	ev := flowRec(t, 0, 1, 9, "10.10.1.2", 50009, "45.1.2.3", 443, "tls", "", 100, 100)
	ev.Enrich.Intel = []event.IntelHit{{Type: "ip", Value: "45.1.2.3", Field: "dest_ip", Source: "list", Confidence: 0}}
	if p := byKind(run(st, ev), KindIntel); len(p) != 1 || p[0].Decision != Review {
		t.Fatalf("unconfirmed indicator: want review, got %s", describe(p))
	}
}

func TestOptionsErrors(t *testing.T) {
	if _, err := New(Options{Disabled: []string{"nope"}}); err == nil {
		t.Error("unknown detector accepted")
	}
	if _, err := New(Options{Allow: []string{"not a/name"}}); err == nil {
		t.Error("bad allow entry accepted")
	}
	st := newStage(t, Options{Disabled: []string{DetProxy}})
	if fs := run(st, connect(t, 0, 1, "10.10.1.1", "10.10.9.9", 3128, "www.example.com", nil)...); len(byKind(fs, KindInternalProxy)) != 0 {
		t.Errorf("disabled detector raised: %s", describe(fs))
	}
}

// Two external proxies in a row: only the first leg is visible, the answers'
// Via headers name both proxies.
func TestChainFromViaOnly(t *testing.T) {
	st := newStage(t, Options{ReEmitEvery: time.Nanosecond})
	var evs []*event.Event
	for i := 0; i < 2; i++ {
		evs = append(evs, httpRec(t, float64(i*60), 10+i, "10.10.1.9", "45.77.1.2", 3128, "GET", "http://news.example.org/a", "news.example.org", 200,
			[]string{"Host", "news.example.org"}, []string{"Via", "1.1 exit-node (squid/5.9), 1.1 hop1 (squid/6.6), 1.1 abc.cloudfront.net (CloudFront)"}))
	}
	fs := run(st, evs...)
	c := byKind(fs, KindChain)
	if len(c) != 1 || c[0].HopCount != 2 || c[0].Decision != Escalate || !strings.Contains(c[0].Title, "via:exit-node") {
		t.Fatalf("want an escalated 2-hop chain from Via, got %s", describe(fs))
	}
	if len(byKind(fs, KindExternalProxy)) != 1 {
		t.Fatalf("the first proxy is reported too: %s", describe(fs))
	}
}

// Fronting without visible DNS: the SNI the client sent to a CDN address
// and a CDN-native Host on cleartext HTTP to the same address.
func TestFrontingWithoutDNS(t *testing.T) {
	st := newStage(t, Options{})
	cli, edge := "10.10.0.60", "151.101.20.20"
	evs := []*event.Event{tlsRec(t, 0, 1, cli, edge, 443, "github.githubassets.com", "", "", "")}
	for i := 0; i < 2; i++ {
		evs = append(evs, httpRec(t, float64(10+i*300), 2+i, cli, edge, 80, "POST", "/v1/telemetry", "update-files.global.ssl.fastly.net", 200, nil, nil))
	}
	// benign: a custom name on the same address (shared CDN IP, DNS cached)
	evs = append(evs, httpRec(t, 20, 9, cli, edge, 80, "GET", "/", "static.example.com", 200, nil, nil))
	evs = append(evs, httpRec(t, 30, 10, cli, edge, 80, "GET", "/", "static.example.com", 200, nil, nil))
	fs := run(st, evs...)
	p := byKind(fs, KindFronting)
	if len(p) != 1 || p[0].Decision != Escalate || p[0].Domains[0] != "update-files.global.ssl.fastly.net" {
		t.Fatalf("want one escalated fronting finding for the fastly backend, got %s", describe(fs))
	}
}
