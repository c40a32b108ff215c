package detect

import (
	"fmt"
	"github.com/nethunt/nethunt/internal/human"
	"net/netip"

	"github.com/nethunt/nethunt/internal/event"
)

// cdnState: detector cdn_anomaly (T1090), one subject per (internal host,
// name reached on CDN infrastructure; "(no SNI) <provider>" for
// domainless TLS). CDN traffic is identified by address range, name
// suffix or a CNAME chain into a CDN. Ordinary CDN use is a browser
// downloading page resources; what departs from it:
//   - bulk upload (>= 20 MiB up and 4x more up than down);
//   - TLS without SNI to CDN addresses (>= 3 sessions);
//   - regular sessions (beaconing) from a TLS client the host uses for
//     nothing else (not its browser), or to a name it never resolved;
//
// with supporting signals: the host never resolved the SNI, few hosts of
// the organisation use the name. A finding needs one of the departures and
// a score of at least 45.
type cdnState struct {
	S          *subject // created once the name departs from ordinary use
	Name       string
	Provider   string
	Flows      int64
	Up, Down   int64
	NoSNI      int64
	Unresolved int64
	B          beacon
	JA         string
	JAN        int64
	Flags      uint8
}

const (
	cdnUpBytes   = 20 << 20
	cdnUpRatio   = 4
	cdnMinNoSNI  = 3
	cdnMinScore  = 45
	cdnRareHosts = 2
)

const (
	cdnFlagUpload = 1 << iota
	cdnFlagNoSNI
	cdnFlagBeacon
	cdnFlagUnresolved
)

// jaExclusive: the fingerprint ja is used by cli (almost) only for the n
// sessions of one subject, while the host has other TLS activity: a
// dedicated tool, not its browser.
func (s *Stage) jaExclusive(cli netip.Addr, ja string, n int64) bool {
	b := s.st.JA.peek(akey('j', cli))
	if b == nil || ja == "" {
		return false
	}
	c := int64(b.count(ja))
	return int64(b.Total) >= n+20 && c <= n+2
}

// jaUnusual: ja is not the host's usual TLS client (it has a baseline and
// ja is neither its most used fingerprint nor a frequent one).
func (s *Stage) jaUnusual(cli netip.Addr, ja string) bool {
	if ja == "" {
		return false
	}
	b := s.st.JA.peek(akey('j', cli))
	u, ok := b.usual()
	return ok && u != jaHash(ja) && b.share(ja) < 0.3
}

func (s *Stage) cdnFlow(ev *event.Event, cli, srv netip.Addr, fi *flowInfo) {
	// an approved proxy's sessions are its users' browsing, not its own
	if s.allowedAddr(srv) || (fi.SNI != "" && s.allowedName(fi.SNI)) || s.approvedHost(cli) {
		return
	}
	name := fi.SNI
	if name == "" {
		name = "(no SNI) " + fi.CDN
	}
	users, _ := s.st.CDNUsers.put(nkey('k', name), func() *tunnelUsers { return &tunnelUsers{} })
	users.Hosts.add(cli, 8)
	f := ev.Flow
	k := ankey('k', cli, name)
	cs := s.st.CDN.get(k)
	if cs == nil {
		// Only sessions that could depart from ordinary browsing start a
		// subject: uploads, no SNI, or a TLS client that is not the host's
		// usual one. Browser page loads are the bulk of CDN traffic and
		// never do.
		upload := f.BytesToServer >= 1<<20 && f.BytesToServer >= 2*f.BytesToClient
		// without fingerprints (sensors that do not log JA3/JA4), a
		// name the host never resolved stands in for the unusual client
		odd := s.jaUnusual(cli, fi.JA) || fi.JA == "" && fi.Unresolved
		if !upload && !fi.NoSNI && !odd {
			return
		}
		cs, _ = s.st.CDN.put(k, func() *cdnState { return &cdnState{} })
		cs.Name, cs.Provider = name, fi.CDN
	}
	cs.Flows++
	cs.Up += f.BytesToServer
	cs.Down += f.BytesToClient
	start, _ := flowTimes(ev)
	cs.B.add(start)
	if fi.NoSNI {
		cs.NoSNI++
	}
	if fi.Unresolved {
		cs.Unresolved++
	}
	if fi.JA != "" {
		if cs.JA == "" {
			cs.JA = fi.JA
		}
		if fi.JA == cs.JA {
			cs.JAN++
		}
	}
	flags := cs.flags()
	changed := flags&^cs.Flags != 0
	cs.Flags |= flags
	if cs.Flags == 0 {
		return
	}
	if cs.S == nil {
		cs.S = newSubject(DetCDN, KindCDN, techProxy, cli.String()+" "+name)
		cs.S.Clients.add(cli, capClients)
		if fi.SNI != "" {
			cs.S.Domains.add(fi.SNI, capDomains)
		}
		cs.S.First = ev.Time.UnixNano()
		cs.S.Count = cs.Flows - 1
	}
	cs.S.Dests.add(srv.String(), capDests)
	cs.S.touch(ev)
	s.consider(cs.S, ev, changed, func() *verdict { return s.assessCDN(cs, users, cli, srv) })
}

func (cs *cdnState) flags() uint8 {
	var f uint8
	if cs.Up >= cdnUpBytes && cs.Up >= cdnUpRatio*cs.Down {
		f |= cdnFlagUpload
	}
	if cs.NoSNI >= cdnMinNoSNI {
		f |= cdnFlagNoSNI
	}
	if ok, _ := cs.B.regular(8); ok {
		f |= cdnFlagBeacon
	}
	if cs.Unresolved >= 3 {
		f |= cdnFlagUnresolved
	}
	return f
}

func (s *Stage) assessCDN(cs *cdnState, users *tunnelUsers, cli, srv netip.Addr) *verdict {
	v := &verdict{Src: cli, Dst: srv, HopCount: 1}
	exclusive := s.jaExclusive(cli, cs.JA, cs.JAN)
	primary := false
	if cs.Flags&cdnFlagUpload != 0 {
		primary = true
		v.add(35, fmt.Sprintf("bulk upload: %s up vs %s down over %d sessions (CDNs normally serve downloads)", human.Bytes(cs.Up), human.Bytes(cs.Down), cs.Flows))
	}
	if cs.Flags&cdnFlagNoSNI != 0 {
		primary = true
		v.add(25, fmt.Sprintf("%d TLS sessions without SNI to %s addresses (domainless)", cs.NoSNI, cs.Provider))
	}
	unresolved := cs.Unresolved >= 3 && cs.Unresolved*2 >= cs.Flows
	if ok, med := cs.B.regular(8); ok {
		if exclusive || unresolved {
			primary = true
		}
		v.add(20, "regular sessions about every "+humanSecs(med)+" (machine, not a person)")
	}
	if exclusive {
		v.add(15, "its TLS client ("+cs.JA+") is used for nothing else on the host: not the host's browser")
	}
	if unresolved {
		v.add(15, fmt.Sprintf("the host never resolved the name it sent (%d of %d sessions)", cs.Unresolved, cs.Flows))
	}
	if n := users.Hosts.n(); n <= cdnRareHosts {
		v.add(10, fmt.Sprintf("name used by only %d host(s) of the organisation", n))
	}
	if !primary || v.score() < cdnMinScore {
		return nil
	}
	v.Title = fmt.Sprintf("Unusual CDN use by %s: %s (%s)", cli, cs.Name, cs.Provider)
	v.Explanation = fmt.Sprintf("%s used %s on %s infrastructure in a way that departs from ordinary CDN use (a browser fetching page resources): %d sessions, %s up, %s down. "+
		"CDNs are abused to hide C2 and exfiltration behind trusted address space (T1090, with T1090.004 fronting as its extreme).",
		s.hostLabel(cli), cs.Name, cs.Provider, cs.Flows, human.Bytes(cs.Up), human.Bytes(cs.Down))
	return v
}
