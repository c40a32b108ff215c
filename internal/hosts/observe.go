package hosts

import (
	"encoding/base64"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/nethunt/nethunt/internal/event"
)

// ---- orientation ---------------------------------------------------------

// servicePorts marks ports that are servers' ports: every port below 1024
// and the registered ports below that servers commonly listen on.
var servicePorts [65536 / 64]uint64

func init() {
	for p := 1; p < 1024; p++ {
		servicePorts[p/64] |= 1 << (p % 64)
	}
	for _, p := range []int{1080, 1081, 1085, 1086, 1088, 1194, 1433, 1434, 1521, 1701, 1723, 1812, 1813, 1883, 2049, 2375, 2376,
		2379, 3128, 3268, 3269, 3306, 3389, 4443, 4500, 4501, 5060, 5061, 5222, 5223, 5353, 5355, 5432, 5601, 5671, 5672, 5900, 5985, 5986,
		6379, 6443, 6667, 8000, 8008, 8009, 8080, 8081, 8082, 8088, 8118, 8123, 8200, 8443, 8444, 8500, 8834, 8880, 8888, 9000,
		9001, 9030, 9042, 9050, 9051, 9090, 9092, 9100, 9150, 9200, 9300, 9418, 9443, 10000, 10808, 11211, 15672, 27017, 50000, 51820} {
		servicePorts[p/64] |= 1 << (p % 64)
	}
}

func isServicePort(p int64) bool {
	return p > 0 && p < 65536 && servicePorts[p/64]&(1<<(p%64)) != 0
}

// portGuess decides from ports alone: +1 src is the server, -1 dest is,
// 0 undecided.
func portGuess(sp, dp int64) int {
	ss, ds := isServicePort(sp), isServicePort(dp)
	switch {
	case ss && !ds:
		return 1
	case ds && !ss:
		return -1
	}
	se, de := sp >= 32768, dp >= 32768
	switch {
	case de && !se && sp > 0:
		return 1
	case se && !de && dp > 0:
		return -1
	}
	return 0
}

// srcIsServer reports whether ev's src_ip is the server of the flow.
//
// Flow records and most app-layer records (http, tls, ssh, smb, smtp, quic,
// ...) are logged in flow direction, src = client; they are only flipped
// when the ports say so unmistakably (a server port on the source, an
// ephemeral one on the destination: a flow picked up mid-stream). Alerts
// carry the flow's client in flow.src_ip (7.0+) or a direction (8.0). DNS,
// DHCP, Kerberos and fileinfo records follow the packet; they are oriented
// by well-known ports first.
func srcIsServer(ev *event.Event) bool {
	if f := ev.Flow; f != nil && f.SrcIP != "" && ev.EventType != "flow" {
		if f.SrcIP == ev.SrcIPStr && f.DestIP == ev.DestIPStr {
			return false
		}
		if f.SrcIP == ev.DestIPStr && f.DestIP == ev.SrcIPStr {
			return true
		}
	}
	sp, dp := ev.SrcPort, ev.DestPort
	switch ev.EventType {
	case "dns":
		switch {
		case sp == 53 && dp != 53:
			return true
		case dp == 53 && sp != 53:
			return false
		}
		d := ev.DNS
		if d == nil {
			return false
		}
		switch d.Type {
		case "response":
			return true
		case "answer":
			return d.Version != 2 // v2 answers are logged client -> server
		}
		return false
	case "dhcp":
		switch {
		case sp == 67 && dp == 68, sp == 547 && dp == 546:
			return true
		case sp == 68 && dp == 67, sp == 546 && dp == 547:
			return false
		}
		return ev.DHCP != nil && ev.DHCP.Type == "reply"
	case "krb5", "fileinfo", "alert", "anomaly", "snmp", "sip", "tftp", "ntp", "ike", "rdp", "mdns":
		if g := portGuess(sp, dp); g != 0 {
			return g > 0
		}
		switch ev.Direction {
		case "to_client":
			return true
		case "to_server":
			return false
		}
		return ev.EventType == "fileinfo"
	}
	// flow-direction loggers: flip only on strong port evidence
	return isServicePort(sp) && !isServicePort(dp) && dp >= 1024
}

// ---- observation ---------------------------------------------------------

// obs carries one event through the observers.
type obs struct {
	t            *Table
	ev           *event.Event
	now          int64
	c, s         *Host // client and server host (nil when absent or refused)
	cIP, sIP     netip.Addr
	cPort, sPort int64
	cGeo, sGeo   *event.Geo // the event's geo enrichment of each side
}

func (t *Table) observe(ev *event.Event) {
	switch ev.EventType {
	case "sighting", "finding":
		// Derived by nethunt: the ingest stages never see them live, so
		// observing them on a replay would make a rebuilt table differ.
		return
	}
	t.events++
	now := int64(0)
	if !ev.Time.IsZero() {
		now = ev.Time.UnixNano()
	}
	o := obs{t: t, ev: ev, now: now}
	var cg, sg []string
	if srcIsServer(ev) {
		o.cIP, o.sIP, o.cPort, o.sPort = ev.DestIP, ev.SrcIP, ev.DestPort, ev.SrcPort
		cg, sg = ev.Enrich.DestGroups, ev.Enrich.SrcGroups
		o.cGeo, o.sGeo = &ev.Enrich.DestGeo, &ev.Enrich.SrcGeo
	} else {
		o.cIP, o.sIP, o.cPort, o.sPort = ev.SrcIP, ev.DestIP, ev.SrcPort, ev.DestPort
		cg, sg = ev.Enrich.SrcGroups, ev.Enrich.DestGroups
		o.cGeo, o.sGeo = &ev.Enrich.SrcGeo, &ev.Enrich.DestGeo
	}
	o.cIP, o.sIP = normAddr(o.cIP), normAddr(o.sIP)
	var sensor uint64
	if ev.Host != "" {
		sensor = strHash(ev.Host)
	}
	o.c = t.touch(o.cIP, now, ev, cg, identityKey(sensor, cg, ev.Enrich.Tags, ev.Vlan), o.cGeo)
	if o.sIP == o.cIP {
		o.s = o.c // one event, one count
	}
	if o.s == nil {
		o.s = t.touch(o.sIP, now, ev, sg, identityKey(sensor, sg, ev.Enrich.Tags, ev.Vlan), o.sGeo)
	}
	switch ev.EventType {
	case "flow":
		o.flow()
	case "http":
		o.http()
	case "tls":
		o.tls()
	case "dns":
		o.dns()
	case "dhcp":
		o.dhcp()
	case "smb":
		o.smb()
	case "krb5":
		o.krb5()
	case "ssh":
		o.ssh()
	case "quic":
		o.quic()
	case "smtp":
		o.smtp()
	case "ftp":
		o.ftp()
	case "fileinfo":
		o.fileinfo()
	case "anomaly":
		o.anomaly()
	case "alert":
		o.alert()
	}
	if m := ev.Metadata; m != nil && len(m.Flowbits) > 0 {
		for k, h := range [2]*Host{o.c, o.s} {
			if h != nil && (k == 0 || h != o.c) {
				for i, fb := range m.Flowbits {
					if i == 8 {
						break
					}
					h.flowbits.add(fb, now, capFlowbits, keepFirst)
				}
			}
		}
	}
}

// identityKey hashes what touch records on every event (sensor, groups,
// tags, first VLAN); equal keys mean equal values.
func identityKey(sensor uint64, groups, tags []string, vlan []int64) uint64 {
	k := sensor*0x9e3779b97f4a7c15 + 1
	for i, g := range groups {
		if i == 4 {
			break
		}
		k = mix64(k ^ strHash(g))
	}
	k = mix64(k ^ 0x5bd1e995)
	for i, g := range tags {
		if i == 4 {
			break
		}
		k = mix64(k ^ strHash(g))
	}
	for i, v := range vlan {
		if i == 2 {
			break
		}
		k = mix64(k ^ uint64(v) ^ 0xc2b2ae35)
	}
	if k == 0 {
		k = 1
	}
	return k
}

// touch updates the common attributes of the host at a.
func (t *Table) touch(a netip.Addr, now int64, ev *event.Event, groups []string, idk uint64, geo *event.Geo) *Host {
	if !a.IsValid() {
		return nil
	}
	h := t.hostGeo(a, now, geo)
	if h == nil {
		return nil
	}
	same := h.idKey == idk
	if same {
		if h.idRun == 0 {
			t.runs = append(t.runs, h)
		}
		h.idRun++
	} else {
		h.flushID()
		h.events++
	}
	if now != 0 {
		if now >= h.last {
			if h.last == 0 {
				h.first = now // first timed event
			}
			h.last = now
		} else if now < h.first {
			h.first = now // an event older than the last one (first <= last)
		}
	}
	if same {
		return h
	}
	h.idKey = idk
	h.idIdx = noID
	for i, g := range groups {
		if i == 4 {
			break
		}
		h.idIdx.groups[i] = int16(h.groups.add(g, now, capGroups, keepFirst))
	}
	for i, tg := range ev.Enrich.Tags {
		if i == 4 {
			break
		}
		h.idIdx.tags[i] = int16(h.tags.add(tg, now, capTags, keepFirst))
	}
	if ev.Host != "" {
		h.idIdx.sensor = int16(h.sensors.add(ev.Host, now, capSensors, keepFirst))
	}
	for i, v := range ev.Vlan {
		if i == 2 {
			break
		}
		if !slices.Contains(h.vlans, v) && len(h.vlans) < capVLANs {
			h.vlans = append(h.vlans, v)
		}
	}
	return h
}

func (o *obs) evid(h *Host, k evKind, peer netip.Addr, port int64) {
	if h != nil {
		o.t.addEvidence(h, k, o.now, o.ev.FlowID, peer, port)
	}
}

func (t *Table) portName(proto uint8, port int64) string {
	if port < 0 || port > 65535 {
		return ""
	}
	k := uint32(proto)<<16 | uint32(port)
	if s, ok := t.portNames[k]; ok {
		return s
	}
	s := protoNames[proto] + "/" + strconv.FormatInt(port, 10)
	t.portNames[k] = s
	return s
}

// appName folds app_proto names: "failed" (detection gave up) is
// "unknown", http1 is http.
func appName(a string) string {
	switch a {
	case "failed":
		return "unknown"
	case "http1":
		return "http"
	}
	return a
}

func (o *obs) flow() {
	f := o.ev.Flow
	if f == nil {
		return
	}
	ev, now := o.ev, o.now
	proto := protoID(ev.Proto)
	app := appName(ev.AppProto)
	// A (client, server, proto, port) seen recently is already in every
	// distinct counter below.
	ck := addrKey(o.cIP)
	pk := mix64(ck ^ addrKey(o.sIP)*0x9e3779b97f4a7c15 ^ uint64(proto)<<16 ^ uint64(o.sPort&0xffff))
	pslot := &o.t.pairs[pk>>(64-pairBits)]
	known := *pslot == pk
	if c := o.c; c != nil {
		cs := c.client()
		cs.flows++
		cs.bytesOut += uint64(max(f.BytesToServer, 0))
		cs.bytesIn += uint64(max(f.BytesToClient, 0))
		cs.pktsOut += uint64(max(f.PktsToServer, 0))
		cs.pktsIn += uint64(max(f.PktsToClient, 0))
		if f.PktsToClient <= 0 {
			cs.unanswered++
		}
		if o.sIP.IsValid() && !known {
			cs.servers.add(addrKey(o.sIP), peersExact, peersHLLBits)
		}
		if app != "" && app != "unknown" {
			cs.protos.add(app, now, capClientProto, keepFirst)
		}
		if proto != protoICMP && proto != protoOther {
			cs.ports.add(o.t.portName(proto, o.sPort), now, capClientPorts, topK)
		}
		// Where the servers are: the event's geo enrichment, else what
		// Options.Geo said of the server host.
		if g := o.sGeo; g.Country != "" || g.ASN != 0 {
			cs.countries.add(g.Country, now, capGeo, keepFirst)
			if s := o.s; s != nil && g.ASN != 0 {
				if s.asn != g.ASN {
					s.setGeo(g.Country, g.ASN, g.ASOrg)
				}
				cs.asns.add(s.asLabel, now, capGeo, keepFirst)
			}
		} else if s := o.s; s != nil && o.t.opt.Geo != nil {
			cs.countries.add(s.country, now, capGeo, keepFirst)
			cs.asns.add(s.asLabel, now, capGeo, keepFirst)
		}
	}
	s := o.s
	if s == nil || f.PktsToClient <= 0 || f.BytesToClient <= 0 || proto == protoICMP || proto == protoOther {
		return
	}
	// TCP gets an app_proto only after the handshake and client data: a
	// port that merely answered SYN/ACK or RST is not a service.
	if proto == protoTCP && app == "" {
		return
	}
	if o.sPort <= 0 || o.sPort > 65535 {
		return
	}
	ss := s.server()
	ss.flows++
	ss.bytesOut += uint64(max(f.BytesToClient, 0))
	ss.bytesIn += uint64(max(f.BytesToServer, 0))
	ss.pktsOut += uint64(max(f.PktsToClient, 0))
	ss.pktsIn += uint64(max(f.PktsToServer, 0))
	if o.cIP.IsValid() && !known {
		ss.clients.add(ck, peersExact, peersHLLBits)
	}
	n := len(ss.services)
	if sv := ss.service(proto, uint16(o.sPort), now); sv != nil {
		sv.flows++
		sv.bytesIn += uint64(max(f.BytesToServer, 0))
		sv.bytesOut += uint64(max(f.BytesToClient, 0))
		if o.cIP.IsValid() && !known {
			sv.clients.add(ck, svcExact, svcHLLBits)
		}
		a := app
		if a == "" {
			a = "unknown"
		}
		sv.apps.add(a, now, capSvcApps, keepFirst)
		if ev.AppProtoOrig != "" {
			sv.apps.add(appName(ev.AppProtoOrig), now, capSvcApps, keepFirst)
		}
	}
	if len(ss.services) != n {
		o.t.markDirty(s)
	}
	*pslot = pk
	o.flowEvidence(proto, app, f)
}

func asLabel(asn uint32, org string) string {
	if asn == 0 {
		return ""
	}
	if org != "" {
		return "AS" + strconv.FormatUint(uint64(asn), 10) + " " + org
	}
	return "AS" + strconv.FormatUint(uint64(asn), 10)
}

// flowEvidence turns an answered flow into role evidence by port and
// application protocol.
func (o *obs) flowEvidence(proto uint8, app string, f *event.Flow) {
	s, p, peer := o.s, o.sPort, o.cIP
	tcp, udp := proto == protoTCP, proto == protoUDP
	unknown := app == "" || app == "unknown"
	switch app {
	case "dns":
		if p != 5353 && p != 5355 {
			o.evid(s, evDNSFlow, peer, p)
		}
	case "dhcp":
		if p == 67 || p == 547 {
			o.evid(s, evDHCPFlow, peer, p)
		}
	case "krb5":
		o.evid(s, evKrb5, peer, p)
	case "ldap":
		o.evid(s, evLDAP, peer, p)
	case "smb":
		o.evid(s, evSMB, peer, p)
	case "nfs":
		o.evid(s, evNFS, peer, p)
	case "dcerpc":
		o.evid(s, evDCERPC, peer, p)
	case "smtp":
		o.evid(s, evSMTP, peer, p)
	case "imap", "pop3":
		o.evid(s, evIMAPPOP, peer, p)
	case "ntp":
		o.evid(s, evNTP, peer, p)
	case "ssh":
		o.evid(s, evSSH, peer, p)
	case "http", "http2":
		o.evid(s, evHTTPFlow, peer, p)
	case "quic":
		o.evid(s, evQUICServed, peer, p)
	case "ike", "ikev2":
		o.evid(s, evIKE, peer, p)
	case "openvpn", "wireguard":
		o.evid(s, evVPNTunnel, peer, p)
	case "socks", "socks4", "socks5":
		o.evid(s, evSOCKSApp, peer, p)
		s.server().addProxyPort(p)
	}
	switch {
	case unknown && udp && p == 53:
		o.evid(s, evDNSFlow, peer, p)
	case unknown && udp && p == 67:
		o.evid(s, evDHCPFlow, peer, p)
	case unknown && p == 88:
		o.evid(s, evKrb5, peer, p)
	case app != "ldap" && (p == 389 || p == 636 || p == 3268 || p == 3269):
		o.evid(s, evLDAP, peer, p)
	case app != "smb" && tcp && (p == 445 || p == 139) && (unknown || app == "smb"):
		o.evid(s, evSMB, peer, p)
	case app != "nfs" && p == 2049:
		o.evid(s, evNFS, peer, p)
	case tcp && p == 9100 && unknown && f.BytesToServer > f.BytesToClient:
		o.evid(s, evJetDirect, peer, p)
	case tcp && p == 515 && unknown:
		o.evid(s, evLPD, peer, p)
	case tcp && p == 631:
		o.evid(s, evIPP, peer, p)
	case app != "smtp" && tcp && (p == 25 || p == 465 || p == 587) && (unknown || app == "tls"):
		o.evid(s, evSMTP, peer, p)
	case tcp && (p == 143 || p == 993 || p == 110 || p == 995) && (unknown || app == "tls"):
		o.evid(s, evIMAPPOP, peer, p)
	case unknown && udp && p == 123:
		o.evid(s, evNTP, peer, p)
	case tcp && unknown && o.t.isSOCKSPort(p):
		o.evid(s, evSOCKSPort, peer, p)
		s.server().addProxyPort(p)
	case udp && (p == 500 || p == 4500) && unknown:
		o.evid(s, evIKE, peer, p)
	case (udp && (p == 1194 || p == 51820 || p == 4501)) || (tcp && (p == 1194 || p == 1723) && unknown):
		if f.BytesToServer+f.BytesToClient >= vpnMinBytes || f.Age >= vpnMinAge {
			o.evid(s, evVPNTunnel, peer, p)
		}
	case app == "tls" && (p == 443 || p == 8443):
		o.evid(s, evTLSServed, peer, p)
	}
}

// ---- HTTP ------------------------------------------------------------------

// eqFold compares an ASCII header name with a lower-case target.
func eqFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, lower string) bool {
	return len(s) >= len(lower) && eqFold(s[:len(lower)], lower)
}

// containsFold reports whether s contains the lower-case ASCII word.
func containsFold(s, lower string) bool {
	n := len(lower)
	for i := 0; i+n <= len(s); i++ {
		if eqFold(s[i:i+n], lower) {
			return true
		}
	}
	return false
}

var statusNames [600]string

func init() {
	for i := 100; i < len(statusNames); i++ {
		statusNames[i] = strconv.Itoa(i)
	}
}

func statusName(n int64) string {
	if n < 100 || n >= 600 {
		return ""
	}
	return statusNames[n]
}

// basicUser returns the user of an "Basic base64(user:pass)" credential;
// the password is never kept.
func basicUser(v string) string {
	if !hasPrefixFold(v, "basic ") {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v[6:]))
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 128 {
		s = s[:128]
	}
	return s
}

func (o *obs) http() {
	h := o.ev.HTTP
	if h == nil {
		return
	}
	t, ev, now := o.t, o.ev, o.now
	status := int64(-1)
	if h.Status != nil {
		status = *h.Status
	}
	// Request headers: forwarding and proxy-client evidence.
	fwd := h.XFF != "" || ev.XFF != ""
	xff := h.XFF
	if xff == "" {
		xff = ev.XFF
	}
	var proxyReq bool
	var user, authority string
	for i := range h.RequestHeaders {
		hd := &h.RequestHeaders[i]
		if len(hd.Name) == 0 {
			continue
		}
		switch c := hd.Name[0] | 0x20; c {
		case 'v':
			if eqFold(hd.Name, "via") {
				fwd = true
			}
		case 'x':
			if eqFold(hd.Name, "x-forwarded-for") {
				fwd = true
				if xff == "" {
					xff = hd.Value
				}
			} else if eqFold(hd.Name, "x-real-ip") {
				fwd = true
			}
		case 'f':
			if eqFold(hd.Name, "forwarded") {
				fwd = true
			}
		case 'p':
			if eqFold(hd.Name, "proxy-authorization") {
				proxyReq = true
				if u := basicUser(hd.Value); u != "" {
					user = u
				}
			} else if eqFold(hd.Name, "proxy-connection") {
				proxyReq = true
			}
		case 'a':
			if user == "" && eqFold(hd.Name, "authorization") {
				user = basicUser(hd.Value)
			}
		case ':':
			if eqFold(hd.Name, ":authority") {
				authority = hd.Value
			}
		}
	}
	var server string
	var proxyResp, viaResp bool
	for i := range h.ResponseHeaders {
		hd := &h.ResponseHeaders[i]
		if len(hd.Name) == 0 {
			continue
		}
		switch hd.Name[0] | 0x20 {
		case 's':
			if eqFold(hd.Name, "server") {
				server = hd.Value
			}
		case 'p':
			if eqFold(hd.Name, "proxy-authenticate") || eqFold(hd.Name, "proxy-agent") {
				proxyResp = true
			}
		case 'v':
			if eqFold(hd.Name, "via") {
				viaResp = true
			}
		}
	}
	target := h.Hostname
	if target == "" && authority != "" {
		target = authority
		if i := strings.LastIndexByte(target, ':'); i > 0 && !strings.Contains(target[i:], "]") {
			target = target[:i]
		}
	}
	name := normName(target)
	isConnect := eqFold(h.Method, "connect")
	isAbs := !isConnect && (hasPrefixFold(h.URL, "http://") || hasPrefixFold(h.URL, "https://"))

	if c := o.c; c != nil {
		cs := c.client()
		cs.httpReqs++
		cs.protos.add("http", now, capClientProto, keepFirst)
		cs.userAgents.add(h.UserAgent, now, capUA, keepFirst)
		if name != "" {
			cs.httpHosts.add(name, now, capHTTPTop, topK)
			t.nameRequested(c, name, o)
		}
		if user != "" {
			c.usernames.add(user, now, capUsernames, keepFirst)
		}
		if fwd {
			o.evid(c, evForwardOut, o.sIP, 0)
			if xff != "" {
				c.server().xff.add(xff, now, capXFF, keepFirst)
			}
		}
	}
	s := o.s
	if s == nil {
		return
	}
	ss := s.server()
	if isConnect {
		o.evid(s, evConnect, o.cIP, o.sPort)
		if status >= 200 && status < 300 {
			o.evid(s, evConnectOK, o.cIP, o.sPort)
			t.addTunnel(ev.FlowID)
			ss.addProxyPort(o.sPort)
		}
		if name != "" && (status == 407 || (status >= 200 && status < 300)) {
			t.proxyTarget(s, name, tgtConnect, o)
		}
	} else if isAbs {
		if status < 400 || status == 407 {
			if status > 0 {
				o.evid(s, evAbsURI, o.cIP, o.sPort)
				ss.addProxyPort(o.sPort)
				if name != "" {
					t.proxyTarget(s, name, tgtAbsURI, o)
				}
			}
		}
	} else if !t.isTunnel(ev.FlowID) && (status > 0 || server != "") {
		o.evid(s, evHTTPServed, o.cIP, o.sPort)
		if name != "" {
			s.addName(name, nameHTTP, now)
			t.nameReceived(s, name, o)
		}
		if h.ContentType == "application/ipp" || strings.HasPrefix(h.URL, "/ipp") || strings.HasPrefix(h.URL, "/printers/") {
			o.evid(s, evIPP, o.cIP, o.sPort)
		}
	}
	if status == 407 {
		o.evid(s, ev407, o.cIP, o.sPort)
		ss.addProxyPort(o.sPort)
	}
	if proxyResp {
		o.evid(s, evProxyRespHdr, o.cIP, o.sPort)
		ss.addProxyPort(o.sPort)
	}
	if proxyReq {
		o.evid(s, evProxyReqHdr, o.cIP, o.sPort)
	}
	if viaResp {
		o.evid(s, evViaResp, o.cIP, o.sPort)
	}
	if status > 0 {
		ss.httpStatus.add(statusName(status), now, 32, keepFirst)
	}
	if o.sPort > 0 && o.sPort < 65536 && (status > 0 || server != "") {
		n := len(ss.services)
		if sv := ss.service(protoTCP, uint16(o.sPort), now); sv != nil {
			sv.apps.add("http", now, capSvcApps, keepFirst)
			sv.det().httpServer.add(server, now, capSvcDetail, keepFirst)
			if !isConnect && !isAbs && name != "" {
				sv.det().names.add(name, now, capSvcNames, keepFirst)
			}
		}
		if n != len(ss.services) {
			t.markDirty(s)
		}
	}
}

// proxyTarget records a name asked through a proxy.
func (t *Table) proxyTarget(h *Host, name string, bit uint16, o *obs) {
	ss := h.server()
	if i := ss.proxyTargets.add(name, o.now, capProxyTgt, topK); i >= 0 {
		ss.proxyTargets.ents[i].src |= bit
	}
	t.nameReceived(h, name, o)
}

// nameReceived: h, as a server, was asked for name (Host, SNI, proxy
// target). If h asked for it itself, it forwards.
func (t *Table) nameReceived(h *Host, name string, o *obs) {
	if cs := h.cli; cs != nil && (cs.httpHosts.has(name) || cs.sni.has(name)) {
		t.forwardName(h, name, o, o.cIP)
	}
}

// nameRequested: h, as a client, asked for name. If clients asked h for
// it, h forwards.
func (t *Table) nameRequested(h *Host, name string, o *obs) {
	ss := h.srv
	if ss == nil {
		return
	}
	if ss.proxyTargets.has(name) {
		t.forwardName(h, name, o, o.sIP)
		return
	}
	if i := h.hostnames.index(name); i >= 0 && h.hostnames.ents[i].src&(nameSNI|nameHTTP) != 0 {
		t.forwardName(h, name, o, o.sIP)
	}
}

// forwardName records a name seen on both legs; peer is the other end of
// the event that completed the pair.
func (t *Table) forwardName(h *Host, name string, o *obs, peer netip.Addr) {
	ss := h.server()
	if ss.forwarded.has(name) {
		ss.forwarded.add(name, o.now, capForwarded, keepFirst)
		return
	}
	ss.forwarded.add(name, o.now, capForwarded, keepFirst)
	t.addEvidence(h, evForwardName, o.now, o.ev.FlowID, peer, 0)
}

func (t *Table) addTunnel(flow uint64) {
	if flow == 0 {
		return
	}
	if len(t.tunnels) >= tunnelGen {
		t.tunnelsOld = t.tunnels
		t.tunnels = make(map[uint64]struct{}, tunnelGen/4)
	}
	t.tunnels[flow] = struct{}{}
}

func (t *Table) isTunnel(flow uint64) bool {
	if flow == 0 || len(t.tunnels)+len(t.tunnelsOld) == 0 {
		return false
	}
	if _, ok := t.tunnels[flow]; ok {
		return true
	}
	_, ok := t.tunnelsOld[flow]
	return ok
}

// ---- TLS, QUIC, SSH --------------------------------------------------------

func (o *obs) tls() {
	tl := o.ev.TLS
	if tl == nil {
		return
	}
	t, now := o.t, o.now
	sni := normName(tl.SNI)
	if c := o.c; c != nil {
		cs := c.client()
		cs.protos.add("tls", now, capClientProto, keepFirst)
		if tl.JA3 != nil {
			cs.ja3.add(tl.JA3.Hash, now, capJA, keepFirst)
		}
		cs.ja4.add(tl.JA4, now, capJA, keepFirst)
		cs.tlsVersions.add(tl.Version, now, capTLSVersions, keepFirst)
		if sni != "" {
			cs.sni.add(sni, now, capSNITop, topK)
			t.nameRequested(c, sni, o)
		}
	}
	s := o.s
	if s == nil {
		return
	}
	if t.isTunnel(o.ev.FlowID) {
		o.evid(s, evTunnelTLS, o.cIP, o.sPort)
		s.server().addProxyPort(o.sPort)
		return
	}
	answered := tl.Subject != "" || tl.Fingerprint != "" || tl.JA3S != nil || len(tl.ServerALPNs) > 0 ||
		(tl.Version != "" && tl.Version != "UNDETERMINED")
	if !answered || o.sPort <= 0 || o.sPort > 65535 {
		return
	}
	ss := s.server()
	web := o.sPort == 443 || o.sPort == 8443 || o.sPort == 4443 || o.sPort == 9443
	if !web && !nonWebTLSPort(o.sPort) {
		for _, a := range tl.ServerALPNs {
			if a == "h2" || a == "http/1.1" || a == "h3" {
				web = true
			}
		}
	}
	if web {
		o.evid(s, evTLSServed, o.cIP, o.sPort)
	}
	if sni != "" {
		s.addName(sni, nameSNI, now)
		t.nameReceived(s, sni, o)
	}
	if tl.JA3S != nil {
		ss.ja3s.add(tl.JA3S.Hash, now, capJA, keepFirst)
	}
	n := len(ss.services)
	if sv := ss.service(protoTCP, uint16(o.sPort), now); sv != nil {
		sv.apps.add("tls", now, capSvcApps, keepFirst)
		sv.det().tlsSubject.add(tl.Subject, now, capSvcDetail, keepFirst)
		sv.det().tlsIssuer.add(tl.IssuerDN, now, capSvcDetail, keepFirst)
		sv.det().tlsFP.add(tl.Fingerprint, now, capSvcDetail, keepFirst)
		if tl.NotAfter != "" {
			d := sv.det()
			d.tlsNotAfter = clip(tl.NotAfter)
			d.tlsNotBefor = clip(tl.NotBefore)
		}
		if tl.JA3S != nil {
			sv.det().ja3s.add(tl.JA3S.Hash, now, capSvcDetail, keepFirst)
		}
		sv.det().names.add(sni, now, capSvcNames, keepFirst)
	}
	if n != len(ss.services) {
		t.markDirty(s)
	}
}

// nonWebTLSPort: ports whose TLS is not HTTPS whatever the ALPN says
// (mail, directory, DNS over TLS, FTPS, SIP, RDP, IRC, XMPP).
func nonWebTLSPort(p int64) bool {
	switch p {
	case 21, 25, 110, 143, 389, 465, 587, 636, 853, 990, 993, 995, 3268, 3269, 3389, 5061, 5222, 5223, 6697:
		return true
	}
	return false
}

func (o *obs) quic() {
	q := o.ev.QUIC
	if q == nil {
		return
	}
	t, now := o.t, o.now
	sni := normName(q.SNI)
	if c := o.c; c != nil {
		cs := c.client()
		cs.protos.add("quic", now, capClientProto, keepFirst)
		cs.ja4.add(q.JA4, now, capJA, keepFirst)
		if q.JA3 != nil {
			cs.ja3.add(q.JA3.Hash, now, capJA, keepFirst)
		}
		cs.userAgents.add(q.UA, now, capUA, keepFirst)
		if sni != "" {
			cs.sni.add(sni, now, capSNITop, topK)
			t.nameRequested(c, sni, o)
		}
	}
	if s := o.s; s != nil && o.sPort > 0 && o.sPort < 65536 {
		o.evid(s, evQUICServed, o.cIP, o.sPort)
		if sni != "" {
			s.addName(sni, nameSNI, now)
			t.nameReceived(s, sni, o)
		}
		ss := s.server()
		if sv := ss.service(protoUDP, uint16(o.sPort), now); sv != nil {
			sv.apps.add("quic", now, capSvcApps, keepFirst)
			sv.det().names.add(sni, now, capSvcNames, keepFirst)
		}
	}
}

func (o *obs) ssh() {
	sh := o.ev.SSH
	if sh == nil {
		return
	}
	now := o.now
	if c := o.c; c != nil && sh.Client != nil {
		cs := c.client()
		cs.protos.add("ssh", now, capClientProto, keepFirst)
		cs.sshClient.add(sh.Client.SoftwareVersion, now, capSSHSoft, keepFirst)
		if sh.Client.HASSH != nil {
			cs.hassh.add(sh.Client.HASSH.Hash, now, capJA, keepFirst)
		}
	}
	if s := o.s; s != nil && sh.Server != nil && (sh.Server.SoftwareVersion != "" || sh.Server.ProtoVersion != "") {
		o.evid(s, evSSH, o.cIP, o.sPort)
		if o.sPort > 0 && o.sPort < 65536 {
			if sv := s.server().service(protoTCP, uint16(o.sPort), now); sv != nil {
				sv.apps.add("ssh", now, capSvcApps, keepFirst)
				sv.det().sshSoftware.add(sh.Server.SoftwareVersion, now, capSvcDetail, keepFirst)
				if sh.Server.HASSH != nil {
					sv.det().hassh.add(sh.Server.HASSH.Hash, now, capSvcDetail, keepFirst)
				}
			}
		}
	}
}

// ---- DNS -------------------------------------------------------------------

func (o *obs) dns() {
	d := o.ev.DNS
	if d == nil {
		return
	}
	t, now := o.t, o.now
	isResp := d.Type == "answer" || d.Type == "response"
	isReq := d.Type == "query" || d.Type == "request"
	if isReq {
		t.sawDNSRequest = true
	}
	if c := o.c; c != nil && (isReq || (isResp && !t.sawDNSRequest)) {
		cs := c.client()
		cs.dnsReqs++
		cs.protos.add("dns", now, capClientProto, keepFirst)
		for i, n := range d.Names {
			if i == 4 {
				break
			}
			cs.dnsQueries.add(normName(n), now, capDNSTop, topK)
		}
	}
	if !isResp {
		return
	}
	if s := o.s; s != nil && o.sPort != 5353 && o.sPort != 5355 {
		o.evid(s, evDNSAnswer, o.cIP, o.sPort)
		if o.sPort > 0 && o.sPort < 65536 {
			proto := protoID(o.ev.Proto)
			if proto == protoOther {
				proto = protoUDP
			}
			if sv := s.server().service(proto, uint16(o.sPort), now); sv != nil {
				sv.apps.add("dns", now, capSvcApps, keepFirst)
			}
		}
	}
	t.dnsNames(d, now)
}

const maxAnswers = 32

// dnsNames maps answered addresses to the names that resolved to them.
func (t *Table) dnsNames(d *event.DNS, now int64) {
	qname := ""
	if len(d.Names) > 0 {
		qname = d.Names[0]
	}
	one := func(rrname, rrtype, rdata string) {
		switch rrtype {
		case "A", "AAAA":
			a, err := netip.ParseAddr(rdata)
			if err != nil {
				return
			}
			t.nameFor(a, rrname, nameDNS, now)
			if qname != "" && qname != rrname {
				t.nameFor(a, qname, nameDNS, now)
			}
		case "PTR":
			if a, ok := ptrAddr(rrname); ok {
				t.nameFor(a, rdata, namePTR, now)
			}
		}
	}
	if len(d.Answers) > 0 {
		for i := range d.Answers {
			if i == maxAnswers {
				break
			}
			a := &d.Answers[i]
			one(a.RRName, a.RRType, a.RData)
		}
		return
	}
	if d.RData != "" {
		one(d.RRName, d.RRType, d.RData)
		return
	}
	if qname == "" {
		return
	}
	n := 0
	for _, typ := range [2]string{"A", "AAAA"} {
		vs, _ := d.Grouped[typ].([]any)
		for _, v := range vs {
			if n == maxAnswers {
				return
			}
			n++
			if s, ok := v.(string); ok {
				one(qname, typ, s)
			}
		}
	}
}

// ptrAddr parses a reverse IPv4 name (4.3.2.1.in-addr.arpa).
func ptrAddr(name string) (netip.Addr, bool) {
	name = strings.TrimSuffix(name, ".")
	const suf = ".in-addr.arpa"
	if len(name) <= len(suf) || !eqFold(name[len(name)-len(suf):], suf) {
		return netip.Addr{}, false
	}
	parts := strings.Split(name[:len(name)-len(suf)], ".")
	if len(parts) != 4 {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 {
			return netip.Addr{}, false
		}
		b[3-i] = byte(n)
	}
	return netip.AddrFrom4(b), true
}

// nameFor gives the host at a a name; addresses without a host yet keep
// it in the pending cache until they appear in traffic.
func (t *Table) nameFor(a netip.Addr, name string, src uint16, now int64) {
	a = normAddr(a)
	if !trackable(a) {
		return
	}
	// A mapping applied less than a minute ago is not applied again (the
	// name's last_seen lags by at most that, its count is of minutes).
	k := addrKey(a) ^ strHash(name)<<1 ^ uint64(src)
	slot := &t.nameSeen[k>>(64-12)]
	if slot.key == k && now-slot.at < 60e9 && now >= slot.at {
		return
	}
	slot.key, slot.at = k, now
	if h := t.lookup(a); h != nil {
		h.addName(name, src, now)
		return
	}
	name = normName(name)
	if name == "" {
		return
	}
	if len(t.pending) >= pendingGen {
		t.pendingOld = t.pending
		t.pending = make(map[netip.Addr]pendingNames, pendingGen/4)
	}
	p := t.pending[a]
	for i, n := range p.names {
		if n == name {
			return
		}
		if n == "" {
			p.names[i] = strings.Clone(clip(name))
			if p.at == 0 {
				p.at = now
			}
			t.pending[a] = p
			return
		}
	}
}

func (t *Table) applyPending(h *Host) {
	for _, m := range [2]map[netip.Addr]pendingNames{t.pendingOld, t.pending} {
		if p, ok := m[h.ip]; ok {
			for _, n := range p.names {
				if n != "" {
					h.addName(n, nameDNS, p.at)
				}
			}
			delete(m, h.ip)
		}
	}
}

// ---- DHCP, SMB, Kerberos, SMTP, FTP --------------------------------------

func (o *obs) dhcp() {
	d := o.ev.DHCP
	if d == nil {
		return
	}
	t, now := o.t, o.now
	reply := d.Type == "reply" || d.DHCPType == "offer" || d.DHCPType == "ack" || d.DHCPType == "nak"
	// The client's address: assigned, then current, then requested.
	var cl netip.Addr
	for _, s := range [3]string{d.AssignedIP, d.ClientIP, d.RequestedIP} {
		if a, err := netip.ParseAddr(s); err == nil && trackable(a) {
			cl = a
			break
		}
	}
	if reply {
		if s := o.s; s != nil {
			peer := cl
			if !peer.IsValid() {
				peer = o.cIP
			}
			o.evid(s, evDHCPReply, peer, o.sPort)
			if o.sPort > 0 && o.sPort < 65536 {
				if sv := s.server().service(protoUDP, uint16(o.sPort), now); sv != nil {
					sv.apps.add("dhcp", now, capSvcApps, keepFirst)
				}
			}
		}
	}
	var h *Host
	if cl.IsValid() {
		h = t.host(cl, now)
	} else if !reply {
		h = o.c
	}
	if h == nil {
		return
	}
	if d.ClientMAC != "" {
		h.macs.add(strings.ToLower(d.ClientMAC), now, capMACs, keepFirst)
	}
	h.addName(d.Hostname, nameDHCP, now)
	if !reply && d.VendorClassID != "" {
		h.client().dhcpVendor.add(d.VendorClassID, now, capDHCPVendor, keepFirst)
	}
}

func (o *obs) smb() {
	m := o.ev.SMB
	if m == nil {
		return
	}
	now := o.now
	if c := o.c; c != nil {
		cs := c.client()
		cs.protos.add("smb", now, capClientProto, keepFirst)
		if n := m.NTLMSSP; n != nil {
			if n.User != "" {
				c.usernames.add(n.User, now, capUsernames, keepFirst)
			}
			if n.Domain != "" {
				c.domains.add(strings.ToLower(n.Domain), now, capDomains, keepFirst)
			}
			c.addName(n.Host, nameNTLM, now)
		}
		if m.Kerberos != nil && m.Kerberos.Realm != "" {
			c.domains.add(strings.ToLower(m.Kerberos.Realm), now, capDomains, keepFirst)
		}
		if m.Share != "" && m.NamedPipe == "" {
			cs.smbShares.add(m.Share, now, capSMBShares, topK)
		}
	}
	if s := o.s; s != nil {
		o.evid(s, evSMB, o.cIP, o.sPort)
		if o.sPort > 0 && o.sPort < 65536 {
			if sv := s.server().service(protoTCP, uint16(o.sPort), now); sv != nil {
				sv.apps.add("smb", now, capSvcApps, keepFirst)
			}
		}
	}
}

func (o *obs) krb5() {
	k := o.ev.Krb5
	if k == nil {
		return
	}
	now := o.now
	realm := ""
	if k.Realm != "" && k.Realm != "<empty>" {
		realm = strings.ToLower(k.Realm)
	}
	if c := o.c; c != nil {
		cs := c.client()
		cs.protos.add("krb5", now, capClientProto, keepFirst)
		if cn := k.CName; cn != "" && cn != "<empty>" {
			if strings.HasSuffix(cn, "$") {
				name := strings.TrimSuffix(cn, "$")
				if realm != "" && !strings.Contains(name, ".") {
					name += "." + realm
				}
				c.addName(name, nameKrb5, now)
			} else {
				c.usernames.add(cn, now, capUsernames, keepFirst)
			}
		}
		if realm != "" {
			c.domains.add(realm, now, capDomains, keepFirst)
		}
		if k.SName != "" && k.SName != "<empty>" {
			cs.krbServices.add(k.SName, now, capKrbServices, topK)
		}
		if k.TicketWeakEncrypt || k.WeakEncryption {
			cs.krbWeak++
		}
	}
	if s := o.s; s != nil {
		o.evid(s, evKrb5, o.cIP, o.sPort)
		if realm != "" {
			s.domains.add(realm, now, capDomains, keepFirst)
		}
		if o.sPort > 0 && o.sPort < 65536 {
			proto := protoID(o.ev.Proto)
			if proto == protoOther {
				proto = protoUDP
			}
			if sv := s.server().service(proto, uint16(o.sPort), now); sv != nil {
				sv.apps.add("krb5", now, capSvcApps, keepFirst)
			}
		}
	}
}

func (o *obs) smtp() {
	m := o.ev.SMTP
	if m == nil {
		return
	}
	now := o.now
	if c := o.c; c != nil {
		cs := c.client()
		cs.protos.add("smtp", now, capClientProto, keepFirst)
		cs.helo.add(m.Helo, now, capHelo, keepFirst)
		cs.mailFrom.add(strings.Trim(m.MailFrom, "<>"), now, capMail, topK)
	}
	if s := o.s; s != nil {
		o.evid(s, evSMTP, o.cIP, o.sPort)
		if o.sPort > 0 && o.sPort < 65536 {
			if sv := s.server().service(protoTCP, uint16(o.sPort), now); sv != nil {
				sv.apps.add("smtp", now, capSvcApps, keepFirst)
			}
		}
	}
}

func (o *obs) ftp() {
	f := o.ev.FTP
	if f == nil {
		return
	}
	if c := o.c; c != nil {
		c.client().protos.add("ftp", o.now, capClientProto, keepFirst)
		if eqFold(f.Command, "user") && f.CommandData != "" {
			c.usernames.add(f.CommandData, o.now, capUsernames, keepFirst)
		}
	}
	if s := o.s; s != nil && o.sPort > 0 && o.sPort < 65536 {
		if sv := s.server().service(protoTCP, uint16(o.sPort), o.now); sv != nil {
			sv.apps.add("ftp", o.now, capSvcApps, keepFirst)
		}
	}
}

// ---- files, anomalies, alerts ---------------------------------------------

func (o *obs) fileinfo() {
	if o.ev.FileInfo == nil {
		return
	}
	// fileinfo follows the packet: src sent the file, dest received it.
	snd, rcv := normAddr(o.ev.SrcIP), normAddr(o.ev.DestIP)
	for _, h := range [2]*Host{o.c, o.s} {
		if h == nil {
			continue
		}
		if h.ip == snd {
			h.filesSent++
		}
		if h.ip == rcv {
			h.filesRecv++
		}
	}
}

func (o *obs) anomaly() {
	a := o.ev.Anomaly
	for _, h := range [2]*Host{o.c, o.s} {
		if h == nil {
			continue
		}
		h.anomalies++
		if a != nil {
			v := a.Event
			if v == "" {
				v = a.Type
			}
			h.anomalyType.add(v, o.now, capAnomalies, topK)
		}
		if o.c == o.s {
			break
		}
	}
}

func (o *obs) alert() {
	al := o.ev.Alert
	if al == nil {
		return
	}
	src, dst := normAddr(o.ev.SrcIP), normAddr(o.ev.DestIP)
	for _, h := range [2]*Host{o.c, o.s} {
		if h == nil {
			continue
		}
		a := h.alerts()
		a.total++
		if h.ip == src {
			a.asSrc++
		}
		if h.ip == dst {
			a.asDst++
		}
		sev := al.Severity
		if sev < 1 || sev > 4 {
			sev = 0
		}
		a.bySev[sev]++
		if o.now > a.last {
			a.last = o.now
		}
		if i := a.signatures.add(al.Signature, o.now, capSigTop, topK); i >= 0 {
			for len(a.sids) <= i {
				a.sids = append(a.sids, 0)
			}
			a.sids[i] = al.SignatureID
		}
		a.categories.add(al.Category, o.now, capAlertCat, keepFirst)
		if md := al.Metadata; md != nil {
			for i, v := range md["mitre_technique_id"] {
				if i == 4 {
					break
				}
				a.mitre.add(v, o.now, capMITRE, keepFirst)
			}
		}
		if o.c == o.s {
			break
		}
	}
	if o.s != nil && containsFold(al.Signature, "socks") {
		o.evid(o.s, evSOCKSAlert, o.cIP, o.sPort)
		o.s.server().addProxyPort(o.sPort)
	}
}
