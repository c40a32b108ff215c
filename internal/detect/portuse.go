package detect

import (
	"fmt"
	"github.com/nethunt/nethunt/internal/human"
	"net/netip"
	"strings"

	"github.com/nethunt/nethunt/internal/event"
)

// portState: detector proxy_port, one subject per external endpoint
// ip:port on a proxy or SOCKS port (or an internal one named by a SOCKS
// alert). Suricata has no SOCKS parser, so SOCKS shows as unrecognised TCP
// (app_proto failed or none) on SOCKS ports, or in alert signatures.
// Port-only evidence is weak: plain HTTP or short TLS to 8080 is a web
// server, not a proxy, and is not counted. Counted:
//   - SOCKS alerts (signature mentions SOCKS);
//   - answered unrecognised TCP sessions on SOCKS ports;
//   - long-lived TLS (>= 10 min) to labelled proxy ports;
//   - bulk (>= 1 MiB) unrecognised sessions to labelled proxy ports.
//
// CONNECT tunnels to external proxies are the unapproved_http_proxy
// detector's; Tor ports are the tor detector's.
type portState struct {
	S           subject
	Label       string
	Internal    bool
	SocksAlerts int64
	Sig         string
	SocksParsed int64 // sessions a SOCKS-aware sensor named socks
	SocksFlows  int64
	SocksBulk   int64
	LongTLS     int64
	Bulk        int64
	Bytes       int64
	MaxAge      int64
}

const (
	longTLSAge  = 600     // seconds
	bulkBytes   = 1 << 20 // bytes
	socksBulkB  = 64 << 10
	socksBulkAg = 60
)

func (s *Stage) portSubject(cli, srv netip.Addr, port int64, label string) *portState {
	ps, created := s.st.PortUse.put(apkey('x', srv, port), func() *portState { return &portState{} })
	if created {
		internal := s.internal(srv)
		tech := techExternal
		if internal {
			tech = techInternal
		}
		ps.S = *newSubject(DetPortUse, KindExternalProxy, tech, srvKey(srv, port))
		ps.S.Proxy = srvKey(srv, port)
		ps.Label, ps.Internal = label, internal
		if !internal {
			ps.S.Dests.add(srv.String(), capDests)
		}
	}
	return ps
}

// portUse looks at one outbound flow to an external endpoint.
func (s *Stage) portUse(ev *event.Event, cli, srv netip.Addr, port int64) {
	if port <= 0 || port > 65535 || ev.AppProtoOrig == "http" {
		return
	}
	label, pp := s.lst().ProxyPort(uint16(port))
	socks := s.isSOCKSPort(port)
	parsed := strings.HasPrefix(strings.ToLower(ev.AppProto), "socks") // a sensor that parses SOCKS
	if parsed {
		socks = true
	}
	if !pp && !socks {
		return
	}
	if strings.HasPrefix(label, "tor-") && !socks {
		return
	}
	if socks && label == "" {
		label = "socks"
	}
	if s.allowedAddr(srv) || s.approved(srv, port) {
		return
	}
	f := ev.Flow
	app := ev.AppProto
	unknown := app == "" || app == "failed"
	answered := f.PktsToClient > 0
	bytes := f.BytesToServer + f.BytesToClient
	var field *int64
	var bulk bool
	var ps *portState
	switch {
	case parsed:
		ps = s.portSubject(cli, srv, port, label)
		field = &ps.SocksParsed
	case socks && unknown && answered:
		ps = s.portSubject(cli, srv, port, label)
		field = &ps.SocksFlows
		bulk = bytes >= socksBulkB || f.Age >= socksBulkAg
	case app == "tls" && f.Age >= longTLSAge && label != "proxy-range":
		ps = s.portSubject(cli, srv, port, label)
		field = &ps.LongTLS
	case unknown && answered && bytes >= bulkBytes && label != "proxy-range":
		ps = s.portSubject(cli, srv, port, label)
		field = &ps.Bulk
	default:
		return
	}
	changed := *field == 0
	*field++
	if bulk {
		if ps.SocksBulk == 0 {
			changed = true
		}
		ps.SocksBulk++
	}
	ps.Bytes += bytes
	ps.MaxAge = max(ps.MaxAge, f.Age)
	if ps.S.Clients.add(cli, capClients) {
		changed = true
	}
	ps.S.touch(ev)
	s.consider(&ps.S, ev, changed, func() *verdict { return s.assessPort(ps, cli, srv, port) })
}

// portAlert records an alert whose signature mentions SOCKS.
func (s *Stage) portAlert(ev *event.Event, cli, srv netip.Addr, port int64, sig string) {
	if s.allowedAddr(srv) || s.approved(srv, port) {
		return
	}
	ps := s.portSubject(cli, srv, port, "socks")
	changed := ps.SocksAlerts == 0
	ps.SocksAlerts++
	if ps.Sig == "" {
		ps.Sig = clipStr(sig, 120)
	}
	if s.internal(cli) && ps.S.Clients.add(cli, capClients) {
		changed = true
	}
	ps.S.touch(ev)
	s.consider(&ps.S, ev, changed, func() *verdict { return s.assessPort(ps, cli, srv, port) })
}

func (s *Stage) assessPort(ps *portState, cli, srv netip.Addr, port int64) *verdict {
	socks := ps.SocksAlerts > 0 || ps.SocksParsed > 0 || (ps.SocksFlows >= 2 && ps.SocksBulk >= 1)
	if !socks && ps.LongTLS == 0 && ps.Bulk < 2 {
		return nil
	}
	if socks {
		ps.S.Kind = KindSOCKS
	}
	v := &verdict{Src: cli, Dst: srv, DstPort: port, HopCount: 1}
	n := ps.S.Clients.n()
	if ps.SocksAlerts > 0 {
		v.add(40, fmt.Sprintf("IDS signature for SOCKS: %q (%d alerts)", ps.Sig, ps.SocksAlerts))
	}
	if ps.SocksParsed > 0 {
		v.add(40, fmt.Sprintf("%d sessions recognised as SOCKS by the sensor", ps.SocksParsed))
	}
	if ps.SocksFlows > 0 {
		v.add(30, fmt.Sprintf("%d answered sessions of an unrecognised protocol on SOCKS port %d (%d bulk tunnels; Suricata has no SOCKS parser)", ps.SocksFlows, port, ps.SocksBulk))
	}
	if ps.LongTLS > 0 {
		v.add(25, fmt.Sprintf("%d long-lived TLS sessions (>= 10 min, longest %s) to proxy port %d (%s)", ps.LongTLS, humanSecs(float64(ps.MaxAge)), port, ps.Label))
	}
	if ps.Bulk > 0 {
		v.add(20, fmt.Sprintf("%d bulk sessions of an unrecognised protocol to proxy port %d (%s)", ps.Bulk, port, ps.Label))
	}
	if ps.Internal {
		v.add(10, "an internal host answers as a SOCKS proxy (T1090.001)")
	} else {
		v.add(10, "internal hosts relay through an external endpoint on a proxy port (T1090.002), out of sight of the approved proxies")
		s.externalContext(v, srv, ps.S.First)
		if t, ok := s.st.NewIPs.at(akey('s', srv)); ok {
			v.add(5, "first contact of the organisation with "+srv.String()+" at "+rfc3339(t))
		}
	}
	if n >= s.opt.SeveralHosts && socks {
		v.trigger(20, fmt.Sprintf("same behaviour across %d internal hosts", n), trigSeveral)
	} else if n >= 2 {
		v.add(10, fmt.Sprintf("used by %d internal hosts", n))
	}
	what := "proxy port"
	if socks {
		what = "SOCKS proxy"
	}
	v.Title = fmt.Sprintf("%s used by %d internal host(s): %s", strings.ToUpper(what[:1])+what[1:], n, ps.S.Key)
	v.Explanation = fmt.Sprintf("%s (%s) carried %s over %d session(s) from %s. A port is weak evidence on its own; the sessions' protocol, duration and volume are what count here.",
		ps.S.Key, ps.Label, human.Bytes(ps.Bytes), ps.S.Count, strings.Join(firstN(ps.S.Clients.strings(), 6), ", "))
	return v
}
