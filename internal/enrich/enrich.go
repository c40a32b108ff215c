// Package enrich adds nethunt's own context to events on the ingest path:
// network groups now; GeoIP, threat intel and registered domains later. It
// runs once per event, so lookups are allocation-free table walks.
package enrich

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/gaissmai/bart"

	"github.com/nethunt/nethunt/internal/config"
	"github.com/nethunt/nethunt/internal/event"
)

// Enricher is immutable after New and safe for concurrent use.
type Enricher struct {
	groups *bart.Table[[]string]
	home   *bart.Lite
}

// New builds the lookup tables. Nested groups are all reported, most
// specific first: 10.10.1.5 in "Users" (10.10/16) inside "Campus" (10/8)
// gets [Users, Campus].
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
	e := &Enricher{groups: new(bart.Table[[]string]), home: new(bart.Lite)}
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
	return e, nil
}

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

// Event enriches ev in place. Group slices are shared, never mutated.
func (e *Enricher) Event(ev *event.Event) {
	ev.Enrich.SrcGroups = e.Groups(ev.SrcIP)
	ev.Enrich.DestGroups = e.Groups(ev.DestIP)
}
