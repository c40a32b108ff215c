package detect

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/nethunt/nethunt/internal/event"
)

// intelMemo remembers that an address or name matched an indicator, so
// findings about it say so (and escalate when the indicator is confirmed).
type intelMemo struct {
	Hit event.IntelHit
	At  int64
}

// intelState: detector intel, one subject per indicator matched by
// traffic of internal hosts. Escalates when the indicator's confidence is
// at least Options.IntelConfirmed (a confirmed indicator of a malicious
// proxy or tool), otherwise review.
type intelState struct {
	S   subject
	Hit event.IntelHit
}

func (s *Stage) onIntel(ev *event.Event) {
	t := ev.Time.UnixNano()
	cli, srv, _, sport := clientServer(ev)
	if !s.internal(cli) && s.internal(srv) {
		cli, srv = srv, cli
	}
	for _, h := range ev.Enrich.Intel {
		vals := [3]string{h.Value}
		switch h.Type {
		case "domain", "url":
			vals[1] = ev.Enrich.Name
		case "ip", "cidr":
			if srv.IsValid() && !s.internal(srv) {
				vals[1] = srv.String()
			}
		}
		for _, v := range vals {
			if v == "" {
				continue
			}
			m, _ := s.st.IntelMemo.put(nkey('i', v), func() *intelMemo { return &intelMemo{} })
			if m.At == 0 || h.Confidence > m.Hit.Confidence {
				m.Hit = h
			}
			m.At = t
		}
	}
	if !s.enabled(DetIntel) || !s.internal(cli) {
		return
	}
	for _, h := range ev.Enrich.Intel {
		key := h.Type + ":" + strings.ToLower(h.Value)
		is, created := s.st.Intel.put(hkey("intel", key), func() *intelState { return &intelState{} })
		if created {
			is.S = *newSubject(DetIntel, KindIntel, techProxy, key)
			is.Hit = h
		}
		changed := is.S.Clients.add(cli, capClients)
		if h.Confidence > is.Hit.Confidence {
			is.Hit, changed = h, true
		}
		if srv.IsValid() && !s.internal(srv) {
			is.S.Dests.add(srv.String(), capDests)
		}
		if (h.Type == "domain" || h.Type == "url") && ev.Enrich.Name != "" {
			is.S.Domains.add(strings.ToLower(ev.Enrich.Name), capDomains)
		} else if h.Type == "domain" {
			is.S.Domains.add(strings.ToLower(h.Value), capDomains)
		}
		is.S.touch(ev)
		s.consider(&is.S, ev, changed, func() *verdict { return s.assessIntel(is, cli, srv, sport) })
	}
}

func (s *Stage) assessIntel(is *intelState, cli, srv netip.Addr, sport int64) *verdict {
	v := &verdict{Src: cli, Dst: srv, DstPort: sport}
	hit := is.Hit
	txt := fmt.Sprintf("threat-intel match: %s %s (%s", hit.Type, hit.Value, hit.Source)
	if hit.Description != "" {
		txt += ": " + hit.Description
	}
	txt += ") on " + hit.Field
	if hit.Confidence >= s.opt.IntelConfirmed {
		v.trigger(50, fmt.Sprintf("%s, confidence %d", txt, hit.Confidence), trigIntel)
	} else {
		v.add(25, fmt.Sprintf("%s, confidence %d (below %d: not confirmed)", txt, hit.Confidence, s.opt.IntelConfirmed))
	}
	if n := is.S.Clients.n(); n >= s.opt.SeveralHosts {
		v.add(10, fmt.Sprintf("%d internal hosts matched it", n))
	}
	v.Title = fmt.Sprintf("Threat-intel match %s %s by %s", hit.Type, hit.Value, strings.Join(firstN(is.S.Clients.strings(), 3), ", "))
	v.Explanation = fmt.Sprintf("Traffic of %s matched indicator %s %s from %s. %s", strings.Join(firstN(is.S.Clients.strings(), 6), ", "), hit.Type, hit.Value, hit.Source, hit.Description)
	return v
}

// intelFor returns the remembered indicator hit on an address or name.
func (s *Stage) intelFor(v string) *event.IntelHit {
	if m := s.st.IntelMemo.peek(nkey('i', v)); m != nil {
		return &m.Hit
	}
	return nil
}
