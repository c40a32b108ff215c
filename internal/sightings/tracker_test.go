package sightings

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/event"
)

func mustDecode(t testing.TB, line string) *event.Event {
	t.Helper()
	ev, err := decode.Decode([]byte(line))
	if err != nil {
		t.Fatalf("decode %s: %v", line, err)
	}
	return ev
}

// got is a sighting reduced to what the extractor tests compare.
type got struct{ key, value, asset, side string }

func (g got) String() string { return g.key + "=" + g.value + " @" + g.asset + "(" + g.side + ")" }

func observeAll(tr *Tracker, evs ...*event.Event) []Sighting {
	var out []Sighting
	for _, ev := range evs {
		tr.Observe(ev, func(s Sighting) { out = append(out, s) })
	}
	return out
}

func reduce(ss []Sighting) []got {
	out := make([]got, len(ss))
	for i, s := range ss {
		a := ""
		if s.Asset.IsValid() {
			a = s.Asset.String()
		}
		out[i] = got{s.Key, s.Value, a, s.AssetSide}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func sorted(gs ...got) []got {
	sort.Slice(gs, func(i, j int) bool { return gs[i].String() < gs[j].String() })
	return gs
}

// Hand-made EVE lines in Suricata 7 and 8 shapes.
const (
	tls7 = `{"timestamp":"2024-05-01T10:00:00.000100+0200","flow_id":1122334455,"in_iface":"eth0","event_type":"tls","src_ip":"10.0.0.5","src_port":51000,"dest_ip":"93.184.216.34","dest_port":443,"proto":"TCP","tls":{"subject":"C=US, O=Example Inc, CN=www.example.com","issuerdn":"C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1","serial":"0F:BE:08:B0","fingerprint":"a3:b1:5f:6c:aa:01:93:66:2c:1d:75:0e:34:8a:9b:22:08:17:a2:41","sni":"www.example.com","version":"TLS 1.2","notbefore":"2024-01-30T00:00:00","notafter":"2025-03-01T23:59:59","ja3":{"hash":"e7d705a3286e19ea42f587b344ee6865","string":"771,4865-4866,0-23,29-23,0"},"ja3s":{"hash":"15af977ce25de452b96affa2addb1036","string":"771,49199,65281-0"},"ja4":"t13d1516h2_8daaf6152771_b0da82dd1658"}}`
	// Suricata 8: ip_v, pkt_src, subjectaltname, ALPNs; TLS 1.3 so no certificate.
	tls8  = `{"timestamp":"2025-07-09T14:22:11.736402+0000","flow_id":2030405060,"in_iface":"ens3","event_type":"tls","src_ip":"10.0.0.6","src_port":40112,"dest_ip":"2001:db8::443","dest_port":8443,"proto":"TCP","ip_v":6,"pkt_src":"wire/pcap","tls":{"sni":"api.internal.example","version":"TLS 1.3","ja4":"t13d1517h2_8daaf6152771_e5627efa2ab1","client_alpns":["h2","http/1.1"],"server_alpns":["h2"],"ja3s":{"hash":"eb1d94daa7e0344597e756a1fb6e7054","string":"772,4865,43-51"}}}`
	http7 = `{"timestamp":"2024-05-01T10:00:01.000000+0200","flow_id":99887766,"event_type":"http","src_ip":"10.0.0.5","src_port":50000,"dest_ip":"198.51.100.7","dest_port":80,"proto":"TCP","tx_id":0,"http":{"hostname":"update.example.net","url":"/pkg.bin","http_user_agent":"curl/8.5.0","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":1234,"response_headers":[{"name":"Content-Type","value":"application/octet-stream"},{"name":"Server","value":"nginx/1.25.3"}]}}`
	// Suricata 8 HTTP/1 without a response yet: no server, no service.
	http8req = `{"timestamp":"2025-07-09T14:22:12.000000+0000","flow_id":55,"event_type":"http","src_ip":"10.0.0.7","src_port":50001,"dest_ip":"198.51.100.8","dest_port":8080,"proto":"TCP","ip_v":4,"tx_id":0,"http":{"hostname":"198.51.100.8","url":"/","http_user_agent":"Mozilla/5.0 (X11; Linux x86_64) <script>","http_method":"GET","protocol":"HTTP/1.1","request_headers":[{"name":"Host","value":"198.51.100.8"}]}}`
	ssh7     = `{"timestamp":"2024-05-01T10:00:02.000000+0200","flow_id":4242,"event_type":"ssh","src_ip":"10.0.0.5","src_port":53211,"dest_ip":"10.0.9.9","dest_port":22,"proto":"TCP","ssh":{"client":{"proto_version":"2.0","software_version":"OpenSSH_9.6"},"server":{"proto_version":"2.0","software_version":"OpenSSH_8.9p1 Ubuntu-3ubuntu0.6"}}}`
	// dns v2 (Suricata 7): one record per query, answers keep src = client.
	dnsV2Query  = `{"timestamp":"2024-05-01T10:00:03.000000+0200","flow_id":777,"event_type":"dns","src_ip":"10.0.0.5","src_port":53000,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{"type":"query","id":4321,"rrname":"a.b.example.co.uk","rrtype":"A","tx_id":0,"opcode":0}}`
	dnsV2Answer = `{"timestamp":"2024-05-01T10:00:03.000200+0200","flow_id":777,"event_type":"dns","src_ip":"10.0.0.5","src_port":53000,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{"version":2,"type":"answer","id":4321,"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rrname":"a.b.example.co.uk","rrtype":"A","rcode":"NOERROR","answers":[{"rrname":"a.b.example.co.uk","rrtype":"A","ttl":300,"rdata":"203.0.113.9"}],"grouped":{"A":["203.0.113.9"]}}}`
	// dns v3 (Suricata 8): queries[], and the response comes from the server.
	dnsV3Request  = `{"timestamp":"2025-07-09T14:22:13.000000+0000","flow_id":888,"event_type":"dns","src_ip":"10.0.0.8","src_port":41000,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","ip_v":4,"dns":{"version":3,"type":"request","tx_id":0,"id":9,"flags":"100","rd":true,"opcode":0,"rcode":"NOERROR","queries":[{"rrname":"WWW.Evil-Example.COM.","rrtype":"A"}]}}`
	dnsV3Response = `{"timestamp":"2025-07-09T14:22:13.000300+0000","flow_id":999,"event_type":"dns","src_ip":"10.0.0.53","src_port":53,"dest_ip":"10.0.0.9","dest_port":41001,"proto":"UDP","ip_v":4,"dns":{"version":3,"type":"response","tx_id":0,"id":10,"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rcode":"NOERROR","queries":[{"rrname":"cdn.shop.example.com.au","rrtype":"AAAA"}],"answers":[{"rrname":"cdn.shop.example.com.au","rrtype":"AAAA","ttl":60,"rdata":"2001:db8::1"}]}}`
	dnsPTR        = `{"timestamp":"2025-07-09T14:22:14.000000+0000","flow_id":1000,"event_type":"dns","src_ip":"10.0.0.8","src_port":41002,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{"version":3,"type":"request","id":11,"queries":[{"rrname":"9.113.0.203.in-addr.arpa","rrtype":"PTR"}]}}`
	// fileinfo of an HTTP download: logged in the file's direction (src = server).
	file7        = `{"timestamp":"2024-05-01T10:00:04.000000+0200","flow_id":99887766,"event_type":"fileinfo","src_ip":"198.51.100.7","src_port":80,"dest_ip":"10.0.0.5","dest_port":50000,"proto":"TCP","http":{"hostname":"update.example.net","url":"/pkg.bin","http_user_agent":"curl/8.5.0","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":1234},"app_proto":"http","fileinfo":{"filename":"/pkg.bin","magic":"ELF 64-bit LSB executable","gaps":false,"state":"CLOSED","md5":"0a1b2c3d4e5f60718293a4b5c6d7e8f9","sha1":"1111111111111111111111111111111111111111","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","stored":false,"size":1234,"tx_id":0}}`
	file8md5     = `{"timestamp":"2025-07-09T14:22:15.000000+0000","flow_id":1001,"event_type":"fileinfo","src_ip":"10.0.0.20","src_port":445,"dest_ip":"10.0.0.5","dest_port":50123,"proto":"TCP","app_proto":"smb","smb":{"command":"SMB2_COMMAND_READ","filename":"payload.dll","share":"\\\\fs\\c$"},"fileinfo":{"filename":"payload.dll","state":"CLOSED","md5":"d41d8cd98f00b204e9800998ecf8427e","size":0,"stored":false}}`
	flow7        = `{"timestamp":"2024-05-01T10:05:00.000000+0200","flow_id":1122334455,"event_type":"flow","src_ip":"10.0.0.5","src_port":51000,"dest_ip":"93.184.216.34","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":12,"pkts_toclient":14,"bytes_toserver":1800,"bytes_toclient":9000,"start":"2024-05-01T10:00:00.000000+0200","end":"2024-05-01T10:00:30.000000+0200","age":30,"state":"closed","reason":"timeout","alerted":false},"tcp":{"tcp_flags":"1b","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed"}}`
	flowFailed   = `{"timestamp":"2025-07-09T14:30:00.000000+0000","flow_id":1002,"event_type":"flow","src_ip":"10.0.0.5","src_port":51999,"dest_ip":"10.0.0.66","dest_port":4444,"proto":"TCP","app_proto":"failed","flow":{"pkts_toserver":5,"pkts_toclient":4,"bytes_toserver":600,"bytes_toclient":800,"start":"2025-07-09T14:29:00.000000+0000","end":"2025-07-09T14:29:01.000000+0000","age":1,"state":"closed","reason":"timeout","alerted":false}}`
	flowNoAnswer = `{"timestamp":"2025-07-09T14:30:01.000000+0000","flow_id":1003,"event_type":"flow","src_ip":"10.0.0.5","src_port":52000,"dest_ip":"10.0.0.67","dest_port":53,"proto":"UDP","app_proto":"dns","flow":{"pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":80,"bytes_toclient":0,"age":0,"state":"new","reason":"timeout","alerted":false}}`
	flowNoApp    = `{"timestamp":"2025-07-09T14:30:02.000000+0000","flow_id":1004,"event_type":"flow","src_ip":"10.0.0.5","src_port":52001,"dest_ip":"10.0.0.68","dest_port":23,"proto":"TCP","flow":{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":74,"bytes_toclient":60,"age":0,"state":"closed","reason":"timeout","alerted":false}}`
	// An alert fired on a to_client packet: src is the server; the flow object
	// names the client (Suricata 7+).
	alertToClient = `{"timestamp":"2025-07-09T14:31:00.000000+0000","flow_id":1005,"event_type":"alert","src_ip":"203.0.113.50","src_port":443,"dest_ip":"10.0.0.30","dest_port":50500,"proto":"TCP","direction":"to_client","app_proto":"tls","alert":{"action":"allowed","gid":1,"signature_id":2000001,"rev":1,"signature":"ET test","category":"Misc","severity":3},"tls":{"sni":"c2.bad.example","subject":"CN=c2.bad.example","ja4":"t12d0909h1_aaaaaaaaaaaa_bbbbbbbbbbbb"},"flow":{"pkts_toserver":3,"pkts_toclient":3,"bytes_toserver":500,"bytes_toclient":3000,"start":"2025-07-09T14:30:59.000000+0000","src_ip":"10.0.0.30","dest_ip":"203.0.113.50","src_port":50500,"dest_port":443}}`
	quic8         = `{"timestamp":"2025-07-09T14:32:00.000000+0000","flow_id":1006,"event_type":"quic","src_ip":"10.0.0.5","src_port":60000,"dest_ip":"142.250.0.1","dest_port":443,"proto":"UDP","quic":{"version":"1","sni":"www.youtube.com","ja4":"q13d0310h3_55b375c5d22e_cd85d2d88918"}}`
)

func TestExtractors(t *testing.T) {
	cases := []struct {
		name string
		line string
		want []got
	}{
		{"tls suricata 7", tls7, sorted(
			got{"tls.sni", "www.example.com", "93.184.216.34", "dest"},
			got{"tls.subject", "C=US, O=Example Inc, CN=www.example.com", "93.184.216.34", "dest"},
			got{"tls.issuerdn", "C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1", "93.184.216.34", "dest"},
			got{"tls.fingerprint", "a3:b1:5f:6c:aa:01:93:66:2c:1d:75:0e:34:8a:9b:22:08:17:a2:41", "93.184.216.34", "dest"},
			got{"tls.ja3.hash", "e7d705a3286e19ea42f587b344ee6865", "10.0.0.5", "src"},
			got{"tls.ja3s.hash", "15af977ce25de452b96affa2addb1036", "93.184.216.34", "dest"},
			got{"tls.ja4", "t13d1516h2_8daaf6152771_b0da82dd1658", "10.0.0.5", "src"},
			got{"service", "93.184.216.34/443/tls", "93.184.216.34", "dest"},
			got{"client_service", "10.0.0.5->93.184.216.34:443/tls", "10.0.0.5", "src"},
		)},
		{"tls suricata 8 ipv6 tls1.3", tls8, sorted(
			got{"tls.sni", "api.internal.example", "2001:db8::443", "dest"},
			got{"tls.ja4", "t13d1517h2_8daaf6152771_e5627efa2ab1", "10.0.0.6", "src"},
			got{"tls.ja3s.hash", "eb1d94daa7e0344597e756a1fb6e7054", "2001:db8::443", "dest"},
			got{"service", "2001:db8::443/8443/tls", "2001:db8::443", "dest"},
			got{"client_service", "10.0.0.6->[2001:db8::443]:8443/tls", "10.0.0.6", "src"},
		)},
		{"http with Server header", http7, sorted(
			got{"http.hostname", "update.example.net", "198.51.100.7", "dest"},
			got{"http.http_user_agent", "curl/8.5.0", "10.0.0.5", "src"},
			got{"http.server", "nginx/1.25.3", "198.51.100.7", "dest"},
			got{"service", "198.51.100.7/80/http", "198.51.100.7", "dest"},
			got{"client_service", "10.0.0.5->198.51.100.7:80/http", "10.0.0.5", "src"},
		)},
		{"http request only", http8req, sorted(
			got{"http.hostname", "198.51.100.8", "198.51.100.8", "dest"},
			got{"http.http_user_agent", "Mozilla/5.0 (X11; Linux x86_64) <script>", "10.0.0.7", "src"},
		)},
		{"ssh", ssh7, sorted(
			got{"ssh.client.software_version", "OpenSSH_9.6", "10.0.0.5", "src"},
			got{"ssh.server.software_version", "OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", "10.0.9.9", "dest"},
			got{"service", "10.0.9.9/22/ssh", "10.0.9.9", "dest"},
			got{"client_service", "10.0.0.5->10.0.9.9:22/ssh", "10.0.0.5", "src"},
		)},
		{"dns v2 query", dnsV2Query, sorted(
			got{"dns.registered_domain", "example.co.uk", "10.0.0.5", "src"},
		)},
		{"dns v2 answer (src = client)", dnsV2Answer, sorted(
			got{"dns.registered_domain", "example.co.uk", "10.0.0.5", "src"},
			got{"service", "10.0.0.53/53/dns", "10.0.0.53", "dest"},
			got{"client_service", "10.0.0.5->10.0.0.53:53/dns", "10.0.0.5", "src"},
		)},
		{"dns v3 request, case and trailing dot", dnsV3Request, sorted(
			got{"dns.registered_domain", "evil-example.com", "10.0.0.8", "src"},
		)},
		{"dns v3 response (src = server)", dnsV3Response, sorted(
			got{"dns.registered_domain", "example.com.au", "10.0.0.9", "dest"},
			got{"service", "10.0.0.53/53/dns", "10.0.0.53", "src"},
			got{"client_service", "10.0.0.9->10.0.0.53:53/dns", "10.0.0.9", "dest"},
		)},
		{"dns PTR skipped", dnsPTR, nil},
		{"fileinfo sha256 (receiver = dest)", file7, sorted(
			got{"fileinfo.sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "10.0.0.5", "dest"},
		)},
		{"fileinfo md5 only", file8md5, sorted(
			got{"fileinfo.md5", "d41d8cd98f00b204e9800998ecf8427e", "10.0.0.5", "dest"},
		)},
		{"flow with app_proto and answer", flow7, sorted(
			got{"service", "93.184.216.34/443/tls", "93.184.216.34", "dest"},
			got{"client_service", "10.0.0.5->93.184.216.34:443/tls", "10.0.0.5", "src"},
		)},
		{"flow failed detection = unknown", flowFailed, sorted(
			got{"service", "10.0.0.66/4444/unknown", "10.0.0.66", "dest"},
			got{"client_service", "10.0.0.5->10.0.0.66:4444/unknown", "10.0.0.5", "src"},
		)},
		{"flow without answer", flowNoAnswer, nil},
		{"flow without app_proto (RST)", flowNoApp, nil},
		{"alert on to_client packet", alertToClient, sorted(
			got{"tls.sni", "c2.bad.example", "203.0.113.50", "src"},
			got{"tls.subject", "CN=c2.bad.example", "203.0.113.50", "src"},
			got{"tls.ja4", "t12d0909h1_aaaaaaaaaaaa_bbbbbbbbbbbb", "10.0.0.30", "dest"},
		)},
		{"quic", quic8, sorted(
			got{"quic.sni", "www.youtube.com", "142.250.0.1", "dest"},
			got{"quic.ja4", "q13d0310h3_55b375c5d22e_cd85d2d88918", "10.0.0.5", "src"},
		)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := New(Options{})
			ev := mustDecode(t, c.line)
			ss := observeAll(tr, ev)
			if g := reduce(ss); !slices.Equal(g, c.want) {
				t.Errorf("got\n  %v\nwant\n  %v", g, c.want)
			}
			for _, s := range ss {
				if s.EventType != ev.EventType || s.FlowID != ev.FlowID || s.SrcIP != ev.SrcIP || s.DestIP != ev.DestIP ||
					s.SrcPort != ev.SrcPort || s.DestPort != ev.DestPort || s.Proto != ev.Proto || !s.Time.Equal(ev.Time) {
					t.Errorf("trigger not copied: %+v", s)
				}
				if (s.AssetSide == SideSrc && s.Asset != ev.SrcIP) || (s.AssetSide == SideDest && s.Asset != ev.DestIP) {
					t.Errorf("asset %v does not match side %s", s.Asset, s.AssetSide)
				}
			}
			if again := observeAll(tr, ev); len(again) != 0 {
				t.Errorf("re-emitted: %v", reduce(again))
			}
		})
	}
}

// Every key in the table is exercised by TestExtractors.
func TestEveryKeyCovered(t *testing.T) {
	tr := New(Options{})
	for _, l := range []string{tls7, tls8, http7, ssh7, dnsV2Query, dnsV3Response, file7, file8md5, flow7, quic8} {
		observeAll(tr, mustDecode(t, l))
	}
	for k, n := range tr.KeyCounts() {
		if n == 0 {
			t.Errorf("key %s never produced a value", k)
		}
	}
	if len(tr.KeyCounts()) != len(Keys()) {
		t.Errorf("KeyCounts has %d keys, table %d", len(tr.KeyCounts()), len(Keys()))
	}
}

func TestRegisteredDomain(t *testing.T) {
	for in, want := range map[string]string{
		"a.b.example.co.uk":                     "example.co.uk",
		"A.B.Example.CO.UK.":                    "example.co.uk",
		"example.com":                           "example.com",
		"www.example.com":                       "example.com",
		"evil-c2.duckdns.org":                   "evil-c2.duckdns.org",
		"x.evil-c2.duckdns.org":                 "evil-c2.duckdns.org",
		"foo.bar.s3.eu-west-1.amazonaws.com":    "bar.s3.eu-west-1.amazonaws.com",
		"wpad.corp.local":                       "corp.local",
		"printer.lan":                           "printer.lan",
		"wpad":                                  "",
		"localhost.":                            "",
		"com":                                   "",
		"co.uk":                                 "",
		"":                                      "",
		"1.2.3.4":                               "",
		"9.113.0.203.in-addr.arpa":              "",
		"b.a.8.b.d.0.1.0.0.2.ip6.arpa":          "",
		"a..b.example.com":                      "",
		"_ldap._tcp.dc._msdcs.corp.example.org": "example.org",
	} {
		if got := registeredDomain(in); got != want {
			t.Errorf("registeredDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEmitOncePerKeyValue(t *testing.T) {
	tr := New(Options{})
	ev := mustDecode(t, http7)
	first := observeAll(tr, ev)
	if len(first) != 5 {
		t.Fatalf("first: %v", reduce(first))
	}
	// Same values from another client: only the client-side keys are per
	// value, so nothing is new except the new client's pair.
	ev2 := mustDecode(t, strings.ReplaceAll(http7, `"src_ip":"10.0.0.5"`, `"src_ip":"10.0.0.77"`))
	second := reduce(observeAll(tr, ev2))
	want := sorted(got{"client_service", "10.0.0.77->198.51.100.7:80/http", "10.0.0.77", "src"})
	if !slices.Equal(second, want) {
		t.Fatalf("second: %v want %v", second, want)
	}
	// The same value under another key is a different sighting.
	ev3 := mustDecode(t, `{"timestamp":"2024-05-01T10:00:00Z","event_type":"tls","src_ip":"10.0.0.5","dest_ip":"1.1.1.1","tls":{"sni":"curl/8.5.0"}}`)
	if g := reduce(observeAll(tr, ev3)); len(g) != 1 || g[0].key != "tls.sni" {
		t.Fatalf("third: %v", g)
	}
	n := tr.Len()
	for range 3 {
		if s := observeAll(tr, ev, ev2, ev3); len(s) != 0 {
			t.Fatalf("re-emitted %v", reduce(s))
		}
	}
	if tr.Len() != n || n != 5+1+1 {
		t.Fatalf("len %d → %d", n, tr.Len())
	}
	if !tr.Seen("http.server", "nginx/1.25.3") || tr.Seen("http.server", "nginx/1.25.4") {
		t.Fatal("Seen wrong")
	}
}

func TestLearningPeriod(t *testing.T) {
	until := time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)
	tr := New(Options{LearningUntil: until})
	learn := mustDecode(t, tls7) // 2024-05-01: inside the learning period
	if s := observeAll(tr, learn); len(s) != 0 {
		t.Fatalf("emitted while learning: %v", reduce(s))
	}
	if tr.Len() != 9 || !tr.Seen("tls.sni", "www.example.com") {
		t.Fatalf("learning did not record: len %d", tr.Len())
	}
	// After the period: the learned values stay quiet, a new one is emitted.
	after := strings.ReplaceAll(tls7, "2024-05-01T10:00:00.000100+0200", "2024-05-03T10:00:00.000000+0200")
	if s := observeAll(tr, mustDecode(t, after)); len(s) != 0 {
		t.Fatalf("learned values re-emitted: %v", reduce(s))
	}
	after = strings.ReplaceAll(after, "www.example.com", "new.example.com")
	g := reduce(observeAll(tr, mustDecode(t, after)))
	// The subject also contains the name, so it is new too.
	want := sorted(
		got{"tls.sni", "new.example.com", "93.184.216.34", "dest"},
		got{"tls.subject", "C=US, O=Example Inc, CN=new.example.com", "93.184.216.34", "dest"},
	)
	if !slices.Equal(g, want) {
		t.Fatalf("got %v want %v", g, want)
	}
}

func TestKeysOption(t *testing.T) {
	tr := New(Options{Keys: []string{"tls.sni", "no.such.key"}})
	g := reduce(observeAll(tr, mustDecode(t, tls7), mustDecode(t, http7)))
	if len(g) != 1 || g[0].key != "tls.sni" {
		t.Fatalf("got %v", g)
	}
	if err := CheckKeys([]string{"tls.sni", "service"}); err != nil {
		t.Fatal(err)
	}
	err := CheckKeys([]string{"tls.sni", "tls.sn1"})
	if err == nil || !strings.Contains(err.Error(), `"tls.sn1"`) {
		t.Fatalf("CheckKeys: %v", err)
	}
	if New(Options{Keys: []string{}}).byType[typeIndex("tls")] != nil {
		t.Fatal("empty key list should track nothing")
	}
}

// Observe in one goroutine while others read sizes and write snapshots: run
// with -race.
func TestConcurrentReaders(t *testing.T) {
	tr := New(Options{})
	base := mustDecode(t, tls7)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var b strings.Builder
				if err := tr.WriteSnapshot(&b); err != nil {
					t.Error(err)
					return
				}
				_ = tr.Len() + int(tr.MemoryBytes())
				_ = tr.KeyCounts()
			}
		}()
	}
	n := 20_000
	if testing.Short() {
		n = 5_000
	}
	ev := *base
	tls := *base.TLS
	ev.TLS = &tls
	emitted := 0
	for i := range n {
		tls.SNI = fmt.Sprintf("h%d.example.com", i)
		ev.DestIP = netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		tr.Observe(&ev, func(Sighting) { emitted++ })
	}
	close(stop)
	wg.Wait()
	// 9 keys on the first event; then each event adds an SNI, and a new
	// server adds service + client_service until addresses repeat.
	if !tr.Seen("tls.sni", fmt.Sprintf("h%d.example.com", n-1)) || emitted < n {
		t.Fatalf("emitted %d for %d events", emitted, n)
	}
}

// docs/sightings.md documents every key in its table.
func TestDocListsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../docs/sightings.md")
	if err != nil {
		t.Skip("docs not found:", err)
	}
	for _, k := range Keys() {
		if !strings.Contains(string(b), "| `"+k.Name+"` |") {
			t.Errorf("docs/sightings.md lacks a table row for %s", k.Name)
		}
	}
}

// ObserveBatch gives the same sightings in the same order as Observe, with
// repeats inside a window and a learning period that splits the events.
func TestObserveBatchMatchesObserve(t *testing.T) {
	evs := mixedEvents(t, 3000, 300)
	// Interleave Suricata 8 events (2025, after the learning period) with
	// the 2024 ones so that windows mix learning and emitting events.
	for i := 0; i < len(evs); i += 3 {
		evs[i] = mustDecode(t, strings.ReplaceAll(string(evs[i].Raw), `"timestamp":"2024-`, `"timestamp":"2025-`))
	}
	opt := Options{LearningUntil: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	one, batch := New(opt), New(opt)
	batch.set.replace(newTable(minSlots, one.set.seed()), 0) // same seed, same table walk
	var a, b []Sighting
	for _, ev := range evs {
		one.Observe(ev, func(s Sighting) { a = append(a, s) })
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for rest := evs; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(40))
		batch.ObserveBatch(rest[:n], func(s Sighting) { b = append(b, s) })
		rest = rest[n:]
	}
	if len(a) == 0 || !reflect.DeepEqual(a, b) {
		t.Fatalf("Observe gave %d sightings, ObserveBatch %d (or they differ)", len(a), len(b))
	}
	if one.Len() != batch.Len() || !reflect.DeepEqual(one.KeyCounts(), batch.KeyCounts()) {
		t.Fatalf("state differs: %d vs %d", one.Len(), batch.Len())
	}
	learned := 0
	for _, n := range one.KeyCounts() {
		learned += int(n)
	}
	if learned <= len(a) {
		t.Fatalf("learning period suppressed nothing: %d recorded, %d emitted", learned, len(a))
	}
}
