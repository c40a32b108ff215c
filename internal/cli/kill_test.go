package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain lets a test re-run this binary as the nethunt command, so a
// test can kill -9 a real ingest process or talk to a real serve.
func TestMain(m *testing.M) {
	if args := os.Getenv("NETHUNT_TEST_MAIN"); args != "" {
		os.Exit(Main(strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// nethuntProcess returns a command that runs this test binary as
// `nethunt args...` in a process of its own (see TestMain).
func nethuntProcess(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "NETHUNT_TEST_MAIN="+strings.Join(args, "\x1f"))
	return cmd
}

// TestKill9ResumesExactly kills an ingest with SIGKILL part-way, runs it
// again, and checks the store holds every line exactly once, with the same
// sightings as an uninterrupted run.
func TestKill9ResumesExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	cfg := filepath.Join(dir, "nethunt.yaml")
	// The organisation's network groups and approved proxies: enrichment
	// and Host Insights then have something to lose in a restart.
	mustRun(t, "simulate", "--seed", "5", "--hosts", "200", "--hours", "4", "-o", eve, "--config-out", cfg)
	total := oracle(t, eve, func(map[string]any) bool { return true })
	org, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cfg, append(org, "ingest:\n  batch_size: 500\nsightings:\n  learning: 1h\n"...), 0o644)
	db := filepath.Join(dir, "k.db")

	killed := false
	for attempt := 0; attempt < 3 && !killed; attempt++ {
		cmd := nethuntProcess(context.Background(), "--config", cfg, "--db", db, "ingest", "--quiet", eve)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill once a few batches are stored (the raw archive grows with
		// each), or after a few seconds whatever happened.
		seg := filepath.Join(db+".raw", "seg-000001.nhraw")
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if fi, err := os.Stat(seg); err == nil && fi.Size() > int64(200000*(attempt+1)) {
				break
			}
		}
		cmd.Process.Signal(os.Kill)
		err := cmd.Wait()
		killed = err != nil && strings.Contains(err.Error(), "killed")
	}
	if !killed {
		t.Skip("the ingest always finished before it could be killed on this machine")
	}
	partial, _ := strconv.ParseInt(strings.TrimSpace(mustRun(t, "--db", db, "count", "NOT event_type:(sighting OR finding)")), 10, 64)
	t.Logf("killed after %d of %d events", partial, total)

	mustRun(t, "--config", cfg, "--db", db, "ingest", "--quiet", eve)
	got, _ := strconv.ParseInt(strings.TrimSpace(mustRun(t, "--db", db, "count", "NOT event_type:(sighting OR finding)")), 10, 64)
	if got != total {
		t.Fatalf("after kill -9 and restart: %d events stored, file has %d", got, total)
	}

	ref := filepath.Join(dir, "ref.db")
	mustRun(t, "--config", cfg, "--db", ref, "ingest", "--quiet", eve)
	q := []string{"top", "sighting.key", "event_type:sighting", "-n", "50", "--format", "json"}
	want := mustRun(t, append([]string{"--db", ref}, q...)...)
	have := mustRun(t, append([]string{"--db", db}, q...)...)
	// Findings too: the detectors' state is replayed like the others, so
	// the same findings (id, kind, decision) come out.
	findings := func(db string) []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(mustRun(t, "--db", db, "findings", "--format", "json")), "\n") {
			var f struct{ ID, Kind, Decision, Proxy string }
			if err := json.Unmarshal([]byte(l), &f); err != nil {
				t.Fatalf("findings output %q: %v", l, err)
			}
			out = append(out, f.ID+" "+f.Kind+" "+f.Decision+" "+f.Proxy)
		}
		slices.Sort(out)
		return out
	}
	if a, b := findings(ref), findings(db); !slices.Equal(a, b) {
		t.Errorf("findings after kill -9 differ from an uninterrupted run:\nwant %q\ngot  %q", a, b)
	} else {
		t.Logf("%d findings, the same as an uninterrupted run", len(a))
	}
	if want != have {
		t.Errorf("sightings after kill -9 differ from an uninterrupted run:\nwant %s\ngot  %s", want, have)
	}
	// Host Insights too: every profile, and the full card of the busiest
	// hosts, equal an uninterrupted run's (no lost or doubled profile data).
	hq := []string{"--config", cfg, "hosts", "*", "--limit", "0", "--format", "json"}
	if a, b := mustRun(t, append([]string{"--db", ref}, hq...)...), mustRun(t, append([]string{"--db", db}, hq...)...); a != b {
		t.Errorf("host profiles after kill -9 differ from an uninterrupted run")
	}
	var withRoles []string
	for _, l := range strings.Split(strings.TrimSpace(mustRun(t, "--config", cfg, "--db", ref, "hosts", "host.roles:*", "--limit", "0", "--format", "json")), "\n") {
		var h struct{ IP string }
		if err := json.Unmarshal([]byte(l), &h); err != nil {
			t.Fatal(err)
		}
		withRoles = append(withRoles, h.IP)
	}
	if len(withRoles) < 5 {
		t.Fatalf("only %d hosts with a role: the comparison proves little", len(withRoles))
	}
	for _, ip := range withRoles {
		cq := []string{"--config", cfg, "host", ip, "--format", "json"}
		a, b := mustRun(t, append([]string{"--db", ref}, cq...)...), mustRun(t, append([]string{"--db", db}, cq...)...)
		if a != b {
			t.Errorf("card of %s after kill -9 differs from an uninterrupted run:\n%.1500s\nvs\n%.1500s", ip, a, b)
		}
	}
	t.Logf("%d host cards (every host with a role) equal an uninterrupted run's", len(withRoles))
}
