package detect

import (
	"net/netip"
	"slices"
	"strconv"

	"github.com/zeebo/xxh3"
)

// Bounded state. Every table the detectors keep is a gen map: two
// generations of at most Cap/2 entries each. A lookup that hits the old
// generation moves the entry to the current one; when the current one is
// full, the old one is dropped (its entries counted in Evicted) and the
// current one becomes old. This keeps what is active, forgets what has
// been idle for a generation, bounds memory, and is deterministic (no map
// iteration decides anything), so a replay of the same events rebuilds the
// same state. Fields are exported for the gob snapshot.
type gen[V any] struct {
	Cur, Old map[uint64]*V
	Cap      int
	Evicted  uint64
}

func newGen[V any](capacity int) gen[V] {
	if capacity < 2 {
		capacity = 2
	}
	return gen[V]{Cur: make(map[uint64]*V), Old: make(map[uint64]*V), Cap: capacity}
}

// fix makes a decoded gen usable (gob leaves empty maps nil).
func (g *gen[V]) fix(capacity int) {
	if g.Cur == nil {
		g.Cur = make(map[uint64]*V)
	}
	if g.Old == nil {
		g.Old = make(map[uint64]*V)
	}
	if capacity >= 2 {
		g.Cap = capacity
	}
}

// get returns the entry for k or nil.
func (g *gen[V]) get(k uint64) *V {
	if v, ok := g.Cur[k]; ok {
		return v
	}
	if v, ok := g.Old[k]; ok {
		delete(g.Old, k)
		g.insert(k, v)
		return v
	}
	return nil
}

// peek is get without promotion.
func (g *gen[V]) peek(k uint64) *V {
	if v, ok := g.Cur[k]; ok {
		return v
	}
	return g.Old[k]
}

// put returns the entry for k, creating it with mk when absent.
func (g *gen[V]) put(k uint64, mk func() *V) (v *V, created bool) {
	if v := g.get(k); v != nil {
		return v, false
	}
	v = mk()
	g.insert(k, v)
	return v, true
}

func (g *gen[V]) insert(k uint64, v *V) {
	if len(g.Cur) >= g.Cap/2 {
		g.Evicted += uint64(len(g.Old))
		g.Old = g.Cur
		g.Cur = make(map[uint64]*V, g.Cap/4)
	}
	g.Cur[k] = v
}

func (g *gen[V]) len() int { return len(g.Cur) + len(g.Old) }

// ---- keys ---------------------------------------------------------------

// hkey hashes the parts of a subject into a table key (xxh3: fast and
// seedless, hence deterministic across runs).
func hkey(parts ...string) uint64 {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	var buf [256]byte
	b := buf[:0]
	if n > len(buf) {
		b = make([]byte, 0, n)
	}
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	return xxh3.Hash(b)
}

// akey hashes a tag and an address without allocating.
func akey(tag byte, a netip.Addr) uint64 {
	var buf [18]byte
	buf[0] = tag
	b16 := a.As16()
	copy(buf[1:], b16[:])
	if a.Is4() || a.Is4In6() {
		buf[17] = 4
	}
	return xxh3.Hash(buf[:])
}

// apkey hashes a tag, an address and a port.
func apkey(tag byte, a netip.Addr, port int64) uint64 {
	var buf [20]byte
	buf[0] = tag
	b16 := a.Unmap().As16()
	copy(buf[1:], b16[:])
	buf[17] = byte(port >> 8)
	buf[18] = byte(port)
	buf[19] = 1
	return xxh3.Hash(buf[:])
}

// aakey hashes a tag and two addresses.
func aakey(tag byte, a, b netip.Addr) uint64 {
	var buf [34]byte
	buf[0] = tag
	x := a.Unmap().As16()
	y := b.Unmap().As16()
	copy(buf[1:], x[:])
	copy(buf[17:], y[:])
	buf[33] = 2
	return xxh3.Hash(buf[:])
}

// ankey hashes a tag, an address and a name.
func ankey(tag byte, a netip.Addr, name string) uint64 {
	var buf [128]byte
	b := buf[:0]
	b = append(b, tag)
	x := a.Unmap().As16()
	b = append(b, x[:]...)
	b = appendLower(b, name)
	return xxh3.Hash(b)
}

// nkey hashes a tag and a name (case-insensitive).
func nkey(tag byte, name string) uint64 {
	var buf [128]byte
	b := append(buf[:0], tag)
	b = appendLower(b, name)
	return xxh3.Hash(b)
}

func appendLower(b []byte, s string) []byte {
	if n := len(s); n > 0 && s[n-1] == '.' {
		s = s[:n-1]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// ---- small bounded sets -------------------------------------------------

// addrSet is a bounded set of addresses in insertion order; More counts
// additions refused past the cap (distinct or not: it is a lower bound on
// the excess, documented as such).
type addrSet struct {
	L    []netip.Addr
	More int64
}

func (s *addrSet) add(a netip.Addr, capacity int) bool {
	if !a.IsValid() {
		return false
	}
	if slices.Contains(s.L, a) {
		return false
	}
	if len(s.L) >= capacity {
		s.More++
		return false
	}
	s.L = append(s.L, a)
	return true
}

func (s *addrSet) has(a netip.Addr) bool { return slices.Contains(s.L, a) }

// n is the number of distinct addresses kept (the cap bounds it).
func (s *addrSet) n() int { return len(s.L) }

func (s *addrSet) strings() []string {
	if len(s.L) == 0 {
		return nil
	}
	l := slices.Clone(s.L)
	slices.SortFunc(l, func(a, b netip.Addr) int { return a.Compare(b) })
	out := make([]string, len(l))
	for i, a := range l {
		out[i] = a.String()
	}
	return out
}

// strSet is a bounded set of strings in insertion order.
type strSet struct {
	L    []string
	More int64
}

func (s *strSet) add(v string, capacity int) bool {
	if v == "" {
		return false
	}
	if slices.Contains(s.L, v) {
		return false
	}
	if len(s.L) >= capacity {
		s.More++
		return false
	}
	s.L = append(s.L, v)
	return true
}

func (s *strSet) has(v string) bool { return slices.Contains(s.L, v) }

func (s *strSet) sorted() []string {
	if len(s.L) == 0 {
		return nil
	}
	out := slices.Clone(s.L)
	slices.Sort(out)
	return out
}

// beacon keeps the last inter-arrival gaps of a connection series, to
// tell a machine's regular check-ins from a person's browsing.
type beacon struct {
	Last int64     // unix ns of the last connection
	Gaps [16]int32 // ms, ring (saturating at ~24 days)
	N    int       // gaps recorded (total)
}

func (b *beacon) add(t int64) {
	if b.Last != 0 && t > b.Last {
		b.Gaps[b.N%len(b.Gaps)] = int32(min((t-b.Last)/1e6, 1<<31-1))
		b.N++
	}
	if t > b.Last {
		b.Last = t
	}
}

// regular reports whether at least minGaps recent gaps are regular: 75% of
// them within ±25% of their median, with a median of at least 5 s. It
// returns the median in seconds.
func (b *beacon) regular(minGaps int) (bool, float64) {
	n := min(b.N, len(b.Gaps))
	if n < minGaps {
		return false, 0
	}
	g := make([]int64, n)
	for i := range g {
		g[i] = int64(b.Gaps[i])
	}
	slices.Sort(g)
	med := g[n/2]
	if med < 5000 {
		return false, float64(med) / 1000
	}
	ok := 0
	for _, x := range g {
		if x >= med*3/4 && x <= med*5/4 {
			ok++
		}
	}
	return ok*4 >= n*3, float64(med) / 1000
}

func humanSecs(s float64) string {
	switch {
	case s >= 3600:
		return strconv.FormatFloat(s/3600, 'f', 1, 64) + "h"
	case s >= 120:
		return strconv.FormatFloat(s/60, 'f', 1, 64) + "min"
	}
	return strconv.FormatFloat(s, 'f', 0, 64) + "s"
}

// hset is a two-generation set of hashed keys with a time (unix ns), for
// memories such as "this client resolved this name".
type hset struct {
	Cur, Old map[uint64]int64
	Cap      int
	Evicted  uint64
}

func newHset(capacity int) hset {
	return hset{Cur: make(map[uint64]int64), Old: make(map[uint64]int64), Cap: max(capacity, 2)}
}

func (h *hset) fix(capacity int) {
	if h.Cur == nil {
		h.Cur = make(map[uint64]int64)
	}
	if h.Old == nil {
		h.Old = make(map[uint64]int64)
	}
	if capacity >= 2 {
		h.Cap = capacity
	}
}

// at returns the time recorded for k.
func (h *hset) at(k uint64) (int64, bool) {
	if t, ok := h.Cur[k]; ok {
		return t, true
	}
	t, ok := h.Old[k]
	return t, ok
}

// set records k at time t (keeping the later time).
func (h *hset) set(k uint64, t int64) {
	if old, ok := h.Cur[k]; ok {
		if t > old {
			h.Cur[k] = t
		}
		return
	}
	if old, ok := h.Old[k]; ok {
		delete(h.Old, k)
		t = max(t, old)
	}
	if len(h.Cur) >= h.Cap/2 {
		h.Evicted += uint64(len(h.Old))
		h.Old = h.Cur
		h.Cur = make(map[uint64]int64, h.Cap/4)
	}
	h.Cur[k] = t
}

func (h *hset) len() int { return len(h.Cur) + len(h.Old) }
