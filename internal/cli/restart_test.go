package cli

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
)

// splitFile writes the first n lines of src to a and the rest to b.
func splitFile(t *testing.T, src, a, b string, n int) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	fa, _ := os.Create(a)
	fb, _ := os.Create(b)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 0; sc.Scan(); i++ {
		w := fa
		if i >= n {
			w = fb
		}
		w.Write(append(sc.Bytes(), '\n'))
	}
	fa.Close()
	fb.Close()
}

// TestRestartKeepsSightingsExact: ingesting in two runs, with the state
// snapshot of the first run lost (as after kill -9 before any snapshot),
// must give exactly the sightings of one uninterrupted run: replay from the
// store rebuilds the state, so nothing is emitted twice or missed.
func TestRestartKeepsSightingsExact(t *testing.T) {
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	mustRun(t, "simulate", "--seed", "3", "--hosts", "60", "--hours", "3", "-o", eve)
	cfg := filepath.Join(dir, "nethunt.yaml")
	os.WriteFile(cfg, []byte("sightings:\n  learning: 30m\n"), 0o644)

	one := filepath.Join(dir, "one.db")
	mustRun(t, "--config", cfg, "--db", one, "ingest", "--quiet", eve)

	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	total := oracle(t, eve, func(map[string]any) bool { return true })
	splitFile(t, eve, a, b, int(total/2))
	two := filepath.Join(dir, "two.db")
	mustRun(t, "--config", cfg, "--db", two, "ingest", "--quiet", a)
	if err := os.Remove(filepath.Join(two+".state", "sightings.snap")); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--config", cfg, "--db", two, "ingest", "--quiet", b)

	q := []string{"top", "sighting.key", "event_type:sighting", "-n", "50", "--format", "json", "--since", "100000h"}
	want := mustRun(t, append([]string{"--db", one}, q...)...)
	got := mustRun(t, append([]string{"--db", two}, q...)...)
	if want != got || len(want) < 50 {
		t.Errorf("sightings differ after restart:\nuninterrupted %s\nrestarted     %s", want, got)
	}
	// Findings may be re-emitted once more at the end of each run (updated
	// counts); sensor events and sightings must match exactly.
	c1 := mustRun(t, "--db", one, "count", "NOT event_type:finding", "--since", "100000h")
	c2 := mustRun(t, "--db", two, "count", "NOT event_type:finding", "--since", "100000h")
	if c1 != c2 {
		t.Errorf("event counts differ: %s vs %s", c1, c2)
	}
}
