package detect

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/sim"
)

// The line of a finding event decodes back to the same event.
func TestFindingRoundTrip(t *testing.T) {
	evs, _, _ := simRun(t, sim.Config{Seed: 1, Hosts: 60, Hours: 4}, Options{})
	if len(evs) == 0 {
		t.Fatal("no findings")
	}
	// and a finding with awkward strings
	st := newStage(t, Options{})
	evs = append(evs, st.Process(connect(t, 0, 1, "10.10.1.1", "10.10.9.9", 3128, "we<ird>&\"name\u2028.example.com", nil))...)
	for _, ev := range evs {
		got, err := decode.Decode(ev.Raw)
		if err != nil {
			t.Fatalf("%v: %s", err, ev.Raw)
		}
		if !reflect.DeepEqual(got.Finding, ev.Finding) {
			t.Fatalf("finding differs after decoding:\n got %+v\nwant %+v", got.Finding, ev.Finding)
		}
		if got.EventType != EventType || !got.Time.Equal(ev.Time) || got.SrcIP != ev.SrcIP || got.DestIP != ev.DestIP ||
			got.SrcPort != ev.SrcPort || got.DestPort != ev.DestPort || got.FlowID != ev.FlowID || got.Timestamp != ev.Timestamp {
			t.Fatalf("event differs after decoding: %s", ev.Raw)
		}
	}
}

func TestDedupAndReEmit(t *testing.T) {
	st := newStage(t, Options{ReEmitEvery: time.Hour})
	var n int
	var id string
	for i := 0; i < 10; i++ {
		out := st.Process(connect(t, float64(i*60), 10+i, "10.10.1.1", "10.10.9.9", 3128, "www.example.com", nil))
		for _, ev := range out {
			n++
			if id != "" && ev.Finding.ID != id {
				t.Fatalf("id changed: %s then %s", id, ev.Finding.ID)
			}
			id = ev.Finding.ID
		}
	}
	if n != 1 {
		t.Fatalf("10 minutes of the same behaviour: want one emission, got %d", n)
	}
	// two more clients: the decision changes (several hosts): re-emitted
	out := st.Process(append(connect(t, 700, 30, "10.10.1.2", "10.10.9.9", 3128, "www.example.com", nil),
		connect(t, 710, 31, "10.10.1.3", "10.10.9.9", 3128, "www.example.com", nil)...))
	if len(out) != 1 || out[0].Finding.ID != id || out[0].Finding.Decision != Escalate {
		t.Fatalf("decision change: want one re-emission with the same id, got %d: %s", len(out), describe(findingsOf(out)))
	}
	// an hour later with new evidence: re-emitted once with updated counts
	prev := out[0].Finding.EventCount
	out = st.Process(connect(t, 700+3700, 40, "10.10.1.1", "10.10.9.9", 3128, "www.example.com", nil))
	if len(out) != 1 || out[0].Finding.EventCount <= prev {
		t.Fatalf("after the interval: want one update, got %s", describe(findingsOf(out)))
	}
	if len(out[0].Finding.Evidence) > capEvidenceHead+capEvidenceTail {
		t.Fatalf("evidence not bounded: %d", len(out[0].Finding.Evidence))
	}
	// flush: the latest counts
	st.Process(connect(t, 700+3800, 41, "10.10.1.1", "10.10.9.9", 3128, "www.example.com", nil))
	fl := st.Flush()
	if len(fl) != 1 || fl[0].Finding.ID != id || fl[0].Finding.EventCount <= out[0].Finding.EventCount {
		t.Fatalf("flush: %s", describe(findingsOf(fl)))
	}
	if len(st.Flush()) != 0 {
		t.Fatal("second flush emitted again")
	}
}

// A snapshot plus the batches after it gives exactly what one run gives,
// and replaying old batches (as the pipeline does) is deterministic.
func TestSnapshotReplayDeterministic(t *testing.T) {
	evs := simEvents(t, sim.Config{Seed: 2, Hosts: 60, Hours: 5})
	const bs = 3000
	var batches [][]*event.Event
	for i := 0; i < len(evs); i += bs {
		batches = append(batches, evs[i:min(i+bs, len(evs))])
	}
	lines := func(out []*event.Event) []byte {
		var b bytes.Buffer
		for _, ev := range out {
			b.Write(ev.Raw)
			b.WriteByte('\n')
		}
		return b.Bytes()
	}
	// one uninterrupted run
	a := newStage(t, Options{})
	var want []byte
	for _, b := range batches {
		want = append(want, lines(a.Process(b))...)
	}
	// snapshot at the middle, reload, continue
	path := filepath.Join(t.TempDir(), "detect.snap")
	b1 := newStage(t, Options{StatePath: path})
	mid := len(batches) / 2
	var got []byte
	for _, b := range batches[:mid] {
		got = append(got, lines(b1.Process(b))...)
	}
	if err := b1.Snapshot(int64(mid)); err != nil {
		t.Fatal(err)
	}
	// a crash after the snapshot: the next process replays nothing and
	// continues from the snapshot
	b2 := newStage(t, Options{StatePath: path})
	if b2.Seq() != int64(mid) {
		t.Fatalf("seq %d, want %d", b2.Seq(), mid)
	}
	for _, b := range batches[mid:] {
		got = append(got, lines(b2.Process(b))...)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("snapshot + rest differs from one run (%d vs %d bytes)", len(got), len(want))
	}
	// replay from an older snapshot: the output of the replayed batches is
	// what was emitted the first time
	b3 := newStage(t, Options{})
	var replayed []byte
	for _, b := range batches {
		replayed = append(replayed, lines(b3.Process(b))...)
	}
	if !bytes.Equal(replayed, want) {
		t.Fatal("replay is not deterministic")
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("snapshot file: %v", err)
	}
}

// Stored batches contain the findings emitted the first time; a replay
// must not react to them.
func TestFindingEventsIgnored(t *testing.T) {
	st := newStage(t, Options{})
	out := st.Process(connect(t, 0, 1, "10.10.1.1", "10.10.9.9", 3128, "www.example.com", nil))
	st2 := newStage(t, Options{})
	in := append(connect(t, 0, 1, "10.10.1.1", "10.10.9.9", 3128, "www.example.com", nil), out...)
	out2 := st2.Process(in)
	if len(out2) != len(out) || !bytes.Equal(out2[0].Raw, out[0].Raw) {
		t.Fatal("finding events in the batch changed the result")
	}
}

func TestStateBounded(t *testing.T) {
	st := newStage(t, Options{MaxSubjects: 100})
	var evs []*event.Event
	for i := 0; i < 1000; i++ {
		ip := "10.10." + itoa(i/250) + "." + itoa(i%250+1)
		evs = append(evs, connect(t, float64(i), 1000+i, "10.20.1.1", ip, 3128, "www.example.com", nil)...)
	}
	st.Process(evs)
	s := st.Stats().Tables["proxies"]
	if s.Len > 100 || s.Evicted == 0 {
		t.Fatalf("proxies table not bounded: %+v", s)
	}
}

func itoa(i int) string {
	return string(appendInt(nil, i))
}

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// A snapshot of another version is ignored: the state is rebuilt from the
// store (Seq 0 makes the pipeline replay everything).
func TestSnapshotOtherVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "detect.snap")
	st := newStage(t, Options{StatePath: path})
	st.Process(connect(t, 0, 1, "10.10.1.1", "10.10.9.9", 3128, "www.example.com", nil))
	if err := st.Snapshot(7); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	b[len(snapMagic)] = 99
	os.WriteFile(path, b, 0o644)
	st2 := newStage(t, Options{StatePath: path})
	if st2.Seq() != 0 || st2.Stats().Tables["proxies"].Len != 0 {
		t.Fatalf("other version loaded: seq %d", st2.Seq())
	}
	os.WriteFile(path, []byte("garbage"), 0o644)
	if _, err := New(Options{StatePath: path}); err == nil {
		t.Fatal("damaged snapshot accepted")
	}
}
