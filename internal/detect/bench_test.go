package detect

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/sim"
)

func simEvents(b testing.TB, cfg sim.Config) []*event.Event {
	var eve bytes.Buffer
	if _, err := sim.Generate(cfg, &eve, nil); err != nil {
		b.Fatal(err)
	}
	var evs []*event.Event
	sc := bufio.NewScanner(&eve)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		ev, err := decode.Decode(sc.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// BenchmarkProcess measures the stage alone on simulator traffic
// (ns/event is the figure to watch: the budget is 1-2 µs).
func BenchmarkProcess(b *testing.B) {
	evs := simEvents(b, sim.Config{Seed: 1, Hosts: 300, Hours: 6})
	b.ResetTimer()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		st, _ := New(Options{})
		for j := 0; j < len(evs); j += 20000 {
			st.Process(evs[j:min(j+20000, len(evs))])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
	b.ReportMetric(float64(len(evs)), "events")
}

// TestMemoryLarge (opt-in: DETECT_MEM=hosts) streams a large simulation
// through the stage and reports the heap held by its state and the time
// per event. Example: DETECT_MEM=1000 DETECT_HOURS=24 go test -run MemoryLarge -v
func TestMemoryLarge(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("DETECT_MEM"))
	if n == 0 {
		t.Skip("set DETECT_MEM=<hosts>")
	}
	hours, _ := strconv.ParseFloat(os.Getenv("DETECT_HOURS"), 64)
	if hours == 0 {
		hours = 24
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := sim.Generate(sim.Config{Seed: 9, Hosts: n, Hours: hours}, pw, nil)
		pw.CloseWithError(err)
	}()
	st, _ := New(Options{})
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	var batch []*event.Event
	var total int
	var spent time.Duration
	var findings int
	flush := func() {
		t0 := time.Now()
		findings += len(st.Process(batch))
		spent += time.Since(t0)
		total += len(batch)
		batch = batch[:0]
	}
	for sc.Scan() {
		ev, err := decode.Decode(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, ev)
		if len(batch) == 20000 {
			flush()
		}
	}
	flush()
	batch = nil
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d events, %d finding events, %.0f ns/event in Process, heap in use after GC %.1f MiB", total, findings, float64(spent.Nanoseconds())/float64(total), float64(ms.HeapInuse)/(1<<20))
	for name, ts := range st.Stats().Tables {
		if ts.Len > 0 || ts.Evicted > 0 {
			t.Logf("  %-18s %8d / %8d  evicted %d", name, ts.Len, ts.Cap, ts.Evicted)
		}
	}
	runtime.KeepAlive(st)
}
