package detect

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/nethunt/nethunt/internal/event"
)

// Tor evidence kinds, strongest first.
const (
	torCert     = iota // Tor link certificate shape (domain.TorLike)
	torRelay           // destination on the Tor relay list
	torAlert           // IDS signature about Tor
	torOnion           // .onion name asked
	torT2W             // Tor2web gateway name
	torDirFetch        // Tor directory protocol request (/tor/...)
	torSNI             // random www.<x>.com SNI nobody resolved
	torPort            // TLS / unknown TCP to ORPort / DirPort (9001, 9030)
	torProject         // torproject.org visited (Tor Browser download)
	numTorEv
)

var torStrong = [numTorEv]bool{torCert: true, torRelay: true, torAlert: true, torOnion: true, torT2W: true, torDirFetch: true}

var torText = [numTorEv]struct {
	w    int
	text string
}{
	torCert:     {50, "Tor link certificates (CN-only www.<random>.com/.net subject and issuer)"},
	torRelay:    {50, "connections to listed Tor relays"},
	torAlert:    {40, "IDS signatures for Tor traffic"},
	torOnion:    {40, ".onion names asked (onion services)"},
	torT2W:      {30, "Tor2web gateway names (onion services through a web gateway)"},
	torDirFetch: {40, "Tor directory protocol requests (/tor/...)"},
	torSNI:      {20, "random www.<x>.com-style SNIs that nobody resolved"},
	torPort:     {10, "connections to Tor ORPort / DirPort ports (9001, 9030)"},
	torProject:  {10, "Tor Project site visited (Tor Browser download)"},
}

// torState: detector tor (T1090.003), one subject per internal host.
type torState struct {
	S     subject
	N     [numTorEv]int64
	Ex    [numTorEv]string // first example of each kind
	Ports strSet           // relay ip:port seen
}

func (s *Stage) torEvidence(ev *event.Event, cli, srv netip.Addr, port int64, kind int, desc string) {
	s.torEvidenceName(ev, cli, srv, port, kind, desc, "")
}

func (s *Stage) torEvidenceName(ev *event.Event, cli, srv netip.Addr, port int64, kind int, desc, name string) {
	if !s.enabled(DetTor) || !s.internal(cli) || (srv.IsValid() && s.allowedAddr(srv)) {
		return
	}
	k := akey('t', cli)
	ts, created := s.st.Tor.put(k, func() *torState { return &torState{} })
	if created {
		ts.S = *newSubject(DetTor, KindTor, techMultiHop, cli.String())
		ts.S.Clients.add(cli, capClients)
	}
	changed := ts.N[kind] == 0 || kind == torSNI && ts.N[kind] == 2
	ts.N[kind]++
	if ts.Ex[kind] == "" {
		ts.Ex[kind] = clipStr(desc, 200)
	}
	if srv.IsValid() && !s.internal(srv) && kind != torProject {
		if ts.S.Dests.add(srv.String(), capDests) && ts.N[torSNI] >= 3 {
			changed = true
		}
		ts.Ports.add(srvKey(srv, port), capDests)
	}
	if name != "" {
		ts.S.Domains.add(lowerASCII(name), capDomains)
	}
	ts.S.touch(ev)
	s.consider(&ts.S, ev, changed, func() *verdict { return s.assessTor(ts, cli, srv) })
}

func (s *Stage) torName(ev *event.Event, cli, srv netip.Addr, name, kind, field string) {
	k := torProject
	switch kind {
	case "onion":
		k = torOnion
	case "tor2web":
		k = torT2W
	}
	if !s.enabled(DetTor) || s.allowedName(name) {
		return
	}
	s.torEvidenceName(ev, cli, srv, 0, k, name+" in "+field, name)
}

func (s *Stage) assessTor(ts *torState, cli, srv netip.Addr) *verdict {
	strong, medium := int64(0), ts.N[torSNI]+ts.N[torPort]
	for k := 0; k < numTorEv; k++ {
		if torStrong[k] {
			strong += ts.N[k]
		}
	}
	// Tor's random SNIs, never resolved, to several relays: the shape of
	// a Tor client even when TLS 1.3 hides the link certificates
	sniStrong := ts.N[torSNI] >= 3 && len(ts.S.Dests.L) >= 2
	if sniStrong {
		strong += ts.N[torSNI]
	}
	if strong == 0 && medium < 3 && ts.N[torProject] == 0 {
		return nil
	}
	v := &verdict{Src: cli}
	if srv.IsValid() && !s.internal(srv) {
		v.Dst = srv
	}
	var ex []string
	for k := 0; k < numTorEv; k++ {
		if ts.N[k] == 0 {
			continue
		}
		txt := fmt.Sprintf("%s: %d", torText[k].text, ts.N[k])
		if torStrong[k] || k == torSNI && sniStrong {
			v.trigger(torText[k].w, txt+" (Tor hides the destination behind three relays)", trigObfuscation)
		} else {
			v.add(torText[k].w, txt)
		}
		ex = append(ex, ts.Ex[k])
	}
	if strong > 0 {
		v.Title = "Tor used by " + cli.String()
		v.HopCount = 3
	} else if medium >= 3 {
		v.Title = "Possible Tor use by " + cli.String()
	} else {
		v.Title = "Tor Project site visited by " + cli.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s shows Tor activity. Examples: %s.", s.hostLabel(cli), strings.Join(ex, "; "))
	if len(ts.Ports.L) > 0 {
		fmt.Fprintf(&b, " Relays contacted: %s.", strings.Join(firstN(ts.Ports.L, 10), ", "))
	}
	v.Explanation = b.String()
	return v
}
