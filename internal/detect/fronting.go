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

// resolveMemory is how long "this client resolved these names to this CDN
// address" is trusted (DNS TTLs of CDNs are minutes; clients cache longer).
const resolveMemory = time.Hour

// frontState: detector domain_fronting (T1090.004), one subject per
// (internal host, hidden name): the name it reached behind an allowed
// front. finding.domains holds the hidden name only (what to block); the
// fronts are in the title and explanation.
//
// Evidence:
//   - same flow: TLS SNI and HTTP Host both visible (decrypted traffic)
//     and in different registered domains;
//   - cleartext Host vs DNS: an HTTP request to a CDN address carries a
//     Host the client never resolved, while the client resolved other
//     names to that address (classic fronting over port 80);
//   - CONNECT target vs SNI: a client asks a proxy for one name and sends
//     another in the TLS handshake inside the tunnel;
//   - SNI vs DNS: a TLS SNI the client never resolved, sent to a CDN
//     address it resolved from other names (weak: DoH, hard-coded
//     addresses and ECH look the same);
//   - certificate: logged SANs (Suricata 8) do not cover the SNI (weak).
type frontState struct {
	S             subject
	Hidden        string
	Fronts        strSet
	SameFlow      int64
	HostMismatch  int64
	ConnectSNI    int64
	SNIUnresolved int64
	CertMismatch  int64
	Example       string
}

func (s *Stage) frontSubject(cli netip.Addr, hidden string) (*frontState, bool) {
	fs, created := s.st.Fronts.put(ankey('f', cli, hidden), func() *frontState { return &frontState{} })
	if created {
		fs.S = *newSubject(DetFronting, KindFronting, techFronting, cli.String()+" "+hidden)
		fs.S.Clients.add(cli, capClients)
		fs.S.Domains.add(hidden, capDomains)
		fs.Hidden = hidden
	}
	return fs, created
}

// sameSite: both names belong to one registered domain.
func sameSite(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	ra, rb := domain.Registered(a), domain.Registered(b)
	return ra != "" && ra == rb
}

func (s *Stage) frontHTTP(ev *event.Event, cli, srv netip.Addr, host string) {
	if s.allowedName(host) || s.allowedAddr(srv) {
		return
	}
	now := ev.Time.UnixNano()
	if fi := s.st.Flows.peek(ev.FlowID); ev.FlowID != 0 && fi != nil && fi.SNI != "" && !sameSite(fi.SNI, host) && !sanCovers(fi.SANs, host) {
		fs, _ := s.frontSubject(cli, host)
		changed := fs.SameFlow <= 1
		fs.SameFlow++
		fs.Fronts.add(fi.SNI, 8)
		fs.S.Dests.add(srv.String(), capDests)
		if fs.Example == "" {
			fs.Example = fmt.Sprintf("flow %d: TLS SNI %s, HTTP Host %s", ev.FlowID, fi.SNI, host)
		}
		fs.S.touch(ev)
		s.consider(&fs.S, ev, changed, func() *verdict { return s.assessFront(fs, cli, srv) })
		return
	}
	names := s.resolvedTo(cli, srv, now)
	via := "resolved from"
	if len(names) == 0 {
		// no DNS seen for this address: the SNIs the client sent to it,
		// only for a Host that is itself a CDN-native name (where fronting
		// backends live); a custom name needs the DNS evidence
		if _, cdnHost := s.lst().CDNSuffix(host); cdnHost {
			names, via = s.snisTo(cli, srv, now), "reached with TLS SNI"
		}
	}
	// the hidden name is never resolved (that is the point of fronting);
	// a name someone resolved is shared hosting or a stale DNS cache
	if len(names) == 0 || slices.Contains(names, host) || s.clientResolved(cli, host) || s.anyoneQueried(host) {
		return
	}
	for _, n := range names {
		if sameSite(n, host) {
			return
		}
	}
	fs, _ := s.frontSubject(cli, host)
	changed := fs.HostMismatch <= 1
	fs.HostMismatch++
	for _, n := range names {
		fs.Fronts.add(n, 8)
	}
	fs.S.Dests.add(srv.String(), capDests)
	if fs.Example == "" {
		fs.Example = fmt.Sprintf("HTTP Host %s sent to %s, which %s %s %s", host, srv, cli, via, strings.Join(names, ", "))
	}
	fs.S.touch(ev)
	s.consider(&fs.S, ev, changed, func() *verdict { return s.assessFront(fs, cli, srv) })
}

// frontConnectSNI: the TLS handshake inside a CONNECT tunnel names another
// site than the CONNECT request did.
func (s *Stage) frontConnectSNI(ev *event.Event, cli, proxy netip.Addr, target, sni string) {
	if isIPLiteral(target) || sameSite(target, sni) || s.allowedName(sni) || s.allowedName(target) {
		return
	}
	fs, _ := s.frontSubject(cli, sni)
	changed := fs.ConnectSNI <= 1
	fs.ConnectSNI++
	fs.Fronts.add(target, 8)
	if fs.Example == "" {
		fs.Example = fmt.Sprintf("CONNECT %s through %s, TLS SNI %s inside the tunnel", target, proxy, sni)
	}
	fs.S.touch(ev)
	s.consider(&fs.S, ev, changed, func() *verdict { return s.assessFront(fs, cli, proxy) })
}

// frontTLS: weak SNI-level signals on TLS to CDN addresses.
func (s *Stage) frontTLS(ev *event.Event, cli, srv netip.Addr, sni, prov string) {
	if s.allowedName(sni) || s.allowedAddr(srv) {
		return
	}
	mismatch := false
	for _, tr := range ev.Enrich.CertTraits {
		if tr == domain.TraitSNIMismatch {
			mismatch = true
		}
	}
	if !mismatch && len(ev.TLS.SubjectAltName) > 0 && !sanCovers(ev.TLS.SubjectAltName, sni) {
		mismatch = true
	}
	unresolved := false
	if names := s.resolvedTo(cli, srv, ev.Time.UnixNano()); len(names) > 0 && !slices.Contains(names, sni) && !s.clientResolved(cli, sni) && !s.anyoneQueried(sni) {
		unresolved = true
		for _, n := range names {
			if sameSite(n, sni) {
				unresolved = false
			}
		}
	}
	if !unresolved {
		// a certificate that does not cover the SNI is weak alone
		// (shared CDN certificates, truncated SAN lists): it only adds to
		// a subject that exists for another reason
		fs := s.st.Fronts.peek(ankey('f', cli, sni))
		if fs == nil || !mismatch {
			return
		}
		fs.CertMismatch++
		return
	}
	fs, _ := s.frontSubject(cli, sni)
	changed := false
	if mismatch {
		fs.CertMismatch++
		changed = fs.CertMismatch == 3
	}
	if unresolved {
		fs.SNIUnresolved++
		changed = changed || fs.SNIUnresolved == 3
		for _, n := range s.resolvedTo(cli, srv, ev.Time.UnixNano()) {
			fs.Fronts.add(n, 8)
		}
	}
	fs.S.Dests.add(srv.String(), capDests)
	if fs.Example == "" {
		fs.Example = fmt.Sprintf("TLS SNI %s to %s address %s", sni, prov, srv)
	}
	fs.S.touch(ev)
	s.consider(&fs.S, ev, changed, func() *verdict { return s.assessFront(fs, cli, srv) })
}

func (s *Stage) assessFront(fs *frontState, cli, srv netip.Addr) *verdict {
	strong := fs.SameFlow + fs.HostMismatch + fs.ConnectSNI
	if strong == 0 && fs.SNIUnresolved < 3 {
		return nil
	}
	v := &verdict{Src: cli, Dst: srv, HopCount: 1}
	fronts := strings.Join(firstN(fs.Fronts.L, 4), ", ")
	obf := func(w int, txt string) {
		if strong >= 2 {
			v.trigger(w, txt, trigObfuscation)
		} else {
			v.add(w, txt+" (once so far: escalates when repeated)")
		}
	}
	if fs.SameFlow > 0 {
		obf(50, fmt.Sprintf("TLS SNI %s but HTTP Host %s on the same flow (%d times)", fronts, fs.Hidden, fs.SameFlow))
	}
	if fs.HostMismatch > 0 {
		obf(40, fmt.Sprintf("cleartext Host %s sent to a CDN address the host knows as %s, never resolved as %s (%d requests)", fs.Hidden, fronts, fs.Hidden, fs.HostMismatch))
	}
	if fs.ConnectSNI > 0 {
		obf(40, fmt.Sprintf("CONNECT to %s but TLS SNI %s inside the tunnel (%d times)", fronts, fs.Hidden, fs.ConnectSNI))
	}
	if fs.SNIUnresolved > 0 {
		v.add(15, fmt.Sprintf("TLS SNI %s sent to CDN addresses the host resolved from other names (%s), never from this one (%d times)", fs.Hidden, fronts, fs.SNIUnresolved))
	}
	if fs.CertMismatch > 0 {
		v.add(10, fmt.Sprintf("server certificate does not cover the SNI %s (%d times)", fs.Hidden, fs.CertMismatch))
	}
	v.Title = fmt.Sprintf("Domain fronting by %s: %s behind %s", cli, fs.Hidden, fronts)
	v.Explanation = fmt.Sprintf("%s reached %s while presenting %s to the network (DNS, SNI or CONNECT). Example: %s. "+
		"Fronting hides the real destination behind an allowed CDN or site name (T1090.004).", s.hostLabel(cli), fs.Hidden, fronts, fs.Example)
	return v
}

// sanCovers reports whether one of the SANs covers host (a wildcard
// stands for exactly one left-most label).
func sanCovers(sans []string, host string) bool {
	host = strings.TrimSuffix(host, ".")
	for _, san := range sans {
		san = strings.TrimPrefix(strings.TrimSpace(san), "DNS:")
		if strings.EqualFold(san, host) {
			return true
		}
		if strings.HasPrefix(san, "*.") {
			if dot := strings.IndexByte(host, '.'); dot > 0 && strings.EqualFold(san[2:], host[dot+1:]) {
				return true
			}
		}
	}
	return false
}
