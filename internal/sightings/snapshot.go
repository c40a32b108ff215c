package sightings

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// Snapshot format, version 1 (all integers little-endian):
//
//	offset size
//	0      8    magic "NHSIGHTS"
//	8      2    format version (1)
//	10     2    hash function (1 = xxh3-64 of key "\x00" value with the
//	            seed below, 0 stored as 1)
//	12     4    reserved, 0
//	16     8    hash seed
//	24     8    count of hashes
//	32     8    payload length in bytes
//	40     4    CRC-32C of bytes 0..39
//	44     ...  payload: the hashes in ascending order, each as the uvarint
//	            of its difference to the previous one (the first from 0)
//	end    4    CRC-32C of the payload
//
// Hashes are uniform, so at n values the gaps are about 2⁶⁴/n and take
// ⌈(64 - log2 n)/7⌉ bytes: about 6 bytes per value at 10M. The header has
// its own checksum so a damaged count is caught before anything is
// allocated for it.

const (
	snapMagic   = "NHSIGHTS"
	snapVersion = 1
	snapHashID  = 1
	headerLen   = 44
	maxCount    = 1 << 34 // sanity bound: 128 GiB of table
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrBadSnapshot is wrapped by every error ReadSnapshot returns for a file
// that is not a valid snapshot (as opposed to an I/O error).
var ErrBadSnapshot = errors.New("sightings: invalid snapshot")

func badSnapshot(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadSnapshot}, args...)...)
}

// WriteSnapshot writes the recorded set to w. It holds the tracker's lock
// only while copying the hashes out (tens of milliseconds at 10M values;
// Observe keeps running meanwhile except for inserts), then sorts and encodes
// without it. It may run concurrently with Observe.
func (t *Tracker) WriteSnapshot(w io.Writer) error {
	keys, seed := t.set.keys()
	sortNearlySorted(keys)
	var payloadLen uint64
	var prev uint64
	for _, h := range keys {
		payloadLen += uint64(uvarintLen(h - prev))
		prev = h
	}

	var hdr [headerLen]byte
	copy(hdr[:8], snapMagic)
	binary.LittleEndian.PutUint16(hdr[8:], snapVersion)
	binary.LittleEndian.PutUint16(hdr[10:], snapHashID)
	binary.LittleEndian.PutUint64(hdr[16:], seed)
	binary.LittleEndian.PutUint64(hdr[24:], uint64(len(keys)))
	binary.LittleEndian.PutUint64(hdr[32:], payloadLen)
	binary.LittleEndian.PutUint32(hdr[40:], crc32.Checksum(hdr[:40], castagnoli))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}

	const chunk = 256 << 10
	buf := make([]byte, 0, chunk+binary.MaxVarintLen64)
	var crc uint32
	prev = 0
	for _, h := range keys {
		buf = binary.AppendUvarint(buf, h-prev)
		prev = h
		if len(buf) >= chunk {
			crc = crc32.Update(crc, castagnoli, buf)
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	crc = crc32.Update(crc, castagnoli, buf)
	buf = binary.LittleEndian.AppendUint32(buf, crc)
	_, err := w.Write(buf)
	return err
}

// sortNearlySorted sorts hashes copied in slot order. A hash's home slot is
// its top bits, so each one sits at most a probe-cluster length away from
// its sorted place: insertion sort finishes in a few moves per element.
// Should the input be far from sorted anyway, it gives up after a budget
// of moves and falls back to pdqsort.
func sortNearlySorted(a []uint64) {
	budget := 8*len(a) + 1024
	for i := 1; i < len(a); i++ {
		v := a[i]
		j := i
		for j > 0 && a[j-1] > v {
			a[j] = a[j-1]
			j--
		}
		a[j] = v
		budget -= i - j
		if budget < 0 {
			slices.Sort(a)
			return
		}
	}
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// ReadSnapshot replaces the recorded set with the one in r. The snapshot is
// validated completely (both checksums, lengths, strictly ascending hashes)
// before anything changes: on error the tracker keeps its state, and errors
// about the content wrap ErrBadSnapshot. Values observed before the call are
// forgotten unless they are in the snapshot, so load it before ingest starts.
func (t *Tracker) ReadSnapshot(r io.Reader) error {
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return badSnapshot("truncated header (%v)", err)
		}
		return err
	}
	if string(hdr[:8]) != snapMagic {
		return badSnapshot("not a sightings snapshot (magic %q)", hdr[:8])
	}
	if got, want := crc32.Checksum(hdr[:40], castagnoli), binary.LittleEndian.Uint32(hdr[40:]); got != want {
		return badSnapshot("header checksum mismatch (%08x, want %08x)", got, want)
	}
	if v := binary.LittleEndian.Uint16(hdr[8:]); v != snapVersion {
		return badSnapshot("unsupported format version %d (this build reads %d)", v, snapVersion)
	}
	if h := binary.LittleEndian.Uint16(hdr[10:]); h != snapHashID {
		return badSnapshot("unsupported hash function %d", h)
	}
	if binary.LittleEndian.Uint32(hdr[12:]) != 0 {
		return badSnapshot("reserved header field set")
	}
	seed := binary.LittleEndian.Uint64(hdr[16:])
	count := binary.LittleEndian.Uint64(hdr[24:])
	payloadLen := binary.LittleEndian.Uint64(hdr[32:])
	if count > maxCount || payloadLen < count || payloadLen > count*binary.MaxVarintLen64 {
		return badSnapshot("implausible count %d for %d payload bytes", count, payloadLen)
	}

	tb := newTable(slotsFor(int(count)), seed)
	buf := make([]byte, 1<<20)
	lo, hi := 0, 0
	left := payloadLen
	var crc uint32
	var prev uint64
	for i := uint64(0); i < count; i++ {
		if hi-lo < binary.MaxVarintLen64 && left > 0 {
			n := copy(buf, buf[lo:hi])
			lo, hi = 0, n
			want := min(uint64(len(buf)-hi), left)
			k, err := io.ReadFull(r, buf[hi:hi+int(want)])
			crc = crc32.Update(crc, castagnoli, buf[hi:hi+k])
			hi += k
			left -= uint64(k)
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return badSnapshot("truncated payload after %d of %d values", i, count)
				}
				return err
			}
		}
		d, n := binary.Uvarint(buf[lo:hi])
		if n <= 0 {
			return badSnapshot("bad varint at value %d", i)
		}
		lo += n
		h := prev + d
		if d == 0 || h < prev {
			return badSnapshot("hashes not strictly ascending at value %d", i)
		}
		prev = h
		tb.put(h)
	}
	if lo != hi || left != 0 {
		return badSnapshot("payload length mismatch: %d bytes left over", uint64(hi-lo)+left)
	}
	var tr [4]byte
	if _, err := io.ReadFull(r, tr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return badSnapshot("truncated checksum")
		}
		return err
	}
	if want := binary.LittleEndian.Uint32(tr[:]); crc != want {
		return badSnapshot("payload checksum mismatch (%08x, want %08x)", crc, want)
	}
	t.set.replace(tb, int64(count))
	return nil
}

// WriteSnapshotFile writes a snapshot to path atomically: a temporary file
// in the same directory, synced, then renamed over path.
func (t *Tracker) WriteSnapshotFile(path string) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := t.WriteSnapshot(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil { // persist the rename
		d.Sync()
		d.Close()
	}
	return nil
}

// ReadSnapshotFile loads a snapshot written by WriteSnapshotFile. A missing
// file gives an error matching fs.ErrNotExist (a first start).
func (t *Tracker) ReadSnapshotFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := t.ReadSnapshot(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
