package hosts

import (
	"bufio"
	"bytes"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/sim"
)

// The benchmarks run on one simulator workload: seed 2, 400 workstations,
// 6 working hours (about 470k events, 7,000 hosts).
var benchCfg = sim.Config{Seed: 2, Hosts: 400, Hours: 6, Start: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}

var (
	linesOnce sync.Once
	benchLns  [][]byte
	evsOnce   sync.Once
	benchEvs  []*event.Event
)

func benchLines(tb testing.TB) [][]byte {
	linesOnce.Do(func() {
		var buf bytes.Buffer
		if _, err := sim.Generate(benchCfg, &buf, nil); err != nil {
			tb.Fatal(err)
		}
		for _, l := range bytes.Split(buf.Bytes(), []byte("\n")) {
			if len(l) > 0 {
				benchLns = append(benchLns, l)
			}
		}
	})
	return benchLns
}

// benchEvents decodes the workload once per process.
func benchEvents(tb testing.TB) []*event.Event {
	evsOnce.Do(func() {
		sc := bufio.NewScanner(bytes.NewReader(bytes.Join(benchLines(tb), []byte("\n"))))
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			if ev, err := decode.Decode(sc.Bytes()); err == nil {
				ev.Raw = nil
				benchEvs = append(benchEvs, ev)
			}
		}
	})
	return benchEvs
}

var benchOpt = Options{HomeNets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12")}}

// clockCost measures what a time.Now / time.Since pair costs.
func clockCost() float64 {
	var d time.Duration
	for i := 0; i < 100000; i++ {
		s := time.Now()
		d += time.Since(s)
	}
	return float64(d.Nanoseconds()) / 100000
}

// BenchmarkObserve is the ingest pattern in steady state: the table already
// holds every host of the workload; a batch of 256 lines is decoded, then
// observed with ObserveBatch. observe-ns/event is ObserveBatch's own cost
// per event (timed around it), decode-ns/event the decoder's on the same
// lines, for scale; ns/op covers both.
func BenchmarkObserve(b *testing.B) {
	lines := benchLines(b)
	t := New(benchOpt)
	for _, l := range lines {
		ev, _ := decode.Decode(l)
		t.Observe(ev)
	}
	batch := make([]*event.Event, 0, 256)
	var observe, dec time.Duration
	b.ResetTimer()
	pos := 0
	for done := 0; done < b.N; {
		s := time.Now()
		batch = batch[:0]
		for len(batch) < cap(batch) && done+len(batch) < b.N {
			ev, err := decode.Decode(lines[pos])
			if err != nil {
				b.Fatal(err)
			}
			batch = append(batch, ev)
			pos = (pos + 1) % len(lines)
		}
		dec += time.Since(s)
		s = time.Now()
		t.ObserveBatch(batch)
		observe += time.Since(s)
		done += len(batch)
	}
	b.ReportMetric(float64(observe.Nanoseconds())/float64(b.N), "observe-ns/event")
	b.ReportMetric(float64(dec.Nanoseconds())/float64(b.N), "decode-ns/event")
}

// BenchmarkObserveAfterDecode is the same with Observe called per event
// right after decoding it.
func BenchmarkObserveAfterDecode(b *testing.B) {
	lines := benchLines(b)
	c := clockCost()
	t := New(benchOpt)
	for _, l := range lines {
		ev, _ := decode.Decode(l)
		t.Observe(ev)
	}
	var observe time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev, err := decode.Decode(lines[i%len(lines)])
		if err != nil {
			b.Fatal(err)
		}
		s := time.Now()
		t.Observe(ev)
		observe += time.Since(s)
	}
	b.ReportMetric(float64(observe.Nanoseconds())/float64(b.N)-c, "observe-ns/event")
}

// BenchmarkObserveCold observes the pre-decoded workload (about 1 GB of
// events, none in cache) into a table that starts empty at each pass: the
// memory-bound worst case, host creation included.
func BenchmarkObserveCold(b *testing.B) {
	evs := benchEvents(b)
	b.ReportAllocs()
	b.ResetTimer()
	t := New(benchOpt)
	done := 0
	for done < b.N {
		for j := 0; j < len(evs) && done < b.N; j += 256 {
			end := min(j+256, len(evs), j+b.N-done)
			t.ObserveBatch(evs[j:end])
			done += end - j
		}
		t = New(benchOpt)
	}
}

// BenchmarkObserveHot repeats a window of 2,000 events on one table: hosts
// and events stay in cache, which isolates the CPU cost from memory
// latency.
func BenchmarkObserveHot(b *testing.B) {
	evs := benchEvents(b)[:2000]
	t := New(benchOpt)
	t.ObserveBatch(evs)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t.Observe(evs[i%len(evs)])
	}
}

// BenchmarkGet builds a card (the CLI's host command).
func BenchmarkGet(b *testing.B) {
	t := New(benchOpt)
	t.ObserveBatch(benchEvents(b))
	a := netip.MustParseAddr("10.20.0.10")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := t.Get(a); !ok {
			b.Fatal("no host")
		}
	}
}

// BenchmarkRoles is the cheap role lookup (sightings' asset roles).
func BenchmarkRoles(b *testing.B) {
	t := New(benchOpt)
	t.ObserveBatch(benchEvents(b))
	a := netip.MustParseAddr("10.20.0.10")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t.Roles(a)
	}
}
