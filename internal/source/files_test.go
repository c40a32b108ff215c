package source

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readAll(t *testing.T, patterns []string, opt Options) (*collector, error) {
	t.Helper()
	c := &collector{}
	err := ReadFiles(context.Background(), patterns, opt, c)
	return c, err
}

func TestReadFilesPlain(t *testing.T) {
	content := "{\"a\":1}\n\n   \t\n{\"b\":2}\n{\"c\":3}" // no final newline
	p := writeFile(t, tempPath(t, "eve.json"), []byte(content))
	c, err := readAll(t, []string{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []refLine{
		{rec: true, data: `{"a":1}`, line: 1, off: 8},
		{rec: true, data: `{"b":2}`, line: 4, off: 22},
		{rec: true, data: `{"c":3}`, line: 5, off: 29},
	}
	expectRecs(t, c, p, want)
	if len(c.probs()) != 0 {
		t.Fatalf("problems: %s", c.dump())
	}
	eofs := c.eofs()
	f, _ := os.Open(p)
	id, _ := Identify(f)
	f.Close()
	if len(eofs) != 1 || eofs[0].off != int64(len(content)) || eofs[0].id != id || id.Ino == 0 || id.Head == 0 {
		t.Fatalf("EndOfFile %v, want offset %d id %v", eofs, len(content), id)
	}
	if r := c.recs()[0]; r.id != id {
		t.Fatalf("record FileID %v, want %v", r.id, id)
	}
}

func TestReadFilesCRLFAndBinary(t *testing.T) {
	content := "{\"a\":1}\r\n\r\n{\"b\":\"\xff\xfe\xc3\x28\x00\"}\r\nx\r\r\n"
	p := writeFile(t, tempPath(t, "eve.json"), []byte(content))
	c, err := readAll(t, []string{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	expectRecs(t, c, p, []refLine{
		{rec: true, data: `{"a":1}`, line: 1, off: 9},
		{rec: true, data: "{\"b\":\"\xff\xfe\xc3\x28\x00\"}", line: 3, off: 26},
		{rec: true, data: "x\r", line: 4, off: 30}, // only one \r is removed
	})
}

func TestReadFilesGzip(t *testing.T) {
	dir := t.TempDir()
	a := evLines(1, 50)
	b1, b2 := evLines(1, 10), evLines(11, 30)+"{\"tail\":1}" // tail without newline
	// gzip recognised by magic, not by name; second file has two members.
	pa := writeFile(t, filepath.Join(dir, "a.log"), gz(t, a))
	pb := writeFile(t, filepath.Join(dir, "b.json.gz"), gz(t, b1, b2))
	c, err := readAll(t, []string{pa, pb}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	expectRecs(t, c, pa, reference([]byte(a), DefaultMaxLineBytes, true))
	expectRecs(t, c, pb, reference([]byte(b1+b2), DefaultMaxLineBytes, true))
	eofs := c.eofs()
	if len(eofs) != 2 || eofs[0].off != int64(len(a)) || eofs[1].off != int64(len(b1+b2)) {
		t.Fatalf("EndOfFile: %v", eofs)
	}
	if len(c.probs()) != 0 {
		t.Fatalf("problems: %s", c.dump())
	}
}

func TestReadFilesTruncatedGzip(t *testing.T) {
	dir := t.TempDir()
	first, second := evLines(1, 100), evLines(101, 200)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(first))
	zw.Flush() // everything so far is decodable from here on
	cut := buf.Len() + 10
	zw.Write([]byte(second))
	zw.Close()
	bad := writeFile(t, filepath.Join(dir, "1.json.gz"), buf.Bytes()[:cut])
	good := writeFile(t, filepath.Join(dir, "2.json"), []byte(evLines(1, 3)))
	c, err := readAll(t, []string{filepath.Join(dir, "*")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := reference([]byte(first+second), DefaultMaxLineBytes, true)
	recs := c.recs()
	var n int
	for _, r := range recs {
		if r.src == bad {
			if r.data != all[n].data || r.line != all[n].line || r.off != all[n].off {
				t.Fatalf("record %d from damaged file: %v", n, r)
			}
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d lines before the damage delivered:\n%s", n, c.dump())
	}
	probs := c.probs()
	if len(probs) != 1 || !errors.Is(probs[0].err, ErrDamaged) || probs[0].src != bad ||
		probs[0].line != int64(n+1) || probs[0].off != all[n-1].off {
		t.Fatalf("want one damage problem at line %d, got:\n%s", n+1, c.dump())
	}
	expectRecs(t, c, good, reference([]byte(evLines(1, 3)), DefaultMaxLineBytes, true))
	// The damaged file is not reported as consumed, the good one is.
	if eofs := c.eofs(); len(eofs) != 1 || eofs[0].src != good {
		t.Fatalf("EndOfFile: %v", eofs)
	}
	// Order: problem comes before the next file's records.
	ev := c.all()
	for i, e := range ev {
		if e.kind == evProb {
			if i+1 >= len(ev) || ev[i+1].src != good {
				t.Fatalf("problem not followed by next file:\n%s", c.dump())
			}
		}
	}
}

func TestReadFilesCorruptGzip(t *testing.T) {
	dir := t.TempDir()
	data := gz(t, evLines(1, 2000))
	for i := len(data) / 2; i < len(data)/2+40; i++ {
		data[i] ^= 0x5a
	}
	bad := writeFile(t, filepath.Join(dir, "a.gz"), data)
	hdr := writeFile(t, filepath.Join(dir, "b.gz"), []byte{0x1f, 0x8b, 0, 0, 1, 2})
	good := writeFile(t, filepath.Join(dir, "c.json"), []byte(evLine(1)))
	c, err := readAll(t, []string{bad, hdr, good}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	probs := c.probs()
	if len(probs) != 2 || probs[0].src != bad || probs[1].src != hdr ||
		!errors.Is(probs[0].err, ErrDamaged) || !errors.Is(probs[1].err, ErrDamaged) {
		t.Fatalf("problems:\n%s", c.dump())
	}
	expectRecs(t, c, good, reference([]byte(evLine(1)), DefaultMaxLineBytes, true))
}

func TestReadFilesGlob(t *testing.T) {
	dir := t.TempDir()
	p1 := writeFile(t, filepath.Join(dir, "eve.1.json"), []byte(evLines(1, 2)))
	p2 := writeFile(t, filepath.Join(dir, "eve.2.json"), []byte(evLines(3, 4)))
	writeFile(t, filepath.Join(dir, "other.txt"), []byte("nope\n"))
	os.Mkdir(filepath.Join(dir, "eve.3.json"), 0o755) // a directory: Problem, go on

	c, err := readAll(t, []string{filepath.Join(dir, "eve.*.json"), p1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var srcs []string
	for _, r := range c.recs() {
		srcs = append(srcs, filepath.Base(r.src))
	}
	if strings.Join(srcs, ",") != "eve.1.json,eve.1.json,eve.2.json,eve.2.json" {
		t.Fatalf("order/dedup: %v", srcs)
	}
	if p := c.probs(); len(p) != 1 || !strings.Contains(p[0].err.Error(), "directory") {
		t.Fatalf("problems:\n%s", c.dump())
	}

	// A pattern without match fails before anything is read.
	c, err = readAll(t, []string{p2, filepath.Join(dir, "nothing*.json")}, Options{})
	if !errors.Is(err, ErrNoMatch) || !strings.Contains(err.Error(), "nothing*.json") {
		t.Fatalf("err = %v, want ErrNoMatch naming the pattern", err)
	}
	if len(c.all()) != 0 {
		t.Fatalf("events before the error:\n%s", c.dump())
	}
	if _, err = readAll(t, []string{filepath.Join(dir, "[")}, Options{}); err == nil {
		t.Fatal("malformed pattern accepted")
	}
	if _, err = readAll(t, nil, Options{}); err == nil {
		t.Fatal("no patterns accepted")
	}
}

func TestReadFilesLongLine(t *testing.T) {
	good1, good3 := `{"line":1}`, `{"line":3}`
	long := strings.Repeat("x", 10<<20)
	content := good1 + "\n" + long + "\n" + good3 + "\n" + long // again at EOF, unterminated
	p := writeFile(t, tempPath(t, "eve.json"), []byte(content))
	c, err := readAll(t, []string{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	expectRecs(t, c, p, []refLine{
		{rec: true, data: good1, line: 1, off: 11},
		{rec: true, data: good3, line: 3, off: int64(11 + len(long) + 1 + 11)},
	})
	probs := c.probs()
	if len(probs) != 2 {
		t.Fatalf("problems:\n%s", c.dump())
	}
	for i, want := range []struct{ line, off int64 }{{2, int64(11 + len(long) + 1)}, {4, int64(len(content))}} {
		pr := probs[i]
		if !errors.Is(pr.err, ErrLineTooLong) || pr.line != want.line || pr.off != want.off ||
			len(pr.sample) != 256 || pr.sample[0] != 'x' {
			t.Fatalf("problem %d: %v (sample %d bytes), want line %d off %d", i, pr, len(pr.sample), want.line, want.off)
		}
	}
	if e := c.eofs(); len(e) != 1 || e[0].off != int64(len(content)) {
		t.Fatalf("EndOfFile %v", e)
	}
}

func TestReadFilesResume(t *testing.T) {
	content := evLines(1, 30)
	ref := reference([]byte(content), DefaultMaxLineBytes, true)
	dir := t.TempDir()
	plain := writeFile(t, filepath.Join(dir, "eve.json"), []byte(content))
	zipped := writeFile(t, filepath.Join(dir, "eve.json.1.gz"), gz(t, content[:500], content[500:]))
	for _, p := range []string{plain, zipped} {
		f, _ := os.Open(p)
		id, _ := Identify(f)
		f.Close()
		for _, k := range []int{0, 1, 7, 29, 30} {
			var off int64
			if k > 0 {
				off = ref[k-1].off
			}
			resume := func(path string, got FileID) int64 {
				if path != p || got != id {
					t.Errorf("Resume(%q, %v), want %q %v", path, got, p, id)
				}
				return off
			}
			c, err := readAll(t, []string{p}, Options{Resume: resume})
			if err != nil {
				t.Fatal(err)
			}
			expectRecs(t, c, p, ref[k:])
			if len(c.probs()) != 0 || len(c.eofs()) != 1 || c.eofs()[0].off != int64(len(content)) {
				t.Fatalf("%s k=%d:\n%s", p, k, c.dump())
			}
		}
		// Inside a line: reported, reading goes on at the next line.
		mid := ref[4].off + 3
		c, _ := readAll(t, []string{p}, Options{Resume: func(string, FileID) int64 { return mid }})
		expectRecs(t, c, p, ref[6:])
		if pr := c.probs(); len(pr) != 1 || !errors.Is(pr[0].err, ErrBadResume) || pr[0].line != 6 {
			t.Fatalf("mid-line resume:\n%s", c.dump())
		}
		// Beyond the end: reported, read from the start.
		c, _ = readAll(t, []string{p}, Options{Resume: func(string, FileID) int64 { return 1 << 40 }})
		expectRecs(t, c, p, ref)
		if pr := c.probs(); len(pr) != 1 || !errors.Is(pr[0].err, ErrBadResume) {
			t.Fatalf("resume beyond end:\n%s", c.dump())
		}
	}
	// NoRecount: plain files seek, lines count from the resume point.
	c, _ := readAll(t, []string{plain}, Options{NoRecount: true, Resume: func(string, FileID) int64 { return ref[9].off }})
	var rel []refLine
	for _, r := range ref[10:] {
		r.line -= 10
		rel = append(rel, r)
	}
	expectRecs(t, c, plain, rel)
}

func TestReadFilesStdin(t *testing.T) {
	content := evLines(1, 5)
	for _, data := range [][]byte{[]byte(content), gz(t, content)} {
		p := writeFile(t, tempPath(t, "in"), data)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		old := os.Stdin
		os.Stdin = f
		c, err := readAll(t, []string{"-"}, Options{Resume: func(string, FileID) int64 { t.Error("Resume called for stdin"); return 0 }})
		os.Stdin = old
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		expectRecs(t, c, "-", reference([]byte(content), DefaultMaxLineBytes, true))
		if r := c.recs()[0]; !r.id.IsZero() {
			t.Fatalf("stdin FileID %v", r.id)
		}
	}
}

func TestReadFilesStops(t *testing.T) {
	p := writeFile(t, tempPath(t, "eve.json"), []byte(evLines(1, 10)))
	boom := errors.New("boom")
	c := &collector{failAt: 3, failEr: boom}
	if err := ReadFiles(context.Background(), []string{p, p + "*"}, Options{}, c); err != boom {
		t.Fatalf("err = %v, want handler error", err)
	}
	if len(c.recs()) != 2 || len(c.eofs()) != 0 {
		t.Fatalf("after handler error:\n%s", c.dump())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ReadFiles(ctx, []string{p}, Options{}, &collector{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestIdentifyHeadStable(t *testing.T) {
	p := tempPath(t, "eve.json")
	ids := func() (FileID, bool) {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		id, stable, _, err := identify(f)
		if err != nil {
			t.Fatal(err)
		}
		return id, stable
	}
	appendFile(t, p, `{"first":`)
	if _, stable := ids(); stable {
		t.Fatal("head without a complete line called stable")
	}
	appendFile(t, p, "1}\n")
	id1, stable := ids()
	if !stable {
		t.Fatal("head with a complete first line not stable")
	}
	appendFile(t, p, evLines(1, 100))
	if id2, _ := ids(); id2 != id1 {
		t.Fatalf("FileID changed while the file grew: %v -> %v", id1, id2)
	}
	os.Remove(p)
	appendFile(t, p, `{"other":1}`+"\n")
	if id3, _ := ids(); id3.Head == id1.Head {
		t.Fatal("different first line, same Head")
	}
}
