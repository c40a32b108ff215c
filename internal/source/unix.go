package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// ListenUnix serves Suricata's `filetype: unix_stream` output: Suricata
// connects to a stream socket that we listen on. Several connections are
// accepted at once (Suricata reconnects after a restart, several instances
// may share the socket); each is a stream of lines, numbered from 1 per
// connection, with Offset counted per connection and a zero FileID.
// Records of different connections interleave at line granularity; the
// Handler is never called concurrently.
//
// A stale socket file left by an earlier run is removed first; a live one
// (something accepts connections on it) or a path that is not a socket is
// an error. A connection that closes in the middle of a line produces a
// Problem wrapping ErrIncompleteLine (Suricata always ends lines with \n).
// When ctx ends, the listener and all connections are closed, the socket
// file is removed and ListenUnix returns nil; if the Handler fails it
// returns that error the same way.
func ListenUnix(ctx context.Context, socketPath string, opt Options, h Handler) error {
	if h == nil {
		return errors.New("source: nil Handler")
	}
	opt = opt.withDefaults()
	if err := removeStaleSocket(socketPath); err != nil {
		return err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: socketPath, Net: "unix"})
	if err != nil {
		return fmt.Errorf("source: listen: %w", err)
	}
	ln.SetUnlinkOnClose(true)

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopAfter := context.AfterFunc(cctx, func() { ln.Close() })
	defer stopAfter()

	sh := &syncHandler{h: h}
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		hErr    error
	)
	fail := func(err error) {
		errOnce.Do(func() { hErr = err })
		cancel()
	}
	var conns int64
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			if cctx.Err() != nil {
				break
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) {
				sh.Problem(Problem{Source: socketPath, Err: fmt.Errorf("accept: %w", err)})
				t := time.NewTimer(50 * time.Millisecond)
				select {
				case <-cctx.Done():
				case <-t.C:
				}
				t.Stop()
				continue
			}
			fail(fmt.Errorf("source: accept: %w", err))
			break
		}
		conns++
		wg.Add(1)
		go func(n int64) {
			defer wg.Done()
			if err := serveConn(cctx, c, socketPath, n, opt, sh); err != nil {
				fail(err)
			}
		}(conns)
	}
	ln.Close()
	wg.Wait()
	return hErr
}

func serveConn(ctx context.Context, c *net.UnixConn, src string, n int64, opt Options, sh *syncHandler) error {
	defer c.Close()
	stopAfter := context.AfterFunc(ctx, func() { c.Close() })
	defer stopAfter()
	ch := connHandler{sh: sh, n: n}
	sp := newSplitter(64<<10, opt.MaxLineBytes)
	sp.reset(c, src, FileID{}, ch)
	rerr, stop := sp.drain(ctx)
	if ctx.Err() != nil {
		return nil // shutting down: read errors from closing are expected
	}
	if stop != nil {
		return stop
	}
	if rerr == io.EOF {
		sp.dropPartial(errors.New("connection closed mid-line"))
		return nil
	}
	sp.damaged("connection read failed", rerr)
	return nil
}

// removeStaleSocket removes a socket file nobody listens on any more.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("source: %s exists and is not a socket; not removing it", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("source: %s is in use by a running listener", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("source: removing stale socket: %w", err)
	}
	return nil
}

// syncHandler serialises Handler calls from several connections. After a
// Record error, later records get the same error.
type syncHandler struct {
	mu  sync.Mutex
	h   Handler
	err error
}

func (s *syncHandler) Record(r Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.err = s.h.Record(r)
	return s.err
}

func (s *syncHandler) Problem(p Problem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.Problem(p)
}

func (s *syncHandler) EndOfFile(src string, id FileID, off int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.EndOfFile(src, id, off)
}

// connHandler names the connection in the problems it passes on.
type connHandler struct {
	sh *syncHandler
	n  int64
}

func (c connHandler) Record(r Record) error { return c.sh.Record(r) }

func (c connHandler) Problem(p Problem) {
	p.Err = fmt.Errorf("connection %d: %w", c.n, p.Err)
	c.sh.Problem(p)
}

func (c connHandler) EndOfFile(src string, id FileID, off int64) { c.sh.EndOfFile(src, id, off) }
