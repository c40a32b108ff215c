package sightings

import (
	"math/rand/v2"
	"testing"
)

// The table must agree with a Go map on every insert, through many resizes.
func TestSetMatchesMapOracle(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	var s set
	s.init(0, 0)
	start := len(s.tab.Load().slots)
	oracle := make(map[uint64]struct{}, n)
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, 0, n+n/4)
	for range n {
		keys = append(keys, rng.Uint64())
	}
	// Repeats, and the two hashes that are merged on purpose.
	for i := 0; i < n/4; i++ {
		keys = append(keys, keys[rng.IntN(n)])
	}
	keys = append(keys, 0, 1, 0)
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	for i, k := range keys {
		h := fixHash(k)
		_, had := oracle[h]
		oracle[h] = struct{}{}
		if got := s.add(h, 0); got == had {
			t.Fatalf("insert %d (%#x): new=%v, oracle says new=%v", i, h, got, !had)
		}
	}
	if s.len() != len(oracle) {
		t.Fatalf("len %d, oracle %d", s.len(), len(oracle))
	}
	for h := range oracle {
		if !s.contains(h) {
			t.Fatalf("%#x lost", h)
		}
	}
	for range 100_000 {
		h := fixHash(rng.Uint64())
		if _, ok := oracle[h]; s.contains(h) != ok {
			t.Fatalf("contains(%#x) disagrees with oracle", h)
		}
	}
	end := len(s.tab.Load().slots)
	if end/start < 1<<8 {
		t.Fatalf("expected many resizes, slots %d → %d", start, end)
	}
	if load := float64(s.len()) / float64(end); load > 0.75 || load < 0.375 {
		t.Fatalf("load %.3f outside [0.375, 0.75]", load)
	}
}

// Hashes sharing their top bits all want one home slot: long clusters, and
// the cluster at the last slot must wrap to slot 0.
func TestSetClustersAndWrap(t *testing.T) {
	var s set
	s.init(0, 0)
	oracle := map[uint64]bool{}
	for i := uint64(1); i <= 5000; i++ {
		for _, h := range []uint64{^uint64(0) - i, i, 1<<63 | i} { // last slot, first slot, middle
			if s.add(h, 0) != !oracle[h] {
				t.Fatalf("add(%#x) wrong", h)
			}
			oracle[h] = true
		}
	}
	for h := range oracle {
		if !s.contains(h) || s.add(h, 0) {
			t.Fatalf("%#x not found", h)
		}
	}
	if s.contains(12345678) || s.contains(^uint64(0)-9999) {
		t.Fatal("phantom hit")
	}
}

func TestSlotsFor(t *testing.T) {
	for _, n := range []int{0, 1, 767, 768, 769, 10_000_000} {
		s := slotsFor(n)
		if s&(s-1) != 0 || s/4*3 < n || (s > minSlots && s/8*3 >= n) {
			t.Errorf("slotsFor(%d) = %d", n, s)
		}
	}
}
