package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nethunt/nethunt/internal/config"
	"github.com/nethunt/nethunt/internal/hosts"
	"github.com/nethunt/nethunt/internal/store"
)

// DuckDB lets one process open a database file at a time, and Host
// Insights lives in the memory of the process that ingests. So the process
// that owns the store (ingest, ingest --follow, serve) listens on a Unix
// socket beside it (store path + ".sock", mode 0600) and runs read-only
// commands for clients: `nethunt host IP` typed while an ingest runs is
// answered by the ingest, from memory, in a few milliseconds, instead of
// failing on the lock or reloading 100k host profiles.
//
// The protocol is the command line itself: the client sends its arguments
// as one JSON line; the server parses them with the same flag sets, runs
// the same command code against its open store, and streams back frames of
// stdout and stderr, then the exit code. Clients and server are the same
// binary, so there is no API to keep in step.

// socketPath is where the owner of the store at cfg.Store.Path listens:
// beside the store, or, when that path is too long for a Unix socket
// address (108 bytes on Linux), in the temporary directory under a name
// derived from the store's absolute path (owner and clients derive the
// same one).
func socketPath(cfg *config.Config) string {
	p := cfg.Store.Path + ".sock"
	if len(p) < maxSocketPath {
		return p
	}
	abs, err := filepath.Abs(cfg.Store.Path)
	if err != nil {
		abs = cfg.Store.Path
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(os.TempDir(), fmt.Sprintf("nethunt-%x.sock", sum[:8]))
}

// maxSocketPath leaves room below Linux's 108-byte sun_path.
const maxSocketPath = 100

// Frame types, server to client.
const (
	frameStdout = 'o'
	frameStderr = 'e'
	frameExit   = 'x'
)

// maxRequest bounds a client's request line (a command line).
const maxRequest = 1 << 20

type request struct {
	Args []string `json:"args"`
}

// live is what a store-owning process shares with the commands it runs
// for clients.
type live struct {
	st    store.Store
	hosts *hosts.Table
}

// sharedStore is the owner's store as a command sees it: closing it is a
// no-op, since the owner keeps using it.
type sharedStore struct{ store.Store }

func (sharedStore) Close() error { return nil }

// runRemote runs args on the store owner listening at sock. ok is false when
// nobody listens there (no owner, or a stale socket left by a crash): the
// caller then runs the command itself.
func runRemote(ctx context.Context, sock string, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return 0, false
	}
	defer conn.Close()
	go func() { <-ctx.Done(); conn.Close() }() // Ctrl-C stops the command on the server too
	req, _ := json.Marshal(request{Args: args})
	if _, err := conn.Write(append(req, '\n')); err != nil {
		return 0, false
	}
	r := bufio.NewReaderSize(conn, 64<<10)
	first := true
	for {
		typ, payload, err := readFrame(r)
		if err != nil {
			if first {
				// The socket accepted but nothing answered: not a
				// nethunt owner (or it died at once). Run locally.
				return 0, false
			}
			if ctx.Err() != nil {
				return 130, true
			}
			fmt.Fprintf(stderr, "nethunt: connection to %s lost: %v\n", sock, err)
			return 1, true
		}
		first = false
		switch typ {
		case frameStdout:
			stdout.Write(payload)
		case frameStderr:
			stderr.Write(payload)
		case frameExit:
			c, n := binary.Uvarint(payload)
			if n <= 0 {
				return 1, true
			}
			return int(c), true
		}
	}
}

func readFrame(r *bufio.Reader) (byte, []byte, error) {
	typ, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, nil, err
	}
	if n > 16<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	b := make([]byte, n)
	_, err = io.ReadFull(r, b)
	return typ, b, err
}

// frames writes frames to a client; stdout and stderr share the stream.
type frames struct {
	mu   sync.Mutex
	conn net.Conn
	w    *bufio.Writer
	err  error
}

// writeTimeout bounds how long a client may leave output unread: a stalled
// client must not hold its command (and the command's lock) forever.
const writeTimeout = time.Minute

func (f *frames) write(typ byte, p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	if f.conn != nil {
		f.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	}
	var hdr [1 + binary.MaxVarintLen64]byte
	hdr[0] = typ
	n := 1 + binary.PutUvarint(hdr[1:], uint64(len(p)))
	if _, f.err = f.w.Write(hdr[:n]); f.err == nil {
		_, f.err = f.w.Write(p)
	}
	if f.err != nil {
		return 0, f.err
	}
	return len(p), nil
}

func (f *frames) flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil {
		f.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	}
	if f.err == nil {
		f.err = f.w.Flush()
	}
	return f.err
}

type frameWriter struct {
	f   *frames
	typ byte
}

func (w frameWriter) Write(p []byte) (int, error) {
	// Large outputs go out in pieces so that a hunt's first rows arrive
	// while the rest is written.
	const chunk = 256 << 10
	done := 0
	for len(p) > 0 {
		n := min(len(p), chunk)
		if _, err := w.f.write(w.typ, p[:n]); err != nil {
			return done, err
		}
		done += n
		p = p[n:]
	}
	return done, nil
}

// server answers clients on the store owner's socket.
type server struct {
	ln      net.Listener
	path    string
	cfgPath string
	e       *env // the owner's environment: configuration
	live    *live
	wg      sync.WaitGroup
}

// serveSocket starts answering clients at path until ctx ends or Close is
// called. The caller holds the store's lock, so a socket file already there
// is a leftover of a crashed owner and is replaced.
func serveSocket(ctx context.Context, path string, e *env, l *live) (*server, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		os.Remove(path)
	}
	// 0600 from the start: the socket answers anything the store holds.
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("query socket: %w", err)
	}
	s := &server{ln: ln, path: path, e: e, live: l}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				time.Sleep(10 * time.Millisecond)
				continue
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.handle(ctx, conn)
			}()
		}
	}()
	go func() { <-ctx.Done(); s.ln.Close() }()
	return s, nil
}

// Close stops accepting, waits for running commands, and removes the socket.
func (s *server) Close() {
	s.ln.Close()
	s.wg.Wait()
	os.Remove(s.path)
}

func (s *server) handle(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(conn, 4096)
	line, err := readLine(br, maxRequest)
	if err != nil {
		return
	}
	conn.SetReadDeadline(time.Time{})
	var req request
	f := &frames{conn: conn, w: bufio.NewWriterSize(conn, 64<<10)}
	stdout, stderr := frameWriter{f, frameStdout}, frameWriter{f, frameStderr}
	code := 2
	if err := json.Unmarshal(line, &req); err != nil || len(req.Args) == 0 {
		fmt.Fprintf(stderr, "nethunt: bad request\n")
	} else {
		// The client going away cancels its command.
		cctx, cancel := context.WithCancel(ctx)
		go func() {
			io.Copy(io.Discard, br)
			cancel()
		}()
		code = s.exec(cctx, req.Args, stdout, stderr)
		cancel()
	}
	var b [binary.MaxVarintLen64]byte
	f.write(frameExit, b[:binary.PutUvarint(b[:], uint64(code))])
	f.flush()
}

// exec runs one command line for a client, as Main would, against the
// owner's store and Host Insights.
func (s *server) exec(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := lookup(args[0])
	if c == nil || c.remote == nil {
		fmt.Fprintf(stderr, "nethunt: %q cannot run while another process owns the store\n", args[0])
		return 2
	}
	var ignored globals // the owner's configuration applies
	fs, code := parseCommand(c, args[1:], &ignored, stdout, stderr)
	if fs == nil {
		return code
	}
	if !c.remote(fs.Args()) {
		fmt.Fprintf(stderr, "nethunt %s: this needs the store for writing, and process %d owns it; stop that process first\n", c.name, os.Getpid())
		return 1
	}
	e := &env{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, cfg: s.e.cfg, cfgPath: s.e.cfgPath, live: s.live}
	return runCommand(ctx, c, e, fs)
}

func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, isPrefix, err := r.ReadLine()
		if err != nil {
			return nil, err
		}
		line = append(line, chunk...)
		if len(line) > max {
			return nil, errors.New("request too long")
		}
		if !isPrefix {
			return line, nil
		}
	}
}

// readOnly marks commands that only read: always forwarded.
func readOnly([]string) bool { return true }
