package detect

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/nethunt/nethunt/internal/domain"
	"github.com/nethunt/nethunt/internal/event"
)

// proxyState is what one ip:port showed of forward-proxy behaviour.
//
// Detector unapproved_http_proxy (T1090.001 internal, T1090.002 external).
// Evidence, with the proxy as the server of the transaction:
//   - CONNECT answered 2xx (tunnel opened), or a flow that switched from
//     HTTP to TLS (app_proto tls, app_proto_orig http: a CONNECT tunnel);
//   - 407 answers, Proxy-Authenticate or Proxy-Agent response headers;
//   - absolute-URI requests (http://host/...) answered without error, for
//     at least two target hosts or with Proxy-Authorization /
//     Proxy-Connection from the client.
//
// A reverse proxy receives origin-form (relative) requests and never
// CONNECT, so it never qualifies here; see virtHosts for the weak
// many-Host-names signal, which is review-only.
type proxyState struct {
	S                         subject
	Addr                      netip.Addr
	Port                      int64
	Internal                  bool
	Connect, ConnectOK        int64
	ConnectRefused            int64
	Abs, AbsOK                int64
	Auth407, RespHdr, ReqAuth int64
	ReqConn                   int64
	Tunnels                   int64
	ViaProxy                  int64 // proxy-form requests answered with a proxy's Via
	Targets                   strSet
	ExtClients                addrSet
	FirstClient               netip.Addr
	FirstUse                  int64
	Relayed                   int64 // inbound flows paired with outbound ones (chain.go)
	Upstream                  string
}

const capTargets = 16

func (s *Stage) proxyState(srv netip.Addr, port int64, create bool) *proxyState {
	k := apkey('p', srv, port)
	if !create {
		return s.st.Proxies.get(k)
	}
	ps, created := s.st.Proxies.put(k, func() *proxyState { return &proxyState{} })
	if created {
		internal := s.internal(srv)
		kind, tech := KindExternalProxy, techExternal
		if internal {
			kind, tech = KindInternalProxy, techInternal
		}
		ps.S = *newSubject(DetProxy, kind, tech, srvKey(srv, port))
		ps.Addr, ps.Port, ps.Internal = srv, port, internal
		ps.S.Proxy = srvKey(srv, port)
		if !internal {
			ps.S.Dests.add(srv.String(), capDests)
		}
	}
	return ps
}

// proxyObserve records one proxy-form transaction cli -> srv:port.
func (s *Stage) proxyObserve(ev *event.Event, cli, srv netip.Addr, port int64, connect, abs bool, status int64, hd *hdrs, target string) {
	if s.approved(srv, port) || s.allowedAddr(srv) {
		return
	}
	srvIn, cliIn := s.internal(srv), s.internal(cli)
	if (!srvIn && !cliIn) || cli == srv {
		return
	}
	ps := s.proxyState(srv, port, true)
	if srvIn {
		s.relayCandidate(srv, port, true)
	}
	changed := false
	bump := func(p *int64) {
		if *p == 0 {
			changed = true
		}
		*p++
	}
	ok := status >= 200 && status < 400
	switch {
	case connect:
		ps.Connect++
		if status >= 200 && status < 300 {
			bump(&ps.ConnectOK)
		} else if status >= 400 && status != 407 {
			ps.ConnectRefused++
		}
	case abs:
		ps.Abs++
		if ok {
			bump(&ps.AbsOK)
		}
	}
	if status == 407 {
		bump(&ps.Auth407)
	}
	if hd.respProxyAuth || hd.respProxyAgent {
		bump(&ps.RespHdr)
	}
	if hd.reqProxyAuthz {
		bump(&ps.ReqAuth)
	}
	if hd.viaProxies > 0 && ok && (connect || abs) {
		bump(&ps.ViaProxy)
	}
	if hd.reqProxyConn {
		ps.ReqConn++
	}
	if cliIn {
		if ps.S.Clients.add(cli, capClients) {
			changed = true
		}
		if !ps.FirstClient.IsValid() || ev.Time.UnixNano() < ps.FirstUse {
			ps.FirstClient, ps.FirstUse = cli, ev.Time.UnixNano()
		}
	} else if ps.ExtClients.add(cli, 8) {
		changed = true
	}
	if target != "" && (connect || abs) {
		if ps.Targets.add(target, capTargets) && len(ps.Targets.L) <= 2 {
			changed = true
		}
	}
	ps.S.touch(ev)
	s.consider(&ps.S, ev, changed, func() *verdict { return s.assessProxy(ps) })
	if hd.viaProxies >= 2 && ok && cliIn {
		s.chainVia(ev, srv, port, cli, hd.viaProxies, hd.viaUpstream)
	}
}

// proxyTunnel records a flow that switched from HTTP to TLS: a CONNECT
// tunnel through srv:port (even when the http record was not logged).
func (s *Stage) proxyTunnel(ev *event.Event, cli, srv netip.Addr, port int64) {
	if s.approved(srv, port) || s.allowedAddr(srv) || cli == srv {
		return
	}
	srvIn, cliIn := s.internal(srv), s.internal(cli)
	if !srvIn && !cliIn {
		return
	}
	ps := s.proxyState(srv, port, true)
	if srvIn {
		s.relayCandidate(srv, port, true)
	}
	changed := ps.Tunnels == 0
	ps.Tunnels++
	if cliIn {
		if ps.S.Clients.add(cli, capClients) {
			changed = true
		}
		if !ps.FirstClient.IsValid() {
			ps.FirstClient, ps.FirstUse = cli, ev.Time.UnixNano()
		}
	} else {
		ps.ExtClients.add(cli, 8)
	}
	ps.S.touch(ev)
	s.consider(&ps.S, ev, changed, func() *verdict { return s.assessProxy(ps) })
}

func (s *Stage) assessProxy(ps *proxyState) *verdict {
	strong := ps.ConnectOK + ps.Tunnels + ps.Auth407 + ps.RespHdr + ps.ViaProxy
	targets := ps.Targets.More + int64(distinctSites(ps.Targets.L))
	if strong == 0 && !(ps.AbsOK > 0 && (targets >= 2 || ps.ReqAuth+ps.ReqConn > 0)) && ps.Relayed < minRelayed {
		return nil
	}
	nInt := ps.S.Clients.n()
	if nInt == 0 && strong == 0 {
		// only Internet clients sending absolute URIs: a web server
		// answering open-proxy probes with its own page, not a proxy
		return nil
	}
	v := &verdict{Dst: ps.Addr, DstPort: ps.Port, HopCount: 1}
	if ps.FirstClient.IsValid() {
		v.Src = ps.FirstClient
	} else if len(ps.ExtClients.L) > 0 {
		v.Src = ps.ExtClients.L[0]
	}
	var proof []string
	if ps.ConnectOK > 0 {
		proof = append(proof, fmt.Sprintf("%d CONNECT tunnels opened", ps.ConnectOK))
	}
	if ps.Tunnels > 0 {
		proof = append(proof, fmt.Sprintf("%d flows switched from HTTP to TLS", ps.Tunnels))
	}
	if ps.AbsOK > 0 {
		proof = append(proof, fmt.Sprintf("%d absolute-URI requests relayed", ps.AbsOK))
	}
	if ps.Auth407 > 0 {
		proof = append(proof, fmt.Sprintf("%d 407 challenges", ps.Auth407))
	}
	if ps.RespHdr > 0 {
		proof = append(proof, fmt.Sprintf("%d Proxy-Authenticate/Proxy-Agent answers", ps.RespHdr))
	}
	if ps.ViaProxy > 0 {
		proof = append(proof, fmt.Sprintf("%d proxy requests answered with its own Via", ps.ViaProxy))
	}
	if strong == 0 && ps.AbsOK == 0 {
		proof = append(proof, fmt.Sprintf("%d inbound sessions relayed to other hosts with the same timing and volume", ps.Relayed))
		v.add(30, "relays other hosts' sessions ("+strings.Join(proof, ", ")+") on port "+fmt.Sprint(ps.Port)+" and is not an approved proxy")
	} else {
		v.add(40, "accepts forward-proxy requests ("+strings.Join(proof, ", ")+") and is not an approved proxy")
	}
	who := ps.S.Clients.strings()
	if ps.Internal {
		v.Title = fmt.Sprintf("Unapproved internal HTTP proxy %s used by %d host(s)", ps.S.Key, nInt)
		v.add(10, "internal host relaying other hosts' web traffic (T1090.001)")
		if n := ps.ExtClients.n(); n > 0 {
			v.add(20, fmt.Sprintf("reachable from the Internet: %d external client(s) used it (open proxy)", n))
		}
	} else {
		v.Title = fmt.Sprintf("Internal host(s) use external HTTP proxy %s", ps.S.Key)
		v.add(15, "internal hosts send their web traffic through an external proxy (T1090.002), out of sight of the approved proxies")
	}
	if ps.Auth407+ps.ReqAuth > 0 {
		v.add(10, "clients authenticate to it (407 / Proxy-Authorization): configured on purpose")
	}
	switch {
	case nInt >= s.opt.SeveralHosts:
		v.trigger(20, fmt.Sprintf("same behaviour across %d internal hosts (%s)", nInt, strings.Join(firstN(who, 5), ", ")), trigSeveral)
	case nInt >= 2:
		v.add(10, fmt.Sprintf("used by %d internal hosts", nInt))
	}
	if ps.Relayed > 0 && (strong > 0 || ps.AbsOK > 0) {
		v.add(10, fmt.Sprintf("relays: %d inbound flows paired with its own outbound flows of the same timing and volume", ps.Relayed))
	}
	if ps.Upstream != "" {
		v.add(10, "forwards to another proxy, "+ps.Upstream+" (see the proxy_chain finding)")
	}
	if !ps.Internal {
		s.externalContext(v, ps.Addr, ps.FirstUse)
	}
	if t, ok := s.st.NewIPs.at(akey('s', ps.Addr)); ok {
		v.add(5, "first contact of the organisation with "+ps.Addr.String()+" at "+rfc3339(t))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s answered as a forward proxy: %s.", s.hostLabel(ps.Addr)+portSuffix(ps.Port), strings.Join(proof, ", "))
	if nInt > 0 {
		fmt.Fprintf(&b, " Internal clients: %s", strings.Join(firstN(who, 10), ", "))
		if ps.S.Clients.More > 0 {
			fmt.Fprintf(&b, " and more")
		}
		fmt.Fprintf(&b, "; first used by %s at %s.", ps.FirstClient, rfc3339(ps.FirstUse))
	}
	if len(ps.Targets.L) > 0 {
		fmt.Fprintf(&b, " Destinations asked through it: %s.", strings.Join(firstN(ps.Targets.L, 8), ", "))
	}
	b.WriteString(" It is not in approved_proxies.")
	if s.opt.Hosts != nil && ps.Internal {
		if c, ok := s.opt.Hosts.Get(ps.Addr); ok {
			for _, r := range c.Roles {
				if r.Name == "http proxy" {
					fmt.Fprintf(&b, " Host Insights: role http proxy (%s, %s): %s.", r.Mode, r.Confidence, r.Why)
				}
			}
		}
	}
	v.Explanation = b.String()
	for _, t := range ps.Targets.L {
		if len(ps.S.Domains.L) < 8 {
			ps.S.Domains.add(t, capDomains)
		}
	}
	return v
}

const minRelayed = 3

// proxyRelayed records an inbound session of cli to p:port that p relayed
// (flow pairing). Without protocol evidence, repeated relaying on a proxy
// or SOCKS port makes p a relay (port forwarder, SOCKS server).
func (s *Stage) proxyRelayed(ev *event.Event, p netip.Addr, port int64, cli netip.Addr) {
	ps := s.st.Proxies.peek(apkey('p', p, port))
	if ps == nil {
		if !s.enabled(DetProxy) || port <= 0 || port > 65535 || s.allowedAddr(p) || s.approved(p, port) {
			return
		}
		_, pp := s.lst().ProxyPort(uint16(port))
		if !pp && !s.isSOCKSPort(port) {
			return
		}
		ps = s.proxyState(p, port, true)
	}
	ps.Relayed++
	changed := ps.Relayed == minRelayed
	if s.internal(cli) {
		if ps.S.Clients.add(cli, capClients) {
			changed = true
		}
		if !ps.FirstClient.IsValid() {
			ps.FirstClient, ps.FirstUse = cli, ev.Time.UnixNano()
		}
	}
	ps.S.touch(ev)
	s.consider(&ps.S, ev, changed, func() *verdict { return s.assessProxy(ps) })
}

// distinctSites counts the registered domains among names (a server
// answering absolute URIs for its own www. and bare names is one site).
func distinctSites(names []string) int {
	var seen []string
	for _, n := range names {
		r := domain.Registered(n)
		if r == "" {
			r = n
		}
		if !slices.Contains(seen, r) {
			seen = append(seen, r)
		}
	}
	return len(seen)
}

// externalContext adds what is known of an external address: a fresh
// free-CA certificate served by it, a dynamic-DNS name clients resolved.
func (s *Stage) externalContext(v *verdict, a netip.Addr, firstUse int64) {
	if fc := s.st.FreeCert.peek(akey('f', a)); fc != nil {
		txt := "the address also serves a " + fc.CA + " certificate (" + fc.Subject + ")"
		if fc.NotBefore != 0 && firstUse != 0 && firstUse >= fc.NotBefore {
			days := time.Duration(firstUse-fc.NotBefore).Hours() / 24
			txt += fmt.Sprintf(", issued %.0f days before first use", days)
		}
		v.add(10, txt)
	}
	if dn := s.st.DynIP.peek(akey('d', a)); dn != nil {
		v.add(10, "clients reach it through the dynamic-DNS name "+dn.V)
	}
}

func portSuffix(p int64) string {
	if p <= 0 {
		return ""
	}
	return fmt.Sprintf(" port %d", p)
}

func firstN(l []string, n int) []string {
	if len(l) > n {
		return l[:n]
	}
	return l
}

// ---- many Host names on relative URIs (review only) ----------------------

// virtState counts the sites an internal server answers for on a proxy
// port with origin-form requests. Many unrelated sites behind one address
// is what a transparent or reverse proxy (or virtual hosting) looks like;
// it is never protocol proof of a forward proxy, so the finding is review
// only and never escalates.
type virtState struct {
	S     subject
	Sites strSet // registered domains
}

const virtMinSites = 5

func (s *Stage) virtHosts(ev *event.Event, cli, srv netip.Addr, port int64, host string) {
	if port <= 0 || port > 65535 || s.approved(srv, port) || s.allowedAddr(srv) {
		return
	}
	label, ok := s.lst().ProxyPort(uint16(port))
	if !ok || strings.HasPrefix(label, "tor") {
		return
	}
	reg := domain.Registered(host)
	if reg == "" {
		return
	}
	k := apkey('v', srv, port)
	vs := s.st.Virt.get(k)
	if vs == nil {
		vs, _ = s.st.Virt.put(k, func() *virtState { return &virtState{} })
		vs.S = *newSubject(DetVirtHosts, KindPossibleRelay, techInternal, srvKey(srv, port))
		vs.S.Proxy = srvKey(srv, port)
	}
	changed := vs.Sites.add(reg, 16)
	vs.S.Clients.add(cli, capClients)
	vs.S.touch(ev)
	s.consider(&vs.S, ev, changed, func() *verdict { return s.assessVirt(vs, cli, srv, port) })
}

func (s *Stage) assessVirt(vs *virtState, cli, srv netip.Addr, port int64) *verdict {
	n := len(vs.Sites.L)
	if n < virtMinSites {
		return nil
	}
	v := &verdict{Src: cli, Dst: srv, DstPort: port}
	v.Title = fmt.Sprintf("%s answers for %d different sites on proxy port %d", srv, n, port)
	v.add(15, fmt.Sprintf("answers origin-form requests for %d unrelated sites (%s) on a proxy port: transparent or reverse proxy, or virtual hosting; no forward-proxy protocol proof", n, strings.Join(firstN(vs.Sites.L, 6), ", ")))
	v.Explanation = "Weak signal (FEVER-style proxy map): many Host values on relative URIs. Reverse proxies and virtual hosts look the same; review only, never escalated on its own."
	return v
}
