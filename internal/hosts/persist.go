package hosts

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sync"
)

// Snapshot format (version 2): an uncompressed file that can be read whole
// (Load) or one host at a time (LoadHost, what a cold `nethunt host IP`
// uses so that it answers in milliseconds whatever the number of hosts):
//
//	header  magic "NHHOSTS\x00" | uvarint version (2) | varint seq
//	        uvarint events observed | uvarint hosts refused | bool saw-DNS-request
//	        uvarint host count
//	records one per host, in table order: uvarint length | host fields
//	index   one fixed-size entry per host, sorted by address: address
//	        length (4|16) and 16 bytes | u64 record offset | u32 record
//	        length | u32 CRC-32C of the record
//	footer  u64 index offset | u64 host count | u32 CRC-32C of the header
//	        | u32 CRC-32C of the index | magic "NHHOSTS\xff"
//
// Integers in records are (u)varints, strings uvarint length + bytes,
// addresses netip.Addr binary form, times unix nanoseconds. Each host is
// written by the same code that reads it (codec), field by field. Roles are
// not stored: they are recomputed from the evidence on load, as is
// "internal" (from the current Options.HomeNets). Transient state (the
// CONNECT-tunnel and pending-DNS-name caches) is not stored. Every record
// and the header+index carry a checksum, so damage is an error, not a
// wrong profile. A version mismatch is an error: rebuild the table by
// observing the stored events.
const (
	snapMagic   = "NHHOSTS\x00"
	snapTrailer = "NHHOSTS\xff"
	snapVersion = 2
	// indexEntry: addr length byte + 16 address bytes + u64 offset + u32
	// length + u32 CRC.
	indexEntry = 1 + 16 + 8 + 4 + 4
	footerSize = 8 + 8 + 4 + 4 + len(snapTrailer)
	maxRecord  = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrSnapshot is wrapped by Load errors about the content (not I/O).
var ErrSnapshot = errors.New("hosts: invalid snapshot")

func snapErr(msg string) error { return fmt.Errorf("%w: %s", ErrSnapshot, msg) }

// Save writes a snapshot of the table, recording seq, the ingest batch
// sequence it covers. The snapshot is consistent: Observe is blocked while
// it is written (readers are not). For seq to be exact, call Save from the
// goroutine that calls Observe, between batches.
func (t *Table) Save(w io.Writer, seq int64) error {
	t.settle()
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.saveLocked(w, seq)
}

type idxEnt struct {
	addr netip.Addr
	off  uint64
	n    uint32
	crc  uint32
}

// saveLocked writes the snapshot; the caller holds a lock.
func (t *Table) saveLocked(w io.Writer, seq int64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	// Header, into a buffer: it is checksummed with the index.
	var hdr bytes.Buffer
	hw := bufio.NewWriter(&hdr)
	c := &codec{enc: true, w: hw}
	c.raw([]byte(snapMagic))
	v := uint64(snapVersion)
	c.uvarint(&v)
	c.varint(&seq)
	c.uvarint(&t.events)
	c.uvarint(&t.refused)
	c.bool(&t.sawDNSRequest)
	n := uint64(len(t.all))
	c.uvarint(&n)
	if c.err != nil {
		return c.err
	}
	hw.Flush()
	if _, err := bw.Write(hdr.Bytes()); err != nil {
		return err
	}
	off := uint64(hdr.Len())
	// Records.
	var rec bytes.Buffer
	rw := bufio.NewWriterSize(&rec, 4096)
	rc := &codec{enc: true, w: rw}
	idx := make([]idxEnt, 0, len(t.all))
	var lenBuf [binary.MaxVarintLen64]byte
	for _, h := range t.all {
		rec.Reset()
		rw.Reset(&rec)
		h.code(rc)
		if rc.err != nil {
			return rc.err
		}
		rw.Flush()
		b := rec.Bytes()
		if len(b) > maxRecord {
			return fmt.Errorf("hosts: record of %s is %d bytes", h.ip, len(b))
		}
		k := binary.PutUvarint(lenBuf[:], uint64(len(b)))
		bw.Write(lenBuf[:k])
		if _, err := bw.Write(b); err != nil {
			return err
		}
		idx = append(idx, idxEnt{addr: h.ip, off: off + uint64(k), n: uint32(len(b)), crc: crc32.Checksum(b, castagnoli)})
		off += uint64(k + len(b))
	}
	// Index, sorted by address for binary search.
	slices.SortFunc(idx, func(a, b idxEnt) int { return a.addr.Compare(b.addr) })
	var crc uint32
	ent := make([]byte, indexEntry)
	for _, e := range idx {
		putEntry(ent, e)
		crc = crc32.Update(crc, castagnoli, ent)
		if _, err := bw.Write(ent); err != nil {
			return err
		}
	}
	var foot [footerSize]byte
	binary.LittleEndian.PutUint64(foot[0:], off)
	binary.LittleEndian.PutUint64(foot[8:], n)
	binary.LittleEndian.PutUint32(foot[16:], crc32.Checksum(hdr.Bytes(), castagnoli))
	binary.LittleEndian.PutUint32(foot[20:], crc)
	copy(foot[24:], snapTrailer)
	if _, err := bw.Write(foot[:]); err != nil {
		return err
	}
	return bw.Flush()
}

func putEntry(b []byte, e idxEnt) {
	clear(b)
	a := e.addr.As16()
	b[0] = byte(e.addr.BitLen() / 8)
	copy(b[1:17], a[:])
	binary.LittleEndian.PutUint64(b[17:], e.off)
	binary.LittleEndian.PutUint32(b[25:], e.n)
	binary.LittleEndian.PutUint32(b[29:], e.crc)
}

func getEntry(b []byte) (idxEnt, bool) {
	var a16 [16]byte
	copy(a16[:], b[1:17])
	var a netip.Addr
	switch b[0] {
	case 4:
		a = netip.AddrFrom16(a16).Unmap()
		if !a.Is4() {
			return idxEnt{}, false
		}
	case 16:
		a = netip.AddrFrom16(a16)
	default:
		return idxEnt{}, false
	}
	return idxEnt{addr: a, off: binary.LittleEndian.Uint64(b[17:]), n: binary.LittleEndian.Uint32(b[25:]), crc: binary.LittleEndian.Uint32(b[29:])}, true
}

// snapHeader is what precedes the host records.
type snapHeader struct {
	seq              int64
	events, refused  uint64
	sawDNS           bool
	count            int
	end              int // header length in bytes
	indexOff, indexN uint64
}

// readLayout checks the footer, header and index of a snapshot of size
// bytes read through r, and returns the header and the index entries.
func readLayout(r io.ReaderAt, size int64) (snapHeader, []byte, error) {
	h, idxCRC, err := readHeader(r, size)
	if err != nil {
		return h, nil, err
	}
	idx := make([]byte, h.indexN*indexEntry)
	if _, err := r.ReadAt(idx, int64(h.indexOff)); err != nil {
		return h, nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	if crc32.Checksum(idx, castagnoli) != idxCRC {
		return h, nil, snapErr("checksum mismatch in the index")
	}
	return h, idx, nil
}

// readHeader checks the footer and header; it returns the header and the
// index's checksum.
func readHeader(r io.ReaderAt, size int64) (snapHeader, uint32, error) {
	var h snapHeader
	if size < int64(len(snapMagic)+footerSize) {
		return h, 0, snapErr("truncated")
	}
	var foot [footerSize]byte
	if _, err := r.ReadAt(foot[:], size-int64(footerSize)); err != nil {
		return h, 0, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	if string(foot[24:]) != snapTrailer {
		return h, 0, snapErr("missing trailer (truncated, or an older format: rebuild with 'nethunt hosts rebuild')")
	}
	h.indexOff = binary.LittleEndian.Uint64(foot[0:])
	h.indexN = binary.LittleEndian.Uint64(foot[8:])
	hdrCRC, idxCRC := binary.LittleEndian.Uint32(foot[16:]), binary.LittleEndian.Uint32(foot[20:])
	if h.indexN > uint64(size)/indexEntry || h.indexOff > uint64(size) || h.indexOff+h.indexN*indexEntry != uint64(size-int64(footerSize)) {
		return h, 0, snapErr("bad index bounds")
	}
	// The header is small; 64 bytes always hold it (magic 8 + 6 varints).
	hb := make([]byte, min(int64(h.indexOff), 64))
	if _, err := r.ReadAt(hb, 0); err != nil {
		return h, 0, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	c := &codec{r: bufio.NewReader(bytes.NewReader(hb))}
	if !c.expect(snapMagic) {
		return h, 0, snapErr("bad magic")
	}
	var v uint64
	c.uvarint(&v)
	if c.err == nil && v != snapVersion {
		return h, 0, fmt.Errorf("%w: version %d, want %d (rebuild from events)", ErrSnapshot, v, snapVersion)
	}
	c.varint(&h.seq)
	c.uvarint(&h.events)
	c.uvarint(&h.refused)
	c.bool(&h.sawDNS)
	h.count = c.length(1 << 30)
	if c.err != nil {
		return h, 0, c.err
	}
	h.end = len(hb) - c.r.Buffered()
	if crc32.Checksum(hb[:h.end], castagnoli) != hdrCRC {
		return h, 0, snapErr("checksum mismatch in the header")
	}
	if uint64(h.count) != h.indexN {
		return h, 0, snapErr("host count and index disagree")
	}
	return h, idxCRC, nil
}

// SnapshotInfo reads a snapshot's header: the batch sequence it covers and
// its number of hosts (for `nethunt stats`).
func SnapshotInfo(r io.ReaderAt, size int64) (seq int64, hosts int, err error) {
	h, _, err := readHeader(r, size)
	return h.seq, h.count, err
}

// decodeHost decodes one record, checking its checksum.
func decodeHost(rec []byte, e idxEnt, br *bufio.Reader, bb *bytes.Reader) (*Host, error) {
	if crc32.Checksum(rec, castagnoli) != e.crc {
		return nil, snapErr("checksum mismatch in host " + e.addr.String())
	}
	bb.Reset(rec)
	br.Reset(bb)
	c := &codec{r: br}
	h := new(Host)
	h.code(c)
	if c.err != nil {
		return nil, c.err
	}
	if br.Buffered() != 0 || bb.Len() != 0 {
		return nil, snapErr("trailing bytes in host " + e.addr.String())
	}
	h.ip = normAddr(h.ip)
	if h.ip != e.addr {
		return nil, snapErr("host record and index disagree")
	}
	return h, nil
}

// Load replaces the table's content with a snapshot and returns the
// sequence it covers. On error the table is unchanged.
func (t *Table) Load(r io.Reader) (seq int64, err error) {
	data, err := readAll(r)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	hd, idx, err := readLayout(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return 0, err
	}
	ents := make([]idxEnt, hd.count)
	for i := range ents {
		e, ok := getEntry(idx[i*indexEntry:])
		if !ok {
			return 0, snapErr("bad address in index")
		}
		if i > 0 && e.addr.Compare(ents[i-1].addr) <= 0 {
			return 0, snapErr("index not sorted, or a duplicate host")
		}
		ents[i] = e
	}
	// Records follow each other from the header's end, in table order.
	slices.SortFunc(ents, func(a, b idxEnt) int { return cmp.Compare(a.off, b.off) })
	pos := uint64(hd.end)
	for _, e := range ents {
		n, k := binary.Uvarint(data[min(pos, uint64(len(data))):])
		if k <= 0 || n != uint64(e.n) || pos+uint64(k) != e.off || e.off+n > hd.indexOff {
			return 0, snapErr("records and index disagree")
		}
		pos = e.off + n
	}
	if pos != hd.indexOff {
		return 0, snapErr("records and index disagree")
	}
	// Decode on every core: records are independent.
	all := make([]*Host, len(ents))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(ents)/512))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			br, bb := bufio.NewReaderSize(nil, 4096), bytes.NewReader(nil)
			for i := w; i < len(ents); i += workers {
				e := ents[i]
				h, err := decodeHost(data[e.off:e.off+uint64(e.n)], e, br, bb)
				if err != nil {
					errs[w] = err
					return
				}
				all[i] = h
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	hosts := make(map[netip.Addr]*Host, len(all))
	for _, h := range all {
		hosts[h.ip] = h
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reset()
	t.hosts, t.all = hosts, all
	t.events, t.refused, t.sawDNSRequest = hd.events, hd.refused, hd.sawDNS
	for _, h := range all {
		t.adopt(h)
	}
	return hd.seq, nil
}

// readAll reads r in one allocation when its size is known (a file, a
// bytes.Reader): io.ReadAll's doubling would copy and clear a 100 MB
// snapshot several times.
func readAll(r io.Reader) ([]byte, error) {
	var size int64 = -1
	switch x := r.(type) {
	case interface{ Size() int64 }:
		size = x.Size()
	case *os.File:
		if fi, err := x.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	if size < 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, size+1) // +1: see EOF without a second allocation
	n, err := io.ReadFull(r, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return b[:n], nil
	}
	if err != nil {
		return nil, err
	}
	// Larger than its size said (a growing file): read the rest.
	rest, err := io.ReadAll(r)
	return append(b, rest...), err
}

// adopt prepares a decoded host for the table (lock held).
func (t *Table) adopt(h *Host) {
	h.internal = t.internal(h.ip)
	h.idIdx = noID
	h.asLabel = asLabel(h.asn, h.asOrg)
	h.dirty = false
	t.markDirty(h)
}

// LoadHost replaces the table's content with the single host at ip from
// a snapshot of size bytes, reading only its header, index and that
// host's record. found is false when the snapshot has no such host. The
// table then answers Get(ip) exactly as a fully loaded one would, at a
// cost independent of the number of hosts; other queries see one host.
func (t *Table) LoadHost(r io.ReaderAt, size int64, ip netip.Addr) (seq int64, found bool, err error) {
	// The index is searched where it lies (17 reads of 33 bytes for 100k
	// hosts) rather than read and checksummed whole: the record's own
	// checksum, kept in its entry, and the address check in decodeHost
	// catch a damaged entry.
	hd, _, err := readHeader(r, size)
	if err != nil {
		return 0, false, err
	}
	ip = normAddr(ip)
	var ent [indexEntry]byte
	entry := func(i int) (idxEnt, error) {
		if _, err := r.ReadAt(ent[:], int64(hd.indexOff)+int64(i)*indexEntry); err != nil {
			return idxEnt{}, fmt.Errorf("%w: %v", ErrSnapshot, err)
		}
		e, ok := getEntry(ent[:])
		if !ok {
			return idxEnt{}, snapErr("bad address in index")
		}
		return e, nil
	}
	lo, hi := 0, hd.count
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		e, err := entry(m)
		if err != nil {
			return 0, false, err
		}
		if e.addr.Compare(ip) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	var e idxEnt
	if lo < hd.count {
		if e, err = entry(lo); err != nil {
			return 0, false, err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reset()
	t.hosts, t.all = make(map[netip.Addr]*Host, 1), nil
	t.events, t.refused, t.sawDNSRequest = hd.events, hd.refused, hd.sawDNS
	if lo == hd.count || e.addr != ip {
		// "No such host" rests on the whole index: check it.
		if _, _, err := readLayout(r, size); err != nil {
			return 0, false, err
		}
		return hd.seq, false, nil
	}
	if e.off < uint64(hd.end) || e.off+uint64(e.n) > hd.indexOff {
		return 0, false, snapErr("bad record bounds")
	}
	rec := make([]byte, e.n)
	if _, err := r.ReadAt(rec, int64(e.off)); err != nil {
		return 0, false, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	h, err := decodeHost(rec, e, bufio.NewReaderSize(nil, 4096), bytes.NewReader(nil))
	if err != nil {
		return 0, false, err
	}
	t.hosts[h.ip] = h
	t.all = append(t.all, h)
	t.adopt(h)
	return hd.seq, true, nil
}

// Reset empties the table (to rebuild it by observing events in order).
func (t *Table) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hosts = make(map[netip.Addr]*Host)
	t.all = nil
	t.events, t.refused = 0, 0
	t.reset()
}

// ---- codec ---------------------------------------------------------------

// codec reads or writes: each value is passed by pointer, so one function
// per type serialises both ways and the two can never disagree.
type codec struct {
	enc bool
	w   *bufio.Writer
	r   *bufio.Reader
	err error
	tmp [binary.MaxVarintLen64]byte
}

func (c *codec) fail(msg string) error {
	if c.err == nil {
		c.err = fmt.Errorf("%w: %s", ErrSnapshot, msg)
	}
	return c.err
}

func (c *codec) readErr(err error) {
	if c.err == nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			c.err = fmt.Errorf("%w: truncated", ErrSnapshot)
		} else {
			c.err = fmt.Errorf("%w: %v", ErrSnapshot, err)
		}
	}
}

func (c *codec) raw(b []byte) {
	if c.err != nil {
		return
	}
	_, c.err = c.w.Write(b)
}

func (c *codec) expect(s string) bool {
	if c.err != nil {
		return false
	}
	b := make([]byte, len(s))
	if _, err := io.ReadFull(c.r, b); err != nil {
		c.readErr(err)
		return false
	}
	return string(b) == s
}

func (c *codec) uvarint(p *uint64) {
	if c.err != nil {
		return
	}
	if c.enc {
		n := binary.PutUvarint(c.tmp[:], *p)
		_, c.err = c.w.Write(c.tmp[:n])
		return
	}
	v, err := binary.ReadUvarint(c.r)
	if err != nil {
		c.readErr(err)
		return
	}
	*p = v
}

func (c *codec) varint(p *int64) {
	if c.err != nil {
		return
	}
	if c.enc {
		n := binary.PutVarint(c.tmp[:], *p)
		_, c.err = c.w.Write(c.tmp[:n])
		return
	}
	v, err := binary.ReadVarint(c.r)
	if err != nil {
		c.readErr(err)
		return
	}
	*p = v
}

func (c *codec) u32(p *uint32) {
	v := uint64(*p)
	c.uvarint(&v)
	if !c.enc {
		if v > 1<<32-1 {
			c.fail("value out of range")
			return
		}
		*p = uint32(v)
	}
}

func (c *codec) u16(p *uint16) {
	v := uint64(*p)
	c.uvarint(&v)
	if !c.enc {
		if v > 1<<16-1 {
			c.fail("value out of range")
			return
		}
		*p = uint16(v)
	}
}

func (c *codec) u8(p *uint8) {
	v := uint64(*p)
	c.uvarint(&v)
	if !c.enc {
		if v > 255 {
			c.fail("value out of range")
			return
		}
		*p = uint8(v)
	}
}

func (c *codec) bool(p *bool) {
	var v uint64
	if *p {
		v = 1
	}
	c.uvarint(&v)
	if !c.enc {
		*p = v == 1
	}
}

// length writes n or reads a length bounded by max.
func (c *codec) length(max int, n ...int) int {
	var v uint64
	if len(n) > 0 {
		v = uint64(n[0])
	}
	c.uvarint(&v)
	if c.err != nil {
		return 0
	}
	if v > uint64(max) {
		c.fail("length out of range")
		return 0
	}
	return int(v)
}

const maxStr = 1 << 16

func (c *codec) str(p *string) {
	n := c.length(maxStr, len(*p))
	if c.err != nil {
		return
	}
	if c.enc {
		_, c.err = c.w.WriteString(*p)
		return
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(c.r, b); err != nil {
		c.readErr(err)
		return
	}
	*p = string(b)
}

func (c *codec) addr(p *netip.Addr) {
	var b []byte
	if c.enc {
		b, _ = p.MarshalBinary()
	}
	n := c.length(16, len(b))
	if c.err != nil {
		return
	}
	if c.enc {
		_, c.err = c.w.Write(b)
		return
	}
	b = make([]byte, n)
	if _, err := io.ReadFull(c.r, b); err != nil {
		c.readErr(err)
		return
	}
	if err := p.UnmarshalBinary(b); err != nil {
		c.fail("bad address")
	}
}

func (s *valueSet) code(c *codec) {
	n := c.length(1<<16, len(s.ents))
	if !c.enc {
		s.ents = nil
		if n > 0 && c.err == nil {
			s.ents = make([]entry, n)
		}
	}
	for i := 0; i < n && c.err == nil; i++ {
		e := &s.ents[i]
		if c.enc {
			m := s.entry(i) // pending run merged
			e = &m
		}
		c.str(&e.v)
		c.varint(&e.first)
		c.varint(&e.last)
		c.u32(&e.count)
		c.u16(&e.src)
	}
	c.u32(&s.dropped)
	hasOver := s.aux != nil && s.dropped > 0
	c.bool(&hasOver)
	if !c.enc {
		s.aux = nil
	}
	if hasOver {
		a := s.auxp()
		for i := 0; i < overWords && c.err == nil; i++ {
			c.uvarint(&a.over[i])
		}
	}
	if !c.enc && c.err == nil {
		s.rehash()
	}
}

func (d *distinct) code(c *codec) {
	isHLL := d.hll != nil
	c.bool(&isHLL)
	if isHLL {
		n := c.length(1<<16, len(d.hll))
		if c.err != nil {
			return
		}
		if !c.enc {
			if n < 16 || n&(n-1) != 0 {
				c.fail("bad sketch size")
				return
			}
			d.hll = make([]uint8, n)
			d.set, d.n = nil, 0
			if _, err := io.ReadFull(c.r, d.hll); err != nil {
				c.readErr(err)
			}
			return
		}
		c.raw(d.hll)
		return
	}
	var keys []uint64
	if c.enc {
		keys = d.keys()
		slices.Sort(keys)
	}
	n := c.length(1<<16, len(keys))
	if !c.enc {
		d.hll, d.set, d.n = nil, nil, 0
		if n > 0 && c.err == nil {
			keys = make([]uint64, n)
		}
	}
	var prev uint64
	for i := 0; i < n && c.err == nil; i++ {
		delta := keys[i] - prev
		c.uvarint(&delta)
		keys[i] = prev + delta
		if !c.enc && (keys[i] == 0 || (i > 0 && keys[i] <= prev)) {
			c.fail("unsorted set")
			return
		}
		prev = keys[i]
	}
	if !c.enc && c.err == nil {
		for _, k := range keys {
			if 2*(int(d.n)+1) > len(d.set) {
				d.grow()
			}
			d.insert(k)
			d.n++
		}
	}
}

func (h *Host) code(c *codec) {
	c.addr(&h.ip)
	c.varint(&h.first)
	c.varint(&h.last)
	if c.enc {
		n := h.nEvents()
		c.uvarint(&n)
	} else {
		c.uvarint(&h.events)
	}
	c.str(&h.country)
	c.str(&h.asOrg)
	c.u32(&h.asn)
	groups, tags, sensors := &h.groups, &h.tags, &h.sensors
	if c.enc && h.idRun > 0 {
		// A pending identity run (Observe after the last settle): write
		// the lists as flushID would leave them, without changing h.
		groups, tags, sensors = h.groups.runCopy(h.idIdx.groups[:], h.idRun, h.last),
			h.tags.runCopy(h.idIdx.tags[:], h.idRun, h.last), h.sensors.runCopy([]int16{h.idIdx.sensor}, h.idRun, h.last)
	}
	for _, s := range []*valueSet{groups, tags, sensors, &h.hostnames, &h.domains, &h.usernames, &h.macs, &h.flowbits, &h.anomalyType} {
		s.code(c)
	}
	nv := c.length(capVLANs, len(h.vlans))
	if !c.enc {
		h.vlans = nil
		if nv > 0 && c.err == nil {
			h.vlans = make([]int64, nv)
		}
	}
	for i := 0; i < nv && c.err == nil; i++ {
		c.varint(&h.vlans[i])
	}
	c.uvarint(&h.anomalies)
	c.uvarint(&h.filesSent)
	c.uvarint(&h.filesRecv)
	var parts uint8
	if h.cli != nil {
		parts |= 1
	}
	if h.srv != nil {
		parts |= 2
	}
	if h.al != nil {
		parts |= 4
	}
	c.u8(&parts)
	if parts&1 != 0 {
		h.client().code(c)
	}
	if parts&2 != 0 {
		h.server().code(c)
	}
	if parts&4 != 0 {
		h.alerts().code(c)
	}
}

func (cs *clientSide) code(c *codec) {
	for _, p := range []*uint64{&cs.flows, &cs.bytesOut, &cs.bytesIn, &cs.pktsOut, &cs.pktsIn, &cs.unanswered, &cs.krbWeak, &cs.httpReqs, &cs.dnsReqs} {
		c.uvarint(p)
	}
	cs.servers.code(c)
	for _, s := range []*valueSet{&cs.protos, &cs.ports, &cs.userAgents, &cs.ja3, &cs.ja4, &cs.sshClient, &cs.hassh, &cs.dnsQueries,
		&cs.httpHosts, &cs.sni, &cs.tlsVersions, &cs.smbShares, &cs.krbServices, &cs.mailFrom, &cs.helo, &cs.dhcpVendor, &cs.countries, &cs.asns} {
		s.code(c)
	}
}

func (ss *serverSide) code(c *codec) {
	for _, p := range []*uint64{&ss.flows, &ss.bytesOut, &ss.bytesIn, &ss.pktsOut, &ss.pktsIn} {
		c.uvarint(p)
	}
	ss.clients.code(c)
	n := c.length(1<<12, len(ss.services))
	if !c.enc {
		ss.services = nil
		if n > 0 && c.err == nil {
			ss.services = make([]service, n)
		}
	}
	if !c.enc {
		if n > capServices {
			c.fail("too many services")
			return
		}
		ss.nsvc = 0
	}
	for i := 0; i < n && c.err == nil; i++ {
		sv := &ss.services[i]
		sv.code(c)
		if !c.enc {
			k := uint32(sv.proto)<<16 | uint32(sv.port)
			if slices.Contains(ss.svcKeys[:ss.nsvc], k) {
				c.fail("duplicate service")
				return
			}
			ss.svcKeys[ss.nsvc] = k
			ss.nsvc++
		}
	}
	c.u32(&ss.servicesDropped)
	ne := c.length(int(numEv), len(ss.evid))
	if !c.enc {
		ss.evid = nil
		if ne > 0 && c.err == nil {
			ss.evid = make([]evidence, ne)
		}
	}
	for i := 0; i < ne && c.err == nil; i++ {
		e := &ss.evid[i]
		k := uint8(e.kind)
		c.u8(&k)
		if !c.enc && k >= uint8(numEv) {
			c.fail("bad evidence kind")
			return
		}
		e.kind = evKind(k)
		if !c.enc {
			if ss.evPos[k] != 0 {
				c.fail("duplicate evidence kind")
				return
			}
			ss.evPos[k] = uint8(i + 1)
		}
		c.u16(&e.port)
		c.u32(&e.count)
		c.varint(&e.first)
		c.varint(&e.last)
		c.uvarint(&e.exFlow)
		c.varint(&e.exTime)
		c.addr(&e.exPeer)
		np := c.length(len(e.peers.keys), int(e.peers.n))
		e.peers.n = uint8(np)
		for j := 0; j < np && c.err == nil; j++ {
			c.u32(&e.peers.keys[j])
		}
	}
	np := c.length(16, len(ss.proxyPorts))
	if !c.enc {
		ss.proxyPorts = nil
		if np > 0 && c.err == nil {
			ss.proxyPorts = make([]uint16, np)
		}
	}
	for i := 0; i < np && c.err == nil; i++ {
		c.u16(&ss.proxyPorts[i])
	}
	for _, s := range []*valueSet{&ss.proxyTargets, &ss.forwarded, &ss.xff, &ss.ja3s, &ss.httpStatus} {
		s.code(c)
	}
}

func (sv *service) code(c *codec) {
	c.u8(&sv.proto)
	if !c.enc && int(sv.proto) >= len(protoNames) {
		c.fail("bad protocol")
		return
	}
	c.u16(&sv.port)
	c.varint(&sv.first)
	c.varint(&sv.last)
	c.uvarint(&sv.flows)
	c.uvarint(&sv.bytesIn)
	c.uvarint(&sv.bytesOut)
	sv.clients.code(c)
	sv.apps.code(c)
	hasDetail := sv.svcDetail != nil
	c.bool(&hasDetail)
	if !c.enc {
		sv.svcDetail = nil
	}
	if hasDetail {
		d := sv.det()
		for _, s := range []*valueSet{&d.httpServer, &d.tlsSubject, &d.tlsIssuer, &d.tlsFP, &d.sshSoftware, &d.hassh, &d.ja3s, &d.names} {
			s.code(c)
		}
		c.str(&d.tlsNotAfter)
		c.str(&d.tlsNotBefor)
	}
}

func (a *alertSide) code(c *codec) {
	for _, p := range []*uint64{&a.total, &a.asSrc, &a.asDst} {
		c.uvarint(p)
	}
	for i := range a.bySev {
		c.uvarint(&a.bySev[i])
	}
	c.varint(&a.last)
	for _, s := range []*valueSet{&a.signatures, &a.categories, &a.mitre} {
		s.code(c)
	}
	n := c.length(1<<16, len(a.sids))
	if !c.enc {
		a.sids = nil
		if n > 0 && c.err == nil {
			a.sids = make([]int64, n)
		}
	}
	for i := 0; i < n && c.err == nil; i++ {
		c.varint(&a.sids[i])
	}
}
