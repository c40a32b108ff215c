package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestIngestSocketUnderLoad: `nethunt ingest --socket` (Suricata's
// unix_stream output) receives a simulated day from four connections at
// full speed; while it runs it answers counts (it owns the store), and
// every line ends up stored exactly once.
func TestIngestSocketUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	mustRun(t, "simulate", "--seed", "4", "--hosts", "100", "--hours", "4", "-o", eve)
	want := oracle(t, eve, func(map[string]any) bool { return true })
	data, err := os.ReadFile(eve)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))

	sock := filepath.Join(dir, "eve.sock")
	db := filepath.Join(dir, "s.db")
	cmd := nethuntProcess(context.Background(), "--db", db, "ingest", "--quiet", "--socket", sock)
	var childErr bytes.Buffer
	cmd.Stderr = &childErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no socket\n%s", childErr.String())
		}
	}
	var wg sync.WaitGroup
	const writers = 4
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("unix", sock)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			var buf []byte
			for i := w; i < len(lines); i += writers {
				buf = append(buf, lines[i]...)
				if len(buf) > 64<<10 {
					if _, err := c.Write(buf); err != nil {
						t.Error(err)
						return
					}
					buf = buf[:0]
				}
			}
			c.Write(buf)
		}()
	}
	wg.Wait()
	g := []string{"--db", db}
	var n int64
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, _, code := run(t, append(g, "count", "NOT event_type:(sighting OR finding)")...)
		if code == 0 {
			n, _ = strconv.ParseInt(strings.TrimSpace(out), 10, 64)
			if n == want {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored %d of %d events\n%s", n, want, childErr.String())
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ingest --socket: %v\n%s", err, childErr.String())
	}
	out := mustRun(t, append(g, "count", "NOT event_type:(sighting OR finding)")...)
	if strings.TrimSpace(out) != strconv.FormatInt(want, 10) {
		t.Errorf("after stop: %s events, want %d", out, want)
	}
	if rej, _ := os.ReadFile(db + ".rejects.jsonl"); len(rej) != 0 {
		t.Errorf("rejects: %.500s", rej)
	}
}
