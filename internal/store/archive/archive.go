// Package archive keeps the original EVE lines beside the typed store, as
// zstd-compressed frames in append-only segment files.
//
// Why not a column in the database: the raw JSON was 60-73% of DuckDB's
// storage and, measured on simulator data, ~40% of its ingest CPU (string
// compression analysis at every checkpoint). Compressing frames of ~1000
// lines with zstd costs a few hundred nanoseconds per line and shrinks them
// ~8x; the database keeps a 64-bit reference per event, so showing an event
// whole is one frame decompression, and replaying derived state after a
// restart is a sequential read.
//
// Durability follows the database: the writer reports where committed data
// ends (Pos), the store saves that position in the same transaction as the
// events, and Open truncates anything written after it (a crash between the
// archive write and the database commit).
package archive

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Ref locates one line: segment (16 bits) | frame offset (36 bits) | index
// in frame (12 bits). Zero is never a valid reference (frames start after
// the segment header), so it can stand for "no raw line".
type Ref int64

const (
	maxFrameLines = 1 << 12 // index bits
	maxSegBytes   = 1 << 30 // roll segments at 1 GiB (offset bits allow 64 GiB)
	segHeader     = "NHRAW1\n\x00"
	frameHeadLen  = 16 // compressed len, raw len, line count, crc32 of compressed
)

func makeRef(seg int, off int64, idx int) Ref {
	return Ref(int64(seg)<<48 | off<<12 | int64(idx))
}

func (r Ref) parts() (seg int, off int64, idx int) {
	return int(r >> 48), (int64(r) >> 12) & (1<<36 - 1), int(r & (maxFrameLines - 1))
}

// Pos is where committed data ends: segment number and byte size.
type Pos struct {
	Seg int
	Off int64
}

// Archive is a directory of segments. Writes are serialised by the caller
// (the store's appender); reads may run concurrently with writes.
type Archive struct {
	dir      string
	readOnly bool

	mu   sync.Mutex
	cur  *os.File
	pos  Pos
	enc  *zstd.Encoder
	dec  *zstd.Decoder
	buf  []byte
	offs []uint32

	cacheMu sync.Mutex
	cache   frameCache
}

// Open opens dir, creating it unless readOnly. committed is the position
// the store last committed; anything after it is discarded.
func Open(dir string, committed Pos, readOnly bool) (*Archive, error) {
	a := &Archive{dir: dir, readOnly: readOnly}
	var err error
	if a.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30)); err != nil {
		return nil, err
	}
	if readOnly {
		a.pos = committed
		return a, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if a.enc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true)); err != nil {
		return nil, err
	}
	if committed.Seg == 0 {
		committed = Pos{Seg: 1, Off: 0}
	}
	// Discard uncommitted tails and segments.
	segs, err := a.segments()
	if err != nil {
		return nil, err
	}
	for _, s := range segs {
		if s > committed.Seg {
			if err := os.Remove(a.segPath(s)); err != nil {
				return nil, err
			}
		}
	}
	if err := a.openSeg(committed.Seg, committed.Off); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Archive) segPath(n int) string {
	return filepath.Join(a.dir, fmt.Sprintf("seg-%06d.nhraw", n))
}

func (a *Archive) segments() ([]int, error) {
	ents, err := os.ReadDir(a.dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []int
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "seg-") && strings.HasSuffix(n, ".nhraw") {
			if v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(n, "seg-"), ".nhraw")); err == nil {
				out = append(out, v)
			}
		}
	}
	sort.Ints(out)
	return out, nil
}

// openSeg opens segment n for appending at committed offset off (0 = new).
func (a *Archive) openSeg(n int, off int64) error {
	f, err := os.OpenFile(a.segPath(n), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if off < int64(len(segHeader)) {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return err
		}
		if _, err := f.WriteAt([]byte(segHeader), 0); err != nil {
			f.Close()
			return err
		}
		off = int64(len(segHeader))
	} else {
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		if fi.Size() < off {
			f.Close()
			return fmt.Errorf("raw archive %s is shorter (%d bytes) than the database says was committed (%d): it was modified or lost", a.segPath(n), fi.Size(), off)
		}
		if err := f.Truncate(off); err != nil {
			f.Close()
			return err
		}
	}
	if a.cur != nil {
		a.cur.Close()
	}
	a.cur, a.pos = f, Pos{Seg: n, Off: off}
	return nil
}

// Append writes lines as frames and returns their references, in order.
// The data is written and synced to disk; it becomes committed when the
// store records Pos() in its transaction.
func (a *Archive) Append(lines [][]byte, refs []Ref) ([]Ref, error) {
	if a.readOnly {
		return refs, errors.New("raw archive opened read-only")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	refs = refs[:0]
	const frameBytes = 512 << 10
	for len(lines) > 0 {
		n, size := 0, 0
		for n < len(lines) && n < maxFrameLines && (n == 0 || size+len(lines[n]) <= frameBytes) {
			size += len(lines[n]) + 1
			n++
		}
		if a.pos.Off > maxSegBytes {
			if err := a.cur.Sync(); err != nil {
				return refs, err
			}
			if err := a.openSeg(a.pos.Seg+1, 0); err != nil {
				return refs, err
			}
		}
		off, err := a.writeFrame(lines[:n])
		if err != nil {
			return refs, err
		}
		for i := range n {
			refs = append(refs, makeRef(a.pos.Seg, off, i))
		}
		lines = lines[n:]
	}
	return refs, a.cur.Sync()
}

// writeFrame: header (compressed len, raw len, count, crc) then the zstd of
// a line-offset table followed by the concatenated lines.
func (a *Archive) writeFrame(lines [][]byte) (int64, error) {
	raw := a.buf[:0]
	raw = binary.LittleEndian.AppendUint32(raw, uint32(len(lines)))
	end := uint32(0)
	for _, l := range lines {
		end += uint32(len(l))
		raw = binary.LittleEndian.AppendUint32(raw, end)
	}
	for _, l := range lines {
		raw = append(raw, l...)
	}
	a.buf = raw
	out := make([]byte, frameHeadLen, frameHeadLen+len(raw)/4)
	out = a.enc.EncodeAll(raw, out)
	comp := out[frameHeadLen:]
	binary.LittleEndian.PutUint32(out[0:], uint32(len(comp)))
	binary.LittleEndian.PutUint32(out[4:], uint32(len(raw)))
	binary.LittleEndian.PutUint32(out[8:], uint32(len(lines)))
	binary.LittleEndian.PutUint32(out[12:], crc32.ChecksumIEEE(comp))
	off := a.pos.Off
	if _, err := a.cur.WriteAt(out, off); err != nil {
		return 0, err
	}
	a.pos.Off += int64(len(out))
	return off, nil
}

// Pos returns the end of written data, to be committed by the store.
func (a *Archive) Pos() Pos {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pos
}

// ErrCorrupt reports a damaged frame; the event's typed fields are intact.
var ErrCorrupt = errors.New("raw archive frame is damaged")

type frameKey struct {
	seg int
	off int64
}

// frameCache holds the last few decompressed frames: a page of hunt results
// usually sits in one or two frames.
type frameCache struct {
	keys  [4]frameKey
	data  [4][]byte
	valid [4]bool
	next  int
}

func (a *Archive) frame(seg int, off int64) ([]byte, error) {
	k := frameKey{seg, off}
	a.cacheMu.Lock()
	for i := range a.cache.keys {
		if a.cache.valid[i] && a.cache.keys[i] == k {
			d := a.cache.data[i]
			a.cacheMu.Unlock()
			return d, nil
		}
	}
	a.cacheMu.Unlock()
	f, err := os.Open(a.segPath(seg))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var head [frameHeadLen]byte
	if _, err := f.ReadAt(head[:], off); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	clen := binary.LittleEndian.Uint32(head[0:])
	rlen := binary.LittleEndian.Uint32(head[4:])
	if clen > 1<<30 || rlen > 1<<30 {
		return nil, ErrCorrupt
	}
	comp := make([]byte, clen)
	if _, err := f.ReadAt(comp, off+frameHeadLen); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if crc32.ChecksumIEEE(comp) != binary.LittleEndian.Uint32(head[12:]) {
		return nil, ErrCorrupt
	}
	data, err := a.dec.DecodeAll(comp, make([]byte, 0, rlen))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	a.cacheMu.Lock()
	i := a.cache.next
	a.cache.keys[i], a.cache.data[i], a.cache.valid[i] = k, data, true
	a.cache.next = (i + 1) % len(a.cache.keys)
	a.cacheMu.Unlock()
	return data, nil
}

func lineAt(data []byte, idx int) ([]byte, error) {
	if len(data) < 4 {
		return nil, ErrCorrupt
	}
	n := int(binary.LittleEndian.Uint32(data))
	if idx >= n || len(data) < 4+4*n {
		return nil, ErrCorrupt
	}
	body := data[4+4*n:]
	start := uint32(0)
	if idx > 0 {
		start = binary.LittleEndian.Uint32(data[4+4*(idx-1):])
	}
	end := binary.LittleEndian.Uint32(data[4+4*idx:])
	if start > end || int(end) > len(body) {
		return nil, ErrCorrupt
	}
	return body[start:end], nil
}

// Get returns the line at r. The slice is shared; copy it to keep it.
func (a *Archive) Get(r Ref) ([]byte, error) {
	seg, off, idx := r.parts()
	data, err := a.frame(seg, off)
	if err != nil {
		return nil, err
	}
	return lineAt(data, idx)
}

// Scan calls fn for every line from position from up to the committed end
// until, in order; it is how derived state is replayed.
func (a *Archive) Scan(from, until Pos, fn func(line []byte) error) error {
	if from.Seg == 0 {
		from = Pos{Seg: 1}
	}
	for seg := from.Seg; seg <= until.Seg; seg++ {
		f, err := os.Open(a.segPath(seg))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return err
		}
		off := int64(len(segHeader))
		if seg == from.Seg && from.Off > off {
			off = from.Off
		}
		limit := int64(1<<62 - 1)
		if seg == until.Seg {
			limit = until.Off
		}
		err = a.scanSeg(f, off, limit, fn)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *Archive) scanSeg(f *os.File, off, limit int64, fn func([]byte) error) error {
	var head [frameHeadLen]byte
	var comp, data []byte
	for off < limit {
		if _, err := f.ReadAt(head[:], off); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		clen := binary.LittleEndian.Uint32(head[0:])
		if clen > 1<<30 {
			return ErrCorrupt
		}
		comp = slices.Grow(comp[:0], int(clen))[:clen]
		if _, err := f.ReadAt(comp, off+frameHeadLen); err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		var err error
		if data, err = a.dec.DecodeAll(comp, data[:0]); err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		n := int(binary.LittleEndian.Uint32(data))
		for i := range n {
			l, err := lineAt(data, i)
			if err != nil {
				return err
			}
			if err := fn(l); err != nil {
				return err
			}
		}
		off += frameHeadLen + int64(clen)
	}
	return nil
}

// RemoveBefore deletes whole segments numbered below seg (retention).
func (a *Archive) RemoveBefore(seg int) error {
	segs, err := a.segments()
	if err != nil {
		return err
	}
	for _, s := range segs {
		if s < seg && s != a.pos.Seg {
			if err := os.Remove(a.segPath(s)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Bytes is the archive's size on disk.
func (a *Archive) Bytes() int64 {
	segs, _ := a.segments()
	var n int64
	for _, s := range segs {
		if fi, err := os.Stat(a.segPath(s)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// Close releases the current segment.
func (a *Archive) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.enc != nil {
		a.enc.Close()
	}
	a.dec.Close()
	if a.cur != nil {
		err := a.cur.Close()
		a.cur = nil
		return err
	}
	return nil
}
