package sightings

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// The first-seen set: an open-addressing hash table of 64-bit hashes
// (seeded xxh3; the seed belongs to the table and moves with it).
//
// Slots hold the hash itself (0 marks an empty slot; a hash that happens to
// be 0 is stored as 1). A hash's home slot is its top bits (h >> shift), so
// slot order is hash order except inside probe clusters: a snapshot needs
// only a nearly-sorted pass to come out sorted, and a reload from a sorted
// snapshot writes the table front to back. Collisions probe linearly. The
// table doubles when an insert would pass 3/4 load, so between resizes the
// load is 3/8..3/4 and memory is 10.7..21.3 bytes per value (8 / load).
//
// Concurrency: one writer (the ingest goroutine) and any number of readers
// that take mu (snapshots). The writer looks up without the lock (it is the
// only goroutine that mutates slots, so its unlocked reads never race with a
// write) and takes mu only to insert or grow, which is rare once the network
// is learned. The current table is published through an atomic pointer, so
// a snapshot reload can replace it while ingest runs.

const (
	minSlots   = 1 << 10
	loadNum    = 3 // grow past loadNum/loadDen full
	loadDen    = 4
	emptySlot  = 0
	zeroMapsTo = 1
)

type table struct {
	seed  uint64 // xxh3 seed of the hashes stored here
	slots []uint64
	mask  uint64
	shift uint8 // 64 - log2(len(slots))
	limit int   // grow when the count would pass this
}

func newTable(nslots int, seed uint64) *table {
	if nslots < minSlots {
		nslots = minSlots
	}
	nslots = 1 << bits.Len(uint(nslots-1)) // round up to a power of two
	return &table{
		seed:  seed,
		slots: make([]uint64, nslots),
		mask:  uint64(nslots - 1),
		shift: uint8(64 - bits.TrailingZeros(uint(nslots))),
		limit: nslots / loadDen * loadNum,
	}
}

// slotsFor is the table size that holds n values below the load limit.
func slotsFor(n int) int {
	s := minSlots
	for s/loadDen*loadNum < n {
		s <<= 1
	}
	return s
}

// fixHash maps the reserved empty marker to a real value. This merges the
// hashes 0 and 1, which adds 2^-64 to the collision odds of one value.
func fixHash(h uint64) uint64 {
	if h == emptySlot {
		return zeroMapsTo
	}
	return h
}

// find returns h's slot if present, else the empty slot where it belongs.
// h must not be 0.
func (tb *table) find(h uint64) (uint64, bool) {
	slots, mask := tb.slots, tb.mask
	i := h >> tb.shift
	for {
		s := slots[i&mask]
		if s == h {
			return i & mask, true
		}
		if s == emptySlot {
			return i & mask, false
		}
		i++
	}
}

// put stores h, which must be absent, without a load check.
func (tb *table) put(h uint64) {
	i, _ := tb.find(h)
	tb.slots[i] = h
}

// set is the concurrent wrapper: single writer, locked readers.
type set struct {
	mu  sync.Mutex // held for inserts, growth, snapshots, reloads
	tab atomic.Pointer[table]
	n   atomic.Int64

	lastHold time.Duration // lock hold of the last keys() copy, under mu
}

func (s *set) init(hint int, seed uint64) {
	s.tab.Store(newTable(slotsFor(hint), seed))
}

// seed is the hash seed of the current table.
func (s *set) seed() uint64 { return s.tab.Load().seed }

// add inserts h (already fixed, non-zero), computed with seed, and reports
// whether it was new. Only one goroutine may call add at a time. If a
// snapshot reload changed the seed since h was computed, h means nothing
// in the new table and add reports false.
func (s *set) add(h, seed uint64) bool {
	tb := s.tab.Load()
	if tb.seed != seed {
		return false
	}
	i, found := tb.find(h)
	if found {
		return false
	}
	s.mu.Lock()
	if cur := s.tab.Load(); cur != tb { // replaced by a snapshot reload
		tb = cur
		if i, found = tb.find(h); found || tb.seed != seed {
			s.mu.Unlock()
			return false
		}
	}
	n := s.n.Load() + 1
	if int(n) > tb.limit {
		tb = tb.grown()
		s.tab.Store(tb)
		i, _ = tb.find(h)
	}
	tb.slots[i] = h
	s.n.Store(n)
	s.mu.Unlock()
	return true
}

// contains reports whether h is present (writer goroutine, or under mu).
func (s *set) contains(h uint64) bool {
	_, found := s.tab.Load().find(h)
	return found
}

// grown returns a table of twice the size holding tb's values. Walking the
// old table in slot order inserts in nearly ascending hash order, so the
// new table is written almost sequentially.
func (tb *table) grown() *table {
	nt := newTable(len(tb.slots)*2, tb.seed)
	for _, h := range tb.slots {
		if h != emptySlot {
			nt.put(h)
		}
	}
	return nt
}

// keys copies the stored hashes out, in slot order, with their seed. The lock is held only
// for the copy: the destination is allocated and its pages faulted in
// before taking it, and the copy loop has no data-dependent branch (at
// 10M values the hold is 11-29 ms instead of ~380 ms).
func (s *set) keys() ([]uint64, uint64) {
	for {
		n := int(s.n.Load())
		out := make([]uint64, n+n/16+1024)   // room for inserts meanwhile
		for i := 0; i < len(out); i += 512 { // one write per 4 KiB page
			out[i] = 1
		}
		s.mu.Lock()
		t0 := time.Now()
		if int(s.n.Load()) >= len(out) {
			s.mu.Unlock()
			continue
		}
		tb := s.tab.Load()
		j := 0
		for _, h := range tb.slots {
			out[j] = h
			j += int((h | -h) >> 63) // 1 unless h == 0
		}
		s.lastHold = time.Since(t0)
		s.mu.Unlock()
		return out[:j], tb.seed
	}
}

// replace installs a table built elsewhere (snapshot reload).
func (s *set) replace(tb *table, n int64) {
	s.mu.Lock()
	s.tab.Store(tb)
	s.n.Store(n)
	s.mu.Unlock()
}

func (s *set) len() int { return int(s.n.Load()) }

func (s *set) bytes() int64 { return int64(len(s.tab.Load().slots)) * 8 }
