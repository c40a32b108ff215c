package source

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// chunkReader hands out data in pseudo-random chunk sizes, sometimes
// (0, nil), and stops with io.EOF at "growth points" before going on, like
// a file that is still being written.
type chunkReader struct {
	data    []byte
	pos     int
	limit   int // io.EOF at limit until grow
	rng     *rand.Rand
	growing bool
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.pos >= r.limit {
		return 0, io.EOF
	}
	switch r.rng.IntN(8) {
	case 0:
		return 0, nil
	}
	n := 1 + r.rng.IntN(17)
	if r.rng.IntN(4) == 0 {
		n = len(p)
	}
	n = min(n, len(p), r.limit-r.pos)
	copy(p, r.data[r.pos:r.pos+n])
	r.pos += n
	if r.pos == r.limit && r.rng.IntN(2) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// grow moves the EOF point; false once everything has been handed out.
func (r *chunkReader) grow() bool {
	if r.limit >= len(r.data) {
		return false
	}
	r.limit = min(len(r.data), r.limit+1+r.rng.IntN(len(r.data)))
	return true
}

type splitResult struct {
	lines []refLine
	probs []Problem
}

// runSplitter runs the splitter over data as ReadFiles (final) or as a
// follower that sees the data grow (not final), optionally resuming at
// offset resume.
func runSplitter(t *testing.T, data []byte, maxLine, bufSize int, seed uint64, final bool, resume int64) splitResult {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	cr := &chunkReader{data: data, rng: rng, limit: len(data)}
	if !final {
		cr.limit = rng.IntN(len(data) + 1)
	}
	var res splitResult
	h := &funcHandler{
		rec: func(r Record) error {
			res.lines = append(res.lines, refLine{rec: true, data: string(r.Data), line: r.Line, off: r.Offset})
			return nil
		},
		prob: func(p Problem) {
			res.probs = append(res.probs, p)
		},
	}
	sp := newSplitter(bufSize, maxLine)
	sp.reset(cr, "fuzz", FileID{}, h)
	ctx := context.Background()
	if resume > 0 {
		for {
			_, rerr, stop := sp.skipTo(ctx, resume)
			if stop != nil {
				t.Fatal(stop)
			}
			if rerr == nil {
				break
			}
			if rerr != io.EOF || !cr.grow() {
				t.Fatalf("skipTo(%d) on %d bytes: %v", resume, len(data), rerr)
			}
		}
	}
	for {
		rerr, stop := sp.drain(ctx)
		if stop != nil {
			t.Fatal(stop)
		}
		if rerr != io.EOF {
			t.Fatalf("read error %v", rerr)
		}
		if !cr.grow() {
			break
		}
	}
	if final {
		if err := sp.finalLine(); err != nil {
			t.Fatal(err)
		}
		if sp.off != int64(len(data)) {
			t.Fatalf("final offset %d, want %d", sp.off, len(data))
		}
	}
	if len(sp.buf) > max(bufSize, maxLine+1) {
		t.Fatalf("buffer grew to %d with max line %d", len(sp.buf), maxLine)
	}
	return res
}

type funcHandler struct {
	rec  func(Record) error
	prob func(Problem)
	eof  func(string, FileID, int64)
}

func (f *funcHandler) Record(r Record) error { return f.rec(r) }
func (f *funcHandler) Problem(p Problem)     { f.prob(p) }
func (f *funcHandler) EndOfFile(s string, id FileID, o int64) {
	if f.eof != nil {
		f.eof(s, id, o)
	}
}

func checkSplit(t *testing.T, data []byte, maxLine, bufSize int, seed uint64, final bool, resume int64) {
	t.Helper()
	res := runSplitter(t, data, maxLine, bufSize, seed, final, resume)
	var want []refLine
	for _, w := range reference(data, maxLine, final) {
		if w.start >= resume {
			want = append(want, w)
		}
	}
	// Merge records and problems back into one ordered stream.
	var got []refLine
	ri, pi := 0, 0
	for ri < len(res.lines) || pi < len(res.probs) {
		if pi < len(res.probs) && (ri == len(res.lines) || res.probs[pi].Offset <= res.lines[ri].off) {
			p := res.probs[pi]
			if !errors.Is(p.Err, ErrLineTooLong) {
				t.Fatalf("unexpected problem %v", p)
			}
			got = append(got, refLine{line: p.Line, off: p.Offset})
			pi++
		} else {
			got = append(got, res.lines[ri])
			ri++
		}
	}
	var last int64 = -1
	for i, g := range got {
		if g.off <= last {
			t.Fatalf("offset %d at item %d does not increase (previous %d)", g.off, i, last)
		}
		last = g.off
		if strings.ContainsRune(g.data, '\n') {
			t.Fatalf("record %d contains a newline: %q", i, g.data)
		}
		if i >= len(want) {
			t.Fatalf("extra item %d: %+v (want %d items)", i, g, len(want))
		}
		w := want[i]
		if g.rec != w.rec || g.data != w.data || g.line != w.line || g.off != w.off {
			t.Fatalf("item %d (final=%v resume=%d max=%d buf=%d):\n got %+v\nwant %+v", i, final, resume, maxLine, bufSize, g, w)
		}
		// Consistency with the input: the record is the line's bytes
		// (minus one \r) and the line ends at off.
		if w.rec && (!bytes.HasPrefix(data[w.start:], []byte(g.data)) || data[g.off-1] != '\n' && g.off != int64(len(data))) {
			t.Fatalf("item %d is not the input line", i)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d (final=%v resume=%d max=%d)", len(got), len(want), final, resume, maxLine)
	}
}

func FuzzSplitLines(f *testing.F) {
	f.Add([]byte("a\nb\n"), uint8(4), uint8(1), uint16(1), uint16(0))
	f.Add([]byte("{\"a\":1}\r\n\r\n  \t\n{\"b\":2}"), uint8(8), uint8(3), uint16(2), uint16(9))
	f.Add([]byte("short\nthis line is far too long for the limit\nok\n"), uint8(6), uint8(2), uint16(3), uint16(3))
	f.Add([]byte("toolongtoolongtoolong"), uint8(3), uint8(1), uint16(4), uint16(0))
	f.Add([]byte("\xff\xfe\x00\n\n\n\r\r\n\x1f\x8b"), uint8(2), uint8(5), uint16(5), uint16(4))
	f.Add([]byte("0123456789\n0123456789\n01234567890\n"), uint8(10), uint8(4), uint16(6), uint16(11))
	f.Fuzz(func(t *testing.T, data []byte, maxB, bufB uint8, seed, resumeB uint16) {
		if len(data) > 1<<16 {
			return
		}
		maxLine := int(maxB%64) + 1
		bufSize := int(bufB%32) + 1
		var resume int64
		if len(data) > 0 {
			resume = int64(resumeB) % int64(len(data)+1)
		}
		checkSplit(t, data, maxLine, bufSize, uint64(seed), true, 0)
		checkSplit(t, data, maxLine, bufSize, uint64(seed), false, 0)
		checkSplit(t, data, maxLine, bufSize, uint64(seed)+1, true, resume)
	})
}

// TestSplitterRandom runs the fuzz property over generated inputs so that a
// plain `go test` exercises it broadly.
func TestSplitterRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab{}\" \t\r\n\n\n\xff")
	for i := 0; i < 2000; i++ {
		data := make([]byte, rng.IntN(300))
		for j := range data {
			data[j] = alphabet[rng.IntN(len(alphabet))]
		}
		maxLine := 1 + rng.IntN(40)
		bufSize := 1 + rng.IntN(64)
		resume := int64(rng.IntN(len(data) + 1))
		checkSplit(t, data, maxLine, bufSize, uint64(i), true, 0)
		checkSplit(t, data, maxLine, bufSize, uint64(i), false, 0)
		checkSplit(t, data, maxLine, bufSize, uint64(i), true, resume)
	}
}

// A line far beyond MaxLineBytes is never buffered whole.
func TestSplitterBoundedBuffer(t *testing.T) {
	const maxLine = 1 << 16
	data := "first\n" + strings.Repeat("x", 10<<20) + "\nlast\n"
	var recs []string
	var probs []Problem
	h := &funcHandler{
		rec:  func(r Record) error { recs = append(recs, string(r.Data)); return nil },
		prob: func(p Problem) { probs = append(probs, p) },
	}
	sp := newSplitter(4096, maxLine)
	sp.reset(strings.NewReader(data), "x", FileID{}, h)
	if rerr, stop := sp.drain(context.Background()); rerr != io.EOF || stop != nil {
		t.Fatal(rerr, stop)
	}
	if len(sp.buf) > maxLine+1 {
		t.Fatalf("buffer grew to %d", len(sp.buf))
	}
	if strings.Join(recs, ",") != "first,last" || len(probs) != 1 || probs[0].Line != 2 {
		t.Fatalf("recs %q probs %v", recs, probs)
	}
}

// Normal lines cost no allocation.
func TestSplitterNoAllocs(t *testing.T) {
	data := []byte(evLines(1, 2000))
	h := &funcHandler{rec: func(Record) error { return nil }, prob: func(Problem) {}}
	sp := newSplitter(readBufSize, DefaultMaxLineBytes)
	r := bytes.NewReader(data)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(5, func() {
		r.Reset(data)
		sp.reset(r, "x", FileID{}, h)
		sp.drain(ctx)
	})
	if allocs > 0 {
		t.Fatalf("%v allocations per pass", allocs)
	}
}
