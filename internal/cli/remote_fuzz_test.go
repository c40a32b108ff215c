package cli

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
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
