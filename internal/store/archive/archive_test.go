package archive

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func lines(n, from int) [][]byte {
	var out [][]byte
	for i := range n {
		out = append(out, []byte(fmt.Sprintf(`{"event_type":"flow","n":%d,"pad":"%s"}`, from+i, bytes.Repeat([]byte{'x'}, i%300))))
	}
	return out
}

func TestAppendGetScan(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, Pos{}, false)
	if err != nil {
		t.Fatal(err)
	}
	in := lines(10000, 0) // several frames
	refs, err := a.Append(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != len(in) {
		t.Fatalf("%d refs", len(refs))
	}
	for _, i := range []int{0, 1, 4095, 4096, 9999} {
		got, err := a.Get(refs[i])
		if err != nil || !bytes.Equal(got, in[i]) {
			t.Fatalf("line %d: %q %v", i, got, err)
		}
	}
	end := a.Pos()
	var n int
	if err := a.Scan(Pos{}, end, func(l []byte) error {
		if !bytes.Equal(l, in[n]) {
			t.Fatalf("scan line %d differs", n)
		}
		n++
		return nil
	}); err != nil || n != len(in) {
		t.Fatalf("scan %d, %v", n, err)
	}
	a.Close()
}

// TestUncommittedTailDiscarded: data written after the committed position
// (a crash before the database commit) is dropped on open.
func TestUncommittedTailDiscarded(t *testing.T) {
	dir := t.TempDir()
	a, _ := Open(dir, Pos{}, false)
	first := lines(100, 0)
	refs, _ := a.Append(first, nil)
	committed := a.Pos()
	a.Append(lines(100, 100), nil)
	a.Close()

	a, err := Open(dir, committed, false)
	if err != nil {
		t.Fatal(err)
	}
	if a.Pos() != committed {
		t.Fatalf("pos %v, want %v", a.Pos(), committed)
	}
	var n int
	a.Scan(Pos{}, Pos{Seg: committed.Seg, Off: 1 << 40}, func([]byte) error { n++; return nil })
	if n != 100 {
		t.Fatalf("%d lines after reopen, want 100", n)
	}
	if got, _ := a.Get(refs[99]); !bytes.Equal(got, first[99]) {
		t.Fatal("committed line lost")
	}
	a.Close()
}

func TestCorruptFrameDetected(t *testing.T) {
	dir := t.TempDir()
	a, _ := Open(dir, Pos{}, false)
	refs, _ := a.Append(lines(10, 0), nil)
	a.Close()
	seg := filepath.Join(dir, "seg-000001.nhraw")
	b, _ := os.ReadFile(seg)
	b[len(b)-5] ^= 0xff
	os.WriteFile(seg, b, 0o644)
	r, _ := Open(dir, Pos{Seg: 1, Off: int64(len(b))}, true)
	if _, err := r.Get(refs[3]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("want ErrCorrupt, got %v", err)
	}
}

func TestShorterThanCommitted(t *testing.T) {
	dir := t.TempDir()
	a, _ := Open(dir, Pos{}, false)
	a.Append(lines(10, 0), nil)
	p := a.Pos()
	a.Close()
	if _, err := Open(dir, Pos{Seg: p.Seg, Off: p.Off + 100}, false); err == nil {
		t.Fatal("a truncated archive must be reported")
	}
}

func BenchmarkAppend(b *testing.B) {
	in := lines(20000, 0)
	var size int
	for _, l := range in {
		size += len(l)
	}
	a, _ := Open(b.TempDir(), Pos{}, false)
	defer a.Close()
	b.SetBytes(int64(size))
	b.ResetTimer()
	var refs []Ref
	for range b.N {
		refs, _ = a.Append(in, refs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/line")
}
