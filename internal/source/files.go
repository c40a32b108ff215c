package source

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// ReadFiles reads complete files one after the other, in the order of the
// patterns (each pattern's matches in lexical order, duplicates read once).
// "-" is standard input. A pattern that names an existing file is taken
// literally, anything else is a shell glob (filepath.Glob); a pattern that
// matches nothing, or is malformed, is an error returned before anything is
// read.
//
// Plain and gzip input is accepted; gzip is recognised by its magic bytes,
// whatever the name, and concatenated members are read as one stream. A
// final line without newline is a record (the files are complete). A file
// that cannot be opened or read, or a damaged gzip stream, is a Problem:
// lines before the damage are delivered, then ReadFiles goes on with the
// next file. EndOfFile is called after each regular file read to its clean
// end.
//
// ReadFiles returns nil, the Handler's error, or the context's error.
func ReadFiles(ctx context.Context, patterns []string, opt Options, h Handler) error {
	if h == nil {
		return errors.New("source: nil Handler")
	}
	paths, err := expand(patterns)
	if err != nil {
		return err
	}
	opt = opt.withDefaults()
	fr := &fileReader{opt: opt, h: h, sp: newSplitter(readBufSize, opt.MaxLineBytes)}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "-" {
			err = fr.readStream(ctx, "-", os.Stdin)
		} else {
			err = fr.readFile(ctx, p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// expand turns patterns into the list of inputs.
func expand(patterns []string) ([]string, error) {
	if len(patterns) == 0 {
		return nil, errors.New("source: no input given")
	}
	seen := make(map[string]bool)
	var out []string
	for _, pat := range patterns {
		var m []string
		if pat == "-" {
			m = []string{"-"}
		} else if _, err := os.Lstat(pat); err == nil {
			m = []string{pat}
		} else {
			g, err := filepath.Glob(pat)
			if err != nil {
				return nil, fmt.Errorf("source: bad pattern %q: %w", pat, err)
			}
			if len(g) == 0 {
				return nil, fmt.Errorf("source: %q: %w", pat, ErrNoMatch)
			}
			m = g
		}
		for _, p := range m {
			key := p
			if p != "-" {
				key = filepath.Clean(p)
			}
			if !seen[key] {
				seen[key] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

type fileReader struct {
	opt Options
	h   Handler
	sp  *splitter
	zr  *gzip.Reader
	zb  *bufio.Reader
}

func (fr *fileReader) problem(src string, line, off int64, err error) {
	fr.h.Problem(Problem{Source: src, Line: line, Offset: off, Err: err})
}

// gunzip returns a (reused) gzip reader over r.
func (fr *fileReader) gunzip(r io.Reader) (io.Reader, error) {
	if fr.zb == nil {
		fr.zb = bufio.NewReaderSize(r, 64<<10)
	} else {
		fr.zb.Reset(r)
	}
	if fr.zr == nil {
		zr, err := gzip.NewReader(fr.zb)
		if err != nil {
			return nil, err
		}
		fr.zr = zr
		return zr, nil
	}
	if err := fr.zr.Reset(fr.zb); err != nil {
		return nil, err
	}
	return fr.zr, nil
}

func (fr *fileReader) readFile(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		fr.problem(path, 0, 0, err)
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		fr.problem(path, 0, 0, err)
		return nil
	}
	if fi.IsDir() {
		fr.problem(path, 0, 0, errors.New("is a directory, skipped"))
		return nil
	}
	if !fi.Mode().IsRegular() { // FIFO, device: read like stdin
		return fr.readStream(ctx, path, f)
	}
	id, stable, gz, err := identify(f)
	if err != nil {
		fr.problem(path, 0, 0, err)
		return nil
	}
	var start int64
	if fr.opt.Resume != nil {
		start = fr.opt.Resume(path, id)
	}
	if start < 0 {
		fr.problem(path, 0, 0, fmt.Errorf("%w: negative offset %d, reading from the start", ErrBadResume, start))
		start = 0
	}
	if !gz && start > fi.Size() {
		fr.problem(path, 0, 0, fmt.Errorf("%w: offset %d is beyond the end (%d bytes), reading from the start", ErrBadResume, start, fi.Size()))
		start = 0
	}
	what := "read failed"
	if gz {
		what = "gzip read failed"
	}
	sp := fr.sp
	for {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			fr.problem(path, 0, 0, err)
			return nil
		}
		var r io.Reader = f
		if gz {
			if r, err = fr.gunzip(f); err != nil {
				fr.problem(path, 0, 0, fmt.Errorf("%w: gzip header: %w", ErrDamaged, err))
				return nil
			}
		}
		sp.reset(r, path, id, fr.h)
		if !stable {
			sp.refresh = func() FileID {
				if nid, _, _, err := identify(f); err == nil {
					return nid
				}
				return id
			}
		}
		if start == 0 {
			break
		}
		if !gz && fr.opt.NoRecount {
			if _, err := f.Seek(start, io.SeekStart); err != nil {
				fr.problem(path, 0, 0, err)
				return nil
			}
			sp.off = start
			var b [1]byte
			if _, err := f.ReadAt(b[:], start-1); err != nil || b[0] != '\n' {
				sp.skipping, sp.quiet = true, true
				fr.problem(path, 1, start, fmt.Errorf("%w: offset %d is not at a line start; resuming at the next line (lines counted from offset %d)", ErrBadResume, start, start))
			}
			break
		}
		boundary, rerr, stop := sp.skipTo(ctx, start)
		if stop != nil {
			return stop
		}
		if rerr == nil {
			if !boundary {
				fr.problem(path, sp.line+1, start, fmt.Errorf("%w: offset %d is inside line %d; resuming at the next line", ErrBadResume, start, sp.line+1))
			}
			break
		}
		if rerr == io.EOF {
			fr.problem(path, 0, 0, fmt.Errorf("%w: offset %d is beyond the end (%d bytes), reading from the start", ErrBadResume, start, sp.off))
			start = 0
			continue
		}
		sp.damaged(what, rerr)
		return nil
	}
	rerr, stop := sp.drain(ctx)
	if stop != nil {
		return stop
	}
	if rerr != io.EOF {
		sp.damaged(what, rerr)
		return nil
	}
	if err := sp.finalLine(); err != nil {
		return err
	}
	fr.h.EndOfFile(path, sp.id, sp.off)
	return nil
}

// readStream reads a non-seekable input (stdin, FIFO) to its end. There is
// no identity, no resume and no EndOfFile.
func (fr *fileReader) readStream(ctx context.Context, name string, f *os.File) error {
	// Best effort: unblock a pending read when ctx ends (works for pipes
	// the runtime poller manages).
	stopAfter := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Now()) })
	defer stopAfter()
	var magic [2]byte
	n, err := io.ReadFull(f, magic[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fr.problem(name, 0, 0, fmt.Errorf("%w: read failed: %w", ErrDamaged, err))
		return nil
	}
	var r io.Reader = io.MultiReader(bytes.NewReader(magic[:n]), f)
	what := "read failed"
	if n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		what = "gzip read failed"
		if r, err = fr.gunzip(r); err != nil {
			fr.problem(name, 0, 0, fmt.Errorf("%w: gzip header: %w", ErrDamaged, err))
			return nil
		}
	}
	sp := fr.sp
	sp.reset(r, name, FileID{}, fr.h)
	rerr, stop := sp.drain(ctx)
	if stop != nil {
		return stop
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if rerr != io.EOF {
		sp.damaged(what, rerr)
		return nil
	}
	return sp.finalLine()
}
