package cli

import (
	"context"
	"encoding/json"
	"os/exec"
	"testing"
)

// TestBenchSmoke runs a small `nethunt bench --json` end to end, so the
// benchmark the issues' figures come from keeps working: every phase
// stores every event and every timing is there.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole bench")
	}
	old := nethuntCommand
	defer func() { nethuntCommand = old }()
	nethuntCommand = func(ctx context.Context, args ...string) (*exec.Cmd, error) {
		return nethuntProcess(ctx, args...), nil
	}
	out := mustRun(t, "bench", "--events", "20000", "--runs", "1", "--json", "--dir", t.TempDir())
	var r BenchResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out)
	}
	if r.Events != 20000 || r.DecodeEPS <= 0 || r.IngestEPS <= 0 || r.StateEPS <= 0 || r.StateHosts == 0 {
		t.Fatalf("bench result: %+v", r)
	}
	if len(r.Hunts) < 5 {
		t.Errorf("%d hunts timed", len(r.Hunts))
	}
	for _, h := range r.Hunts {
		if h.Median <= 0 {
			t.Errorf("hunt %s not timed", h.Name)
		}
	}
	if len(r.HostLookups) != 3 || r.ProcessStart <= 0 {
		t.Fatalf("host lookups: %+v (process start %s)", r.HostLookups, r.ProcessStart)
	}
}
