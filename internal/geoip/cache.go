package geoip

import (
	"encoding/binary"
	"net/netip"
	"sync"
)

// addrCache is a small direct-mapped cache from address to Geo in front of
// the tree walk: each address hashes to one slot, a colliding address
// replaces it. No LRU bookkeeping, so a hit costs a hash, a lock and a
// compare. Entries carry the database generation so Reload invalidates
// them without clearing.
type addrCache struct {
	shards [cacheShards]cacheShard
}

const (
	cacheShards = 16
	// DefaultCacheSize is the number of cached addresses (Open's default).
	DefaultCacheSize = 8192
)

type cacheShard struct {
	mu    sync.Mutex
	slots []cacheSlot
	_     [32]byte
}

type cacheSlot struct {
	addr netip.Addr
	gen  uint64
	geo  Geo
}

func newAddrCache(size int) *addrCache {
	if size <= 0 {
		return nil
	}
	per := (size + cacheShards - 1) / cacheShards
	c := &addrCache{}
	for i := range c.shards {
		c.shards[i].slots = make([]cacheSlot, per)
	}
	return c
}

func hashAddr(a netip.Addr) uint64 {
	b := a.As16()
	h := binary.LittleEndian.Uint64(b[:8])*0x9E3779B97F4A7C15 ^ binary.LittleEndian.Uint64(b[8:])
	// murmur3 fmix64: every input bit affects the low bits used as index.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func (c *addrCache) get(a netip.Addr, gen uint64) (Geo, bool) {
	h := hashAddr(a)
	s := &c.shards[h%cacheShards]
	s.mu.Lock()
	e := &s.slots[(h/cacheShards)%uint64(len(s.slots))]
	if e.gen == gen && e.addr == a {
		g := e.geo
		s.mu.Unlock()
		return g, true
	}
	s.mu.Unlock()
	return Geo{}, false
}

func (c *addrCache) put(a netip.Addr, gen uint64, g Geo) {
	h := hashAddr(a)
	s := &c.shards[h%cacheShards]
	s.mu.Lock()
	s.slots[(h/cacheShards)%uint64(len(s.slots))] = cacheSlot{addr: a, gen: gen, geo: g}
	s.mu.Unlock()
}
