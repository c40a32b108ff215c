package source

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func socketPath(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "eve.sock")
	if len(p) >= 100 { // sun_path limit
		dir, err := os.MkdirTemp("", "nh")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		p = filepath.Join(dir, "eve.sock")
	}
	return p
}

func startListen(t *testing.T, path string, h Handler) (stop func() error, done chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	go func() { done <- ListenUnix(ctx, path, Options{MaxLineBytes: 1 << 10}, h) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			if c, err := net.Dial("unix", path); err == nil {
				c.Close()
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("ListenUnix returned early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("socket never came up")
		}
		time.Sleep(2 * time.Millisecond)
	}
	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("ListenUnix did not return after cancel")
			}
		})
		return result
	}
	t.Cleanup(func() { stop() })
	return stop, done
}

func TestListenUnix(t *testing.T) {
	path := socketPath(t)
	// A stale socket from a crashed run is replaced.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()

	c := &collector{}
	stop, _ := startListen(t, path, c)
	const n = 200
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("unix", path)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			for i := 1; i <= n; i++ {
				// Writes that split lines at odd places.
				line := fmt.Sprintf(`{"client":"%s","n":%d}`+"\n", name, i)
				if _, err := conn.Write([]byte(line[:5])); err != nil {
					t.Error(err)
					return
				}
				if _, err := conn.Write([]byte(line[5:])); err != nil {
					t.Error(err)
					return
				}
			}
			conn.Write([]byte(strings.Repeat("y", 2000) + "\n")) // too long
		}()
	}
	wg.Wait()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte(`{"client":"c"}` + "\n" + `{"cut":`))
	conn.Close()
	waitRecs(t, c, 2*n+1)
	waitFor(t, "3 problems", c, func() bool { return len(c.probs()) == 3 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket file left behind: %v", err)
	}

	next := map[string]int{"a": 1, "b": 1}
	for _, r := range c.recs() {
		if r.src != path || !r.id.IsZero() {
			t.Fatalf("record %v", r)
		}
		var client string
		var i int
		if r.data == `{"client":"c"}` {
			if r.line != 1 {
				t.Fatalf("c: %v", r)
			}
			continue
		}
		if _, err := fmt.Sscanf(r.data, `{"client":"%1s","n":%d}`, &client, &i); err != nil {
			t.Fatalf("bad record %q", r.data)
		}
		if i != next[client] || r.line != int64(i) {
			t.Fatalf("client %s: got n=%d line %d, want %d", client, i, r.line, next[client])
		}
		next[client]++
	}
	var long, cut int
	for _, p := range c.probs() {
		switch {
		case errors.Is(p.err, ErrLineTooLong) && p.line == n+1:
			long++
		case errors.Is(p.err, ErrIncompleteLine) && p.line == 2 && string(p.sample) == `{"cut":`:
			cut++
		default:
			t.Fatalf("unexpected problem %v", p)
		}
	}
	if long != 2 || cut != 1 {
		t.Fatal(c.dump())
	}
}

func TestListenUnixRefuses(t *testing.T) {
	path := socketPath(t)
	writeFile(t, path, []byte("precious"))
	if err := ListenUnix(context.Background(), path, Options{}, &collector{}); err == nil {
		t.Fatal("listened over a regular file")
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Fatal("regular file clobbered")
	}
	// A live listener is not stolen.
	path = socketPath(t)
	stop, _ := startListen(t, path, &collector{})
	if err := ListenUnix(context.Background(), path, Options{}, &collector{}); err == nil {
		t.Fatal("took over a live socket")
	}
	stop()
}

func TestListenUnixHandlerError(t *testing.T) {
	path := socketPath(t)
	boom := errors.New("boom")
	_, done := startListen(t, path, &collector{failAt: 1, failEr: boom})
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("{}\n{}\n"))
	select {
	case err := <-done:
		done <- err // for the cleanup's stop
		if err != boom {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler error did not stop ListenUnix")
	}
}
