package detect

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/nethunt/nethunt/internal/event"
)

// Flow pairing (detector proxy_chain, T1090.003).
//
// An internal host that relays (a forward proxy, a SOCKS server, a port
// forwarder) is a candidate. For each candidate the last inbound and
// outbound flows are kept; an inbound flow C->P and an outbound flow P->Q
// pair when Q's flow starts 0-5 s after C's, both end within 5 s of each
// other and both directions carry the same volume (within 10% or 2 KiB,
// at least 4 KiB). Pairs say P relays C's traffic to Q. When P's pairs
// concentrate on one upstream Q that is a proxy (a proxy port, or P sent
// it CONNECT / absolute-URI requests), the path C -> P -> Q is a chain.
//
// Header evidence: a proxy (or a host forwarding someone's request, with
// Via / X-Forwarded-For) that sends CONNECT or absolute-URI requests to
// another proxy. Hops are counted from the request's Via and
// X-Forwarded-For entries plus the upstream proxy itself.
const (
	relayRing      = 32
	pairStartSlack = 5 * time.Second
	pairEndSlack   = 5 * time.Second
	pairMinBytes   = 4096
	pairAbsSlack   = 2048
)

type relayFlow struct {
	Flow       uint64
	Start, End int64
	Up, Down   int64
	Peer       netip.Addr
	Port       int64 // the candidate's port (inbound) or the peer's (outbound)
	Matched    bool
}

type upstream struct {
	Q    netip.Addr
	Port int64
	N    int64
}

// relayHost is a relay candidate's recent flows and pairing results.
type relayHost struct {
	IsProxy bool
	Port    int64 // the port it relays on (0 = any)
	In      [relayRing]relayFlow
	NIn     int
	Out     [relayRing]relayFlow
	NOut    int
	Pairs   int64
	Ups     [8]upstream
	Clients addrSet
}

func (s *Stage) relayCandidate(p netip.Addr, port int64, isProxy bool) *relayHost {
	if !s.enabled(DetChain) || !s.internal(p) || s.approvedHost(p) {
		return nil
	}
	rh, _ := s.st.Relays.put(akey('r', p), func() *relayHost { return &relayHost{} })
	if isProxy {
		rh.IsProxy = true
	}
	if port > 0 && (rh.Port == 0 || isProxy) {
		rh.Port = port
	}
	return rh
}

func flowTimes(ev *event.Event) (start, end int64) {
	f := ev.Flow
	st, err1 := event.ParseTime(f.Start)
	en, err2 := event.ParseTime(f.End)
	if err1 != nil || err2 != nil {
		t := ev.Time.UnixNano()
		return t, t
	}
	return st.UnixNano(), en.UnixNano()
}

func near(a, b int64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= max(pairAbsSlack, max(a, b)/10)
}

func pairs(in, out *relayFlow) bool {
	d := out.Start - in.Start
	if d < 0 || d > int64(pairStartSlack) {
		return false
	}
	e := out.End - in.End
	if e < -int64(pairEndSlack) || e > int64(pairEndSlack) {
		return false
	}
	if max(in.Down, out.Down, in.Up, out.Up) < pairMinBytes {
		return false
	}
	return in.Peer != out.Peer && near(in.Down, out.Down) && near(in.Up, out.Up)
}

// relayFlow feeds a flow record to the pairing of its endpoints.
func (s *Stage) relayFlow(ev *event.Event, cli, srv netip.Addr, sport int64) {
	if !s.enabled(DetChain) {
		return
	}
	f := ev.Flow
	if f.PktsToClient <= 0 || ev.Proto != "TCP" && ev.Proto != "tcp" {
		return
	}
	in := s.st.Relays.peek(akey('r', srv))
	out := s.st.Relays.peek(akey('r', cli))
	if in == nil && out == nil {
		return
	}
	start, end := flowTimes(ev)
	if in != nil && (in.Port != 0 && sport != in.Port) {
		in = nil
	}
	if in == nil && out == nil {
		return
	}
	if in != nil && !s.approvedHost(srv) {
		rf := relayFlow{Flow: ev.FlowID, Start: start, End: end, Up: f.BytesToServer, Down: f.BytesToClient, Peer: cli, Port: sport}
		for i := 0; i < min(in.NOut, relayRing); i++ {
			o := &in.Out[i]
			if !o.Matched && pairs(&rf, o) {
				o.Matched, rf.Matched = true, true
				s.paired(ev, srv, in, &rf, o)
				break
			}
		}
		in.In[in.NIn%relayRing] = rf
		in.NIn++
	}
	if out != nil && !s.approvedHost(cli) {
		rf := relayFlow{Flow: ev.FlowID, Start: start, End: end, Up: f.BytesToServer, Down: f.BytesToClient, Peer: srv, Port: sport}
		for i := 0; i < min(out.NIn, relayRing); i++ {
			x := &out.In[i]
			if !x.Matched && pairs(x, &rf) {
				x.Matched, rf.Matched = true, true
				s.paired(ev, cli, out, x, &rf)
				break
			}
		}
		out.Out[out.NOut%relayRing] = rf
		out.NOut++
	}
}

// paired records that p relayed in (client -> p) as out (p -> upstream).
func (s *Stage) paired(ev *event.Event, p netip.Addr, rh *relayHost, in, out *relayFlow) {
	rh.Pairs++
	rh.Clients.add(in.Peer, capClients)
	s.proxyRelayed(ev, p, in.Port, in.Peer)
	var u *upstream
	mi := 0
	for i := range rh.Ups {
		if rh.Ups[i].Q == out.Peer && rh.Ups[i].Port == out.Port {
			u = &rh.Ups[i]
			break
		}
		if rh.Ups[i].N < rh.Ups[mi].N {
			mi = i
		}
	}
	if u == nil {
		rh.Ups[mi] = upstream{Q: out.Peer, Port: out.Port}
		u = &rh.Ups[mi]
	}
	u.N++
	if u.N < 2 || u.N*2 < rh.Pairs || s.allowedAddr(u.Q) {
		return
	}
	// concentration on one upstream that is a proxy
	isProxy := false
	if u.Port > 0 && u.Port < 65536 {
		if _, ok := s.lst().ProxyPort(uint16(u.Port)); ok {
			isProxy = true
		}
	}
	if s.isSOCKSPort(u.Port) || s.st.Proxies.peek(apkey('p', u.Q, u.Port)) != nil {
		isProxy = true
	}
	if !isProxy {
		return
	}
	cs := s.chainState(p, in.Port)
	cs.upstream(s, u.Q, u.Port)
	changed := cs.FlowPairs < 2
	cs.FlowPairs++
	cs.Clients(in.Peer)
	cs.S.touchRef(evRef{F: in.Flow})
	cs.S.touch(ev)
	s.consider(&cs.S, ev, changed, func() *verdict { return s.assessChain(cs) })
}

// chainState: one subject per pivot (a proxy that relays to another
// proxy), with the upstreams it was seen relaying to.
type chainState struct {
	S          subject
	P, Q       netip.Addr // pivot and first upstream seen (Q invalid: only Via names)
	PPort      int64
	QPort      int64
	Upstreams  strSet // ip:port of upstream proxies, or "via:<name>"
	HeaderReqs int64
	FlowPairs  int64
	ViaResp    int64 // answers to clients naming two or more proxies in Via
	Hops       int64
	Targets    strSet
}

func (cs *chainState) Clients(a netip.Addr) { cs.S.Clients.add(a, capClients) }

func (s *Stage) chainState(p netip.Addr, pport int64) *chainState {
	cs, created := s.st.Chains.put(akey('c', p), func() *chainState { return &chainState{} })
	if created {
		cs.S = *newSubject(DetChain, KindChain, techMultiHop, "pivot "+p.String())
		cs.P = p
		cs.S.Proxy = p.String()
	}
	if pport > 0 && cs.PPort == 0 {
		cs.PPort = pport
		cs.S.Proxy = srvKey(p, pport)
	}
	return cs
}

// upstream records an upstream proxy q:port of the pivot.
func (cs *chainState) upstream(s *Stage, q netip.Addr, qport int64) {
	if !cs.Q.IsValid() {
		cs.Q, cs.QPort = q, qport
	}
	cs.Upstreams.add(srvKey(q, qport), 8)
	if !s.internal(q) {
		cs.S.Dests.add(q.String(), capDests)
	}
}

// chainHeader: p sends a proxy-form request to q:port.
func (s *Stage) chainHeader(ev *event.Event, p, q netip.Addr, port int64, hd *hdrs, target string) {
	if !s.internal(p) || s.approvedHost(p) || s.allowedAddr(q) || s.approved(q, port) {
		return
	}
	rh := s.st.Relays.peek(akey('r', p))
	forwarding := hd.reqVia > 0 || hd.reqXFF > 0
	if !forwarding && (rh == nil || !rh.IsProxy) {
		return
	}
	// the pivot's own listening port: from the proxy states of p
	pport := int64(0)
	if rh != nil {
		pport = rh.Port
	}
	cs := s.chainState(p, pport)
	cs.upstream(s, q, port)
	changed := cs.HeaderReqs < 2
	cs.HeaderReqs++
	hops := int64(max(hd.reqVia, hd.reqXFF)) + 1
	if hops > cs.Hops {
		cs.Hops = hops
		changed = true
	}
	if target != "" {
		cs.Targets.add(target, capTargets)
		if len(cs.S.Domains.L) < 6 {
			cs.S.Domains.add(target, capDomains)
		}
	}
	if rh != nil {
		for _, c := range rh.Clients.L {
			cs.Clients(c)
		}
	}
	if hd.xff != "" {
		for _, x := range strings.Split(hd.xff, ",") {
			if a, err := netip.ParseAddr(strings.TrimSpace(x)); err == nil && s.internal(a) && a != p {
				cs.Clients(a)
			}
		}
	}
	cs.S.touch(ev)
	s.consider(&cs.S, ev, changed, func() *verdict { return s.assessChain(cs) })
}

// chainVia: the proxy p (port pport) answered cli with a Via header
// naming n >= 2 proxies: it relays through upstream proxies (whose leg may
// not be visible), named by the other Via entries.
func (s *Stage) chainVia(ev *event.Event, p netip.Addr, pport int64, cli netip.Addr, n int, names []string) {
	if !s.enabled(DetChain) || s.approvedHost(p) || s.allowedAddr(p) {
		return
	}
	cs := s.chainState(p, pport)
	changed := cs.ViaResp < 2
	cs.ViaResp++
	for _, nm := range names {
		cs.Upstreams.add("via:"+nm, 8)
	}
	if int64(n) > cs.Hops {
		cs.Hops = int64(n)
		changed = true
	}
	if s.internal(cli) {
		cs.Clients(cli)
	}
	cs.S.touch(ev)
	s.consider(&cs.S, ev, changed, func() *verdict { return s.assessChain(cs) })
}

func (s *Stage) assessChain(cs *chainState) *verdict {
	if cs.HeaderReqs == 0 && cs.FlowPairs < 2 && cs.ViaResp < 2 {
		return nil
	}
	if rh := s.st.Relays.peek(akey('r', cs.P)); rh != nil {
		for _, c := range rh.Clients.L {
			cs.Clients(c)
		}
	}
	hops := max(cs.Hops, 2)
	v := &verdict{Src: cs.P, Dst: cs.Q, DstPort: cs.QPort, HopCount: hops, ExtraHosts: []netip.Addr{cs.P, cs.Q}}
	if len(cs.S.Clients.L) > 0 {
		v.Src = cs.S.Clients.L[0]
	}
	pk := cs.S.Proxy
	qk := strings.Join(firstN(cs.Upstreams.L, 3), ",")
	if qk == "" {
		qk = "?"
	}
	protocol := cs.HeaderReqs + cs.FlowPairs
	obf := protocol >= 2 || (cs.ViaResp >= 2 && (protocol > 0 || !s.internal(cs.P)))
	txt := fmt.Sprintf("proxy chain: %s relays its clients' traffic to the proxy %s", pk, qk)
	switch {
	case obf:
		v.trigger(40, txt+" (chaining hides the origin)", trigObfuscation)
	case protocol > 0:
		v.add(40, txt+" (seen once so far)")
	default:
		v.add(30, txt+" (upstream leg not visible: from Via only)")
	}
	if cs.HeaderReqs > 0 {
		v.add(15, fmt.Sprintf("%d CONNECT / absolute-URI requests from %s to %s, forwarded with Via / X-Forwarded-For", cs.HeaderReqs, pk, qk))
	}
	if cs.FlowPairs > 0 {
		v.add(20, fmt.Sprintf("%d inbound flows to %s matched outbound flows to %s within seconds and with the same volume", cs.FlowPairs, pk, qk))
	}
	if cs.ViaResp > 0 {
		v.add(10, fmt.Sprintf("%d answers to clients carry Via headers naming %d proxies", cs.ViaResp, hops))
	}
	if cs.Q.IsValid() && !s.internal(cs.Q) {
		v.add(10, "the chain leaves the network through an external proxy (T1090.002)")
		s.externalContext(v, cs.Q, cs.S.First)
	} else if !s.internal(cs.P) {
		v.add(10, "the chain runs through external proxies (T1090.002)")
	}
	path := strings.Join(firstN(cs.S.Clients.strings(), 3), ",")
	if path == "" {
		path = "?"
	}
	path += " -> " + pk + " -> " + qk
	if len(cs.Targets.L) > 0 {
		path += " -> " + strings.Join(firstN(cs.Targets.L, 3), ",")
	}
	v.Title = fmt.Sprintf("Proxy chain (%d hops): %s", hops, path)
	v.Explanation = fmt.Sprintf("Multi-hop proxy (T1090.003): %s. %s (%s) accepts proxy requests and sends them on to %s instead of the destinations. "+
		"Hop count %d = relaying proxies between the client and the destination, from Via / X-Forwarded-For entries plus the upstream proxy.",
		path, pk, s.hostLabel(cs.P), qk, hops)
	if cs.Q.IsValid() {
		if ps := s.st.Proxies.peek(apkey('p', cs.P, cs.PPort)); ps != nil && ps.Upstream == "" {
			ps.Upstream = srvKey(cs.Q, cs.QPort)
		}
	}
	return v
}
