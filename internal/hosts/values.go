package hosts

import (
	"cmp"
	"hash/maphash"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// maxValueLen bounds every stored string: EVE values are attacker
// controlled (a 2 KB User-Agent, a 255-byte header name). Longer values are
// cut at a rune boundary before they are looked up, so a value and its
// truncation are the same entry.
const maxValueLen = 512

// clip returns s cut to maxValueLen bytes at a rune boundary.
func clip(s string) string { return cut(s, maxValueLen) }

// cut returns s cut to at most n bytes at a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// setMode says what a full valueSet does with a new value.
type setMode uint8

const (
	// keepFirst keeps the first cap values and counts the rest as dropped:
	// for identities (hostnames, users, fingerprints) the oldest values are
	// the ones that matter and a flood of new ones must not evict them.
	keepFirst setMode = iota
	// topK keeps the most frequent values (space-saving algorithm): a new
	// value replaces the least counted of a window of evictSample entries
	// and inherits its count + 1, so counts of values that arrived late are
	// upper bounds. For "what does this host talk to most" lists (DNS
	// names, HTTP hosts, signatures).
	topK
)

// entry is one value of a valueSet with what is known about it.
type entry struct {
	v           string
	first, last int64 // unix nanoseconds
	count       uint32
	src         uint16 // bitmask of sources (hostnames: where the name came from)
	h           uint64 // hash of v
}

var hashSeed = maphash.MakeSeed()

// strHash is a seeded 64-bit hash. Sets compare hashes (and lengths), not
// the stored strings: dereferencing a stored string is a cache miss, and a
// collision of the seeded 64-bit hash between two values of one set has a
// probability of about 2^-64 (and cannot be aimed at from outside, the
// seed being random per process).
func strHash(s string) uint64 { return maphash.String(hashSeed, s) }

// valueSet is a bounded set of distinct strings with first/last seen times
// and counts. Entries are kept in one slice with their hashes inline, so a
// lookup scans one contiguous block and never dereferences stored strings.
// Repeated hits on the same value (the common case: one sensor, one JA4,
// one application protocol event after event) are counted in the header
// (run, runLast) without touching the entries; readers merge the pending
// run into the entry at index last. The zero value is an empty set. Not
// safe for concurrent use (the Table's lock guards it).
type valueSet struct {
	ents    []entry
	aux     *setAux // index and dropped-value bitmap, for big or full sets
	runH    uint64  // hash of ents[last]
	runLast int64   // latest time of the pending hits
	run     uint32  // hits of ents[last] not yet added to it
	dropped uint32  // observations not kept (keepFirst) or evictions (topK)
	last    uint16  // index of the entry hit last
}

const overWords = 16 // 1024 bits: good estimates up to a few thousand values

// setAux is what only big or full sets need.
type setAux struct {
	idx  []uint16 // open-addressing index (1 + entry index; 0 = empty) once len(ents) > indexMin
	over [overWords]uint64
}

func (s *valueSet) auxp() *setAux {
	if s.aux == nil {
		s.aux = new(setAux)
	}
	return s.aux
}

// index returns the hash index or nil.
func (s *valueSet) idxOf() []uint16 {
	if s.aux == nil {
		return nil
	}
	return s.aux.idx
}

// indexMin is the size above which a set gets a hash index; below it a
// scan of the contiguous entries is as fast.
const indexMin = 8

// evictSample is how many entries a full top set compares to choose the one
// to evict (the least counted of a sliding window, not of the whole set:
// cheap, and frequent values are still kept).
const evictSample = 8

// droppedValues estimates the distinct values a full keepFirst set did not
// keep, from a linear-counting bitmap of their hashes (over).
func (s *valueSet) droppedValues() int64 {
	if s.aux == nil || s.dropped == 0 {
		return int64(s.dropped)
	}
	zeros := 0
	for _, w := range s.aux.over {
		zeros += 64 - bits.OnesCount64(w)
	}
	m := float64(overWords * 64)
	if zeros == 0 {
		zeros = 1
	}
	n := int64(-m*math.Log(float64(zeros)/m) + 0.5)
	return min(max(n, 1), int64(s.dropped))
}

func (s *valueSet) len() int { return len(s.ents) }

// flush adds the pending run to its entry.
func (s *valueSet) flush() {
	if s.run == 0 {
		return
	}
	if l := int(s.last); l < len(s.ents) {
		e := &s.ents[l]
		e.count += s.run
		e.last = max(e.last, s.runLast)
	}
	s.run = 0
}

// entry returns entry i with the pending run merged (read-only).
func (s *valueSet) entry(i int) entry {
	e := s.ents[i]
	if s.run > 0 && i == int(s.last) {
		e.count += s.run
		e.last = max(e.last, s.runLast)
	}
	return e
}

// find returns the index of the value with hash h and length n, or -1.
func (s *valueSet) find(h uint64, n int) int {
	if idx := s.idxOf(); idx != nil {
		mask := uint64(len(idx) - 1)
		// Bounded probe: the index is kept at most half full (add grows
		// it), but a full table must never spin forever.
		i := h & mask
		for range idx {
			p := idx[i]
			if p == 0 {
				return -1
			}
			if e := &s.ents[p-1]; e.h == h && len(e.v) == n {
				return int(p - 1)
			}
			i = (i + 1) & mask
		}
		return -1
	}
	for i := range s.ents {
		if e := &s.ents[i]; e.h == h && len(e.v) == n {
			return i
		}
	}
	return -1
}

// indexAdd records entry i in the index.
func (s *valueSet) indexAdd(i int) {
	idx := s.aux.idx
	mask := uint64(len(idx) - 1)
	j := s.ents[i].h & mask
	for idx[j] != 0 {
		j = (j + 1) & mask
	}
	idx[j] = uint16(i + 1)
}

// indexDel removes entry i from the index (backward-shift deletion).
func (s *valueSet) indexDel(i int) {
	idx := s.aux.idx
	mask := uint64(len(idx) - 1)
	j := s.ents[i].h & mask
	for idx[j] != uint16(i+1) {
		if idx[j] == 0 {
			return
		}
		j = (j + 1) & mask
	}
	for {
		idx[j] = 0
		k := j
		for {
			k = (k + 1) & mask
			p := idx[k]
			if p == 0 {
				return
			}
			home := s.ents[p-1].h & mask
			// Move p back to j unless its home lies cyclically in (j, k].
			if (j < k && (home <= j || home > k)) || (j > k && home <= j && home > k) {
				idx[j] = p
				j = k
				break
			}
		}
	}
}

// buildIndex (re)creates the index for a set of the given capacity.
func (s *valueSet) buildIndex(limit int) {
	n := 16
	for n < 2*limit {
		n *= 2
	}
	s.auxp().idx = make([]uint16, n)
	for i := range s.ents {
		s.indexAdd(i)
	}
}

// add records v at ts and returns its index, or -1 when the set is full
// (keepFirst) or v is empty. v is clipped and, when new, copied so that the
// set never pins the decoder's buffers.
func (s *valueSet) add(v string, ts int64, limit int, mode setMode) int {
	if v == "" {
		return -1
	}
	v = clip(v)
	h := strHash(v)
	if len(s.ents) > 0 && h == s.runH && int(s.last) < len(s.ents) {
		s.run++
		s.runLast = max(s.runLast, ts)
		return int(s.last)
	}
	s.flush()
	if i := s.find(h, len(v)); i >= 0 {
		e := &s.ents[i]
		e.count++
		e.last = max(e.last, ts)
		if ts < e.first {
			e.first = ts
		}
		s.last, s.runH, s.runLast = uint16(i), h, ts
		return i
	}
	if len(s.ents) >= limit {
		s.dropped++
		if mode != topK || len(s.ents) == 0 {
			b := h % uint64(overWords*64)
			s.auxp().over[b/64] |= 1 << (b % 64)
			return -1
		}
		n := len(s.ents)
		start := int(s.dropped) % n
		j := start
		for k := 1; k < min(evictSample, n); k++ {
			if i := (start + k) % n; s.ents[i].count < s.ents[j].count {
				j = i
			}
		}
		hasIdx := s.idxOf() != nil
		if hasIdx {
			s.indexDel(j)
		}
		s.ents[j] = entry{v: strings.Clone(v), first: ts, last: ts, count: s.ents[j].count + 1, h: h}
		if hasIdx {
			s.indexAdd(j)
		}
		s.last, s.runH, s.runLast = uint16(j), h, ts
		return j
	}
	if s.ents == nil {
		s.ents = make([]entry, 0, min(limit, 2))
	}
	s.ents = append(s.ents, entry{v: strings.Clone(v), first: ts, last: ts, count: 1, h: h})
	i := len(s.ents) - 1
	switch {
	case s.idxOf() != nil && 2*len(s.ents) <= len(s.idxOf()):
		s.indexAdd(i)
	case s.idxOf() != nil:
		// The set outgrew its index (sized for a smaller limit, or after
		// a snapshot load): rebuild it larger.
		s.buildIndex(max(limit, len(s.ents)))
	case len(s.ents) > indexMin:
		s.buildIndex(limit)
	}
	s.last, s.runH, s.runLast = uint16(i), h, ts
	return i
}

// rehash recomputes the hashes (after loading a snapshot: the hash seed
// is per process).
func (s *valueSet) rehash() {
	for i := range s.ents {
		s.ents[i].h = strHash(s.ents[i].v)
	}
	if s.aux != nil {
		s.aux.idx = nil
	}
	if len(s.ents) > indexMin {
		s.buildIndex(len(s.ents))
	}
	s.last, s.run = 0, 0
	if len(s.ents) > 0 {
		s.runH = s.ents[0].h
	}
}

func (s *valueSet) has(v string) bool { return s.index(v) >= 0 }

// index returns the position of v or -1.
func (s *valueSet) index(v string) int {
	if v == "" || len(s.ents) == 0 {
		return -1
	}
	v = clip(v)
	return s.find(strHash(v), len(v))
}

// strs returns the values as a new []string, or nil when empty.
func (s *valueSet) strs() any {
	if len(s.ents) == 0 {
		return nil
	}
	return s.values()
}

// values returns the values as a new slice (nil when empty).
func (s *valueSet) values() []string {
	if len(s.ents) == 0 {
		return nil
	}
	out := make([]string, len(s.ents))
	for i := range s.ents {
		out[i] = s.ents[i].v
	}
	return out
}

// Value is one remembered value of a host attribute, as it appears in a
// Card: when it was first and last seen and how often.
type Value struct {
	Value     string    `json:"value"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Count     int64     `json:"count"`
	// Sources says where a hostname was learnt (dns, sni, http, dhcp,
	// krb5, ntlm); empty for other attributes.
	Sources []string `json:"sources,omitempty"`
	// ID is the signature id for alert signatures.
	ID int64 `json:"id,omitempty"`
}

// ValueList is a bounded attribute as it appears in a Card.
type ValueList struct {
	Values []Value `json:"values"`
	// Dropped counts the distinct values that were not kept because the
	// list was full (estimated past a few thousand), or, for top lists, the
	// evictions of less frequent values by new ones.
	Dropped int64 `json:"dropped,omitempty"`
	// Top is true for top-N lists, whose counts are upper bounds for
	// values that entered after the list filled up.
	Top bool `json:"top,omitempty"`
}

// list copies the set into a ValueList, most recent first for keepFirst
// sets and most frequent first for top sets.
func (s *valueSet) list(top bool, srcNames []string) ValueList { return s.listIDs(top, srcNames, nil) }

// listIDs is list with ids parallel to the entries (alert signature ids).
func (s *valueSet) listIDs(top bool, srcNames []string, ids []int64) ValueList {
	out := ValueList{Dropped: int64(s.dropped), Top: top}
	if !top {
		out.Dropped = s.droppedValues()
	}
	if len(s.ents) == 0 {
		return out
	}
	// Order entry indices on their raw fields, then build the values.
	ents := make([]entry, len(s.ents))
	order := make([]int, len(s.ents))
	for i := range s.ents {
		ents[i], order[i] = s.entry(i), i
	}
	if top {
		slices.SortStableFunc(order, func(a, b int) int {
			if ca, cb := ents[a].count, ents[b].count; ca != cb {
				if ca > cb {
					return -1
				}
				return 1
			}
			return strings.Compare(ents[a].v, ents[b].v)
		})
	} else {
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ents[a].first, ents[b].first) })
	}
	out.Values = make([]Value, len(order))
	for k, i := range order {
		e := &ents[i]
		val := Value{Value: e.v, FirstSeen: ts(e.first), LastSeen: ts(e.last), Count: int64(e.count)}
		if i < len(ids) {
			val.ID = ids[i]
		}
		if e.src != 0 && srcNames != nil {
			for b := 0; b < len(srcNames); b++ {
				if e.src&(1<<b) != 0 {
					val.Sources = append(val.Sources, srcNames[b])
				}
			}
		}
		out.Values[k] = val
	}
	return out
}

func ts(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// ---- distinct counting ----------------------------------------------------

// distinct counts distinct 64-bit keys (hashed addresses): exactly, in a
// small open-addressing hash set, up to a cap; past the cap the keys move
// into a HyperLogLog sketch and the count becomes an estimate (standard
// error 1.04/sqrt(m) = 3.3 % with the 1024 registers used).
type distinct struct {
	set []uint64 // open addressing, 0 = empty slot; len is a power of two
	n   uint32   // keys in set
	hll []uint8  // non-nil once approximate
}

// add records k and reports whether it was new (always false once the
// counter is approximate, where novelty is not known).
func (d *distinct) add(k uint64, exactMax int, hllBits uint8) bool {
	if d.hll != nil {
		// The sketch's own size decides (a loaded sketch may differ).
		hllAdd(d.hll, uint8(bits.TrailingZeros(uint(len(d.hll)))), k)
		return false
	}
	if k == 0 {
		k = 1
	}
	if d.set != nil {
		mask := uint64(len(d.set) - 1)
		for i := k & mask; ; i = (i + 1) & mask {
			switch d.set[i] {
			case k:
				return false
			case 0:
				goto insert
			}
		}
	}
insert:
	if int(d.n) >= exactMax {
		reg := make([]uint8, 1<<hllBits)
		for _, x := range d.set {
			if x != 0 {
				hllAdd(reg, hllBits, x)
			}
		}
		hllAdd(reg, hllBits, k)
		d.hll, d.set, d.n = reg, nil, 0
		return true
	}
	if 2*(int(d.n)+1) > len(d.set) {
		d.grow()
	}
	d.insert(k)
	d.n++
	return true
}

func (d *distinct) insert(k uint64) {
	mask := uint64(len(d.set) - 1)
	i := k & mask
	for d.set[i] != 0 {
		i = (i + 1) & mask
	}
	d.set[i] = k
}

func (d *distinct) grow() {
	old := d.set
	n := 4
	if len(old) > 0 {
		n = 2 * len(old)
	}
	d.set = make([]uint64, n)
	for _, x := range old {
		if x != 0 {
			d.insert(x)
		}
	}
}

// keys returns the exact keys (nil when approximate).
func (d *distinct) keys() []uint64 {
	var out []uint64
	for _, x := range d.set {
		if x != 0 {
			out = append(out, x)
		}
	}
	return out
}

// count returns the number of distinct keys and whether it is exact.
func (d *distinct) count() (int64, bool) {
	if d.hll == nil {
		return int64(d.n), true
	}
	return hllCount(d.hll), false
}

func (d *distinct) nKeys() int64 { n, _ := d.count(); return n }

func hllAdd(reg []uint8, p uint8, k uint64) {
	idx := k >> (64 - p)
	w := k<<p | 1<<(p-1)
	rho := uint8(bits.LeadingZeros64(w)) + 1
	if rho > reg[idx] {
		reg[idx] = rho
	}
}

func hllCount(reg []uint8) int64 {
	m := float64(len(reg))
	var sum float64
	zeros := 0
	for _, r := range reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	var alpha float64
	switch len(reg) {
	case 16:
		alpha = 0.673
	case 32:
		alpha = 0.697
	case 64:
		alpha = 0.709
	default:
		alpha = 0.7213 / (1 + 1.079/m)
	}
	e := alpha * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int64(e + 0.5)
}

// addrKey hashes an address into a well-mixed 64-bit key for distinct.
func addrKey(a netip.Addr) uint64 {
	b := a.As16()
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return mix64(hi*0x9e3779b97f4a7c15 ^ mix64(lo))
}

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// peerSet is a tiny exact set of peer hashes for evidence (how many distinct
// peers showed a behaviour); it saturates at len(keys).
type peerSet struct {
	keys [8]uint32
	n    uint8
}

func (p *peerSet) add(k uint64) {
	h := uint32(k>>32) | 1 // never 0
	for i := uint8(0); i < p.n; i++ {
		if p.keys[i] == h {
			return
		}
	}
	if int(p.n) < len(p.keys) {
		p.keys[p.n] = h
		p.n++
	}
}

// count is the number of distinct peers, saturated: 8 means "8 or more".
func (p *peerSet) count() int { return int(p.n) }
