// Package enrich adds nethunt's own context to events on the ingest path:
// network groups, GeoIP/ASN, threat-intelligence matches, the registered
// domain of the event's name, CDN / tunnel / dynamic-DNS / Tor context,
// proxy-port labels and certificate traits (docs/enrichment.md). It runs
// once per event on the decoding goroutine, so every lookup is an
// allocation-free table walk; only a threat-intel hit allocates.
package enrich

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"sync/atomic"
	"time"

	"github.com/gaissmai/bart"

	"github.com/nethunt/nethunt/internal/config"
	"github.com/nethunt/nethunt/internal/domain"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/geoip"
	"github.com/nethunt/nethunt/internal/intel"
	"github.com/nethunt/nethunt/internal/reflist"
)

// Enricher is safe for concurrent use; the reloadable parts (intel, GeoIP,
// reference lists) are swapped atomically.
type Enricher struct {
	groups *bart.Table[[]string]
	home   *bart.Lite

	geo   *geoip.DB // nil: no GeoIP configured
	intel *intel.Watcher
	lists atomic.Pointer[reflist.Lists]
	cfg   *config.Config
	hits  []intel.Hit
	// OnLists, when set before Run, receives reference lists reloaded from
	// disk (the detectors keep their own pointer).
	OnLists func(*reflist.Lists)
}

// New builds the lookup tables and opens the configured databases and
// lists. Nested groups are all reported, most specific first: 10.10.1.5 in
// "Users" (10.10/16) inside "Campus" (10/8) gets [Users, Campus].
func New(c *config.Config) (*Enricher, error) {
	type g struct {
		name string
		p    netip.Prefix
	}
	var gs []g
	for _, ng := range c.NetworkGroups {
		p, err := netip.ParsePrefix(ng.CIDR)
		if err != nil {
			return nil, fmt.Errorf("network group %s: %w", ng.Name, err)
		}
		gs = append(gs, g{ng.Name, p.Masked()})
	}
	// Most specific first, so each prefix's value lists itself then supernets.
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].p.Bits() > gs[j].p.Bits() })
	e := &Enricher{groups: new(bart.Table[[]string]), home: new(bart.Lite), cfg: c}
	for _, a := range gs {
		var names []string
		for _, b := range gs {
			if b.p.Bits() <= a.p.Bits() && b.p.Contains(a.p.Addr()) && !contains(names, b.name) {
				names = append(names, b.name)
			}
		}
		e.groups.Insert(a.p, names)
	}
	for _, n := range c.HomeNets {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return nil, err
		}
		e.home.Insert(p.Masked())
	}

	if c.GeoIP.City != "" || c.GeoIP.ASN != "" {
		var err error
		if c.GeoIP.Cache != nil {
			e.geo, err = geoip.OpenCache(c.GeoIP.City, c.GeoIP.ASN, *c.GeoIP.Cache)
		} else {
			e.geo, err = geoip.Open(c.GeoIP.City, c.GeoIP.ASN)
		}
		if err != nil {
			return nil, fmt.Errorf("geoip: %w", err)
		}
	}
	if len(c.Intel) > 0 {
		var srcs []intel.Source
		for i, s := range c.Intel {
			f, ok := intel.ParseFormat(s.Format)
			if !ok {
				return nil, fmt.Errorf("intel[%d] %s: unknown format %q", i, s.Path, s.Format)
			}
			var t intel.Type
			if s.Type != "" {
				if t, ok = intel.ParseType(s.Type); !ok {
					return nil, fmt.Errorf("intel[%d] %s: unknown type %q", i, s.Path, s.Type)
				}
			}
			srcs = append(srcs, intel.Source{Path: s.Path, Format: f, Type: t, Name: s.Name, Allow: s.Allow,
				IDSOnly: s.ToIDS, NoObservables: s.Observables != nil && !*s.Observables})
		}
		w, _, err := intel.NewWatcher(srcs)
		if err != nil {
			return nil, fmt.Errorf("intel: %w", err)
		}
		w.Interval = time.Duration(c.IntelPoll)
		e.intel = w
	}
	l, err := reflist.LoadWith(c.ReflistsDir, c.TorRelays)
	if err != nil {
		return nil, fmt.Errorf("reference lists: %w", err)
	}
	e.lists.Store(l)
	return e, nil
}

// Run keeps the reloadable sources current until ctx ends: intel files are
// polled, GeoIP files and reference lists re-read when replaced. Failed
// reloads keep the previous data.
func (e *Enricher) Run(ctx context.Context) {
	if e.intel != nil {
		go e.intel.Run(ctx)
	}
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if e.geo != nil {
				e.geo.ReloadIfChanged()
			}
			if e.cfg.ReflistsDir != "" || e.cfg.TorRelays != "" {
				if l, err := reflist.LoadWith(e.cfg.ReflistsDir, e.cfg.TorRelays); err == nil {
					e.lists.Store(l)
					if e.OnLists != nil {
						e.OnLists(l)
					}
				}
			}
		}
	}
}

// Lists returns the current reference lists.
func (e *Enricher) Lists() *reflist.Lists { return e.lists.Load() }

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// Groups returns the network groups of a, most specific first.
func (e *Enricher) Groups(a netip.Addr) []string {
	if !a.IsValid() {
		return nil
	}
	v, _ := e.groups.Lookup(a.Unmap())
	return v
}

// Internal reports whether a is inside the configured home networks.
func (e *Enricher) Internal(a netip.Addr) bool {
	return a.IsValid() && e.home.Contains(a.Unmap())
}

// Name is the event's main DNS name: TLS SNI, QUIC SNI, HTTP host, first
// DNS query.
func Name(ev *event.Event) string {
	switch {
	case ev.TLS != nil && ev.TLS.SNI != "":
		return ev.TLS.SNI
	case ev.QUIC != nil && ev.QUIC.SNI != "":
		return ev.QUIC.SNI
	case ev.HTTP != nil && ev.HTTP.Hostname != "":
		return ev.HTTP.Hostname
	case ev.DNS != nil && len(ev.DNS.Names) > 0:
		return ev.DNS.Names[0]
	}
	return ""
}

// Event enriches ev in place. For sensor events it must be called from one
// goroutine at a time (it reuses a scratch buffer); derived events (sighting,
// finding) only get groups and may be enriched from another goroutine.
// Group slices are shared, never mutated.
func (e *Enricher) Event(ev *event.Event) {
	en := &ev.Enrich
	en.SrcGroups = e.Groups(ev.SrcIP)
	en.DestGroups = e.Groups(ev.DestIP)
	if ev.EventType == "sighting" || ev.EventType == "finding" {
		// Derived records (enriched on the stage goroutine): their subjects
		// were enriched on the way in; groups are all they need.
		return
	}
	if e.geo != nil {
		s, d := e.geo.Lookup(ev.SrcIP), e.geo.Lookup(ev.DestIP)
		en.SrcGeo = event.Geo{Country: s.Country, ASN: s.ASN, ASOrg: s.ASOrg}
		en.DestGeo = event.Geo{Country: d.Country, ASN: d.ASN, ASOrg: d.ASOrg}
	}
	if e.intel != nil {
		e.hits = e.intel.Set().AppendMatches(e.hits[:0], ev)
		if len(e.hits) > 0 {
			en.Intel = make([]event.IntelHit, len(e.hits))
			for i, h := range e.hits {
				en.Intel[i] = event.IntelHit{Type: string(h.Type), Value: h.Value, Field: h.Field, Source: h.Source, Description: h.Description, Confidence: h.Confidence}
			}
		}
	}
	l := e.lists.Load()
	name := Name(ev)
	en.Name = name
	en.Domain = domain.Registered(name)
	en.CDN, _ = l.IsCDN(ev.DestIP)
	if en.CDN == "" && name != "" {
		en.CDN, _ = l.CDNSuffix(name)
	}
	if en.CDN == "" && ev.DNS != nil {
		for _, a := range ev.DNS.AnswerData { // a CNAME chain into a CDN
			if p, ok := l.CDNSuffix(a); ok {
				en.CDN = p
				break
			}
		}
	}
	if name != "" {
		en.Tunnel, _ = l.TunnelService(name)
		en.DynDNS, _ = l.DynDNSProvider(name)
		if i := indexDot(name); i > 0 {
			en.HostRandom = domain.LooksRandom(name[:i])
		}
	}
	switch {
	case l.IsTor(ev.DestIP):
		en.Tor = "dest-relay"
	case l.IsTor(ev.SrcIP):
		en.Tor = "src-relay"
	default:
		if k, ok := l.TorName(name); ok {
			en.Tor = k
		}
	}
	if ev.DestPort > 0 && ev.DestPort < 65536 {
		en.ProxyPort, _ = l.ProxyPort(uint16(ev.DestPort))
	}
	if ev.TLS != nil {
		en.CertTraits = domain.CertTraitsWith(l, ev.TLS, ev.Time)
	}
}

func indexDot(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}
