// Package sightings finds what is new on the network: the first time a value
// of a tracked key (a TLS SNI, an HTTP User-Agent, a JA4, a server answering
// on a new port, ...) is seen at all, it emits a Sighting, which becomes an
// event of event_type "sighting" (see ToEvent and docs/sightings.md).
//
// First-seen is exact: the tracker keeps a set of 64-bit xxh3 hashes of
// "key\x00value" in an open-addressing table (about 13.7 bytes per value at
// 10M values). The hash is seeded with a random value chosen when the state
// is created and kept in its snapshots, so values cannot be crafted to pile
// up in one probe cluster (hash flooding). Unlike a Bloom or cuckoo filter it never answers "already
// seen" for a value it has not seen; the only error is a 64-bit hash
// collision, with probability about n²/2⁶⁵ over the whole history (2.7e-6
// at 10M values).
package sightings

import (
	"math/rand/v2"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/nethunt/nethunt/internal/event"
)

// Options configure a Tracker.
type Options struct {
	// LearningUntil: events before this time only learn (their new values
	// are recorded, no sighting is emitted). The caller derives it from a
	// learning-period setting, e.g. the first 24 h of a deployment. Zero
	// means no learning period.
	LearningUntil time.Time
	// Keys to track; nil means all (see Keys). Unknown names are ignored:
	// validate configuration with CheckKeys.
	Keys []string
	// SizeHint presizes the table for that many values, avoiding resize
	// pauses while learning a large network. Optional.
	SizeHint int
}

// Sighting is one value seen for the first time on the network, with the
// addresses of the event that carried it.
type Sighting struct {
	Time      time.Time  // of the triggering event
	Key       string     // e.g. "tls.sni"
	Value     string     // the new value
	Asset     netip.Addr // the host the value belongs to
	AssetSide string     // SideSrc or SideDest: where Asset is in the trigger

	FlowID      uint64
	EventType   string // of the triggering event
	SrcIP       netip.Addr
	DestIP      netip.Addr
	SrcPort     int64
	DestPort    int64
	Proto       string
	AppProto    string
	Host        string // sensor name of the trigger
	CommunityID string
}

// Tracker decides which observed values are new. Observe and ObserveBatch
// must be called from one goroutine at a time (the ingest loop); Len,
// MemoryBytes, KeyCounts and WriteSnapshot may be called concurrently with
// them from any goroutine. ReadSnapshot is race-free too, but replaces the
// state: call it before ingest starts.
type Tracker struct {
	learningUntil time.Time
	byType        [numTypes][]*tracked // by typeIndex of the event type
	keys          []*tracked
	set           set
	buf           []byte // scratch for "key\x00value", ingest goroutine only
	pend          []pending
	one           [1]*event.Event // Observe's batch of one
	sink          uint64          // keeps the phase-2 loads alive
	svcEv         *event.Event
	svc           service
	svcOK         bool
}

type tracked struct {
	*keySpec
	prefix []byte       // "key\x00"
	added  atomic.Int64 // new values recorded by this process
}

// New returns a tracker for opt.
func New(opt Options) *Tracker {
	t := &Tracker{
		learningUntil: opt.LearningUntil,
		buf:           make([]byte, 0, 256),
	}
	t.set.init(opt.SizeHint, rand.Uint64())
	want := map[string]bool{}
	for _, k := range opt.Keys {
		want[k] = true
	}
	for i := range keyTable {
		spec := &keyTable[i]
		if opt.Keys != nil && !want[spec.name] {
			continue
		}
		tk := &tracked{keySpec: spec, prefix: append([]byte(spec.name), 0)}
		t.keys = append(t.keys, tk)
		for _, et := range spec.events {
			i := typeIndex(et)
			if i == 0 {
				panic("sightings: key " + spec.name + " reads unknown event type " + et)
			}
			t.byType[i] = append(t.byType[i], tk)
		}
	}
	return t
}

// Observe records the tracked values of ev and calls emit (which may be nil)
// once for each value never seen before, unless ev falls in the learning
// period. A value is emitted at most once in the tracker's history,
// snapshots included.
func (t *Tracker) Observe(ev *event.Event, emit func(Sighting)) {
	t.one[0] = ev
	t.observeWindow(t.one[:], emit)
	t.one[0] = nil
}

// batchWindow is how many events ObserveBatch hashes before probing.
const batchWindow = 16

// ObserveBatch is Observe for consecutive events, in order (same sightings,
// same order). It is faster on large tables: it hashes the values of several
// events before probing any, so their cache misses overlap instead of adding
// up. Use it when the ingest loop holds a batch of decoded events.
func (t *Tracker) ObserveBatch(evs []*event.Event, emit func(Sighting)) {
	for len(evs) > 0 {
		n := min(len(evs), batchWindow)
		t.observeWindow(evs[:n], emit)
		evs = evs[n:]
	}
}

func (t *Tracker) observeWindow(evs []*event.Event, emit func(Sighting)) {
	tb := t.set.tab.Load()

	// Phase 1: extract and hash every key's value. All "key\x00value"
	// strings go back to back into one scratch buffer.
	buf, pend := t.buf[:0], t.pend[:0]
	for _, ev := range evs {
		keys := t.byType[typeIndex(ev.EventType)]
		if len(keys) == 0 {
			continue
		}
		t.svcEv = nil // the service memo is valid for one event only
		for _, k := range keys {
			p := pending{k: k, ev: ev, start: len(buf)}
			buf = append(buf, k.prefix...)
			if k.get != nil {
				p.value, p.asset, p.side = k.get(ev)
				if p.value != "" && k.derive != nil {
					p.value = k.derive(t, p.value)
				}
				if p.value == "" {
					buf = buf[:p.start]
					continue
				}
				buf = append(buf, p.value...)
			} else {
				buf, p.asset, p.side = k.appendTo(t, buf, ev)
				if len(buf) == p.start+len(k.prefix) {
					buf = buf[:p.start]
					continue
				}
			}
			p.end = len(buf)
			p.h = fixHash(xxh3.HashSeed(buf[p.start:p.end], tb.seed))
			pend = append(pend, p)
		}
	}
	t.svcEv = nil // do not keep the event alive
	t.buf, t.pend = buf, pend
	if len(pend) == 0 {
		return
	}

	// Phase 2: touch every home slot before probing any. The loads are
	// independent, so the CPU overlaps their cache misses instead of paying
	// them one after another (a software prefetch).
	if len(pend) > 1 {
		var x uint64
		for i := range pend {
			x += tb.slots[(pend[i].h>>tb.shift)&tb.mask]
		}
		t.sink = x
	}

	// Phase 3: check-and-insert in event order, emit what is new.
	for i := range pend {
		p := &pend[i]
		if !t.set.add(p.h, tb.seed) {
			continue
		}
		p.k.added.Add(1)
		ev := p.ev
		if emit == nil || ev.Time.Before(t.learningUntil) {
			continue
		}
		if p.k.get == nil {
			p.value = string(buf[p.start+len(p.k.prefix) : p.end])
		}
		emit(Sighting{
			Time:        ev.Time,
			Key:         p.k.name,
			Value:       p.value,
			Asset:       p.asset,
			AssetSide:   p.side,
			FlowID:      ev.FlowID,
			EventType:   ev.EventType,
			SrcIP:       ev.SrcIP,
			DestIP:      ev.DestIP,
			SrcPort:     ev.SrcPort,
			DestPort:    ev.DestPort,
			Proto:       ev.Proto,
			AppProto:    ev.AppProto,
			Host:        ev.Host,
			CommunityID: ev.CommunityID,
		})
	}
	clear(pend) // drop references to the events and their strings
}

// pending is one extracted value between hashing and insertion.
type pending struct {
	k          *tracked
	ev         *event.Event
	h          uint64
	value      string // get keys; composite keys are buf[start+len(prefix):end]
	start, end int
	asset      netip.Addr
	side       string
}

// Event types keys are read from; index 0 is "none".
const numTypes = 10

func typeIndex(et string) int {
	switch et {
	case "flow":
		return 1
	case "dns":
		return 2
	case "tls":
		return 3
	case "http":
		return 4
	case "alert":
		return 5
	case "fileinfo":
		return 6
	case "ssh":
		return 7
	case "quic":
		return 8
	}
	return 0
}

// Seen reports whether key=value has been recorded. For tests and tools;
// like Observe it must not run concurrently with Observe.
func (t *Tracker) Seen(key, value string) bool {
	b := append(append(append([]byte(nil), key...), 0), value...)
	return t.set.contains(fixHash(xxh3.HashSeed(b, t.set.seed())))
}

// Len is the number of distinct (key, value) pairs recorded.
func (t *Tracker) Len() int { return t.set.len() }

// MemoryBytes is the tracker's approximate heap use: the hash table (8 bytes
// per slot) and the domain cache. A resize briefly holds the old table too
// (×1.5), and WriteSnapshot copies the hashes (8 bytes per value) while it
// runs.
func (t *Tracker) MemoryBytes() int64 {
	return t.set.bytes()
}

// KeyCounts returns, per tracked key, how many new values this process has
// recorded (learned or emitted) since it started; not persisted.
func (t *Tracker) KeyCounts() map[string]int64 {
	out := make(map[string]int64, len(t.keys))
	for _, k := range t.keys {
		out[k.name] = k.added.Load()
	}
	return out
}
