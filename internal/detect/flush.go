package detect

import (
	"slices"
	"strings"
	"time"

	"github.com/nethunt/nethunt/internal/event"
)

// Flush emits the current version of every finding that gathered evidence
// since it was last emitted (findings are otherwise re-emitted at most once
// per Options.ReEmitEvery). Call it when an ingest run ends so the stored
// findings carry their final counts; the events are in finding-id order.
// The time of each event is the finding's last evidence.
func (s *Stage) Flush() []*event.Event {
	s.out = nil
	type pending struct {
		sub    *subject
		assess func() *verdict
	}
	var ps []pending
	add := func(sub *subject, f func() *verdict) {
		if sub != nil && sub.Emitted && sub.Count > sub.CountAtEmit {
			ps = append(ps, pending{sub, f})
		}
	}
	st := s.st
	eachGen(&st.Proxies, func(p *proxyState) { add(&p.S, func() *verdict { return s.assessProxy(p) }) })
	eachGen(&st.Virt, func(p *virtState) {
		add(&p.S, func() *verdict { return s.assessVirt(p, p.S.Src, p.S.Dst, p.S.DstPort) })
	})
	eachGen(&st.PortUse, func(p *portState) {
		add(&p.S, func() *verdict { return s.assessPort(p, p.S.Src, p.S.Dst, p.S.DstPort) })
	})
	eachGen(&st.Tor, func(p *torState) { add(&p.S, func() *verdict { return s.assessTor(p, p.S.Src, p.S.Dst) }) })
	eachGen(&st.Tunnels, func(p *tunnelState) {
		add(&p.S, func() *verdict {
			users := st.TunnelUsers.peek(nkey('u', p.Name))
			if users == nil {
				users = &tunnelUsers{}
			}
			return s.assessTunnel(p, users, p.S.Src, p.S.Dst, "")
		})
	})
	eachGen(&st.Fronts, func(p *frontState) { add(&p.S, func() *verdict { return s.assessFront(p, p.S.Src, p.S.Dst) }) })
	eachGen(&st.Chains, func(p *chainState) { add(&p.S, func() *verdict { return s.assessChain(p) }) })
	eachGen(&st.CDN, func(p *cdnState) {
		add(p.S, func() *verdict {
			users := st.CDNUsers.peek(nkey('k', p.Name))
			if users == nil {
				users = &tunnelUsers{}
			}
			return s.assessCDN(p, users, p.S.Src, p.S.Dst)
		})
	})
	eachGen(&st.NewDest, func(p *newDestState) {
		add(&p.S, func() *verdict { return s.assessNewDest(p, p.S.Src, p.S.Dst, p.S.DstPort) })
	})
	eachGen(&st.Intel, func(p *intelState) {
		add(&p.S, func() *verdict { return s.assessIntel(p, p.S.Src, p.S.Dst, p.S.DstPort) })
	})
	slices.SortFunc(ps, func(a, b pending) int { return strings.Compare(a.sub.ID, b.sub.ID) })
	for _, p := range ps {
		v := p.assess()
		if v == nil {
			continue
		}
		s.addCommon(p.sub, v)
		ev := &event.Event{Time: time.Unix(0, p.sub.Last).UTC()}
		if n := min(p.sub.EvN, capEvidenceTail); n > 0 {
			ev.FlowID = p.sub.EvTail[(p.sub.EvN-1)%capEvidenceTail].F
		}
		dec := v.decision()
		p.sub.LastEmit, p.sub.LastDecision, p.sub.CountAtEmit = p.sub.Last, dec, p.sub.Count
		p.sub.Src, p.sub.Dst, p.sub.DstPort = v.Src, v.Dst, v.DstPort
		s.out = append(s.out, s.findingEvent(p.sub, ev, v, dec))
		s.stats.Emitted++
	}
	s.publish()
	out := s.out
	s.out = nil
	return out
}

// eachGen visits every entry of a table (order does not matter: Flush
// sorts what it emits).
func eachGen[V any](g *gen[V], fn func(*V)) {
	for _, v := range g.Cur {
		fn(v)
	}
	for _, v := range g.Old {
		fn(v)
	}
}
