package sightings

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func fill(tr *Tracker, n int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	for range n {
		tr.set.add(fixHash(rng.Uint64()), tr.set.seed())
	}
}

func sortedKeys(tr *Tracker) []uint64 {
	k, _ := tr.set.keys()
	slices.Sort(k)
	return k
}

func TestSnapshotRoundTrip(t *testing.T) {
	tr := New(Options{})
	evs := []string{tls7, tls8, http7, ssh7, dnsV2Query, dnsV3Response, file7, flow7}
	for _, l := range evs {
		observeAll(tr, mustDecode(t, l))
	}
	fill(tr, 50_000, 7)

	var buf bytes.Buffer
	if err := tr.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	perValue := float64(buf.Len()-headerLen-4) / float64(tr.Len())
	t.Logf("%d values, %d bytes, %.2f B/value", tr.Len(), buf.Len(), perValue)
	if perValue > 9 {
		t.Errorf("snapshot %.2f B/value, expected delta-varint to beat 8", perValue)
	}

	re := New(Options{})
	if err := re.ReadSnapshot(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if re.Len() != tr.Len() || !slices.Equal(sortedKeys(re), sortedKeys(tr)) {
		t.Fatalf("state differs after reload: %d vs %d", re.Len(), tr.Len())
	}
	for _, l := range evs {
		if s := observeAll(re, mustDecode(t, l)); len(s) != 0 {
			t.Fatalf("re-emitted after reload: %v", reduce(s))
		}
	}
	// Still learning new values after the reload (and growing past it).
	if s := observeAll(re, mustDecode(t, strings.ReplaceAll(http7, "curl/8.5.0", "curl/9"))); len(s) != 1 {
		t.Fatalf("after reload: %v", reduce(s))
	}
	fill(re, 100_000, 8)
	if re.Len() != tr.Len()+1+100_000 {
		t.Fatalf("len %d", re.Len())
	}

	// Deterministic: same state, same bytes.
	var again bytes.Buffer
	if err := tr.WriteSnapshot(&again); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Fatalf("second snapshot differs (%v)", err)
	}
}

func TestSnapshotEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := New(Options{}).WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	tr := New(Options{})
	fill(tr, 10, 1)
	if err := tr.ReadSnapshot(&buf); err != nil || tr.Len() != 0 {
		t.Fatalf("err %v len %d", err, tr.Len())
	}
}

func TestSnapshotFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sightings.snap")
	tr := New(Options{})
	if err := tr.ReadSnapshotFile(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	fill(tr, 1000, 3)
	if err := tr.WriteSnapshotFile(path); err != nil {
		t.Fatal(err)
	}
	fill(tr, 1000, 4) // overwrite in place
	if err := tr.WriteSnapshotFile(path); err != nil {
		t.Fatal(err)
	}
	re := New(Options{})
	if err := re.ReadSnapshotFile(path); err != nil || re.Len() != 2000 {
		t.Fatalf("err %v len %d", err, re.Len())
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.tmp*")); len(m) != 0 {
		t.Fatalf("temp files left: %v", m)
	}
}

// resealHeader recomputes the header checksum after a test edits it.
func resealHeader(b []byte) {
	binary.LittleEndian.PutUint32(b[40:], crc32.Checksum(b[:40], castagnoli))
}

// resealPayload recomputes the trailing checksum.
func resealPayload(b []byte) {
	end := len(b) - 4
	binary.LittleEndian.PutUint32(b[end:], crc32.Checksum(b[headerLen:end], castagnoli))
}

func TestSnapshotCorruptRejected(t *testing.T) {
	tr := New(Options{})
	fill(tr, 5000, 11)
	var buf bytes.Buffer
	if err := tr.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }

	cases := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "truncated header"},
		{"short header", good[:20], "truncated header"},
		{"bad magic", mod(func(b []byte) []byte { b[0] = 'X'; return b }), "not a sightings snapshot"},
		{"header bit flip", mod(func(b []byte) []byte { b[25] ^= 1; return b }), "header checksum"},
		{"future version", mod(func(b []byte) []byte { b[8] = 2; resealHeader(b); return b }), "unsupported format version 2"},
		{"other hash", mod(func(b []byte) []byte { b[10] = 9; resealHeader(b); return b }), "unsupported hash"},
		{"huge count", mod(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[24:], 1<<40)
			resealHeader(b)
			return b
		}), "implausible count"},
		{"payload bit flip", mod(func(b []byte) []byte { b[headerLen+100] ^= 0x10; return b }), "payload checksum"},
		{"checksum flip", mod(func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }), "payload checksum"},
		{"truncated payload", good[:len(good)/2], "truncated payload"},
		{"truncated checksum", good[:len(good)-2], "truncated checksum"},
		{"count too small", mod(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[24:], binary.LittleEndian.Uint64(b[24:])-1)
			resealHeader(b)
			return b
		}), "left over"},
		{"zero delta (duplicate)", func() []byte {
			// A valid-looking file whose second value repeats the first.
			payload := binary.AppendUvarint(nil, 12345)
			payload = binary.AppendUvarint(payload, 0)
			return craft(2, payload)
		}(), "not strictly ascending"},
		{"overflowing delta", func() []byte {
			payload := binary.AppendUvarint(nil, 1<<63)
			payload = binary.AppendUvarint(payload, 1<<63)
			return craft(2, payload)
		}(), "not strictly ascending"},
		{"bad varint", craft(2, bytes.Repeat([]byte{0xff}, 11)), "bad varint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			re := New(Options{})
			fill(re, 100, 99)
			before := sortedKeys(re)
			err := re.ReadSnapshot(bytes.NewReader(c.data))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrBadSnapshot) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %q, want ErrBadSnapshot mentioning %q", err, c.msg)
			}
			if !slices.Equal(sortedKeys(re), before) || re.Len() != 100 {
				t.Fatal("state changed by a rejected snapshot")
			}
		})
	}
}

// craft builds a snapshot with correct checksums around an arbitrary payload.
func craft(count uint64, payload []byte) []byte {
	b := make([]byte, headerLen, headerLen+len(payload)+4)
	copy(b, snapMagic)
	binary.LittleEndian.PutUint16(b[8:], snapVersion)
	binary.LittleEndian.PutUint16(b[10:], snapHashID)
	binary.LittleEndian.PutUint64(b[16:], 42) // seed
	binary.LittleEndian.PutUint64(b[24:], count)
	binary.LittleEndian.PutUint64(b[32:], uint64(len(payload)))
	resealHeader(b)
	b = append(b, payload...)
	b = append(b, 0, 0, 0, 0)
	resealPayload(b)
	return b
}

func TestSortNearlySorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{0, 1, 2, 1000, 100_000} {
		// Slot order of a real table, and a shuffled (worst) input.
		var s set
		s.init(0, 0)
		for range n {
			s.add(fixHash(rng.Uint64()), 0)
		}
		a, _ := s.keys()
		b := slices.Clone(a)
		rng.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
		for _, in := range [][]uint64{a, b} {
			want := slices.Clone(in)
			slices.Sort(want)
			sortNearlySorted(in)
			if !slices.Equal(in, want) {
				t.Fatalf("n=%d: not sorted", n)
			}
		}
	}
}

func TestSeedPerStateAndReload(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	if a.set.seed() == b.set.seed() {
		t.Fatal("two trackers share a seed")
	}
	observeAll(a, mustDecode(t, tls7))
	var buf bytes.Buffer
	if err := a.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if err := b.ReadSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if b.set.seed() != a.set.seed() || !b.Seen("tls.sni", "www.example.com") {
		t.Fatal("reload did not adopt the snapshot's seed")
	}
	// A hash computed under an old seed is refused, not inserted.
	if b.set.add(12345, a.set.seed()+1) || b.set.contains(12345) {
		t.Fatal("stale-seed insert accepted")
	}
}

// A reload while ingest runs must be race-free (run with -race).
func TestReloadDuringIngest(t *testing.T) {
	src := New(Options{})
	fill(src, 10_000, 5)
	var snap bytes.Buffer
	if err := src.WriteSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	tr := New(Options{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			if err := tr.ReadSnapshot(bytes.NewReader(snap.Bytes())); err != nil {
				t.Error(err)
			}
		}
	}()
	ev := mustDecode(t, tls7)
	for i := 0; ; i++ {
		ev.TLS.SNI = fmt.Sprintf("n%d.example", i)
		tr.Observe(ev, nil)
		select {
		case <-done:
			if tr.Len() < 10_000 {
				t.Fatalf("len %d after reloads", tr.Len())
			}
			return
		default:
		}
	}
}
