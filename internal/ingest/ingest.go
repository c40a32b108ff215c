// Package ingest runs nethunt's pipeline: source → decode → enrich → store.
//
// Reading and decoding run on the source's goroutine; the store appends on
// its own goroutine, fed through a one-slot channel, so decoding of the next
// batch overlaps with writing the previous one and memory stays bounded at
// three batches. Every line is accounted for: stored, or rejected with its
// file, line number and reason into the rejects file (kept aside, never
// dropped silently).
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/enrich"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/source"
	"github.com/nethunt/nethunt/internal/store"
)

// Counters are updated atomically so a progress display can read them while
// ingestion runs.
type Counters struct {
	Lines    atomic.Int64 // lines read (stored + rejected)
	Events   atomic.Int64 // events stored
	Rejected atomic.Int64 // lines rejected (decode errors, oversized lines, ...)
	Warnings atomic.Int64 // events stored with coerced values
	Bytes    atomic.Int64 // bytes of input consumed
}

// Reject is one line kept aside, as written to the rejects file.
type Reject struct {
	Source string `json:"source"`
	Line   int64  `json:"line"`
	Offset int64  `json:"offset"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
	Data   string `json:"data,omitempty"`
}

// Pipeline wires a source to a store. Fill the exported fields, then Run.
type Pipeline struct {
	Store     store.Store
	Enrich    *enrich.Enricher // may be nil
	BatchSize int
	// FlushEvery bounds how long a partial batch waits (live sources).
	FlushEvery time.Duration
	// Rejects receives one JSON line per rejected input line; may be nil.
	Rejects io.Writer
	// OnReject is called for each rejected line (e.g. to print the first few).
	OnReject func(Reject)
	// Stages see every batch, in order, after decoding and before storing
	// (sightings, host insights, detectors). They run on their own
	// goroutine, so they overlap with both decoding and storing.
	Stages []Stage
	// SnapshotEvery is how often stateful stages are snapshotted (default
	// 5 minutes); they are also snapshotted at the end of Run.
	SnapshotEvery time.Duration

	C Counters

	mu      sync.Mutex
	batch   []*event.Event
	cps     map[cpKey]int64
	started time.Time
	out     chan work // reader → stage goroutine
	toStore chan work // stage goroutine → writer
	werr    error
	wdone   chan struct{}
	sdone   chan struct{}

	// committed counts batches the writer has stored; the stage goroutine
	// waits on it to snapshot state that covers exactly the stored batches.
	commitMu  sync.Mutex
	commitC   *sync.Cond
	sent      int64
	committed int64
	lastSeq   int64
	Derived   atomic.Int64 // events produced by stages (sightings, findings)
	rejMu     sync.Mutex
	byWhy     map[string]int64
}

type cpKey struct {
	src string
	id  store.FileIDKey
}

type work struct {
	events  []*event.Event
	cps     []store.Checkpoint
	derived int // trailing events produced by stages
}

// Stage is a step between decoding and storing that sees every batch in
// order. Process may return derived events (sightings, findings) to store
// with the batch; it must not keep the batch slice.
type Stage interface {
	Process(batch []*event.Event) []*event.Event
}

// Flusher is a Stage that holds back derived events (a detector batching
// updates of a finding); Flush is called once the input ends, and what it
// returns is stored like any batch.
type Flusher interface {
	Flush() []*event.Event
}

// Snapshotter is a Stage with state saved to disk. Snapshot is called when
// every batch up to seq is stored and none is in flight, so a snapshot plus
// a replay of the store's batches after seq rebuilds the state exactly.
type Snapshotter interface {
	Stage
	Snapshot(seq int64) error
}

// Summary reports what a run did.
type Summary struct {
	Lines, Events, Rejected, Warnings, Bytes int64
	Derived                                  int64 // sightings, findings stored besides the input
	ByReason                                 map[string]int64
	Elapsed                                  time.Duration
}

// Rate is events stored per second.
func (s Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Events) / s.Elapsed.Seconds()
}

// Resume returns a source.Options.Resume that reads checkpoints from the store.
func (p *Pipeline) Resume(ctx context.Context) func(path string, id source.FileID) int64 {
	return func(path string, id source.FileID) int64 {
		off, err := p.Store.Checkpoint(ctx, path, store.FileIDKey(id))
		if err != nil {
			return 0
		}
		return off
	}
}

// Run starts the writer, calls read with the pipeline as handler, flushes and
// waits for the store. A store error stops reading and is returned.
func (p *Pipeline) Run(ctx context.Context, read func(ctx context.Context, h source.Handler) error) (Summary, error) {
	if p.BatchSize <= 0 {
		p.BatchSize = 20000
	}
	if p.FlushEvery <= 0 {
		p.FlushEvery = time.Second
	}
	p.cps = map[cpKey]int64{}
	p.byWhy = map[string]int64{}
	if p.SnapshotEvery <= 0 {
		p.SnapshotEvery = 5 * time.Minute
	}
	p.out = make(chan work, 1)
	p.toStore = make(chan work, 1)
	p.wdone = make(chan struct{})
	p.sdone = make(chan struct{})
	p.commitC = sync.NewCond(&p.commitMu)
	p.started = time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go p.stager(ctx)
	go p.writer(ctx, cancel)

	tick := time.NewTicker(p.FlushEvery)
	tickDone := make(chan struct{})
	go func() {
		defer close(tickDone)
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				p.mu.Lock()
				if len(p.batch) > 0 || len(p.cps) > 0 {
					p.flushLocked(ctx)
				}
				p.mu.Unlock()
			case <-p.wdone:
				return
			}
		}
	}()

	rerr := read(ctx, handler{p, ctx})
	tick.Stop()
	p.mu.Lock()
	p.flushLocked(ctx)
	close(p.out)
	p.mu.Unlock()
	<-p.sdone
	<-p.wdone
	<-tickDone

	sum := p.summary()
	if p.werr != nil {
		return sum, p.werr
	}
	if err := p.snapshot(); err != nil {
		return sum, err
	}
	if rerr != nil && !errors.Is(rerr, context.Canceled) {
		return sum, rerr
	}
	return sum, nil
}

func (p *Pipeline) summary() Summary {
	p.rejMu.Lock()
	by := make(map[string]int64, len(p.byWhy))
	for k, v := range p.byWhy {
		by[k] = v
	}
	p.rejMu.Unlock()
	return Summary{
		Lines: p.C.Lines.Load(), Events: p.C.Events.Load(), Rejected: p.C.Rejected.Load(),
		Warnings: p.C.Warnings.Load(), Bytes: p.C.Bytes.Load(), ByReason: by, Elapsed: time.Since(p.started),
		Derived: p.Derived.Load(),
	}
}

// stager runs the stages over each batch and passes it, with any derived
// events, to the writer.
func (p *Pipeline) stager(ctx context.Context) {
	defer close(p.sdone)
	defer close(p.toStore)
	lastSnap := time.Now()
	for w := range p.out {
		if len(p.Stages) > 0 && len(w.events) > 0 {
			n := len(w.events)
			// Each stage sees the batch plus what earlier stages derived
			// (detectors read the sightings of the same batch).
			for _, st := range p.Stages {
				w.events = append(w.events, st.Process(w.events)...)
			}
			w.derived = len(w.events) - n
			if p.Enrich != nil {
				for _, ev := range w.events[n:] {
					p.Enrich.Event(ev)
				}
			}
			p.Derived.Add(int64(w.derived))
		}
		p.commitMu.Lock()
		p.sent++
		p.commitMu.Unlock()
		select {
		case p.toStore <- w:
		case <-ctx.Done():
		}
		if time.Since(lastSnap) >= p.SnapshotEvery {
			// Wait until everything handed over is stored, so the
			// snapshot covers exactly the committed batches.
			p.commitMu.Lock()
			for p.committed < p.sent && p.werr == nil && ctx.Err() == nil {
				p.commitC.Wait()
			}
			p.commitMu.Unlock()
			if err := p.snapshot(); err != nil && p.OnReject != nil {
				p.OnReject(Reject{Reason: "snapshot failed", Detail: err.Error()})
			}
			lastSnap = time.Now()
		}
	}
	var last work
	for _, st := range p.Stages {
		if f, ok := st.(Flusher); ok {
			last.events = append(last.events, f.Flush()...)
		}
	}
	if len(last.events) > 0 {
		last.derived = len(last.events)
		p.Derived.Add(int64(last.derived))
		if p.Enrich != nil {
			for _, ev := range last.events {
				p.Enrich.Event(ev)
			}
		}
		p.commitMu.Lock()
		p.sent++
		p.commitMu.Unlock()
		select {
		case p.toStore <- last:
		case <-ctx.Done():
		}
	}
}

// snapshot saves stateful stages at the last committed batch.
func (p *Pipeline) snapshot() error {
	p.commitMu.Lock()
	seq := p.lastSeq
	p.commitMu.Unlock()
	if seq == 0 {
		return nil
	}
	var errs []error
	for _, st := range p.Stages {
		if s, ok := st.(Snapshotter); ok {
			errs = append(errs, s.Snapshot(seq))
		}
	}
	return errors.Join(errs...)
}

func (p *Pipeline) writer(ctx context.Context, cancel context.CancelCauseFunc) {
	defer close(p.wdone)
	defer func() {
		p.commitMu.Lock()
		p.commitC.Broadcast()
		p.commitMu.Unlock()
	}()
	for w := range p.toStore {
		if p.werr != nil {
			continue // drain so the reader never blocks
		}
		seq, err := p.Store.Append(context.WithoutCancel(ctx), w.events, w.cps)
		if err != nil {
			p.commitMu.Lock()
			p.werr = fmt.Errorf("store: %w", err)
			p.commitC.Broadcast()
			p.commitMu.Unlock()
			cancel(p.werr)
			continue
		}
		p.C.Events.Add(int64(len(w.events) - w.derived))
		p.commitMu.Lock()
		p.committed++
		p.lastSeq = seq
		p.commitC.Broadcast()
		p.commitMu.Unlock()
	}
}

// flushLocked hands the current batch and checkpoints to the writer. The
// store is given the checkpoints together with the events they cover, so a
// crash can never separate them.
func (p *Pipeline) flushLocked(ctx context.Context) {
	if len(p.batch) == 0 && len(p.cps) == 0 {
		return
	}
	w := work{events: p.batch}
	for k, off := range p.cps {
		w.cps = append(w.cps, store.Checkpoint{Source: k.src, ID: k.id, Offset: off})
	}
	p.batch = make([]*event.Event, 0, p.BatchSize)
	clear(p.cps)
	select {
	case p.out <- w:
	case <-ctx.Done():
	}
}

func (p *Pipeline) reject(r Reject) {
	p.C.Rejected.Add(1)
	p.rejMu.Lock()
	p.byWhy[r.Reason]++
	if p.Rejects != nil {
		b, _ := json.Marshal(r)
		p.Rejects.Write(append(b, '\n'))
	}
	p.rejMu.Unlock()
	if p.OnReject != nil {
		p.OnReject(r)
	}
}

// handler adapts the pipeline to source.Handler.
type handler struct {
	p   *Pipeline
	ctx context.Context
}

const maxRejectData = 64 << 10

func (h handler) Record(r source.Record) error {
	p := h.p
	p.C.Lines.Add(1)
	p.C.Bytes.Add(int64(len(r.Data)) + 1)
	ev, err := decode.Decode(r.Data)
	if err != nil {
		var de *decode.Error
		reason, detail := "decode error", err.Error()
		if errors.As(err, &de) {
			reason, detail = de.Reason, de.Detail
		}
		data := r.Data
		if len(data) > maxRejectData {
			data = data[:maxRejectData]
		}
		p.reject(Reject{Source: r.Source, Line: r.Line, Offset: r.Offset, Reason: reason, Detail: detail, Data: string(data)})
	} else {
		if ev.Warning != "" {
			p.C.Warnings.Add(1)
		}
		if p.Enrich != nil {
			p.Enrich.Event(ev)
		}
	}
	p.mu.Lock()
	if ev != nil {
		p.batch = append(p.batch, ev)
	}
	if !r.FileID.IsZero() {
		p.cps[cpKey{r.Source, store.FileIDKey(r.FileID)}] = r.Offset
	}
	if len(p.batch) >= p.BatchSize {
		p.flushLocked(h.ctx)
	}
	p.mu.Unlock()
	return context.Cause(h.ctx)
}

func (h handler) Problem(pr source.Problem) {
	reason := "read error"
	switch {
	case errors.Is(pr.Err, source.ErrLineTooLong):
		reason = "line too long"
	case errors.Is(pr.Err, source.ErrIncompleteLine):
		reason = "incomplete line"
	case errors.Is(pr.Err, source.ErrDamaged):
		reason = "damaged input"
	}
	if pr.Line > 0 {
		h.p.C.Lines.Add(1)
	}
	h.p.reject(Reject{Source: pr.Source, Line: pr.Line, Offset: pr.Offset, Reason: reason, Detail: pr.Err.Error(), Data: string(pr.Sample)})
}

func (h handler) EndOfFile(src string, id source.FileID, offset int64) {
	if id.IsZero() {
		return
	}
	h.p.mu.Lock()
	h.p.cps[cpKey{src, store.FileIDKey(id)}] = offset
	h.p.mu.Unlock()
}
