package intel

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nethunt/nethunt/internal/event"
)

// DefaultPollInterval is how often Run checks the files.
const DefaultPollInterval = 30 * time.Second

// Watcher keeps a Set current: it reloads the sources when their files
// change (Run polls size, modification time and inode) or when Reload is
// called (wire it to SIGHUP), and swaps the new Set in atomically. Matching
// through the Watcher never blocks and never sees a half-built Set. A
// failed reload (a file missing or unreadable) keeps the previous Set.
type Watcher struct {
	sources []Source
	set     atomic.Pointer[Set]
	report  atomic.Pointer[Report]

	// Interval between polls in Run (default DefaultPollInterval).
	Interval time.Duration
	// OnReload, if set, is called after every reload attempt by Run or
	// Reload, with the report or the error.
	OnReload func(Report, error)

	mu      sync.Mutex // serialises reloads
	loaded  []stamp    // file states the current Set was built from
	pending []stamp    // changed states seen at the previous poll
}

type stamp struct {
	fi  os.FileInfo
	err bool
}

func (s stamp) same(o stamp) bool {
	if s.err || o.err || s.fi == nil || o.fi == nil {
		return s.err == o.err && (s.fi == nil) == (o.fi == nil)
	}
	return os.SameFile(s.fi, o.fi) && s.fi.Size() == o.fi.Size() && s.fi.ModTime().Equal(o.fi.ModTime())
}

// NewWatcher loads the sources once; that first load must succeed.
func NewWatcher(sources []Source) (*Watcher, Report, error) {
	w := &Watcher{sources: append([]Source(nil), sources...)}
	st := w.stamps()
	set, rep, err := Load(w.sources)
	if err != nil {
		return nil, rep, err
	}
	w.loaded = st
	w.set.Store(set)
	w.report.Store(&rep)
	return w, rep, nil
}

// Set returns the current Set.
func (w *Watcher) Set() *Set { return w.set.Load() }

// Report returns the report of the current Set.
func (w *Watcher) Report() Report { return *w.report.Load() }

// Match matches ev against the current Set.
func (w *Watcher) Match(ev *event.Event) []Hit { return w.set.Load().Match(ev) }

// Reload re-reads every source now and swaps the Set in; on error the
// current Set stays.
func (w *Watcher) Reload() (Report, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reloadLocked(w.stamps())
}

func (w *Watcher) reloadLocked(st []stamp) (Report, error) {
	set, rep, err := Load(w.sources)
	if err == nil {
		w.set.Store(set)
		w.report.Store(&rep)
		w.loaded = st
		w.pending = nil
	}
	if w.OnReload != nil {
		w.OnReload(rep, err)
	}
	return rep, err
}

// Check polls the files once. A change is acted on when the files look
// the same at two consecutive checks (so a file still being written is not
// loaded half-way); replacing files by rename is still the safest update.
// It reports whether a reload happened.
func (w *Watcher) Check() (bool, Report, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.stamps()
	if sameStamps(st, w.loaded) {
		w.pending = nil
		return false, Report{}, nil
	}
	if w.pending == nil || !sameStamps(st, w.pending) {
		w.pending = st
		return false, Report{}, nil
	}
	rep, err := w.reloadLocked(st)
	if err != nil {
		// Do not retry the same broken state on every poll.
		w.loaded = st
		w.pending = nil
	}
	return err == nil, rep, err
}

// Run polls every Interval until ctx is done.
func (w *Watcher) Run(ctx context.Context) {
	iv := w.Interval
	if iv <= 0 {
		iv = DefaultPollInterval
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.Check()
		}
	}
}

func (w *Watcher) stamps() []stamp {
	out := make([]stamp, len(w.sources))
	for i, s := range w.sources {
		fi, err := os.Stat(s.Path)
		if err != nil {
			out[i] = stamp{err: true}
			continue
		}
		out[i] = stamp{fi: fi}
	}
	return out
}

func sameStamps(a, b []stamp) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].same(b[i]) {
			return false
		}
	}
	return true
}
