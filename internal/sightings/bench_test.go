package sightings

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/event"
)

// mixedEvents decodes n events in a rough production mix (flow 35 %, dns
// 25 %, tls 20 %, http 15 %, fileinfo 3 %, ssh 2 %) drawing values from
// pools of the given size, so that a second pass over them is all repeats.
func mixedEvents(tb testing.TB, n, pool int) []*event.Event {
	rng := rand.New(rand.NewPCG(42, 43))
	evs := make([]*event.Event, 0, n)
	pick := func(p int) int { return rng.IntN(max(p, 1)) }
	for range n {
		ip := fmt.Sprintf("10.%d.%d.%d", pick(4), pick(50), 1+pick(250))
		srv := fmt.Sprintf("198.51.%d.%d", pick(pool/256+1), pick(256))
		r := rng.IntN(100)
		var l string
		switch {
		case r < 35:
			l = strings.NewReplacer("10.0.0.5", ip, "93.184.216.34", srv, `"dest_port":443`, fmt.Sprintf(`"dest_port":%d`, []int{443, 80, 53, 8443, 22}[pick(5)])).Replace(flow7)
		case r < 60:
			l = strings.NewReplacer("10.0.0.5", ip, "a.b.example.co.uk", fmt.Sprintf("h%d.d%d.example.com", pick(pool), pick(pool/4))).Replace(dnsV2Answer)
		case r < 80:
			l = strings.NewReplacer("10.0.0.5", ip, "93.184.216.34", srv, "www.example.com", fmt.Sprintf("s%d.example.org", pick(pool)),
				"e7d705a3286e19ea42f587b344ee6865", fmt.Sprintf("%032x", pick(pool/50)), "t13d1516h2_8daaf6152771_b0da82dd1658", fmt.Sprintf("t13d1516h2_%012x_b0da82dd1658", pick(pool/50))).Replace(tls7)
		case r < 95:
			l = strings.NewReplacer("10.0.0.5", ip, "198.51.100.7", srv, "update.example.net", fmt.Sprintf("w%d.example.net", pick(pool)),
				"curl/8.5.0", fmt.Sprintf("agent/%d", pick(pool/20)), "nginx/1.25.3", fmt.Sprintf("nginx/1.%d", pick(30))).Replace(http7)
		case r < 98:
			l = strings.NewReplacer("10.0.0.5", ip, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", fmt.Sprintf("%064x", pick(pool))).Replace(file7)
		default:
			l = strings.NewReplacer("10.0.0.5", ip, "OpenSSH_9.6", fmt.Sprintf("OpenSSH_9.%d", pick(10))).Replace(ssh7)
		}
		evs = append(evs, mustDecode(tb, l))
	}
	return evs
}

// BenchmarkObserve: ns per event through Observe.
//   - steady: every value already known (the normal state after learning),
//     in a table that also holds 1M other values so that probes miss the
//     CPU caches as in production; the 2,000 events cycle, so they are hot
//     like a just-decoded event;
//   - steady-cold-events: the same over 20,000 events, so reading the event
//     itself misses the caches too (a pessimistic bound);
//   - novel: a fresh tracker each pass, so the first sight of every pooled
//     value is inserted and emitted.
func BenchmarkObserve(b *testing.B) {
	emit := func(Sighting) {}
	steady := func(b *testing.B, evs []*event.Event) {
		tr := New(Options{})
		fill(tr, 1_000_000, 77)
		for _, ev := range evs {
			tr.Observe(ev, emit)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tr.Observe(evs[i%len(evs)], emit)
		}
	}
	b.Run("steady", func(b *testing.B) { steady(b, mixedEvents(b, 2_000, 2_000)) })
	b.Run("steady-batch", func(b *testing.B) {
		evs := mixedEvents(b, 2_048, 2_048)
		tr := New(Options{})
		fill(tr, 1_000_000, 77)
		tr.ObserveBatch(evs, emit)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i += 64 {
			j := i % len(evs)
			tr.ObserveBatch(evs[j:j+64], emit)
		}
	})
	b.Run("steady-cold-events", func(b *testing.B) { steady(b, mixedEvents(b, 20_000, 20_000)) })
	b.Run("novel", func(b *testing.B) {
		evs := mixedEvents(b, 20_000, 20_000)
		var tr *Tracker
		emitted := 0
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if i%len(evs) == 0 {
				tr = New(Options{})
			}
			tr.Observe(evs[i%len(evs)], func(Sighting) { emitted++ })
		}
		b.ReportMetric(float64(emitted)/float64(b.N), "sightings/event")
	})
}

// BenchmarkSetInsert: ns per insert of a new random hash into a growing
// table (resizes included), and per lookup of a present one.
func BenchmarkSetInsert(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	b.Run("growing", func(b *testing.B) {
		var s set
		s.init(0, 0)
		for i := 0; i < b.N; i++ {
			s.add(fixHash(rng.Uint64()), 0)
		}
		b.ReportMetric(float64(s.bytes())/float64(s.len()), "B/value")
	})
	b.Run("presized", func(b *testing.B) {
		var s set
		s.init(b.N, 0)
		for i := 0; i < b.N; i++ {
			s.add(fixHash(rng.Uint64()), 0)
		}
	})
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("lookup-hit-%d", n), func(b *testing.B) {
			var s set
			s.init(0, 0)
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = fixHash(rng.Uint64())
				s.add(keys[i], 0)
			}
			rng.Shuffle(n, func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if s.add(keys[i%n], 0) {
					b.Fatal("lost")
				}
			}
		})
	}
}

// TestTenMillion measures memory and persistence at 10M values. It takes
// about a minute and 400 MB, so it runs only with NETHUNT_SIGHTINGS_10M=1:
//
//	NETHUNT_SIGHTINGS_10M=1 go test -run TenMillion -v ./internal/sightings/
func TestTenMillion(t *testing.T) {
	if os.Getenv("NETHUNT_SIGHTINGS_10M") == "" {
		t.Skip("set NETHUNT_SIGHTINGS_10M=1 to measure at 10M values")
	}
	const n = 10_000_000
	cpu := func() time.Duration { return cpuTime() }
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}

	// Realistic keys through the real hash path: "tls.sni\x00<name>".
	h0 := heap()
	tr := New(Options{}) // all keys; these events only carry tls.sni
	ev := &event.Event{EventType: "tls", TLS: &event.TLS{}}
	c0 := cpu()
	for i := range n {
		ev.TLS.SNI = fmt.Sprintf("h%07d-9ix.example%03d.com", i, i%1000)
		tr.Observe(ev, nil)
	}
	insert := cpu() - c0
	h1 := heap()
	if tr.Len() != n {
		t.Fatalf("len %d", tr.Len())
	}
	t.Logf("insert (incl. name formatting, growing): %.0f ns/value CPU", float64(insert)/n)
	t.Logf("heap: %.1f MB = %.1f B/value; MemoryBytes %.1f MB; slots %d (load %.2f)",
		float64(h1-h0)/1e6, float64(h1-h0)/n, float64(tr.MemoryBytes())/1e6, len(tr.set.tab.Load().slots), float64(n)/float64(len(tr.set.tab.Load().slots)))

	// Lookups of present values (the steady state), names prepared first.
	names := make([]string, 0, n/10)
	for i := 0; i < n; i += 10 {
		names = append(names, fmt.Sprintf("h%07d-9ix.example%03d.com", i, i%1000))
	}
	rand.New(rand.NewPCG(9, 9)).Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	known := make([]*event.Event, len(names))
	for i, name := range names {
		known[i] = &event.Event{EventType: "tls", TLS: &event.TLS{SNI: name}}
	}
	c0 = cpu()
	for _, e := range known {
		tr.Observe(e, func(Sighting) { t.Fatal("re-emitted") })
	}
	t.Logf("Observe of a known value (one key, random in the 10M table): %.0f ns/value CPU", float64(cpu()-c0)/float64(len(names)))
	c0 = cpu()
	tr.ObserveBatch(known, func(Sighting) { t.Fatal("re-emitted") })
	t.Logf("ObserveBatch of the same: %.0f ns/value CPU", float64(cpu()-c0)/float64(len(names)))
	known = nil
	names = nil
	hs, seed := tr.set.keys()
	rand.New(rand.NewPCG(9, 9)).Shuffle(len(hs), func(i, j int) { hs[i], hs[j] = hs[j], hs[i] })
	hs = hs[:1_000_000]
	c0 = cpu()
	for _, h := range hs {
		if tr.set.add(h, seed) {
			t.Fatal("lost")
		}
	}
	t.Logf("set lookup of a known hash (10M table): %.0f ns CPU", float64(cpu()-c0)/float64(len(hs)))
	hs = nil

	// Mixed events against the 10M table, all values known.
	evs := mixedEvents(t, 2000, 2000)
	for _, e := range evs {
		tr.Observe(e, nil)
	}
	const passes = 500
	c0 = cpu()
	for range passes {
		for _, e := range evs {
			tr.Observe(e, func(Sighting) { t.Fatal("re-emitted") })
		}
	}
	t.Logf("Observe, mixed events, steady, 10M table: %.0f ns/event CPU", float64(cpu()-c0)/(passes*float64(len(evs))))
	c0 = cpu()
	for range passes {
		tr.ObserveBatch(evs, func(Sighting) { t.Fatal("re-emitted") })
	}
	t.Logf("ObserveBatch, same: %.0f ns/event CPU", float64(cpu()-c0)/(passes*float64(len(evs))))
	total := tr.Len()

	var buf bytes.Buffer
	buf.Grow(70 << 20)
	c0 = cpu()
	w0 := time.Now()
	if err := tr.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot: %.1f MB = %.2f B/value; write %v CPU, %v wall",
		float64(buf.Len())/1e6, float64(buf.Len())/n, cpu()-c0, time.Since(w0).Round(time.Millisecond))

	// Lock hold time of a snapshot (what Observe's inserts wait for).
	w0 = time.Now()
	keys, _ := tr.set.keys()
	t.Logf("snapshot copy: %v, of which under lock %v", time.Since(w0).Round(time.Millisecond), tr.set.lastHold.Round(time.Millisecond))
	w0 = time.Now()
	k2 := slices.Clone(keys)
	slices.Sort(keys)
	t.Logf("pdqsort of the nearly-sorted copy: %v", time.Since(w0).Round(time.Millisecond))
	w0 = time.Now()
	sortNearlySorted(k2)
	t.Logf("insertion sort of the same: %v", time.Since(w0).Round(time.Millisecond))
	if !slices.Equal(keys, k2) {
		t.Fatal("sorts disagree")
	}
	k2 = nil
	keys = nil

	re := New(Options{})
	c0 = cpu()
	w0 = time.Now()
	if err := re.ReadSnapshot(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	t.Logf("reload: %v CPU, %v wall", cpu()-c0, time.Since(w0).Round(time.Millisecond))
	if re.Len() != total {
		t.Fatalf("reloaded %d", re.Len())
	}
	runtime.KeepAlive(tr)

	// For comparison: a Go map of the same hashes.
	tr, re, buf = nil, nil, bytes.Buffer{}
	h0 = heap()
	m := make(map[uint64]struct{})
	rng := rand.New(rand.NewPCG(1, 1))
	for range n {
		m[rng.Uint64()] = struct{}{}
	}
	h1 = heap()
	t.Logf("Go map[uint64]struct{} for comparison: %.1f B/value", float64(h1-h0)/n)
	runtime.KeepAlive(m)
}
