package hosts

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/nethunt/nethunt/internal/query/match"
)

// Query rows: what a host query reads, precomputed, by column.
//
// A cold `nethunt hosts QUERY` over a snapshot must otherwise rebuild every
// profile (100k hosts: ~500 MB of heap, 1.5–2.5 s, mostly page faults and
// allocation) only to evaluate a filter on a few fields. SaveRows writes
// the values of every host.* field (Row) of every host, one column per
// field; Scan reads only the columns the query names (and host.ip), checks
// their checksums, and evaluates the compiled query host by host with
// strings pointing into the column buffers: no profile is built, and the
// matching hosts' summaries are then read one by one from the snapshot
// (LoadHost).
//
// Format: header = magic "NHROWS03" | u64 seq | u32 host count | u32 field
// count | per field: uvarint name length, name, u64 column offset (from
// the end of the header), u64 column length, u32 CRC-32C of the column;
// then u32 CRC-32C of the header so far. Columns follow: one tagged value per host, in table order. A
// registry change (other field names) invalidates the file.
const rowsMagic = "NHROWS03"

// Value tags of a row.
const (
	tagNil byte = iota
	tagString
	tagStrings
	tagInt
	tagInts
	tagFalse
	tagTrue
	tagTime
	tagAddr
)

// SaveRows writes the query columns of every host, for the snapshot of seq.
func (t *Table) SaveRows(w io.Writer, seq int64) error {
	t.settle()
	t.mu.RLock()
	defer t.mu.RUnlock()
	names := rowsColumns()
	cols := make([][]byte, len(names))
	sum, sumIdx := len(hostFields), len(hostFields)+1
	// Rows in address order: a query's matches come out sorted, so a
	// limited query stops at its limit without reading addresses.
	hs := slices.Clone(t.all)
	slices.SortFunc(hs, func(a, b *Host) int { return a.ip.Compare(b.ip) })
	var row []any
	for _, h := range hs {
		row = h.Row(row)
		for i, v := range row {
			var err error
			if cols[i], err = appendValue(cols[i], v); err != nil {
				return fmt.Errorf("hosts: row of %s, %s: %w", h.ip, hostFields[i].Name, err)
			}
		}
		start := len(cols[sum])
		cols[sum] = appendSummary(cols[sum], h.Summary())
		one := cols[sum][start:]
		cols[sumIdx] = binary.LittleEndian.AppendUint32(cols[sumIdx], uint32(start))
		cols[sumIdx] = binary.LittleEndian.AppendUint32(cols[sumIdx], uint32(len(one)))
		cols[sumIdx] = binary.LittleEndian.AppendUint32(cols[sumIdx], crc32.Checksum(one, castagnoli))
	}
	var hdr []byte
	hdr = append(hdr, rowsMagic...)
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(seq))
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(t.all)))
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(names)))
	var off uint64 // from the end of the header
	for i, name := range names {
		hdr = binary.AppendUvarint(hdr, uint64(len(name)))
		hdr = append(hdr, name...)
		hdr = binary.LittleEndian.AppendUint64(hdr, off)
		hdr = binary.LittleEndian.AppendUint64(hdr, uint64(len(cols[i])))
		hdr = binary.LittleEndian.AppendUint32(hdr, crc32.Checksum(cols[i], castagnoli))
		off += uint64(len(cols[i]))
	}
	hdr = binary.LittleEndian.AppendUint32(hdr, crc32.Checksum(hdr, castagnoli))
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.Write(hdr)
	for _, c := range cols {
		if _, err := bw.Write(c); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, tagNil), nil
	case string:
		b = append(b, tagString)
		b = binary.AppendUvarint(b, uint64(len(x)))
		return append(b, x...), nil
	case []string:
		if x == nil {
			return append(b, tagNil), nil
		}
		b = append(b, tagStrings)
		b = binary.AppendUvarint(b, uint64(len(x)))
		for _, s := range x {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		return b, nil
	case int64:
		b = append(b, tagInt)
		return binary.AppendVarint(b, x), nil
	case []int64:
		if x == nil {
			return append(b, tagNil), nil
		}
		b = append(b, tagInts)
		b = binary.AppendUvarint(b, uint64(len(x)))
		for _, n := range x {
			b = binary.AppendVarint(b, n)
		}
		return b, nil
	case bool:
		if x {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case time.Time:
		b = append(b, tagTime)
		return binary.AppendVarint(b, x.UnixNano()), nil
	case netip.Addr:
		ab, _ := x.MarshalBinary()
		b = append(b, tagAddr, byte(len(ab)))
		return append(b, ab...), nil
	}
	return b, fmt.Errorf("no row encoding for %T", v)
}

// Rows is an open query-columns file.
type Rows struct {
	Seq   int64
	Hosts int
	r     io.ReaderAt
	cols  []rowsCol
}

type rowsCol struct {
	off, n uint64
	crc    uint32
}

// maxRowsHeader bounds the header read (83 fields take about 2.6 KB).
const maxRowsHeader = 1 << 20

// ReadRows checks the header of a query-columns file of size bytes and
// returns it; columns are read, and checked, when a scan needs them. It
// fails (ErrSnapshot) when the file is damaged or was written for other
// host fields.
func ReadRows(r io.ReaderAt, size int64) (*Rows, error) {
	// The header is about 3 KB: read 8 KB (fresh memory is costly to
	// touch: page faults dominate a cold command), more only if needed.
	hb := make([]byte, min(size, 8<<10))
	if _, err := r.ReadAt(hb, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	if len(hb) >= 24 {
		if need := int64(24 + 4 + binary.LittleEndian.Uint32(hb[20:])*(1+64+20)); need > int64(len(hb)) && size > int64(len(hb)) {
			hb = make([]byte, min(size, need, maxRowsHeader))
			if _, err := r.ReadAt(hb, 0); err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
			}
		}
	}
	fixed := len(rowsMagic) + 8 + 4 + 4
	if len(hb) < fixed+4 || string(hb[:len(rowsMagic)]) != rowsMagic {
		return nil, snapErr("not a query-rows file (or an older format)")
	}
	rs := &Rows{r: r, Seq: int64(binary.LittleEndian.Uint64(hb[8:])), Hosts: int(binary.LittleEndian.Uint32(hb[16:]))}
	names := rowsColumns()
	nf := int(binary.LittleEndian.Uint32(hb[20:]))
	if nf != len(names) {
		return nil, snapErr("query rows: written for other host fields")
	}
	p := fixed
	for _, name := range names {
		n, k := binary.Uvarint(hb[p:])
		if k <= 0 || uint64(len(hb)-p-k) < n+20 || string(hb[p+k:p+k+int(n)]) != name {
			return nil, snapErr("query rows: written for other host fields")
		}
		p += k + int(n)
		rs.cols = append(rs.cols, rowsCol{off: binary.LittleEndian.Uint64(hb[p:]), n: binary.LittleEndian.Uint64(hb[p+8:]), crc: binary.LittleEndian.Uint32(hb[p+16:])})
		p += 20
	}
	if len(hb) < p+4 || crc32.Checksum(hb[:p], castagnoli) != binary.LittleEndian.Uint32(hb[p:]) {
		return nil, snapErr("query rows: header checksum mismatch")
	}
	// Offsets were relative to the header's end: make them absolute.
	base := uint64(p + 4)
	for i := range rs.cols {
		c := &rs.cols[i]
		if c.off > uint64(size)-base || c.n > uint64(size)-base-c.off {
			return nil, snapErr("query rows: column out of bounds")
		}
		c.off += base
	}
	return rs, nil
}

// column reads and checks column i.
func (rs *Rows) column(i int) ([]byte, error) {
	c := rs.cols[i]
	b := make([]byte, c.n)
	if _, err := rs.r.ReadAt(b, int64(c.off)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	if crc32.Checksum(b, castagnoli) != c.crc {
		return nil, snapErr("query rows: checksum mismatch in column " + rowsColumns()[i])
	}
	return b, nil
}

// Scan calls fn with the address of every host whose row matches m (a
// host query compiled from ParseOptions), in table order, until fn returns
// false. Only the columns m reads, and host.ip, are read.
func (rs *Rows) Scan(m *match.Matcher, fn func(netip.Addr) bool) error {
	return rs.scan(m, true, func(_ int, a netip.Addr) bool { return fn(a) })
}

// Query evaluates m and returns the summaries of the matching hosts sorted
// by address, at most limit of them (limit <= 0: all): what Table.Query
// returns, from the columns alone. Rows are in address order, so it stops
// at the limit, and it reads each shown summary alone through the summary
// index (offset, length, CRC-32C per host).
func (rs *Rows) Query(m *match.Matcher, limit int) ([]Summary, error) {
	var hits []int
	err := rs.scan(m, false, func(n int, _ netip.Addr) bool {
		hits = append(hits, n)
		return limit <= 0 || len(hits) < limit
	})
	if err != nil {
		return nil, err
	}
	sc, ic := rs.cols[len(hostFields)], rs.cols[len(hostFields)+1]
	if ic.n != uint64(rs.Hosts)*12 {
		return nil, snapErr("query rows: bad summary index")
	}
	out := make([]Summary, len(hits))
	var ent [12]byte
	var buf []byte
	// Many hits: read both columns whole (two reads, not two per host).
	var index, summaries []byte
	if len(hits) > 1000 {
		if index, err = rs.column(len(hostFields) + 1); err != nil {
			return nil, err
		}
		if summaries, err = rs.column(len(hostFields)); err != nil {
			return nil, err
		}
	}
	for i, n := range hits {
		if index != nil {
			copy(ent[:], index[n*12:])
		} else if _, err := rs.r.ReadAt(ent[:], int64(ic.off)+int64(n)*12); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
		}
		off, ln, crc := binary.LittleEndian.Uint32(ent[0:]), binary.LittleEndian.Uint32(ent[4:]), binary.LittleEndian.Uint32(ent[8:])
		if uint64(off)+uint64(ln) > sc.n {
			return nil, snapErr("query rows: bad summary index")
		}
		if summaries != nil {
			buf = summaries[int(off) : int(off)+int(ln)]
		} else {
			buf = slices.Grow(buf[:0], int(ln))[:ln]
			if _, err := rs.r.ReadAt(buf, int64(sc.off)+int64(off)); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
			}
		}
		if crc32.Checksum(buf, castagnoli) != crc {
			return nil, snapErr("query rows: checksum mismatch in a summary")
		}
		d := rowDecoder{b: buf}
		s, err := d.summary()
		if err != nil || len(d.b) != 0 {
			return nil, errRows
		}
		out[i] = s
	}
	return out, nil
}

// scan evaluates m row by row over the columns it reads; with withIP the
// address column is read too (fn's address is zero otherwise, unless m
// reads host.ip).
func (rs *Rows) scan(m *match.Matcher, withIP bool, fn func(int, netip.Addr) bool) error {
	idx, err := needed(m.Expr())
	if err != nil {
		return err
	}
	ipField := hostByName["host.ip"].Index
	if withIP && !slices.Contains(idx, ipField) {
		idx = append(idx, ipField)
	}
	decs := make([]rowDecoder, len(idx))
	for k, i := range idx {
		b, err := rs.column(i)
		if err != nil {
			return err
		}
		decs[k] = rowDecoder{b: b}
	}
	row := make([]any, len(hostFields))
	bufs := make([][]string, len(idx))
	ibufs := make([][]int64, len(idx))
	for n := 0; n < rs.Hosts; n++ {
		var ip netip.Addr
		for k, i := range idx {
			v, err := decs[k].value(&bufs[k], &ibufs[k])
			if err != nil {
				return err
			}
			if i == ipField {
				a, ok := v.(netip.Addr)
				if !ok {
					return snapErr("query rows: row without an address")
				}
				ip = a
			}
			row[i] = v
		}
		if m.Match(row) && !fn(n, ip) {
			return nil
		}
	}
	for k := range decs {
		if len(decs[k].b) != 0 {
			return snapErr("query rows: trailing bytes in column " + hostFields[idx[k]].Name)
		}
	}
	return nil
}

// rowDecoder reads tagged values; strings point into b (the file buffer,
// alive for the scan), lists reuse per-field buffers.
type rowDecoder struct{ b []byte }

var errRows = snapErr("query rows: damaged row")

func (d *rowDecoder) uvarint() (uint64, error) {
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		return 0, errRows
	}
	d.b = d.b[k:]
	return v, nil
}

func (d *rowDecoder) varint() (int64, error) {
	v, k := binary.Varint(d.b)
	if k <= 0 {
		return 0, errRows
	}
	d.b = d.b[k:]
	return v, nil
}

func (d *rowDecoder) str() (string, error) {
	n, err := d.uvarint()
	if err != nil || n > uint64(len(d.b)) {
		return "", errRows
	}
	var s string
	if n > 0 {
		s = unsafe.String(&d.b[0], int(n))
	}
	d.b = d.b[n:]
	return s, nil
}

// value decodes one value.
func (d *rowDecoder) value(sbuf *[]string, ibuf *[]int64) (any, error) {
	if len(d.b) == 0 {
		return nil, errRows
	}
	tag := d.b[0]
	d.b = d.b[1:]
	switch tag {
	case tagNil:
		return nil, nil
	case tagString:
		return d.str()
	case tagStrings:
		n, err := d.uvarint()
		if err != nil || n > uint64(len(d.b)) {
			return nil, errRows
		}
		out := (*sbuf)[:0]
		for range n {
			s, err := d.str()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		*sbuf = out
		return out, nil
	case tagInt:
		return d.varint()
	case tagInts:
		n, err := d.uvarint()
		if err != nil || n > uint64(len(d.b)) {
			return nil, errRows
		}
		out := (*ibuf)[:0]
		for range n {
			v, err := d.varint()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		*ibuf = out
		return out, nil
	case tagFalse, tagTrue:
		return tag == tagTrue, nil
	case tagTime:
		v, err := d.varint()
		if err != nil {
			return nil, err
		}
		return time.Unix(0, v).UTC(), nil
	case tagAddr:
		if len(d.b) == 0 || int(d.b[0]) > len(d.b)-1 {
			return nil, errRows
		}
		n := int(d.b[0])
		var a netip.Addr
		if err := a.UnmarshalBinary(d.b[1 : 1+n]); err != nil {
			return nil, errRows
		}
		d.b = d.b[1+n:]
		return a, nil
	}
	return nil, errRows
}

// rowsColumns names the file's columns: every host field, then the hosts'
// summaries (the `nethunt hosts` table rows).
func rowsColumns() []string {
	names := make([]string, 0, len(hostFields)+1)
	for _, f := range hostFields {
		names = append(names, f.Name)
	}
	return append(names, "_summary", "_summary_index")
}

// summaryValues is the number of values appendSummary writes.
const summaryValues = 12

// appendSummary encodes a Summary as a fixed sequence of tagged values.
func appendSummary(b []byte, s Summary) []byte {
	tm := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	for _, v := range []any{s.IP, s.Internal, s.Hostname, s.Groups, s.Roles, s.Approved, tm(s.FirstSeen), tm(s.LastSeen),
		int64(s.Services), s.Clients, s.Events, s.Alerts} {
		b, _ = appendValue(b, v) // only types appendValue knows
	}
	return b
}

// summary decodes what appendSummary wrote; its strings and lists are
// copies (they outlive the column buffer).
func (d *rowDecoder) summary() (Summary, error) {
	var s Summary
	var vals [summaryValues]any
	for i := range vals {
		var sb []string
		var ib []int64
		v, err := d.value(&sb, &ib)
		if err != nil {
			return s, err
		}
		switch x := v.(type) {
		case string:
			v = strings.Clone(x)
		case []string:
			c := make([]string, len(x))
			for j := range x {
				c[j] = strings.Clone(x[j])
			}
			v = c
		}
		vals[i] = v
	}
	var ok [summaryValues]bool
	s.IP, ok[0] = vals[0].(string)
	s.Internal, ok[1] = vals[1].(bool)
	s.Hostname, ok[2] = vals[2].(string)
	s.Groups, ok[3] = vals[3].([]string)
	s.Roles, ok[4] = vals[4].([]string)
	s.Approved, ok[5] = vals[5].(bool)
	s.FirstSeen, ok[6] = vals[6].(time.Time)
	s.LastSeen, ok[7] = vals[7].(time.Time)
	var svc int64
	svc, ok[8] = vals[8].(int64)
	s.Services = int(svc)
	s.Clients, ok[9] = vals[9].(int64)
	s.Events, ok[10] = vals[10].(int64)
	s.Alerts, ok[11] = vals[11].(int64)
	for i, good := range ok {
		// Empty strings, lists and zero times are stored as nil.
		if !good && !(vals[i] == nil && (i == 2 || i == 3 || i == 4 || i == 6 || i == 7)) {
			return s, errRows
		}
	}
	return s, nil
}
