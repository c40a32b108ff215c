package detect

import (
	"net/netip"
	"strings"

	"github.com/zeebo/xxh3"

	"github.com/nethunt/nethunt/internal/event"
)

// ipNames are the names one client resolved to one CDN address.
type ipNames struct {
	Names [3]string
	At    int64
}

// nameTag is a remembered label with its time (a CDN provider for a name,
// a dynamic-DNS name for an address).
type nameTag struct {
	V  string
	At int64
}

// onDNS learns what clients resolve (fronting and CDN checks need "the
// names this client resolved to this address" and "did anyone resolve this
// name") and hands every queried name to the name detectors (Tor, tunnels).
func (s *Stage) onDNS(ev *event.Event) {
	d := ev.DNS
	if len(d.Names) == 0 {
		return
	}
	cli, srv, _, sport := clientServer(ev)
	t := ev.Time.UnixNano()
	st := s.st
	if sport == 53 && srv.IsValid() {
		st.Resolvers.set(akey('R', srv), t)
	}
	qname := d.Names[0]
	// query and answer of one transaction: look at the names once
	k := xxh3.HashString(qname) ^ ev.FlowID*0x9e3779b97f4a7c15
	if slot := &st.DNSSeen[k%uint64(len(st.DNSSeen))]; *slot != k {
		*slot = k
		for _, n := range d.Names {
			st.Queried.set(nkey('q', n), t)
		}
		// a resolver forwarding its clients' queries is not the asker
		if _, resolver := st.Resolvers.at(akey('R', cli)); s.internal(cli) && !resolver {
			for _, n := range d.Names {
				s.onName(ev, cli, netip.Addr{}, n, "dns.rrname")
			}
		}
	}
	if len(d.AnswerData) == 0 && len(d.Answers) == 0 {
		return
	}
	l := s.lst()
	prov, _ := l.CDNSuffix(qname)
	dyn := l.DynDNS(qname)
	cname, learned := false, false
	handle := func(typ, data string) {
		if data == "" {
			return
		}
		switch strings.ToUpper(typ) {
		case "CNAME":
			cname = true
			if prov == "" {
				if p, ok := l.CDNSuffix(data); ok {
					prov = p
				}
			}
			if svc, ok := l.TunnelService(data); ok && s.internal(cli) {
				s.tunnelEvidence(ev, cli, netip.Addr{}, svc, qname, "dns CNAME "+data)
			}
		case "A", "AAAA", "":
			ip, err := netip.ParseAddr(data)
			if err != nil {
				return
			}
			ip = ip.Unmap()
			p := prov
			if p == "" {
				p, _ = l.IsCDN(ip)
			}
			// names resolved through a CNAME chain land on shared
			// infrastructure (CDNs, cloud load balancers) even when the
			// reference lists do not know it: remember them too
			if p != "" || cname {
				s.learnAddr(cli, ip, qname, t)
				learned = true
				if prov == "" && p != "" {
					prov = p
				}
			}
			if dyn {
				v, _ := st.DynIP.put(akey('d', ip), func() *nameTag { return &nameTag{} })
				v.V, v.At = qname, t
			}
		}
	}
	// CNAMEs first so a chain into a CDN marks the addresses after it
	if len(d.Answers) > 0 {
		for _, a := range d.Answers {
			if strings.EqualFold(a.RRType, "CNAME") {
				handle(a.RRType, a.RData)
			}
		}
		for _, a := range d.Answers {
			if !strings.EqualFold(a.RRType, "CNAME") {
				handle(a.RRType, a.RData)
			}
		}
	} else {
		for pass := 0; pass < 2; pass++ {
			for i, data := range d.AnswerData {
				typ := ""
				if i < len(d.AnswerType) {
					typ = d.AnswerType[i]
				}
				if (pass == 0) == strings.EqualFold(typ, "CNAME") {
					handle(typ, data)
				}
			}
		}
	}
	if learned {
		s.learnName(cli, qname, prov, t)
	}
}

// learnAddr records that cli resolved name to the shared-infrastructure
// address ip (a CDN, or the end of a CNAME chain).
func (s *Stage) learnAddr(cli, ip netip.Addr, name string, t int64) {
	s.remember(aakey('n', cli, ip), name, t)
}

// remember adds name to the recent names of a (client, address) key.
func (s *Stage) remember(k uint64, name string, t int64) {
	name = lowerASCII(strings.TrimSuffix(name, "."))
	v, _ := s.st.IPNames.put(k, func() *ipNames { return &ipNames{} })
	if v.At != 0 && t-v.At > int64(resolveMemory) {
		v.Names = [3]string{}
	}
	v.At = t
	for _, n := range v.Names {
		if n == name {
			return
		}
	}
	copy(v.Names[1:], v.Names[:2])
	v.Names[0] = name
}

// learnName records that cli resolved name (to shared infrastructure) and,
// when known, the CDN provider behind the name.
func (s *Stage) learnName(cli netip.Addr, name, prov string, t int64) {
	s.st.Resolved.set(ankey('r', cli, name), t)
	if prov != "" {
		nt, _ := s.st.NameCDN.put(nkey('c', name), func() *nameTag { return &nameTag{} })
		nt.V, nt.At = prov, t
	}
}

// resolvedTo returns the names cli resolved to ip recently (nil if none).
func (s *Stage) resolvedTo(cli, ip netip.Addr, now int64) []string {
	return s.recent(aakey('n', cli, ip), now)
}

// snisTo returns the TLS SNIs cli sent to the CDN address ip recently.
func (s *Stage) snisTo(cli, ip netip.Addr, now int64) []string {
	return s.recent(aakey('s', cli, ip), now)
}

func (s *Stage) recent(k uint64, now int64) []string {
	v := s.st.IPNames.peek(k)
	if v == nil || now-v.At > int64(resolveMemory) {
		return nil
	}
	var out []string
	for _, n := range v.Names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// clientResolved reports whether cli resolved name (to a CDN address).
func (s *Stage) clientResolved(cli netip.Addr, name string) bool {
	_, ok := s.st.Resolved.at(ankey('r', cli, name))
	return ok
}

// anyoneQueried reports whether any client asked DNS for name.
func (s *Stage) anyoneQueried(name string) bool {
	_, ok := s.st.Queried.at(nkey('q', name))
	return ok
}

// cdnOf tells whether a server address or name is CDN infrastructure, and
// whose: enrichment first, then the address ranges, the name's suffix and
// the CNAME chains clients resolved.
func (s *Stage) cdnOf(ev *event.Event, ip netip.Addr, name string) string {
	if ev.Enrich.CDN != "" && ip == ev.DestIP {
		return ev.Enrich.CDN
	}
	l := s.lst()
	if p, ok := l.IsCDN(ip); ok {
		return p
	}
	if name != "" {
		if p, ok := l.CDNSuffix(name); ok {
			return p
		}
		if nt := s.st.NameCDN.peek(nkey('c', name)); nt != nil {
			return nt.V
		}
	}
	return ""
}

// onName handles a host name a client asked for (DNS query, TLS or QUIC
// SNI, HTTP Host, CONNECT target): Tor names and tunnelling services.
func (s *Stage) onName(ev *event.Event, cli, srv netip.Addr, name, field string) {
	if name == "" || !s.internal(cli) {
		return
	}
	l := s.lst()
	if kind, ok := l.TorName(name); ok {
		s.torName(ev, cli, srv, name, kind, field)
	} else if isTorProject(name) {
		s.torName(ev, cli, srv, name, "torproject", field)
	}
	svc := ""
	if ev.Enrich.Tunnel != "" && strings.EqualFold(ev.Enrich.Name, name) {
		svc = ev.Enrich.Tunnel
	} else if v, ok := l.TunnelService(name); ok {
		svc = v
	}
	if svc != "" {
		s.tunnelEvidence(ev, cli, srv, svc, name, field)
	}
}

func isTorProject(name string) bool {
	n := strings.TrimSuffix(lowerASCII(name), ".")
	return n == "torproject.org" || strings.HasSuffix(n, ".torproject.org") || n == "www.theonionrouter.com"
}
