package detect

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/hosts"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func ts(sec float64) string {
	return t0.Add(time.Duration(sec * float64(time.Second))).Format("2006-01-02T15:04:05.000000-0700")
}

// rec builds one EVE line from a map and decodes it like ingest does.
func rec(t testing.TB, m map[string]any) *event.Event {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := decode.Decode(b)
	if err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return ev
}

type hdr = map[string]string

func headers(h []string) []map[string]string {
	var out []map[string]string
	for i := 0; i+1 < len(h); i += 2 {
		out = append(out, hdr{"name": h[i], "value": h[i+1]})
	}
	return out
}

// httpRec: one HTTP transaction src -> dst.
func httpRec(t testing.TB, sec float64, flow int, src string, dst string, dport int, method, url, host string, status int, req, resp []string) *event.Event {
	h := map[string]any{"hostname": host, "url": url, "http_method": method, "protocol": "HTTP/1.1",
		"request_headers": headers(req), "response_headers": headers(resp)}
	if status > 0 {
		h["status"] = status
	}
	return rec(t, map[string]any{"timestamp": ts(sec), "flow_id": flow, "event_type": "http", "src_ip": src, "src_port": 50000 + flow%10000,
		"dest_ip": dst, "dest_port": dport, "proto": "TCP", "tx_id": 0, "http": h})
}

// tlsRec: a TLS handshake src -> dst:port.
func tlsRec(t testing.TB, sec float64, flow int, src, dst string, dport int, sni, subject, issuer, ja4 string) *event.Event {
	tl := map[string]any{"version": "TLS 1.2"}
	if sni != "" {
		tl["sni"] = sni
	}
	if subject != "" {
		tl["subject"] = subject
		tl["issuerdn"] = issuer
		tl["notbefore"] = "2026-11-01T00:00:00"
		tl["notafter"] = "2026-12-01T00:00:00"
	}
	if ja4 != "" {
		tl["ja4"] = ja4
	}
	return rec(t, map[string]any{"timestamp": ts(sec), "flow_id": flow, "event_type": "tls", "src_ip": src, "src_port": 50000 + flow%10000,
		"dest_ip": dst, "dest_port": dport, "proto": "TCP", "tls": tl})
}

// flowRec: a flow record; start..end in seconds from t0.
func flowRec(t testing.TB, start, end float64, flow int, src string, sport int, dst string, dport int, app, appOrig string, up, down int64) *event.Event {
	m := map[string]any{"timestamp": ts(end + 60), "flow_id": flow, "event_type": "flow", "src_ip": src, "src_port": sport,
		"dest_ip": dst, "dest_port": dport, "proto": "TCP",
		"flow": map[string]any{"pkts_toserver": 10, "pkts_toclient": 10, "bytes_toserver": up, "bytes_toclient": down,
			"start": ts(start), "end": ts(end), "age": int(end - start), "state": "closed", "reason": "timeout", "alerted": false}}
	if app != "" {
		m["app_proto"] = app
	}
	if appOrig != "" {
		m["app_proto_orig"] = appOrig
	}
	return rec(t, m)
}

// dnsAnswer: a Suricata 7 (v2) answer record client -> resolver.
func dnsAnswer(t testing.TB, sec float64, flow int, client, resolver, name string, cnames []string, ips ...string) *event.Event {
	var ans []map[string]any
	owner := name
	for _, c := range cnames {
		ans = append(ans, map[string]any{"rrname": owner, "rrtype": "CNAME", "ttl": 60, "rdata": c})
		owner = c
	}
	for _, ip := range ips {
		ans = append(ans, map[string]any{"rrname": owner, "rrtype": "A", "ttl": 60, "rdata": ip})
	}
	return rec(t, map[string]any{"timestamp": ts(sec), "flow_id": flow, "event_type": "dns", "src_ip": client, "src_port": 53000,
		"dest_ip": resolver, "dest_port": 53, "proto": "UDP",
		"dns": map[string]any{"version": 2, "type": "answer", "id": flow, "rrname": name, "rrtype": "A", "rcode": "NOERROR", "answers": ans}})
}

func dnsQuery(t testing.TB, sec float64, flow int, client, resolver, name string) *event.Event {
	return rec(t, map[string]any{"timestamp": ts(sec), "flow_id": flow, "event_type": "dns", "src_ip": client, "src_port": 53000,
		"dest_ip": resolver, "dest_port": 53, "proto": "UDP",
		"dns": map[string]any{"type": "query", "id": flow, "rrname": name, "rrtype": "A"}})
}

func alertRec(t testing.TB, sec float64, flow int, src string, sport int, dst string, dport int, sig string) *event.Event {
	return rec(t, map[string]any{"timestamp": ts(sec), "flow_id": flow, "event_type": "alert", "src_ip": src, "src_port": sport,
		"dest_ip": dst, "dest_port": dport, "proto": "TCP",
		"alert": map[string]any{"action": "allowed", "gid": 1, "signature_id": 2018571, "rev": 3, "signature": sig, "category": "Potential Corporate Privacy Violation", "severity": 1},
		"flow":  map[string]any{"src_ip": src, "dest_ip": dst, "src_port": sport, "dest_port": dport, "pkts_toserver": 3, "pkts_toclient": 3, "bytes_toserver": 300, "bytes_toclient": 300, "start": ts(sec)}})
}

func newStage(t testing.TB, opt Options) *Stage {
	t.Helper()
	st, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func approved(s ...string) []hosts.ApprovedProxy {
	var out []hosts.ApprovedProxy
	for _, x := range s {
		ap := netip.MustParseAddrPort(x)
		out = append(out, hosts.ApprovedProxy{Addr: ap.Addr(), Port: int(ap.Port())})
	}
	return out
}

// run feeds events one batch and returns the latest version of each
// finding.
func run(st *Stage, evs ...*event.Event) []event.Finding {
	return Latest(findingsOf(st.Process(evs)))
}

func byKind(fs []event.Finding, kind string) []event.Finding {
	var out []event.Finding
	for _, f := range fs {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func describe(fs []event.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s %s %s score=%d %s %v", f.Kind, f.Decision, f.ID, f.Score, f.Title, f.Reasons)
	}
	return b.String()
}

// connect emits the records of one CONNECT tunnel cli -> proxy for target.
func connect(t testing.TB, sec float64, flow int, cli, proxy string, port int, target string, extraReq []string) []*event.Event {
	req := append([]string{"Host", target + ":443", "Proxy-Connection", "keep-alive"}, extraReq...)
	return []*event.Event{
		httpRec(t, sec, flow, cli, proxy, port, "CONNECT", target+":443", target, 200, req, nil),
		tlsRec(t, sec+0.05, flow, cli, proxy, port, target, "", "", "t13d1516h2_8daaf6152771_d8a2da3f94cd"),
		flowRec(t, sec-0.01, sec+5, flow, cli, 50000+flow%10000, proxy, port, "tls", "http", 4000, 90000),
	}
}
