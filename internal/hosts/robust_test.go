package hosts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/event"
)

// listsOf returns every bounded list of a card with its cap.
func listsOf(c Card) map[string]struct {
	l   ValueList
	cap int
} {
	type lc = struct {
		l   ValueList
		cap int
	}
	m := map[string]lc{
		"groups": {c.Groups, capGroups}, "tags": {c.Tags, capTags}, "sensors": {c.Sensors, capSensors}, "macs": {c.MACs, capMACs},
		"hostnames": {c.Names.Hostnames, capHostnames}, "domains": {c.Names.Domains, capDomains},
		"usernames": {c.Users.Usernames, capUsernames}, "mail_from": {c.Users.MailFrom, capMail},
		"user_agents": {c.Fingerprints.UserAgents, capUA}, "ja3": {c.Fingerprints.JA3, capJA}, "ja4": {c.Fingerprints.JA4, capJA},
		"ja3s": {c.Fingerprints.JA3S, capJA}, "ssh_client": {c.Fingerprints.SSHClient, capSSHSoft}, "hassh": {c.Fingerprints.HASSH, capJA},
		"protocols": {c.Client.Protocols, capClientProto}, "ports": {c.Client.Ports, capClientPorts}, "dns": {c.Client.DNSQueries, capDNSTop},
		"http_hosts": {c.Client.HTTPHosts, capHTTPTop}, "sni": {c.Client.TLSSNI, capSNITop}, "smb_shares": {c.Client.SMBShares, capSMBShares},
		"krb5": {c.Client.KrbServices, capKrbServices}, "signatures": {c.Alerts.Signatures, capSigTop}, "categories": {c.Alerts.Categories, capAlertCat},
		"proxy_targets": {c.Other.ProxyTargets, capProxyTgt}, "xff": {c.Other.XFF, capXFF}, "flowbits": {c.Other.Flowbits, capFlowbits},
		"anomalies": {c.Other.AnomalyTypes, capAnomalies},
	}
	for _, s := range c.Services {
		m["svc.apps."+s.Proto] = lc{s.AppProtos, capSvcApps}
		m["svc.names."+s.Proto] = lc{s.Names, capSvcNames}
		m["svc.http."+s.Proto] = lc{s.HTTPServers, capSvcDetail}
		m["svc.subject."+s.Proto] = lc{s.TLSSubjects, capSvcDetail}
	}
	return m
}

// TestHostileEvents feeds one victim and one attacker host a flood of
// distinct and malformed values: every list stays within its cap and says
// how much it dropped, strings are bounded, memory stays small, and
// nothing panics.
func TestHostileEvents(t *testing.T) {
	victim := netip.MustParseAddr("10.0.0.5")
	attacker := netip.MustParseAddr("203.0.113.66")
	tb := New(Options{HomeNets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)

	weird := []string{"", "\x00", "\xff\xfe", strings.Repeat("A", 100000), "名前.例え", "a\nb\tc\x1b[31m", strings.Repeat("é", 400),
		"<empty>", ".", "[::1]:80", "1.2.3.4", "::", "%00", strings.Repeat("x.", 300)}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 30000
	for i := 0; i < n; i++ {
		w := weird[i%len(weird)]
		u := fmt.Sprintf("v%d-%s", i, w[:min(len(w), 64)])
		ts := base.Add(time.Duration(i) * time.Millisecond)
		if i%97 == 0 {
			ts = time.Time{} // no time
		}
		st := int64(200 + i%400)
		port := int64(i%70000 - 100) // includes negative and > 65535
		evs := []*event.Event{
			// Attacker scans every port of the victim; the victim answers.
			{Time: ts, EventType: "flow", SrcIP: attacker, DestIP: victim, SrcIPStr: attacker.String(), DestIPStr: victim.String(),
				SrcPort: 40000, DestPort: port, Proto: "TCP", AppProto: "failed",
				Flow: &event.Flow{PktsToServer: 3, PktsToClient: 3, BytesToServer: 100, BytesToClient: 100}},
			// A CDN-like victim asked for a new name every time, with new
			// certificates, JA3S, Server headers.
			{Time: ts, EventType: "tls", SrcIP: attacker, DestIP: victim, SrcPort: 40001, DestPort: 443, Proto: "TCP",
				TLS: &event.TLS{SNI: u + ".example", Subject: "CN=" + u, IssuerDN: "CN=" + w, Fingerprint: u, Version: "TLS 1.3",
					JA3: &event.Hash{Hash: u}, JA3S: &event.Hash{Hash: u}, JA4: u, NotAfter: w, ServerALPNs: []string{"h2"}}},
			{Time: ts, EventType: "http", SrcIP: attacker, DestIP: victim, SrcPort: 40002, DestPort: 8080, Proto: "TCP", FlowID: uint64(i),
				XFF: u, HTTP: &event.HTTP{Hostname: u, URL: "http://" + u + "/", Method: "GET", UserAgent: w + u, Status: &st,
					RequestHeaders:  []event.Header{{Name: "Proxy-Authorization", Value: "Basic " + u}, {Name: "", Value: w}, {Name: "X-Forwarded-For", Value: u}},
					ResponseHeaders: []event.Header{{Name: "Server", Value: u}, {Name: "Via", Value: w}, {Name: "\xff", Value: ""}}}},
			{Time: ts, EventType: "dns", SrcIP: victim, DestIP: attacker, SrcPort: 5555, DestPort: 53, Proto: "UDP",
				DNS: &event.DNS{Type: "query", Names: []string{u + ".q", w}}},
			{Time: ts, EventType: "dns", SrcIP: attacker, DestIP: victim, SrcPort: 53, DestPort: 5555, Proto: "UDP",
				DNS: &event.DNS{Type: "answer", Version: 2, Names: []string{u}, Answers: []event.DNSAnswer{{RRName: u + ".a", RRType: "A", RData: victim.String()},
					{RRName: w, RRType: "AAAA", RData: w}, {RRName: "4.3.2.1.in-addr.arpa", RRType: "PTR", RData: u}}}},
			{Time: ts, EventType: "krb5", SrcIP: victim, DestIP: attacker, SrcPort: 50000, DestPort: 88, Proto: "TCP",
				Krb5: &event.Krb5{CName: u, Realm: w, SName: u, MsgType: "KRB_AS_REQ"}},
			{Time: ts, EventType: "smb", SrcIP: victim, DestIP: attacker, SrcPort: 50001, DestPort: 445, Proto: "TCP",
				SMB: &event.SMB{Share: u, NTLMSSP: &event.NTLMSSP{User: u, Domain: w, Host: u}}},
			{Time: ts, EventType: "alert", SrcIP: attacker, DestIP: victim, SrcPort: 1, DestPort: 2, Proto: "TCP",
				Alert: &event.Alert{Signature: "SOCKS " + u, SignatureID: int64(i), Severity: int64(i % 7), Category: u,
					Metadata: map[string][]string{"mitre_technique_id": {u, w}}},
				Metadata: &event.Meta{Flowbits: []string{u, w}}, Enrich: event.Enrichment{SrcGroups: []string{u}, Tags: []string{u, w}}},
			{Time: ts, EventType: "dhcp", SrcIP: attacker, DestIP: victim, SrcPort: 67, DestPort: 68, Proto: "UDP",
				DHCP: &event.DHCP{Type: "reply", DHCPType: "ack", AssignedIP: victim.String(), ClientMAC: u, Hostname: u}},
			{Time: ts, EventType: "sighting", SrcIP: victim, Sighting: &event.Sighting{Key: w, Value: u, Asset: victim.String()}},
			{Time: ts, EventType: "finding", SrcIP: attacker, Finding: &event.Finding{ID: u}},
			{Time: ts, EventType: "anomaly", SrcIP: victim, DestIP: attacker, Anomaly: &event.Anomaly{Event: u}},
			// Sub-objects missing where the event type promises them.
			{Time: ts, EventType: "http", SrcIP: victim, DestIP: attacker},
			{Time: ts, EventType: "tls", SrcIP: victim, DestIP: attacker},
			{Time: ts, EventType: "flow", SrcIP: victim, DestIP: victim},
			{Time: ts, EventType: "quic", SrcIP: victim, DestIP: attacker, SrcPort: 1, DestPort: 443, QUIC: &event.QUIC{SNI: u, UA: u, JA4: u}},
			{Time: ts, EventType: "ssh", SrcIP: victim, DestIP: attacker, SrcPort: 50002, DestPort: 22,
				SSH: &event.SSH{Client: &event.SSHPeer{SoftwareVersion: u, HASSH: &event.Hash{Hash: u}}, Server: &event.SSHPeer{SoftwareVersion: u}}},
			{Time: ts, EventType: "smtp", SrcIP: victim, DestIP: attacker, SrcPort: 50003, DestPort: 25, SMTP: &event.SMTP{Helo: u, MailFrom: u}},
		}
		if i%2 == 0 {
			tb.ObserveBatch(evs)
		} else {
			for _, ev := range evs {
				tb.Observe(ev)
			}
		}
		tb.Observe(nil)
		// Scanned addresses: a new external host each time.
		tb.Observe(&event.Event{Time: ts, EventType: "flow", SrcIP: victim, DestIP: netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}),
			Proto: "UDP", SrcPort: 1, DestPort: 161, Flow: &event.Flow{PktsToServer: 1}})
	}
	// Odd addresses.
	for _, a := range []string{"fe80::1%eth0", "::ffff:10.0.0.5", "255.255.255.255", "0.0.0.0", "224.0.0.251", "ff02::fb", "::"} {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			t.Fatal(err)
		}
		tb.Observe(&event.Event{Time: base, EventType: "flow", SrcIP: ip, DestIP: victim, Flow: &event.Flow{PktsToClient: 1, BytesToClient: 1}, Proto: "UDP", DestPort: 53, AppProto: "dns"})
	}
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	grown := int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
	t.Logf("%d events, %d hosts, heap grew %.1f MB", tb.Stats().Events, tb.Len(), float64(grown)/1e6)
	if ev := tb.Stats().Events; ev != 16*n+n+7 {
		t.Errorf("%d events observed; derived sighting / finding events must be skipped", ev)
	}
	// The n scanned addresses are real (if tiny) hosts; the two flooded
	// hosts must stay small.
	if grown > 48<<20 {
		t.Errorf("heap grew %d MB for a bounded table", grown>>20)
	}
	for _, a := range []string{"255.255.255.255", "0.0.0.0", "224.0.0.251", "ff02::fb", "::"} {
		if _, ok := tb.Get(netip.MustParseAddr(a)); ok {
			t.Errorf("a profile for %s", a)
		}
	}
	if c, ok := tb.Get(netip.MustParseAddr("fe80::1")); !ok || c.IP != "fe80::1" {
		t.Errorf("zoned address not folded: %v", ok)
	}

	for _, a := range []netip.Addr{victim, attacker} {
		c, ok := tb.Get(a)
		if !ok {
			t.Fatalf("no card for %s", a)
		}
		full := 0
		for name, x := range listsOf(c) {
			if len(x.l.Values) > x.cap {
				t.Errorf("%s %s: %d values, cap %d", a, name, len(x.l.Values), x.cap)
			}
			if len(x.l.Values) == x.cap {
				full++
				if x.l.Dropped == 0 {
					t.Errorf("%s %s is full but reports nothing dropped", a, name)
				}
			}
			for _, v := range x.l.Values {
				if len(v.Value) > maxValueLen || !utf8.ValidString(v.Value) && utf8.ValidString(v.Value[:len(v.Value)-1]) {
					t.Errorf("%s %s: value of %d bytes (cut mid-rune?)", a, name, len(v.Value))
				}
			}
		}
		if full < 5 {
			t.Errorf("%s: only %d lists filled; the flood did not reach the caps", a, full)
		}
		if len(c.Services) > capServices {
			t.Errorf("%d services", len(c.Services))
		}
		if a == victim && (len(c.Services) != capServices || c.ServicesDropped == 0) {
			t.Errorf("victim services %d, dropped %d", len(c.Services), c.ServicesDropped)
		}
		if !c.Traffic.Clients.Exact && a == victim {
			// fine: approximate past the cap
		}
		var b bytes.Buffer
		if err := WriteCard(&b, c); err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(c); err != nil {
			t.Fatal(err)
		}
	}
	// The victim contacted n scanned addresses: the count is estimated.
	c, _ := tb.Get(victim)
	if s := c.Traffic.Servers; s.Exact || s.N < n*9/10 || s.N > n*11/10 {
		t.Errorf("victim contacted %d servers, counted %+v", n+1, s)
	}
	// Queries still work on the damaged table.
	if _, err := tb.Query(`host.hostnames:*x* OR host.roles:*`, 0); err != nil {
		t.Fatal(err)
	}
	var snap bytes.Buffer
	if err := tb.Save(&snap, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{}).Load(&snap); err != nil {
		t.Fatal(err)
	}
}

// TestMaxHosts: past MaxHosts, new external hosts are refused, internal
// ones are still created.
func TestMaxHosts(t *testing.T) {
	tb := New(Options{MaxHosts: 100})
	in := netip.MustParseAddr("10.9.9.9")
	for i := 0; i < 1000; i++ {
		ext := netip.AddrFrom4([4]byte{8, 8, byte(i >> 8), byte(i)})
		tb.Observe(&event.Event{Time: time.Unix(1700000000, 0), EventType: "flow", SrcIP: in, DestIP: ext, Proto: "TCP", Flow: &event.Flow{}})
	}
	tb.Observe(&event.Event{Time: time.Unix(1700000000, 0), EventType: "flow", SrcIP: netip.MustParseAddr("192.168.1.1"), DestIP: in, Proto: "TCP", Flow: &event.Flow{}})
	st := tb.Stats()
	// 10.9.9.9 and 99 external hosts fill the table; the other 901
	// external ones are refused; the second internal host is created.
	if st.Hosts != 101 || st.HostsRefused != 901 || st.Internal != 2 {
		t.Errorf("stats %+v", st)
	}
}

// FuzzObserve decodes arbitrary lines, observes them and reads the result
// back in every way; nothing may panic.
func FuzzObserve(f *testing.F) {
	for _, s := range []string{
		`{"timestamp":"2026-01-01T00:00:00.000000+0000","event_type":"http","src_ip":"10.0.0.1","src_port":5000,"dest_ip":"10.0.0.2","dest_port":3128,"proto":"TCP","http":{"hostname":"a.example","url":"a.example:443","http_method":"CONNECT","status":200,"request_headers":[{"name":"Proxy-Authorization","value":"Basic dXNlcjpwYXNz"}],"response_headers":[{"name":"Proxy-Agent","value":"x"}]}}`,
		`{"timestamp":"2026-01-01T00:00:00Z","event_type":"dns","src_ip":"10.0.0.53","src_port":53,"dest_ip":"10.0.0.1","dest_port":5000,"dns":{"version":3,"type":"response","queries":[{"rrname":"A.Example.","rrtype":"A"}],"answers":[{"rrname":"a.example","rrtype":"A","rdata":"10.0.0.2"},{"rrname":"2.0.0.10.in-addr.arpa","rrtype":"PTR","rdata":"x"}]}}`,
		`{"timestamp":"2026-01-01T00:00:00Z","event_type":"flow","src_ip":"::ffff:10.0.0.1","src_port":5000,"dest_ip":"fe80::1%eth0","dest_port":9100,"proto":"TCP","app_proto":"failed","flow":{"pkts_toserver":9,"pkts_toclient":3,"bytes_toserver":9000,"bytes_toclient":100,"age":700}}`,
		`{"timestamp":"2026-01-01T00:00:00Z","event_type":"alert","src_ip":"1.2.3.4","dest_ip":"10.0.0.1","alert":{"signature":"ET POLICY SOCKSv5 proxy","severity":1,"metadata":{"mitre_technique_id":["T1090"]}},"flow":{"src_ip":"10.0.0.1","dest_ip":"1.2.3.4"}}`,
		`{"timestamp":"2026-01-01T00:00:00Z","event_type":"dhcp","src_ip":"10.0.0.67","src_port":67,"dest_ip":"255.255.255.255","dest_port":68,"dhcp":{"type":"reply","dhcp_type":"ack","assigned_ip":"10.0.0.9","client_mac":"AA:BB:CC:DD:EE:FF","hostname":"ws9"}}`,
		`{"timestamp":"2026-01-01T00:00:00Z","event_type":"tls","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":443,"tls":{"sni":"x","subject":"CN=x","version":"TLS 1.3","ja3":{"hash":"a"},"ja3s":{"hash":"b"},"ja4":"t13"}}`,
		`{"timestamp":"x","event_type":"flow"}`, `not json`, `{}`,
	} {
		f.Add([]byte(s))
	}
	tb := New(Options{MaxHosts: 1000})
	n := 0
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := decode.Decode(line)
		if err != nil {
			return
		}
		tb.Observe(ev)
		tb.ObserveBatch([]*event.Event{ev, ev})
		for _, a := range []netip.Addr{ev.SrcIP, ev.DestIP} {
			if c, ok := tb.Get(a); ok {
				WriteCard(io.Discard, c)
				json.Marshal(c)
			}
		}
		if n++; n%64 == 0 {
			tb.Query(`host.roles:* OR host.hostnames:*`, 10)
			var b bytes.Buffer
			if err := tb.Save(&b, int64(n)); err != nil {
				t.Fatal(err)
			}
			if _, err := New(Options{}).Load(&b); err != nil {
				t.Fatalf("reload: %v", err)
			}
		}
	})
}
