package detect

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/nethunt/nethunt/internal/event"
)

// newDestState: detector new_destination (T1090), one subject per
// external ip:port first contacted by the organisation on a proxy-like
// service: a labelled proxy port (3128, 8080, 8118, 8888, 4444; Tor ports are
// left to the tor detector),
// a SOCKS port, or the 8000-8999 range with an unrecognised protocol. It
// reads the sighting events of the batch (key "service": a server
// answering on a port for the first time; "client_service": a client using
// it for the first time), so the sightings stage must run first and the
// learning period applies.
type newDestState struct {
	S     subject
	Port  int64
	Label string
	App   string
}

func (s *Stage) onSighting(ev *event.Event) {
	sg := ev.Sighting
	switch sg.Key {
	case "service":
		asset, err := netip.ParseAddr(sg.Asset)
		if err != nil || s.internal(asset) {
			return
		}
		t := ev.Time.UnixNano()
		k := akey('s', asset)
		if _, ok := s.st.NewIPs.at(k); !ok {
			s.st.NewIPs.set(k, t)
		}
		port, app, ok := serviceParts(sg.Value)
		if !ok {
			return
		}
		cli := ev.SrcIP
		if sg.AssetSide == "src" {
			cli = ev.DestIP
		}
		s.newDest(ev, cli, asset, port, app)
	case "client_service":
		// "client->server:port/app"
		c, rest, ok := strings.Cut(sg.Value, "->")
		if !ok {
			return
		}
		hp, app, ok := strings.Cut(rest, "/")
		if !ok {
			return
		}
		ap, err := netip.ParseAddrPort(hp)
		if err != nil || s.internal(ap.Addr()) {
			return
		}
		cli, err := netip.ParseAddr(c)
		if err != nil {
			return
		}
		if s.st.NewDest.peek(apkey('n', ap.Addr(), int64(ap.Port()))) != nil {
			s.newDest(ev, cli, ap.Addr(), int64(ap.Port()), app)
		}
	}
}

// serviceParts splits a service sighting value "ip/port/app".
func serviceParts(v string) (port int64, app string, ok bool) {
	i := strings.LastIndexByte(v, '/')
	if i <= 0 {
		return 0, "", false
	}
	app = v[i+1:]
	j := strings.LastIndexByte(v[:i], '/')
	if j < 0 {
		return 0, "", false
	}
	p, err := strconv.ParseInt(v[j+1:i], 10, 64)
	if err != nil || p <= 0 || p > 65535 {
		return 0, "", false
	}
	return p, app, true
}

func (s *Stage) newDest(ev *event.Event, cli, srv netip.Addr, port int64, app string) {
	if !s.enabled(DetNewDest) || !s.internal(cli) || s.allowedAddr(srv) || s.approved(srv, port) {
		return
	}
	label, pp := s.lst().ProxyPort(uint16(port))
	socks := s.isSOCKSPort(port)
	unknown := app == "unknown" || app == "failed" || app == ""
	switch {
	case strings.HasPrefix(label, "tor-") && !socks:
		return // the tor detector's
	case socks:
		if label == "" {
			label = "socks"
		}
	case pp && label != "proxy-range":
	case pp && unknown:
	default:
		return
	}
	ns, created := s.st.NewDest.put(apkey('n', srv, port), func() *newDestState { return &newDestState{} })
	if created {
		ns.S = *newSubject(DetNewDest, KindNewDest, techProxy, srvKey(srv, port))
		ns.S.Dests.add(srv.String(), capDests)
		ns.Port, ns.Label, ns.App = port, label, app
	}
	changed := ns.S.Clients.add(cli, capClients)
	ns.S.touch(ev)
	s.consider(&ns.S, ev, changed, func() *verdict { return s.assessNewDest(ns, cli, srv, port) })
}

func (s *Stage) assessNewDest(ns *newDestState, cli, srv netip.Addr, port int64) *verdict {
	unknown := ns.App == "unknown" || ns.App == "failed" || ns.App == ""
	v := &verdict{Src: cli, Dst: srv, DstPort: port}
	v.add(15, fmt.Sprintf("first contact of the organisation with %s (%s port, %s)", srvKey(srv, port), ns.Label, ns.App))
	if unknown {
		v.add(10, "unrecognised protocol (SOCKS, custom tunnels and Tor do not parse as HTTP or TLS)")
	}
	n := ns.S.Clients.n()
	if n >= s.opt.SeveralHosts {
		v.trigger(20, fmt.Sprintf("%d internal hosts started using this new endpoint", n), trigSeveral)
	}
	s.externalContext(v, srv, ns.S.First)
	v.Title = fmt.Sprintf("New external %s service %s used by %s", ns.Label, srvKey(srv, port), strings.Join(firstN(ns.S.Clients.strings(), 3), ", "))
	v.Explanation = fmt.Sprintf("Nobody in the organisation had talked to %s before %s (sightings). Proxy-like services that appear out of nowhere are where new relays and C2 show first; on its own this is context for review.",
		srvKey(srv, port), rfc3339(ns.S.First))
	return v
}
