package source

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type evKind int

const (
	evRec evKind = iota
	evProb
	evEOF
)

type event struct {
	kind   evKind
	data   string
	src    string
	line   int64
	off    int64
	id     FileID
	err    error
	sample []byte
}

func (e event) String() string {
	switch e.kind {
	case evRec:
		return fmt.Sprintf("rec %s:%d@%d %q", e.src, e.line, e.off, e.data)
	case evProb:
		return fmt.Sprintf("prob %s:%d@%d %v", e.src, e.line, e.off, e.err)
	default:
		return fmt.Sprintf("eof %s@%d %v", e.src, e.off, e.id)
	}
}

// collector is a Handler that records everything; safe for concurrent use
// so tests can watch it while a source runs.
type collector struct {
	mu     sync.Mutex
	ev     []event
	failAt int   // if > 0, Record number failAt returns failErr
	nrec   int   // records seen
	failEr error // returned at failAt
}

func (c *collector) Record(r Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nrec++
	if c.failAt > 0 && c.nrec == c.failAt {
		return c.failEr
	}
	c.ev = append(c.ev, event{kind: evRec, data: string(r.Data), src: r.Source, line: r.Line, off: r.Offset, id: r.FileID})
	return nil
}

func (c *collector) Problem(p Problem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ev = append(c.ev, event{kind: evProb, src: p.Source, line: p.Line, off: p.Offset, err: p.Err, sample: p.Sample})
}

func (c *collector) EndOfFile(src string, id FileID, off int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ev = append(c.ev, event{kind: evEOF, src: src, off: off, id: id})
}

func (c *collector) all() []event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event(nil), c.ev...)
}

func (c *collector) of(k evKind) []event {
	var out []event
	for _, e := range c.all() {
		if e.kind == k {
			out = append(out, e)
		}
	}
	return out
}

func (c *collector) recs() []event  { return c.of(evRec) }
func (c *collector) probs() []event { return c.of(evProb) }
func (c *collector) eofs() []event  { return c.of(evEOF) }

func (c *collector) dump() string {
	var b strings.Builder
	for _, e := range c.all() {
		d := e.String()
		if len(d) > 200 {
			d = d[:200] + "..."
		}
		b.WriteString(d + "\n")
	}
	return b.String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, c *collector, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; events:\n%s", what, c.dump())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func waitRecs(t *testing.T, c *collector, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d records", n), c, func() bool { return len(c.recs()) >= n })
}

// evLine is the i-th test event line, with its newline.
func evLine(i int) string {
	return fmt.Sprintf(`{"event_type":"alert","n":%d,"pad":"%s"}`+"\n", i, strings.Repeat("x", i%41))
}

func evLines(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		b.WriteString(evLine(i))
	}
	return b.String()
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// gz compresses each string as its own gzip member and concatenates them.
func gz(t testing.TB, members ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, m := range members {
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// refLine is what the line-splitting rules make of one physical line.
type refLine struct {
	rec   bool // a record (else a Problem for a too-long line)
	data  string
	line  int64
	start int64 // offset of the line's first byte
	off   int64 // offset after its newline
}

// reference splits in by the package's documented rules, the slow and
// obvious way. If final is false an incomplete last line is left out.
func reference(in []byte, maxLine int, final bool) []refLine {
	var out []refLine
	var off, line int64
	for len(in) > 0 {
		i := bytes.IndexByte(in, '\n')
		var raw []byte
		adv := 0
		if i < 0 {
			if !final {
				break
			}
			raw, adv = in, len(in)
		} else {
			raw, adv = in[:i], i+1
		}
		line++
		start := off
		off += int64(adv)
		in = in[adv:]
		if len(raw) > maxLine {
			out = append(out, refLine{line: line, start: start, off: off})
			continue
		}
		raw = bytes.TrimSuffix(raw, []byte{'\r'})
		if len(bytes.Trim(raw, " \t\r\v\f")) == 0 {
			continue
		}
		out = append(out, refLine{rec: true, data: string(raw), line: line, start: start, off: off})
	}
	return out
}

// expectRecs checks the records of c against lines, in order.
func expectRecs(t *testing.T, c *collector, src string, want []refLine) {
	t.Helper()
	var got []event
	for _, e := range c.recs() {
		if src == "" || e.src == src {
			got = append(got, e)
		}
	}
	var wr []refLine
	for _, w := range want {
		if w.rec {
			wr = append(wr, w)
		}
	}
	if len(got) != len(wr) {
		t.Fatalf("%s: got %d records, want %d; events:\n%s", src, len(got), len(wr), c.dump())
	}
	for i := range wr {
		g, w := got[i], wr[i]
		if g.data != w.data || g.line != w.line || g.off != w.off {
			t.Fatalf("%s: record %d = line %d off %d %q; want line %d off %d %q", src, i, g.line, g.off, g.data, w.line, w.off, w.data)
		}
	}
}

func tempPath(t *testing.T, name string) string {
	return filepath.Join(t.TempDir(), name)
}
