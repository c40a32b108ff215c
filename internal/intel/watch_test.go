package intel

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func replace(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestWatcher(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "feed.txt")
	replace(t, p, "203.0.113.1\n")
	w, rep, err := NewWatcher([]Source{{Path: p}})
	if err != nil || rep.Indicators != 1 {
		t.Fatal(err, rep)
	}
	var reloads int
	w.OnReload = func(Report, error) { reloads++ }
	ev := flowEvent("10.0.0.1", "203.0.113.2")
	if len(w.Match(ev)) != 0 {
		t.Fatal("unexpected hit")
	}
	if ok, _, _ := w.Check(); ok {
		t.Fatal("reload without change")
	}

	// Matching continues while files are replaced and reloaded.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				w.Match(ev)
			}
		}
	}()

	replace(t, p, "203.0.113.1\n203.0.113.2\n")
	// The first check sees the change, the second (same state) reloads.
	if ok, _, _ := w.Check(); ok {
		t.Error("reloaded before the change settled")
	}
	ok, rep, err := w.Check()
	if !ok || err != nil || rep.Indicators != 2 {
		t.Fatalf("reload: %v %v %+v", ok, err, rep)
	}
	if len(w.Match(ev)) != 1 || w.Report().Indicators != 2 {
		t.Error("new set not in use")
	}

	// A forced reload (SIGHUP).
	replace(t, p, "198.51.100.1\n")
	if rep, err := w.Reload(); err != nil || rep.Indicators != 1 {
		t.Fatal(err)
	}
	if len(w.Match(ev)) != 0 {
		t.Error("forced reload not applied")
	}

	// A vanished file keeps the last good set, and is not retried until it
	// changes again.
	os.Remove(p)
	w.Check()
	if ok, _, err := w.Check(); ok || err == nil {
		t.Errorf("missing file: %v %v", ok, err)
	}
	if w.Set().Len() != 1 {
		t.Error("set lost after failed reload")
	}
	if ok, _, err := w.Check(); ok || err != nil {
		t.Errorf("retried a broken state: %v %v", ok, err)
	}
	replace(t, p, "203.0.113.2\n")
	w.Check()
	if ok, _, err := w.Check(); !ok || err != nil || len(w.Match(ev)) != 1 {
		t.Errorf("recovery: %v %v", ok, err)
	}
	close(stop)
	wg.Wait()
	if reloads != 4 {
		t.Errorf("OnReload called %d times", reloads)
	}
	if _, _, err := NewWatcher([]Source{{Path: filepath.Join(dir, "nope")}}); err == nil {
		t.Error("first load must succeed")
	}
}

func TestWatcherRun(t *testing.T) {
	p := filepath.Join(t.TempDir(), "feed.txt")
	replace(t, p, "203.0.113.1\n")
	w, _, err := NewWatcher([]Source{{Path: p}})
	if err != nil {
		t.Fatal(err)
	}
	w.Interval = 5 * time.Millisecond
	done := make(chan struct{})
	w.OnReload = func(r Report, err error) {
		if err == nil && r.Indicators == 2 {
			close(done)
		}
	}
	ctx, cancel := contextWithCancel()
	go w.Run(ctx)
	replace(t, p, "203.0.113.1\n203.0.113.3\n")
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not reload")
	}
	cancel()
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
