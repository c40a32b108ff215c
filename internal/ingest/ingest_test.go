package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/source"
	"github.com/nethunt/nethunt/internal/store"
)

// memStore records what the pipeline appends. Only Append is used by Run;
// the other Store methods are not called (the embedded nil would panic).
type memStore struct {
	store.Store
	mu      sync.Mutex
	batches [][]*event.Event
	cps     [][]store.Checkpoint
	failAt  int // fail the failAt-th Append (1-based); 0 never
	calls   int
}

func (m *memStore) Append(_ context.Context, b []*event.Event, cps []store.Checkpoint) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.failAt > 0 && m.calls >= m.failAt {
		return 0, errors.New("disk full")
	}
	m.batches = append(m.batches, append([]*event.Event(nil), b...))
	m.cps = append(m.cps, append([]store.Checkpoint(nil), cps...))
	return int64(len(m.batches)), nil
}

func (m *memStore) seq() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.batches))
}

var fid = source.FileID{Dev: 1, Ino: 42, Head: 7}

// lineData is line i: a flow event whose flow_id is i, or, when bad, the
// first half of it (broken JSON).
func lineData(i int, bad bool) []byte {
	data := fmt.Appendf(nil, `{"timestamp":"2026-11-20T08:00:%02d.000000+0000","event_type":"flow","flow_id":%d,"src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"TCP"}`, i%60, i)
	if bad {
		data = data[:len(data)/2]
	}
	return data
}

func feed(n int, bad func(int) bool) func(ctx context.Context, h source.Handler) error {
	return func(ctx context.Context, h source.Handler) error {
		var off int64
		for i := 1; i <= n; i++ {
			data := lineData(i, bad(i))
			off += int64(len(data)) + 1
			if err := h.Record(source.Record{Data: data, Source: "eve.json", Line: int64(i), Offset: off, FileID: fid}); err != nil {
				return err
			}
		}
		h.EndOfFile("eve.json", fid, off)
		return nil
	}
}

// TestEveryLineAccounted: good lines are stored once, in order; bad ones are
// counted and kept aside with their file and line; the checkpoint stored
// with a batch is the resume point after its last line.
func TestEveryLineAccounted(t *testing.T) {
	const n = 1000
	bad := func(i int) bool { return i%7 == 0 }
	ms := &memStore{}
	var rej bytes.Buffer
	p := &Pipeline{Store: ms, BatchSize: 64, Rejects: &rej}
	sum, err := p.Run(context.Background(), feed(n, bad))
	if err != nil {
		t.Fatal(err)
	}
	wantBad := n / 7
	if sum.Lines != n || sum.Rejected != int64(wantBad) || sum.Events != int64(n-wantBad) {
		t.Fatalf("summary %+v, want %d lines, %d rejected, %d events", sum, n, wantBad, n-wantBad)
	}
	next := 1
	var lastOff int64
	for bi, b := range ms.batches {
		if len(b) > 64 {
			t.Errorf("batch %d has %d events (batch size 64)", bi, len(b))
		}
		for _, ev := range b {
			for bad(next) {
				next++
			}
			if ev.FlowID != uint64(next) {
				t.Fatalf("batch %d: flow_id %d, want %d (order or loss)", bi, ev.FlowID, next)
			}
			next++
		}
		if len(ms.cps[bi]) != 1 {
			t.Fatalf("batch %d: %d checkpoints", bi, len(ms.cps[bi]))
		}
		cp := ms.cps[bi][0]
		if cp.Source != "eve.json" || cp.ID != store.FileIDKey(fid) || cp.Offset <= lastOff {
			t.Fatalf("batch %d: checkpoint %+v after %d", bi, cp, lastOff)
		}
		lastOff = cp.Offset
	}
	if next <= n && !bad(n) {
		t.Fatalf("stored up to line %d of %d", next-1, n)
	}
	// The last checkpoint is the end of the file, even if the last lines
	// were rejected.
	var size int64
	for i := 1; i <= n; i++ {
		size += int64(len(lineData(i, bad(i)))) + 1
	}
	if lastOff != size {
		t.Errorf("final checkpoint %d, file size %d", lastOff, size)
	}
	// Rejects: one JSON line each, with source and line.
	lines := strings.Split(strings.TrimSpace(rej.String()), "\n")
	if len(lines) != wantBad {
		t.Fatalf("%d reject lines, want %d", len(lines), wantBad)
	}
	for k, l := range lines {
		var r Reject
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Source != "eve.json" || r.Line != int64(7*(k+1)) || r.Reason == "" || r.Data == "" {
			t.Fatalf("reject %d: %+v", k, r)
		}
	}
}

// deriver derives one event per batch and remembers what it was shown.
type deriver struct {
	typ  string
	seen [][]string
	snap []int64
	ms   *memStore
	bad  bool // a snapshot was taken of a batch not yet stored
}

func (d *deriver) Process(b []*event.Event) []*event.Event {
	var types []string
	for _, ev := range b {
		types = append(types, ev.EventType)
	}
	d.seen = append(d.seen, types)
	return []*event.Event{{EventType: d.typ, Time: b[0].Time}}
}

func (d *deriver) Snapshot(seq int64) error {
	if seq > d.ms.seq() {
		d.bad = true
	}
	d.snap = append(d.snap, seq)
	return nil
}

type flusher struct{ deriver }

func (f *flusher) Flush() []*event.Event {
	return []*event.Event{{EventType: "late", Time: time.Now()}}
}

// TestStagesAndSnapshots: each stage sees the batch plus what earlier
// stages derived from it; derived events are stored with their batch and
// not counted as input; a Flusher's last words are stored; snapshots name
// a batch that is already stored, and the last one names the last batch.
func TestStagesAndSnapshots(t *testing.T) {
	ms := &memStore{}
	a := &deriver{typ: "sighting", ms: ms}
	b := &flusher{deriver{typ: "finding", ms: ms}}
	p := &Pipeline{Store: ms, BatchSize: 100, Stages: []Stage{a, b}, SnapshotEvery: time.Nanosecond}
	sum, err := p.Run(context.Background(), feed(1000, func(int) bool { return false }))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Events != 1000 {
		t.Errorf("%d events counted, want 1000 (derived ones are not input)", sum.Events)
	}
	nb := len(a.seen)
	if nb != 10 || len(b.seen) != nb {
		t.Fatalf("stages saw %d and %d batches, want 10", nb, len(b.seen))
	}
	for i := range nb {
		if len(a.seen[i]) != 100 || len(b.seen[i]) != 101 || b.seen[i][100] != "sighting" {
			t.Fatalf("batch %d: first stage saw %d events, second %d ending %q", i, len(a.seen[i]), len(b.seen[i]), b.seen[i][len(b.seen[i])-1])
		}
	}
	// Then the end-of-file checkpoint (no events), then the flush.
	if len(ms.batches) != nb+2 || len(ms.batches[nb]) != 0 || len(ms.cps[nb]) != 1 {
		t.Fatalf("%d batches stored, want %d + the end-of-file checkpoint + the flush", len(ms.batches), nb)
	}
	for i := range nb {
		bt := ms.batches[i]
		if len(bt) != 102 || bt[100].EventType != "sighting" || bt[101].EventType != "finding" {
			t.Fatalf("stored batch %d: %d events", i, len(bt))
		}
	}
	if last := ms.batches[nb+1]; len(last) != 1 || last[0].EventType != "late" {
		t.Errorf("flush not stored: %v", last)
	}
	if sum.Derived != int64(2*nb+1) {
		t.Errorf("derived %d, want %d", sum.Derived, 2*nb+1)
	}
	if a.bad || b.bad {
		t.Errorf("a snapshot named a batch not yet stored")
	}
	if len(a.snap) < 2 || a.snap[len(a.snap)-1] != ms.seq() {
		t.Errorf("snapshots %v, want several ending at %d", a.snap, ms.seq())
	}
}

// TestStoreErrorStops: a failing store stops reading, its error is
// returned, and nothing is appended after it.
func TestStoreErrorStops(t *testing.T) {
	ms := &memStore{failAt: 3}
	read := 0
	p := &Pipeline{Store: ms, BatchSize: 10}
	_, err := p.Run(context.Background(), func(ctx context.Context, h source.Handler) error {
		f := feed(1_000_000, func(int) bool { return false })
		return f(ctx, countingHandler{h, &read})
	})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Run: %v, want the store's error", err)
	}
	if len(ms.batches) != 2 {
		t.Errorf("%d batches stored, want the 2 before the failure", len(ms.batches))
	}
	if read > 1000 {
		t.Errorf("the source went on for %d lines after the store failed", read)
	}
}

type countingHandler struct {
	source.Handler
	n *int
}

func (c countingHandler) Record(r source.Record) error {
	*c.n++
	return c.Handler.Record(r)
}

// BenchmarkPipeline: decode, batch and hand over to a store that keeps
// nothing: the pipeline's own cost per line.
func BenchmarkPipeline(b *testing.B) {
	lines := make([][]byte, 4096)
	for i := range lines {
		lines[i] = lineData(i+1, false)
	}
	b.ReportAllocs()
	b.ResetTimer()
	p := &Pipeline{Store: discard{}, BatchSize: 20000}
	_, err := p.Run(context.Background(), func(ctx context.Context, h source.Handler) error {
		for i := 0; i < b.N; i++ {
			if err := h.Record(source.Record{Data: lines[i%len(lines)], Source: "x", Line: int64(i + 1), Offset: int64(i + 1)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

type discard struct{ store.Store }

func (discard) Append(context.Context, []*event.Event, []store.Checkpoint) (int64, error) {
	return 1, nil
}
