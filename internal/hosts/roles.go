package hosts

import (
	"net/netip"
	"slices"
	"time"
)

// Roles. Stored names follow Stamus where it has one ("http proxy",
// "dhcp", "domain controller", "printer"); the others are nethunt's.
const (
	RoleHTTPProxy        = "http proxy"
	RoleSOCKSProxy       = "socks proxy"
	RoleDNSServer        = "dns server"
	RoleDHCPServer       = "dhcp"
	RoleDomainController = "domain controller"
	RolePrinter          = "printer"
	RoleMailServer       = "mail server"
	RoleWebServer        = "web server"
	RoleNTPServer        = "ntp server"
	RoleSSHServer        = "ssh server"
	RoleFileServer       = "file server"
	RoleVPN              = "vpn"
	// RoleUnclassified is Stamus's name for a host without a role; in
	// queries it is host.unclassified:true (or NOT host.roles:*).
	RoleUnclassified = "unclassified"
)

type roleID uint8

const (
	rHTTPProxy roleID = iota
	rSOCKSProxy
	rDNS
	rDHCP
	rDC
	rPrinter
	rMail
	rWeb
	rNTP
	rSSH
	rFile
	rVPN
	numRoles
)

var roleNames = [numRoles]string{RoleHTTPProxy, RoleSOCKSProxy, RoleDNSServer, RoleDHCPServer, RoleDomainController,
	RolePrinter, RoleMailServer, RoleWebServer, RoleNTPServer, RoleSSHServer, RoleFileServer, RoleVPN}

var roleLabels = [numRoles]string{"HTTP(S) Proxy", "SOCKS Proxy", "DNS Server", "DHCP Server", "Domain Controller",
	"Printer", "Mail Server", "Web Server", "NTP Server", "SSH Server", "File Server", "VPN Endpoint"}

// RoleNames lists every role a host can get, in display order.
func RoleNames() []string { return append([]string(nil), roleNames[:]...) }

type roleSet uint16

func (s roleSet) has(r roleID) bool { return s&(1<<r) != 0 }

func (s roleSet) names() []string {
	if s == 0 {
		return nil
	}
	out := make([]string, 0, 4)
	for r := roleID(0); r < numRoles; r++ {
		if s.has(r) {
			out = append(out, roleNames[r])
		}
	}
	return out
}

// Proxy modes.
const (
	modeNone uint8 = iota
	modeForward
	modeReverse
)

var modeNames = [...]string{"", "forward", "reverse"}

// ---- evidence ----------------------------------------------------------------

type evKind uint8

const (
	evConnect      evKind = iota // CONNECT requests received (any answer)
	evConnectOK                  // CONNECT answered 2xx (tunnel opened)
	evTunnelTLS                  // TLS handshake tunnelled through an accepted CONNECT
	evAbsURI                     // absolute-URI (forward proxy) requests received and not refused
	ev407                        // 407 Proxy Authentication Required sent
	evProxyRespHdr               // Proxy-Authenticate / Proxy-Agent response headers sent
	evProxyReqHdr                // Proxy-Authorization / Proxy-Connection request headers received
	evViaResp                    // Via response header sent (proxies, caches, CDNs)
	evForwardOut                 // requests sent with X-Forwarded-For / Via / Forwarded / X-Real-IP
	evForwardName                // a name it received (Host, SNI, proxy target) it then asked for itself
	evHTTPServed                 // origin-form HTTP requests answered
	evTLSServed                  // TLS server handshakes (certificate / JA3S / server ALPN) on web ports or with HTTP ALPN
	evQUICServed                 // QUIC sessions answered
	evHTTPFlow                   // answered flows with app_proto http/http2
	evDNSAnswer                  // DNS responses sent
	evDNSFlow                    // answered DNS flows (port 53 or app_proto dns)
	evDHCPReply                  // DHCP offer/ack/nak sent
	evDHCPFlow                   // answered DHCP flows (UDP 67)
	evKrb5                       // Kerberos responses sent or answered Kerberos flows
	evLDAP                       // answered LDAP flows (389, 636, 3268, 3269 or app_proto ldap)
	evSMB                        // SMB served (records or answered flows)
	evNFS                        // NFS served
	evDCERPC                     // DCERPC served
	evJetDirect                  // print jobs on TCP 9100 (unrecognised protocol, upload-heavy)
	evLPD                        // answered TCP 515 flows
	evIPP                        // IPP: answered TCP 631 flows or HTTP with application/ipp
	evSMTP                       // SMTP served (records or answered flows)
	evIMAPPOP                    // IMAP / POP3 served
	evNTP                        // answered NTP flows
	evSSH                        // SSH server banner or answered SSH flows
	evSOCKSAlert                 // alert mentioning SOCKS with the host as server
	evSOCKSApp                   // flows with app_proto socks*
	evSOCKSPort                  // answered unrecognised TCP flows on a SOCKS port
	evIKE                        // IKE / IPsec served
	evVPNTunnel                  // long or bulky answered flows on VPN ports
	numEv
)

// evInfo documents an evidence kind.
type evInfo struct {
	name, desc string
}

var evInfos = [numEv]evInfo{
	evConnect:      {"http.connect", "CONNECT requests received"},
	evConnectOK:    {"http.connect_accepted", "CONNECT requests answered 2xx (tunnel opened)"},
	evTunnelTLS:    {"tls.tunnelled", "TLS handshakes tunnelled through an accepted CONNECT"},
	evAbsURI:       {"http.absolute_uri", "absolute-URI (forward proxy) requests received and not refused"},
	ev407:          {"http.407", "407 Proxy Authentication Required answers sent"},
	evProxyRespHdr: {"http.proxy_response_header", "Proxy-Authenticate / Proxy-Agent response headers sent"},
	evProxyReqHdr:  {"http.proxy_request_header", "Proxy-Authorization / Proxy-Connection request headers received"},
	evViaResp:      {"http.via_response", "Via response headers sent"},
	evForwardOut:   {"http.forwarded_request", "requests sent carrying X-Forwarded-For / Via / Forwarded / X-Real-IP"},
	evForwardName:  {"http.forwarded_name", "names received from clients and then requested by the host itself"},
	evHTTPServed:   {"http.served", "origin-form HTTP requests answered"},
	evTLSServed:    {"tls.served", "TLS server handshakes on web ports or with HTTP ALPN"},
	evQUICServed:   {"quic.served", "QUIC sessions answered"},
	evHTTPFlow:     {"flow.http", "answered HTTP flows"},
	evDNSAnswer:    {"dns.response", "DNS responses sent"},
	evDNSFlow:      {"flow.dns", "answered DNS flows"},
	evDHCPReply:    {"dhcp.reply", "DHCP offers / acks / naks sent"},
	evDHCPFlow:     {"flow.dhcp", "answered DHCP flows (UDP 67)"},
	evKrb5:         {"krb5.served", "Kerberos answers sent"},
	evLDAP:         {"flow.ldap", "answered LDAP / global catalog flows"},
	evSMB:          {"smb.served", "SMB sessions served"},
	evNFS:          {"flow.nfs", "NFS served"},
	evDCERPC:       {"flow.dcerpc", "DCERPC served"},
	evJetDirect:    {"flow.jetdirect", "print jobs received on TCP 9100 (raw, upload-heavy)"},
	evLPD:          {"flow.lpd", "answered LPD flows (TCP 515)"},
	evIPP:          {"ipp.served", "IPP requests answered (TCP 631 or application/ipp)"},
	evSMTP:         {"smtp.served", "SMTP sessions served"},
	evIMAPPOP:      {"flow.imap_pop3", "IMAP / POP3 served"},
	evNTP:          {"flow.ntp", "answered NTP flows (UDP 123)"},
	evSSH:          {"ssh.served", "SSH server banners / answered SSH flows"},
	evSOCKSAlert:   {"alert.socks", "alerts mentioning SOCKS with the host as server"},
	evSOCKSApp:     {"flow.socks", "flows detected as SOCKS"},
	evSOCKSPort:    {"flow.socks_port", "answered unrecognised TCP flows on a SOCKS port"},
	evIKE:          {"flow.ike", "IKE / IPsec negotiations answered"},
	evVPNTunnel:    {"flow.vpn_tunnel", "long-lived or bulky answered flows on VPN ports"},
}

// evidence is one kind of role evidence seen on a host.
type evidence struct {
	kind        evKind
	port        uint16 // local port of the first occurrence (0 = not applicable)
	count       uint32
	first, last int64
	exFlow      uint64
	exTime      int64
	exPeer      netip.Addr
	peers       peerSet
}

// addEvidence records one occurrence. peer is the other side (a client
// for server evidence), port the host's own port.
func (t *Table) addEvidence(h *Host, k evKind, now int64, flow uint64, peer netip.Addr, port int64) {
	s := h.server()
	var e *evidence
	if p := s.evPos[k]; p != 0 {
		e = &s.evid[p-1]
	} else {
		s.evid = append(s.evid, evidence{kind: k, first: now, last: now, exFlow: flow, exTime: now, exPeer: peer})
		s.evPos[k] = uint8(len(s.evid))
		e = &s.evid[len(s.evid)-1]
		if port > 0 && port < 65536 {
			e.port = uint16(port)
		}
	}
	if e.count < ^uint32(0) {
		e.count++
	}
	if now > e.last {
		e.last = now
	}
	if now < e.first {
		e.first = now
		e.exFlow, e.exTime, e.exPeer = flow, now, peer
	}
	if e.exFlow == 0 && flow != 0 {
		e.exFlow, e.exTime, e.exPeer = flow, now, peer
	}
	if peer.IsValid() {
		e.peers.add(addrKey(peer))
	}
	t.markDirty(h)
}

func (s *serverSide) ev(k evKind) *evidence {
	if s == nil {
		return nil
	}
	if p := s.evPos[k]; p != 0 {
		return &s.evid[p-1]
	}
	return nil
}

func (s *serverSide) n(k evKind) uint32 {
	if e := s.ev(k); e != nil {
		return e.count
	}
	return 0
}

func (s *serverSide) addProxyPort(port int64) {
	if port <= 0 || port >= 65536 {
		return
	}
	p := uint16(port)
	if slices.Contains(s.proxyPorts, p) {
		return
	}
	if len(s.proxyPorts) < 16 {
		s.proxyPorts = append(s.proxyPorts, p)
	}
}

// ---- rules ---------------------------------------------------------------

// Thresholds of the role rules (documented in docs/host-insights.md).
const (
	minAbsURITargets  = 3 // distinct target names asked in absolute-URI requests
	minForwardOut     = 3 // forwarded requests sent (reverse proxy)
	minForwardNames   = 2 // names forwarded (both legs seen) for a strong signal
	minSOCKSPortFlows = 3
	minFileClients    = 2 // distinct SMB/NFS clients
	vpnMinBytes       = 1 << 20
	vpnMinAge         = 600 // seconds
)

// ruleHit is one rule outcome: which evidence kinds made the role, and
// whether the proof is strong (protocol proof) or medium (behaviour).
type ruleHit struct {
	ok     bool
	strong bool
	kinds  []evKind
	why    string
}

// evalRoles derives roles, proxy mode and approval from the evidence.
func (h *Host) evalRoles(t *Table) {
	var rs roleSet
	h.proxyMode = modeNone
	for r := roleID(0); r < numRoles; r++ {
		if hit := h.rule(r); hit.ok {
			rs |= 1 << r
		}
	}
	h.roles = rs
	if rs.has(rHTTPProxy) {
		s := h.srv
		if s.n(evConnect)+s.n(evAbsURI)+s.n(ev407)+s.n(evProxyRespHdr)+s.n(evTunnelTLS) > 0 {
			h.proxyMode = modeForward
		} else {
			h.proxyMode = modeReverse
		}
	}
	h.approved = t.isApproved(h)
}

// isApproved: the host is listed, and every port it proxies on is listed
// (or the entry has port 0).
func (t *Table) isApproved(h *Host) bool {
	listed := false
	anyPort := false
	for _, a := range t.opt.Approved {
		if normAddr(a.Addr) == h.ip {
			listed = true
			if a.Port == 0 {
				anyPort = true
			}
		}
	}
	if !listed {
		return false
	}
	if anyPort || h.srv == nil {
		return true
	}
	for _, p := range h.srv.proxyPorts {
		ok := false
		for _, a := range t.opt.Approved {
			if normAddr(a.Addr) == h.ip && a.Port == int(p) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (h *Host) has(k evKind) bool { return h.srv.n(k) > 0 }

func hit(strong bool, why string, kinds ...evKind) ruleHit {
	return ruleHit{ok: true, strong: strong, kinds: kinds, why: why}
}

// rule evaluates one role for the host.
func (h *Host) rule(r roleID) ruleHit {
	s := h.srv
	if s == nil {
		return ruleHit{}
	}
	switch r {
	case rHTTPProxy:
		var strong []evKind
		for _, k := range []evKind{evConnectOK, evTunnelTLS, ev407, evProxyRespHdr} {
			if h.has(k) {
				strong = append(strong, k)
			}
		}
		if len(strong) > 0 {
			return hit(true, "accepts proxy requests: CONNECT tunnels, 407 challenges or Proxy-Authenticate / Proxy-Agent answers",
				append(strong, h.present(evConnect, evAbsURI, evProxyReqHdr, evForwardName, evForwardOut, evViaResp)...)...)
		}
		if s.forwarded.len() >= minForwardNames {
			return hit(true, "forwards requests: names its clients asked it for are then requested by the host itself (both legs seen)",
				append([]evKind{evForwardName}, h.present(evAbsURI, evForwardOut, evViaResp, evHTTPServed, evTLSServed)...)...)
		}
		if h.has(evAbsURI) && absTargets(s) >= minAbsURITargets {
			return hit(false, "accepts absolute-URI (forward proxy) requests for several target hosts",
				append([]evKind{evAbsURI}, h.present(evProxyReqHdr, evForwardOut, evViaResp)...)...)
		}
		if h.has(evAbsURI) && h.has(evProxyReqHdr) {
			return hit(false, "accepts absolute-URI requests from clients configured to use it as a proxy (Proxy-Authorization / Proxy-Connection)", evAbsURI, evProxyReqHdr)
		}
		if e := s.ev(evForwardOut); e != nil && e.count >= minForwardOut && h.servesAnything() &&
			(s.xff.len() >= 2 || s.forwarded.len() >= 1 || h.has(evViaResp)) {
			return hit(false, "serves clients and forwards requests with X-Forwarded-For / Via (reverse proxy or load balancer)",
				append([]evKind{evForwardOut}, h.present(evForwardName, evViaResp, evHTTPServed, evTLSServed)...)...)
		}
		if s.forwarded.len() >= 1 && h.has(evForwardOut) {
			return hit(false, "requests a name its clients asked it for, adding forwarding headers", evForwardName, evForwardOut)
		}
	case rSOCKSProxy:
		if k := h.present(evSOCKSAlert, evSOCKSApp); len(k) > 0 {
			return hit(true, "SOCKS detected by an alert or the protocol parser", append(k, h.present(evSOCKSPort)...)...)
		}
		if s.n(evSOCKSPort) >= minSOCKSPortFlows {
			return hit(false, "answers unrecognised TCP traffic on a SOCKS port", evSOCKSPort)
		}
	case rDNS:
		if k := h.present(evDNSAnswer, evDNSFlow); len(k) > 0 {
			return hit(h.has(evDNSAnswer), "answers DNS queries", k...)
		}
	case rDHCP:
		if k := h.present(evDHCPReply, evDHCPFlow); len(k) > 0 {
			return hit(h.has(evDHCPReply), "sends DHCP offers / acks", k...)
		}
	case rDC:
		if h.has(evKrb5) && (h.has(evLDAP) || h.has(evSMB)) {
			return hit(true, "serves Kerberos together with LDAP and/or SMB", h.present(evKrb5, evLDAP, evSMB, evDCERPC, evDNSAnswer)...)
		}
	case rPrinter:
		if k := h.present(evJetDirect, evLPD, evIPP); len(k) > 0 {
			return hit(h.has(evIPP) || h.has(evLPD), "receives print jobs (JetDirect 9100, LPD 515, IPP 631)", k...)
		}
	case rMail:
		if k := h.present(evSMTP, evIMAPPOP); len(k) > 0 {
			return hit(true, "serves SMTP / IMAP / POP3", k...)
		}
	case rWeb:
		if k := h.present(evHTTPServed, evTLSServed, evQUICServed); len(k) > 0 {
			return hit(true, "answers HTTP / HTTPS / QUIC", append(k, h.present(evHTTPFlow)...)...)
		}
		if h.has(evHTTPFlow) && !h.has(evConnect) && !h.has(evAbsURI) {
			return hit(false, "answers HTTP flows", evHTTPFlow)
		}
	case rNTP:
		if h.has(evNTP) {
			return hit(true, "answers NTP", evNTP)
		}
	case rSSH:
		if h.has(evSSH) {
			return hit(true, "answers SSH", evSSH)
		}
	case rFile:
		for _, k := range []evKind{evSMB, evNFS} {
			if e := s.ev(k); e != nil && e.peers.count() >= minFileClients {
				return hit(true, "serves SMB / NFS to several clients", h.present(evSMB, evNFS)...)
			}
		}
	case rVPN:
		if k := h.present(evIKE, evVPNTunnel); len(k) > 0 {
			return hit(h.has(evIKE), "terminates VPN tunnels (IKE/IPsec, OpenVPN, WireGuard, GlobalProtect ports)", k...)
		}
	}
	return ruleHit{}
}

// present returns the kinds among ks the host has evidence of.
func (h *Host) present(ks ...evKind) []evKind {
	var out []evKind
	for _, k := range ks {
		if h.has(k) {
			out = append(out, k)
		}
	}
	return out
}

func absTargets(s *serverSide) int {
	n := 0
	for _, e := range s.proxyTargets.ents {
		if e.src&tgtAbsURI != 0 {
			n++
		}
	}
	return n + int(s.proxyTargets.dropped)
}

// proxyTargets source bits.
const (
	tgtConnect = 1 << iota
	tgtAbsURI
)

func (h *Host) servesAnything() bool {
	if h.srv == nil {
		return false
	}
	if len(h.srv.services) > 0 {
		return true
	}
	for _, k := range []evKind{evHTTPServed, evTLSServed, evQUICServed, evHTTPFlow} {
		if h.has(k) {
			return true
		}
	}
	return false
}

// ---- card view ---------------------------------------------------------

// Role is one role of a host with the evidence that gave it.
type Role struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	// Confidence is "strong" (protocol proof) or "medium" (behaviour).
	Confidence string `json:"confidence"`
	Why        string `json:"why"`
	// Mode is "forward" or "reverse" for http proxy.
	Mode string `json:"mode,omitempty"`
	// Approved is set for proxy roles: whether Options.Approved covers it.
	Approved *bool `json:"approved,omitempty"`
	// Ports the host proxies on (proxy roles).
	Ports     []int      `json:"ports,omitempty"`
	FirstSeen time.Time  `json:"first_seen"`
	LastSeen  time.Time  `json:"last_seen"`
	Evidence  []Evidence `json:"evidence"`
	// Targets lists names asked through a proxy (top) and Forwarded the
	// names seen on both legs.
	Targets   []string `json:"targets,omitempty"`
	Forwarded []string `json:"forwarded,omitempty"`
}

// Evidence is one observed behaviour behind a role.
type Evidence struct {
	Kind      string    `json:"kind"`
	Desc      string    `json:"desc"`
	Count     int64     `json:"count"`
	Peers     int       `json:"peers"` // distinct peers, saturating at 8 ("8+")
	Port      int       `json:"port,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Example   Example   `json:"example"`
}

// Example points at one event that showed the behaviour.
type Example struct {
	FlowID int64     `json:"flow_id,omitempty"`
	Time   time.Time `json:"timestamp"`
	Peer   string    `json:"peer,omitempty"`
}

func (h *Host) roleCards() []Role {
	var out []Role
	for r := roleID(0); r < numRoles; r++ {
		if !h.roles.has(r) {
			continue
		}
		hit := h.rule(r)
		if !hit.ok {
			continue
		}
		rc := Role{Name: roleNames[r], Label: roleLabels[r], Why: hit.why, Confidence: "medium"}
		if hit.strong {
			rc.Confidence = "strong"
		}
		seen := map[evKind]bool{}
		for _, k := range hit.kinds {
			if seen[k] {
				continue
			}
			seen[k] = true
			e := h.srv.ev(k)
			if e == nil {
				continue
			}
			ec := Evidence{Kind: evInfos[k].name, Desc: evInfos[k].desc, Count: int64(e.count), Peers: e.peers.count(), Port: int(e.port),
				FirstSeen: ts(e.first), LastSeen: ts(e.last), Example: Example{FlowID: int64(e.exFlow), Time: ts(e.exTime)}}
			if e.exPeer.IsValid() {
				ec.Example.Peer = e.exPeer.String()
			}
			rc.Evidence = append(rc.Evidence, ec)
			if rc.FirstSeen.IsZero() || ec.FirstSeen.Before(rc.FirstSeen) {
				rc.FirstSeen = ec.FirstSeen
			}
			if ec.LastSeen.After(rc.LastSeen) {
				rc.LastSeen = ec.LastSeen
			}
		}
		if r == rHTTPProxy || r == rSOCKSProxy {
			a := h.approved
			rc.Approved = &a
			if r == rHTTPProxy {
				rc.Mode = modeNames[h.proxyMode]
				for _, p := range h.srv.proxyPorts {
					rc.Ports = append(rc.Ports, int(p))
				}
				slices.Sort(rc.Ports)
				for _, v := range h.srv.proxyTargets.list(true, nil).Values {
					rc.Targets = append(rc.Targets, v.Value)
					if len(rc.Targets) == 10 {
						break
					}
				}
				rc.Forwarded = h.srv.forwarded.values()
			} else if e := h.srv.ev(evSOCKSPort); e != nil && e.port != 0 {
				rc.Ports = []int{int(e.port)}
			}
		}
		out = append(out, rc)
	}
	return out
}
