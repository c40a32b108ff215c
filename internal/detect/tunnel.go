package detect

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/nethunt/nethunt/internal/event"
)

// tunnelState: detector tunnel_service (T1090, with T1572 protocol
// tunnelling), one subject per (internal host, tunnel name). Evidence: the
// name asked in DNS, TLS / QUIC SNI, HTTP Host or a CNAME into a
// tunnelling service (reflist tunnels: ngrok, trycloudflare, localtunnel,
// serveo, pagekite, portmap, devtunnels, ...).
type tunnelState struct {
	S       subject
	Service string
	Name    string
	DNS     int64
	Conns   int64
	B       beacon
	JA      strSet
}

// tunnelUsers counts the internal hosts using one tunnel name.
type tunnelUsers struct {
	Hosts addrSet
}

func (s *Stage) tunnelEvidence(ev *event.Event, cli, srv netip.Addr, svc, name, field string) {
	if !s.enabled(DetTunnel) || s.allowedName(name) || (srv.IsValid() && s.allowedAddr(srv)) {
		return
	}
	name = lowerASCII(strings.TrimSuffix(name, "."))
	ts, created := s.st.Tunnels.put(ankey('u', cli, name), func() *tunnelState { return &tunnelState{} })
	if created {
		ts.S = *newSubject(DetTunnel, KindTunnel, techProxy, cli.String()+" "+name)
		ts.S.Clients.add(cli, capClients)
		ts.S.Domains.add(name, capDomains)
		ts.Service, ts.Name = svc, name
	}
	changed := created
	users, _ := s.st.TunnelUsers.put(nkey('u', name), func() *tunnelUsers { return &tunnelUsers{} })
	if users.Hosts.add(cli, capClients) && users.Hosts.n() == s.opt.SeveralHosts {
		changed = true
	}
	switch ev.EventType {
	case "dns":
		ts.DNS++
	default:
		if ts.Conns == 0 {
			changed = true
		}
		ts.Conns++
		ts.B.add(ev.Time.UnixNano())
		if ev.TLS != nil {
			if ja := clientFingerprint(ev.TLS); ja != "" {
				ts.JA.add(ja, 4)
			}
		}
	}
	if srv.IsValid() && !s.internal(srv) {
		ts.S.Dests.add(srv.String(), capDests)
	}
	ts.S.touch(ev)
	s.consider(&ts.S, ev, changed, func() *verdict { return s.assessTunnel(ts, users, cli, srv, field) })
}

func (s *Stage) assessTunnel(ts *tunnelState, users *tunnelUsers, cli, srv netip.Addr, field string) *verdict {
	v := &verdict{Src: cli, HopCount: 1}
	if srv.IsValid() && !s.internal(srv) {
		v.Dst = srv
	}
	v.Title = fmt.Sprintf("%s uses tunnelling service %s (%s)", cli, ts.Service, ts.Name)
	v.add(30, fmt.Sprintf("tunnelling-service name %s (%s): traffic relayed through the provider to a host it hides", ts.Name, ts.Service))
	if ts.Conns > 0 {
		v.add(10, fmt.Sprintf("%d connections to it (TLS / HTTP / QUIC), %d DNS lookups", ts.Conns, ts.DNS))
	}
	if ok, med := ts.B.regular(6); ok {
		v.add(20, "regular check-ins about every "+humanSecs(med)+" (machine, not a person)")
	}
	if len(ts.JA.L) > 0 && s.jaExclusive(cli, ts.JA.L[0], ts.Conns) {
		v.add(10, "its TLS client ("+ts.JA.L[0]+") is used for nothing else on the host: not the host's browser")
	}
	if n := users.Hosts.n(); n >= s.opt.SeveralHosts {
		v.trigger(20, fmt.Sprintf("same tunnel used by %d internal hosts", n), trigSeveral)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s asked for %s, a %s tunnelling-service name", s.hostLabel(cli), ts.Name, ts.Service)
	if ts.Conns > 0 {
		fmt.Fprintf(&b, ", and connected %d times", ts.Conns)
		if len(ts.S.Dests.L) > 0 {
			fmt.Fprintf(&b, " to %s", strings.Join(firstN(ts.S.Dests.L, 4), ", "))
		}
	}
	b.WriteString(". Tunnels publish a host behind NAT through the provider's relays and are used to reach C2 or exfiltrate without a direct connection (T1090, T1572). Confirm with the host owner; developers use them legitimately.")
	v.Explanation = b.String()
	return v
}
