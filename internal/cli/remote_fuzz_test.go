package cli

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/config"
)

// FuzzReadFrame: whatever a socket sends, the client's frame reader
// returns frames or an error, never panics or allocates beyond its bound.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte("o\x05hello" + "e\x03err" + "x\x00"))
	f.Add([]byte("o\xff\xff\xff\xff\x0f"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		for {
			typ, p, err := readFrame(r)
			if err != nil {
				return
			}
			if len(p) > 16<<20 {
				t.Fatalf("frame %c of %d bytes", typ, len(p))
			}
		}
	})
}

// TestServerRefusesBadRequests: a request that is not a command line, or
// names a command that writes, gets an error and an exit code, and the
// server goes on answering.
func TestServerRefusesBadRequests(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "x.sock")
	cfgEnv := &env{cfg: nil}
	srv, err := serveSocket(context.Background(), sock, cfgEnv, &live{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, req := range []string{"not json\n", "{}\n", `{"args":["ingest","x"]}` + "\n", `{"args":["nosuch"]}` + "\n", `{"args":["hosts","rebuild"]}` + "\n"} {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte(req))
		r := bufio.NewReader(c)
		code := -1
		for {
			typ, p, err := readFrame(r)
			if err != nil {
				break
			}
			if typ == frameExit {
				code = int(p[0])
			}
		}
		c.Close()
		if code <= 0 {
			t.Errorf("request %q: exit code %d, want a failure", req, code)
		}
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode: %v %v", fi.Mode(), err)
	}
}

// TestSocketPathFitsUnixAddress: a store deep in a directory tree still
// gets a usable socket, the same for the owner and its clients.
func TestSocketPathFitsUnixAddress(t *testing.T) {
	short := config.Default()
	short.Store.Path = "/var/lib/nethunt/nethunt.db"
	if got := socketPath(short); got != "/var/lib/nethunt/nethunt.db.sock" {
		t.Errorf("short path: %s", got)
	}
	long := config.Default()
	long.Store.Path = "/srv/" + strings.Repeat("very-long-directory-name/", 8) + "nethunt.db"
	a, b := socketPath(long), socketPath(long)
	if a != b || len(a) >= maxSocketPath || !strings.HasPrefix(a, os.TempDir()) {
		t.Errorf("long path: %s / %s", a, b)
	}
	other := config.Default()
	other.Store.Path = long.Store.Path + "2"
	if socketPath(other) == a {
		t.Error("two stores share a socket")
	}
	// A real owner listens there.
	srv, err := serveSocket(context.Background(), a, &env{}, &live{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
}
