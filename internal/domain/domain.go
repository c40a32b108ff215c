// Package domain derives registered domains (eTLD+1), certificate traits and
// "random-looking label" verdicts from the names and certificates Suricata
// logs. Everything here runs on the ingest path, once per event, so lookups
// are cached and allocation-free on a hit.
package domain

import (
	"hash/maphash"
	"strings"
	"sync"

	"golang.org/x/net/publicsuffix"
)

// Registered returns the registered domain of name (eTLD+1) by the public
// suffix list, private suffixes included: "a.b.example.co.uk" →
// "example.co.uk", "evil-c2.duckdns.org" → "evil-c2.duckdns.org" (duckdns.org
// is a private suffix). Unknown TLDs follow the list's "*" rule:
// "wpad.corp.local" → "corp.local".
//
// It lower-cases, ignores one trailing dot and returns "" for IP literals,
// single labels, public suffixes themselves ("co.uk"), names with numeric
// TLDs and invalid names (empty labels, characters outside letters, digits,
// '-', '_' and UTF-8, labels > 63 or names > 253 bytes). Results are cached
// (bounded); a cache hit costs one map lookup and no allocation.
func Registered(name string) string { return regCache.get(name, false) }

// RegisteredICANN is Registered using only the ICANN section of the public
// suffix list, so it names the domain someone registered with a registry:
// "evil-c2.duckdns.org" → "duckdns.org", "x.blogspot.com" → "blogspot.com".
func RegisteredICANN(name string) string { return icannCache.get(name, true) }

// CacheSize is the total number of names kept per variant (Registered and
// RegisteredICANN each), split over shards. Old entries are dropped a
// generation at a time, so the hottest names stay cached.
const CacheSize = 1 << 16

const shards = 16

var (
	regCache   = newCache()
	icannCache = newCache()
	seed       = maphash.MakeSeed()
)

type cache struct {
	shards [shards]shard
}

type shard struct {
	mu  sync.Mutex
	cur map[string]string
	old map[string]string
	_   [40]byte // keep shards on separate cache lines
}

func newCache() *cache {
	c := &cache{}
	for i := range c.shards {
		c.shards[i].cur = make(map[string]string)
	}
	return c
}

func (c *cache) get(name string, icann bool) string {
	if name == "" || len(name) > 254 {
		return ""
	}
	s := &c.shards[maphash.String(seed, name)%shards]
	s.mu.Lock()
	if v, ok := s.cur[name]; ok {
		s.mu.Unlock()
		return v
	}
	if v, ok := s.old[name]; ok {
		s.put(name, v)
		s.mu.Unlock()
		return v
	}
	s.mu.Unlock()
	v := registered(name, icann)
	s.mu.Lock()
	s.put(name, v)
	s.mu.Unlock()
	return v
}

// put stores under the shard lock; when the current generation is full it
// becomes the old one and the older one is dropped.
func (s *shard) put(k, v string) {
	if len(s.cur) >= CacheSize/shards/2 {
		s.old = s.cur
		s.cur = make(map[string]string, CacheSize/shards/2)
	}
	s.cur[k] = v
}

// registered computes Registered / RegisteredICANN without the cache.
func registered(name string, icannOnly bool) string {
	n, ok := Normalize(name)
	if !ok || !strings.Contains(n, ".") {
		return ""
	}
	if isIP(n) {
		return ""
	}
	tld := n[strings.LastIndexByte(n, '.')+1:]
	if allDigits(tld) {
		return ""
	}
	suffix := publicSuffix(n, icannOnly)
	if len(suffix) >= len(n) {
		return ""
	}
	i := len(n) - len(suffix) - 1 // the dot before the suffix
	j := strings.LastIndexByte(n[:i], '.')
	return n[j+1:]
}

// publicSuffix returns the public suffix of n, restricted to ICANN rules
// when icannOnly is set (private rules are peeled off one label at a time).
func publicSuffix(n string, icannOnly bool) string {
	ps, icann := publicsuffix.PublicSuffix(n)
	for icannOnly && !icann {
		dot := strings.IndexByte(ps, '.')
		if dot < 0 {
			return ps // the default "*" rule: an unknown TLD
		}
		ps, icann = publicsuffix.PublicSuffix(ps[dot+1:])
	}
	return ps
}

// Normalize lower-cases name, drops one trailing dot and validates it as a
// DNS name (see Registered). It allocates only when name has upper-case
// letters.
func Normalize(name string) (string, bool) {
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if name == "" || len(name) > 253 {
		return "", false
	}
	upper := false
	label := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '.':
			if label == 0 {
				return "", false
			}
			label = 0
			continue
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c >= 0x80:
		case 'A' <= c && c <= 'Z':
			upper = true
		default:
			return "", false
		}
		label++
		if label > 63 {
			return "", false
		}
	}
	if label == 0 {
		return "", false
	}
	if upper {
		name = strings.ToLower(name)
	}
	return name, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
