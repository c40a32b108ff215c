package sightings

import (
	"net/netip"
	"strings"
	"sync/atomic"

	"golang.org/x/net/publicsuffix"
)

// registeredDomain is the public suffix plus one label of a queried name,
// lower-cased ("a.b.Example.co.uk." → "example.co.uk"), or "" for names
// that have none worth tracking: reverse lookups under .arpa, single-label
// names (wpad, localhost), IP literals and malformed names.
//
// The list includes private suffixes, so every dynamic-DNS customer is its
// own registered domain (evil-c2.duckdns.org stays whole): that is what a
// hunter wants. Unknown TLDs fall under the "*" rule (wpad.corp.local →
// corp.local).
func registeredDomain(name string) string {
	name = strings.TrimSuffix(name, ".")
	if name == "" || !strings.Contains(name, ".") {
		return ""
	}
	name = strings.ToLower(name)
	if name == "arpa" || strings.HasSuffix(name, ".arpa") {
		return ""
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(name)
	if err != nil {
		return ""
	}
	return d
}

// domainCache remembers registeredDomain per distinct queried name. It is a
// two-generation cache, an LRU approximation without per-entry links: hits
// in the old generation are promoted, and when the current generation is
// full it becomes the old one. At most 2×gen names are kept. Only the ingest
// goroutine uses it; its size is published for MemoryBytes.
type domainCache struct {
	cur, old map[string]string
	gen      int
	bytes    atomic.Int64 // approximate, both generations
	curBytes int64
}

// per-entry map and string header overhead, measured order of magnitude.
const cacheEntryOverhead = 64

func newDomainCache(size int) *domainCache {
	gen := max(size/2, 16)
	return &domainCache{cur: make(map[string]string, gen), gen: gen}
}

func (c *domainCache) get(name string) string {
	if d, ok := c.cur[name]; ok {
		return d
	}
	// Own the name: it may point into the event's memory. The derived
	// domain is a substring of the owned copy (or of a lower-cased one).
	owned := strings.Clone(name)
	d, ok := c.old[name]
	if !ok {
		d = registeredDomain(owned)
	}
	c.put(owned, d)
	return d
}

func (c *domainCache) put(name, d string) {
	if len(c.cur) >= c.gen {
		c.old, c.cur = c.cur, make(map[string]string, c.gen)
		c.bytes.Store(c.curBytes)
		c.curBytes = 0
	}
	c.cur[name] = d
	sz := int64(len(name) + len(d) + cacheEntryOverhead)
	c.curBytes += sz
	c.bytes.Add(sz)
}
