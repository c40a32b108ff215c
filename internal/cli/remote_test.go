package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/config"
	"github.com/nethunt/nethunt/internal/store"
)

// TestServeAnswersWhileFollowing runs a real `nethunt serve --follow` process
// and, while it owns the store and keeps ingesting a growing file, answers
// this process's hunts and host queries through its socket. After a
// graceful stop, the same questions answered from disk give the same
// answers: the live Host Insights equal the snapshot it leaves.
func TestServeAnswersWhileFollowing(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	eve := filepath.Join(dir, "sim.json")
	mustRun(t, "simulate", "--seed", "9", "--hosts", "60", "--hours", "2", "-o", eve)
	all, err := os.ReadFile(eve)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(all, []byte("\n"))
	half := bytes.Join(lines[:len(lines)/2], nil)
	rest := bytes.Join(lines[len(lines)/2:], nil)
	live := filepath.Join(dir, "eve.json")
	if err := os.WriteFile(live, half, 0o644); err != nil {
		t.Fatal(err)
	}
	// Independent oracle: events per half, counted with encoding/json.
	halfPath := filepath.Join(dir, "half.json")
	os.WriteFile(halfPath, half, 0o644)
	wantHalf := oracle(t, halfPath, func(map[string]any) bool { return true })
	wantAll := oracle(t, eve, func(map[string]any) bool { return true })

	cfgPath := filepath.Join(dir, "nethunt.yaml")
	os.WriteFile(cfgPath, []byte("ingest:\n  batch_size: 1000\nsightings:\n  learning: 30m\n"), 0o644)
	db := filepath.Join(dir, "s.db")
	cmd := nethuntProcess(context.Background(), "--config", cfgPath, "--db", db, "serve", "--follow", live)
	var childErr bytes.Buffer
	cmd.Stderr = &childErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	g := []string{"--config", cfgPath, "--db", db}
	count := func() int64 {
		out, _, code := run(t, append(g, "count", "NOT event_type:(sighting OR finding)")...)
		if code != 0 {
			return -1
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
		return n
	}
	waitFor := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			n := count()
			if n == want {
				return
			}
			// Host Insights read while the owner observes (run with -race).
			run(t, append(g, "hosts", "host.roles:*", "--limit", "5")...)
			run(t, append(g, "host", "10.20.0.10")...)
			if time.Now().After(deadline) {
				t.Fatalf("serve stored %d events, want %d\nserve stderr:\n%s", n, want, childErr.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor(wantHalf)

	// The answers come from the serving process: this one cannot open the
	// database at all while it runs.
	cfg := config.Default()
	cfg.Store.Path = db
	if st, err := openStore(&env{cfg: cfg}, true); err == nil {
		st.Close()
		t.Fatal("opened the store while serve owns it: the answers above may not have come through the socket")
	} else if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("local open: %v (want the lock error)", err)
	}
	// Write commands are not forwarded: they meet the lock, with its message.
	if _, errs, code := run(t, append(g, "hosts", "rebuild")...); code == 0 || !strings.Contains(errs, "held by") {
		t.Errorf("hosts rebuild while serving: exit %d, %s", code, errs)
	}

	// The file grows; serve follows it.
	f, err := os.OpenFile(live, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(rest)
	f.Close()
	waitFor(wantAll)

	hostQ := append(g, "host", "10.20.0.10", "--format", "json")
	hostsQ := append(g, "hosts", "host.roles:*", "--limit", "0", "--format", "json")
	topQ := append(g, "top", "tls.sni", "-n", "20", "--format", "json")
	liveHost, liveHosts, liveTop := mustRun(t, hostQ...), mustRun(t, hostsQ...), mustRun(t, topQ...)
	if !strings.Contains(liveHost, `"http proxy"`) {
		t.Errorf("approved proxy 10.20.0.10 has no http proxy role in the live card:\n%.2000s", liveHost)
	}
	// Several clients at once, each with its own flags: the owner runs
	// them concurrently (each invocation builds its own command).
	var wg sync.WaitGroup
	results := make([]string, 12)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 3 {
			case 0:
				results[i], _, _ = run(t, hostQ...)
			case 1:
				results[i], _, _ = run(t, hostsQ...)
			case 2:
				results[i], _, _ = run(t, append(g, "count", "event_type:tls", "--since", fmt.Sprintf("%dh", 10000+i))...)
			}
		}()
	}
	wg.Wait()
	wantTLS := oracle(t, eve, func(m map[string]any) bool { return m["event_type"] == "tls" })
	for i, r := range results {
		switch i % 3 {
		case 0:
			if r != liveHost {
				t.Errorf("concurrent host %d differs", i)
			}
		case 1:
			if r != liveHosts {
				t.Errorf("concurrent hosts %d differs", i)
			}
		case 2:
			if strings.TrimSpace(r) != strconv.FormatInt(wantTLS, 10) {
				t.Errorf("concurrent count %d: %q, want %d", i, r, wantTLS)
			}
		}
	}
	_, errs, _ := run(t, append(g, "hosts", "host.roles:*")...)
	if !strings.Contains(errs, "hosts shown of") || !strings.Contains(errs, "by the process owning the store") {
		t.Errorf("the server's stderr did not reach the client: %q", errs)
	}

	// Graceful stop: snapshot written, socket removed, exit 0.
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	stopped = true
	if err != nil {
		t.Fatalf("serve exited with %v\n%s", err, childErr.String())
	}
	if _, err := os.Stat(db + ".sock"); !os.IsNotExist(err) {
		t.Errorf("socket left behind after a graceful stop: %v", err)
	}
	if got := mustRun(t, hostQ...); got != liveHost {
		t.Errorf("host card from disk differs from the live one:\nlive %.1500s\ndisk %.1500s", liveHost, got)
	}
	if got := mustRun(t, hostsQ...); got != liveHosts {
		t.Errorf("hosts from disk differ from the live ones")
	}
	if got := mustRun(t, topQ...); got != liveTop {
		t.Errorf("top from disk differs: live %s disk %s", liveTop, got)
	}

	// A stale socket (the owner was killed) is ignored by clients and
	// replaced by the next owner.
	if err := os.WriteFile(db+".sock", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != wantAll {
		t.Errorf("with a stale socket file: count %d, want %d", n, wantAll)
	}
}
