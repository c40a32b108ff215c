package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// splitter cuts a byte stream into lines and feeds them to a Handler.
//
// It owns one buffer that starts at readBufSize and grows up to
// MaxLineBytes+1 only while a single line needs it; normal lines are
// handed out as slices of that buffer (no allocation per line). A line that
// outgrows MaxLineBytes is discarded chunk by chunk up to its newline.
//
// An incomplete last line stays in the buffer when the reader reports EOF,
// so a follower can call drain again once the file has grown; the caller
// decides at the real end what it is (finalLine for complete files,
// dropPartial where it can never be completed).
type splitter struct {
	r     io.Reader
	buf   []byte
	start int // first unconsumed byte in buf
	end   int // end of valid data in buf
	scan  int // buf[start:scan] is known to hold no '\n'
	max   int

	off  int64 // stream offset of buf[start]: bytes consumed
	line int64 // physical lines consumed (blank and skipped ones too)

	skipping bool   // discarding an over-long line up to its newline
	quiet    bool   // ... without reporting it (resumed inside the line)
	skipLen  int64  // bytes of the discarded line seen so far
	sample   []byte // its first bytes

	src string
	id  FileID
	h   Handler
	// refresh, if set, is called once before the first record is handed
	// out, to settle an id whose Head could still change.
	refresh func() FileID
	rerr    error // read error, returned once the buffered lines are out
}

func newSplitter(bufSize, maxLine int) *splitter {
	if bufSize < 1 {
		bufSize = 1
	}
	return &splitter{buf: make([]byte, bufSize), max: maxLine}
}

// reset prepares the splitter for a new stream, keeping its buffer.
func (s *splitter) reset(r io.Reader, src string, id FileID, h Handler) {
	*s = splitter{buf: s.buf, max: s.max, sample: s.sample[:0], r: r, src: src, id: id, h: h}
}

// pending is the number of buffered bytes of an incomplete line.
func (s *splitter) pending() int { return s.end - s.start }

// readPos is how far the underlying reader has been read.
func (s *splitter) readPos() int64 { return s.off + int64(s.end-s.start) }

// drain delivers lines until the reader fails or reports EOF; rerr is that
// read error (io.EOF at a clean end). stop is a Handler error or the
// context's error; when it is set, rerr is nil.
func (s *splitter) drain(ctx context.Context) (rerr, stop error) {
	idle := 0
	for {
		if err := s.deliver(); err != nil {
			return nil, err
		}
		if s.rerr != nil {
			err := s.rerr
			s.rerr = nil
			return err, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.makeRoom()
		n, err := s.r.Read(s.buf[s.end:])
		if n < 0 || n > len(s.buf)-s.end {
			n, err = 0, fmt.Errorf("invalid read count %d", n)
		}
		s.end += n
		switch {
		case err != nil:
			s.rerr = err
		case n == 0:
			if idle++; idle > 100 {
				s.rerr = io.ErrNoProgress
			}
		default:
			idle = 0
		}
	}
}

// deliver hands out every complete line in the buffer.
func (s *splitter) deliver() error {
	for {
		i := bytes.IndexByte(s.buf[s.scan:s.end], '\n')
		if i < 0 {
			s.scan = s.end
			s.checkOverlong()
			return nil
		}
		nl := s.scan + i
		raw := s.buf[s.start:nl]
		s.line++
		s.off += int64(nl + 1 - s.start)
		s.start = nl + 1
		s.scan = s.start
		if s.skipping {
			s.skipLen += int64(len(raw))
			s.endSkip()
			continue
		}
		if len(raw) > s.max {
			s.sample = append(s.sample[:0], raw[:min(len(raw), sampleBytes)]...)
			s.skipLen = int64(len(raw))
			s.endSkip()
			continue
		}
		if err := s.emit(raw); err != nil {
			return err
		}
	}
}

// checkOverlong moves an incomplete line that is already too long (or
// being skipped) out of the buffer.
func (s *splitter) checkOverlong() {
	p := s.end - s.start
	if p == 0 || (!s.skipping && p <= s.max) {
		return
	}
	if !s.skipping {
		s.skipping = true
		s.skipLen = 0
		s.sample = append(s.sample[:0], s.buf[s.start:s.start+min(p, sampleBytes)]...)
	}
	s.skipLen += int64(p)
	s.off += int64(p)
	s.start, s.end, s.scan = 0, 0, 0
}

// makeRoom makes space at the end of the buffer for the next read.
func (s *splitter) makeRoom() {
	if s.start == s.end {
		s.start, s.end, s.scan = 0, 0, 0
	} else if s.start > 0 {
		// What is left is part of one line: cheap to move.
		n := copy(s.buf, s.buf[s.start:s.end])
		s.scan -= s.start
		s.start, s.end = 0, n
	}
	if s.end == len(s.buf) {
		// The buffer holds one incomplete line of at most max bytes:
		// grow, but never past what the longest accepted line needs.
		n := min(2*len(s.buf), s.max+1)
		nb := make([]byte, max(n, len(s.buf)+1))
		copy(nb, s.buf[s.start:s.end])
		s.scan -= s.start
		s.start, s.end = 0, s.end-s.start
		s.buf = nb
	}
}

func (s *splitter) emit(raw []byte) error {
	if n := len(raw); n > 0 && raw[n-1] == '\r' {
		raw = raw[:n-1]
	}
	if blank(raw) {
		return nil
	}
	if s.refresh != nil {
		s.id = s.refresh()
		s.refresh = nil
	}
	return s.h.Record(Record{Data: raw, Source: s.src, Line: s.line, Offset: s.off, FileID: s.id})
}

// endSkip finishes a discarded line (s.line and s.off already include it).
func (s *splitter) endSkip() {
	s.skipping = false
	if s.quiet {
		s.quiet = false
		return
	}
	s.problem(s.line, fmt.Errorf("%w: %d bytes (max %d), skipped", ErrLineTooLong, s.skipLen, s.max), s.sample)
}

func (s *splitter) problem(line int64, err error, sample []byte) {
	var cp []byte
	if len(sample) > 0 {
		cp = append([]byte(nil), sample[:min(len(sample), sampleBytes)]...)
	}
	s.h.Problem(Problem{Source: s.src, Line: line, Offset: s.off, Err: err, Sample: cp})
}

// finalLine treats the buffered incomplete line as the complete last line
// of the stream (a file without a final newline).
func (s *splitter) finalLine() error {
	p := s.pending()
	if s.skipping {
		s.line++
		s.checkOverlong()
		s.endSkip()
		return nil
	}
	if p == 0 {
		return nil
	}
	raw := s.buf[s.start:s.end]
	s.line++
	s.off += int64(p)
	s.start, s.end, s.scan = 0, 0, 0
	return s.emit(raw) // p <= max, or checkOverlong would have moved it
}

// dropPartial gives up on the buffered incomplete line: it can never be
// completed. A non-blank fragment is reported, wrapping why.
func (s *splitter) dropPartial(why error) {
	if s.skipping {
		s.line++
		s.checkOverlong()
		s.endSkip()
		return
	}
	p := s.pending()
	if p == 0 {
		return
	}
	raw := s.buf[s.start:s.end]
	s.line++
	s.off += int64(p)
	s.start, s.end, s.scan = 0, 0, 0
	if !blank(raw) {
		s.problem(s.line, fmt.Errorf("%w (%d bytes): %w", ErrIncompleteLine, p, why), raw)
	}
}

// damaged reports a failed read. Every complete line before the damage has
// been delivered; the incomplete line in progress is dropped and Offset
// stays at the last good resume point.
func (s *splitter) damaged(what string, err error) {
	var sample []byte
	lost := int64(s.pending())
	if s.skipping {
		sample, lost = s.sample, s.skipLen
	} else {
		sample = s.buf[s.start:s.end]
	}
	s.problem(s.line+1, fmt.Errorf("%w: %s in line %d (%d bytes of it lost), rest of stream skipped: %w",
		ErrDamaged, what, s.line+1, lost, err), sample)
	s.start, s.end, s.scan = 0, 0, 0
	s.skipping, s.quiet = false, false
}

// skipTo consumes the stream up to offset target, counting the newlines in
// it, as the start of a resume. It reports whether target is on a line
// boundary; if not, the rest of that line is discarded quietly (the caller
// reports it). rerr is a read error (io.EOF if the stream ends before
// target), stop the context's error.
func (s *splitter) skipTo(ctx context.Context, target int64) (boundary bool, rerr, stop error) {
	boundary = true
	idle := 0
	for s.off < target {
		if s.start == s.end {
			if s.rerr != nil {
				err := s.rerr
				s.rerr = nil
				return false, err, nil
			}
			if err := ctx.Err(); err != nil {
				return false, nil, err
			}
			s.start, s.end, s.scan = 0, 0, 0
			n, err := s.r.Read(s.buf)
			if n < 0 || n > len(s.buf) {
				n, err = 0, fmt.Errorf("invalid read count %d", n)
			}
			s.end = n
			if err != nil {
				s.rerr = err
			} else if n == 0 {
				if idle++; idle > 100 {
					s.rerr = io.ErrNoProgress
				}
			} else {
				idle = 0
			}
			continue
		}
		take := min(int64(s.end-s.start), target-s.off)
		chunk := s.buf[s.start : s.start+int(take)]
		s.line += int64(bytes.Count(chunk, []byte{'\n'}))
		boundary = chunk[len(chunk)-1] == '\n'
		s.start += int(take)
		s.scan = s.start
		s.off += take
	}
	if !boundary {
		s.skipping, s.quiet, s.skipLen = true, true, 0
	}
	return boundary, nil, nil
}

// blank reports whether b holds only white space.
func blank(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\v', '\f':
		default:
			return false
		}
	}
	return true
}
