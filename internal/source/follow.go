package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// maxRotateWait bounds how many polls Follow keeps reading a rotated-away
// file that is still growing before it switches to the new one anyway.
const maxRotateWait = 40

// Follow tails a live eve.json with `tail -F` semantics, polling every
// opt.Poll (no file-system notifications). It returns nil when ctx ends and
// the Handler's error if one fails; every other trouble is a Problem and
// Follow goes on.
//
//   - The path need not exist yet: Follow waits for it, and for it to come
//     back after a deletion.
//   - The first file opened is entered at opt.Resume's offset, so a restart
//     with the last checkpoint neither loses nor repeats lines (line numbers
//     are recounted unless NoRecount). Files opened later (after a rotation)
//     are read from offset 0 without asking Resume.
//   - An incomplete last line is held (not delivered, Offset stays before
//     it) until its newline arrives: the writer may be mid-write.
//   - Rotation by rename (Suricata's way: eve.json is renamed, a new
//     eve.json is created when Suricata reopens its log): the old file is
//     kept open and read through its descriptor. Once the path names a new
//     file, the old one is drained until it has stayed quiet for one poll
//     (a writer may still flush to it), then EndOfFile is called for it and
//     the new file is read from offset 0. While the path does not exist and
//     the old file was merely renamed, Follow keeps reading the old file.
//     A deleted (unlinked) file is finished after one quiet poll and closed,
//     so its disk space can be reclaimed.
//   - Truncation in place (copytruncate, `> eve.json`): detected when the
//     size drops below what was read, or when the head of a file changes;
//     EndOfFile is called for the old instance (no Problem) and reading
//     restarts at 0 under the new FileID.
//   - A fragment of a line left at the end of a finished instance can never
//     be completed: it is reported as a Problem wrapping ErrIncompleteLine.
func Follow(ctx context.Context, path string, opt FollowOptions, h Handler) error {
	if h == nil {
		return errors.New("source: nil Handler")
	}
	if opt.Poll <= 0 {
		opt.Poll = DefaultPoll
	}
	opt.Options = opt.Options.withDefaults()
	fl := &follower{
		path: path,
		opt:  opt,
		h:    h,
		sp:   newSplitter(readBufSize, opt.MaxLineBytes),
	}
	defer fl.close()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	first := true
	for {
		if ctx.Err() != nil {
			return nil
		}
		wait := true
		var stop error
		if fl.f == nil {
			var opened bool
			opened, stop = fl.open(ctx, first)
			if opened {
				first, wait = false, false
			}
		} else {
			wait, stop = fl.step(ctx)
		}
		if stop != nil {
			if ctx.Err() != nil && errors.Is(stop, ctx.Err()) {
				return nil
			}
			return stop
		}
		if wait {
			timer.Reset(opt.Poll)
			select {
			case <-ctx.Done():
				return nil
			case <-timer.C:
			}
		}
	}
}

type follower struct {
	path string
	opt  FollowOptions
	h    Handler
	sp   *splitter

	f        *os.File
	stable   bool   // sp.id.Head can no longer change while the file grows
	rotating int    // polls since the path stopped naming f
	lastErr  string // last poll-level problem, not repeated every poll
}

func (fl *follower) close() {
	if fl.f != nil {
		fl.f.Close()
		fl.f = nil
	}
}

// report passes on a poll-level problem (open, stat, read errors) unless it
// is the same as the previous one.
func (fl *follower) report(line, off int64, err error) {
	if msg := err.Error(); msg != fl.lastErr {
		fl.lastErr = msg
		fl.h.Problem(Problem{Source: fl.path, Line: line, Offset: off, Err: err})
	}
}

// start points the splitter at the beginning of f under a fresh identity.
func (fl *follower) start() error {
	id, stable, _, err := identify(fl.f)
	if err != nil {
		return err
	}
	if _, err := fl.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	fl.sp.reset(fl.f, fl.path, id, fl.h)
	fl.stable = stable
	if !stable {
		f := fl.f
		fl.sp.refresh = func() FileID {
			nid, st, _, err := identify(f)
			if err != nil {
				return id
			}
			fl.stable = st
			return nid
		}
	}
	return nil
}

// open opens the path; opened is false if it is not there (yet).
func (fl *follower) open(ctx context.Context, first bool) (opened bool, stop error) {
	f, err := os.Open(fl.path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			fl.report(0, 0, err)
		}
		return false, nil
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = errors.New("is a directory")
	}
	if err == nil {
		fl.f = f
		err = fl.start()
	}
	if err != nil {
		f.Close()
		fl.f = nil
		fl.report(0, 0, err)
		return false, nil
	}
	fl.lastErr = ""
	fl.rotating = 0
	if !first || fl.opt.Resume == nil || !fi.Mode().IsRegular() {
		return true, nil
	}
	off := fl.opt.Resume(fl.path, fl.sp.id)
	switch {
	case off == 0:
		return true, nil
	case off < 0:
		fl.report(0, 0, fmt.Errorf("%w: negative offset %d, reading from the start", ErrBadResume, off))
		return true, nil
	case off > fi.Size():
		fl.report(0, 0, fmt.Errorf("%w: offset %d is beyond the end (%d bytes), reading from the start", ErrBadResume, off, fi.Size()))
		return true, nil
	}
	sp := fl.sp
	if fl.opt.NoRecount {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			fl.report(0, 0, err)
			return true, nil // reading from the start, Seek(0) was done
		}
		sp.off = off
		var b [1]byte
		if _, err := f.ReadAt(b[:], off-1); err != nil || b[0] != '\n' {
			sp.skipping, sp.quiet = true, true
			fl.report(1, off, fmt.Errorf("%w: offset %d is not at a line start; resuming at the next line (lines counted from offset %d)", ErrBadResume, off, off))
		}
		return true, nil
	}
	boundary, rerr, stop := sp.skipTo(ctx, off)
	switch {
	case stop != nil:
		return true, stop
	case rerr != nil: // shrank meanwhile, or I/O error
		fl.report(0, 0, fmt.Errorf("%w: cannot reach offset %d (%v), reading from the start", ErrBadResume, off, rerr))
		if err := fl.start(); err != nil {
			fl.report(0, 0, err)
			fl.close()
		}
	case !boundary:
		fl.report(sp.line+1, off, fmt.Errorf("%w: offset %d is inside line %d; resuming at the next line", ErrBadResume, off, sp.line+1))
	}
	return true, nil
}

// step reads what is new and checks for truncation and rotation. wait
// says whether to sleep a poll interval before the next step.
func (fl *follower) step(ctx context.Context) (wait bool, stop error) {
	sp := fl.sp
	fi, err := fl.f.Stat()
	if err != nil {
		fl.report(0, sp.off, err)
		return true, nil
	}
	// Truncated or rewritten in place: checked before reading, so that new
	// content is not read from the old offset.
	if fi.Size() < sp.readPos() || fl.headChanged() {
		sp.dropPartial(errors.New("file truncated"))
		fl.h.EndOfFile(fl.path, sp.id, sp.off)
		fl.rotating = 0
		if err := fl.start(); err != nil {
			fl.report(0, 0, err)
			fl.close()
		}
		return false, nil
	}
	before := sp.readPos()
	rerr, stop := sp.drain(ctx)
	if stop != nil {
		return false, stop
	}
	grew := sp.readPos() != before
	if rerr != io.EOF {
		fl.report(sp.line+1, sp.off, fmt.Errorf("read failed: %w", rerr))
		return true, nil
	}
	if grew {
		fl.lastErr = ""
	}

	st, err := os.Stat(fl.path)
	switch {
	case err == nil && os.SameFile(fi, st):
		fl.rotating = 0
		return !grew, nil
	case err == nil: // the path names another file: the writer moved on
	case errors.Is(err, fs.ErrNotExist):
		if !unlinked(fi) {
			// Renamed, new file not there yet: the writer may still be
			// writing to this one.
			return !grew, nil
		}
		// Deleted: finish it once it is quiet, so it can be freed.
	default:
		fl.report(0, sp.off, err)
		return !grew, nil
	}
	if grew || fl.rotating == 0 {
		if fl.rotating++; fl.rotating <= maxRotateWait {
			return true, nil
		}
		fl.report(0, sp.off, fmt.Errorf("rotated file still growing after %d polls; switching to the new file", maxRotateWait))
	}
	// Quiet for a whole poll since the rotation was seen: done with it.
	sp.dropPartial(errors.New("file rotated or deleted"))
	fl.h.EndOfFile(fl.path, sp.id, sp.off)
	fl.close()
	fl.rotating = 0
	return false, nil
}

// headChanged reports whether the first line of the open file is no longer
// the one it was identified by (rewritten in place).
func (fl *follower) headChanged() bool {
	if !fl.stable {
		return false
	}
	var buf [headBytes]byte
	n, err := fl.f.ReadAt(buf[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	h, _, _ := headHash(buf[:n])
	return h != fl.sp.id.Head
}
