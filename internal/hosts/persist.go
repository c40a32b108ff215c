package hosts

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
)

// Snapshot format: a gzip stream whose content is
//
//	magic "NHHOSTS\x00" | uvarint version (1) | varint seq
//	uvarint events observed | uvarint hosts refused | bool saw-DNS-request
//	uvarint host count | hosts... | magic "NHHOSTS\xff"
//
// Integers are (u)varints, strings uvarint length + bytes, addresses
// netip.Addr binary form, times unix nanoseconds. Each host is written by
// the same code that reads it (codec), field by field. Roles are not
// stored: they are recomputed from the evidence on load, as is "internal"
// (from the current Options.HomeNets). Transient state (the CONNECT-tunnel
// and pending-DNS-name caches) is not stored. A version mismatch is an
// error: rebuild the table by observing the stored events.
const (
	snapMagic   = "NHHOSTS\x00"
	snapTrailer = "NHHOSTS\xff"
	snapVersion = 1
)

// ErrSnapshot is wrapped by Load errors about the content (not I/O).
var ErrSnapshot = errors.New("hosts: invalid snapshot")

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

// saveLocked writes the snapshot; the caller holds a lock.
func (t *Table) saveLocked(w io.Writer, seq int64) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(zw, 1<<16)
	c := &codec{enc: true, w: bw}
	c.raw([]byte(snapMagic))
	v := uint64(snapVersion)
	c.uvarint(&v)
	c.varint(&seq)
	c.uvarint(&t.events)
	c.uvarint(&t.refused)
	c.bool(&t.sawDNSRequest)
	n := uint64(len(t.hosts))
	c.uvarint(&n)
	for _, h := range t.all {
		h.code(c)
	}
	c.raw([]byte(snapTrailer))
	if c.err != nil {
		return c.err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// Load replaces the table's content with a snapshot and returns the
// sequence it covers. On error the table is unchanged.
func (t *Table) Load(r io.Reader) (seq int64, err error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	c := &codec{r: bufio.NewReaderSize(zr, 1<<16)}
	if !c.expect(snapMagic) {
		return 0, c.fail("bad magic")
	}
	var v uint64
	c.uvarint(&v)
	if c.err == nil && v != snapVersion {
		return 0, fmt.Errorf("%w: version %d, want %d (rebuild from events)", ErrSnapshot, v, snapVersion)
	}
	var events, refused uint64
	var sawDNS bool
	c.varint(&seq)
	c.uvarint(&events)
	c.uvarint(&refused)
	c.bool(&sawDNS)
	n := c.length(1 << 30)
	hosts := make(map[netip.Addr]*Host, min(n, 1<<16))
	var all []*Host
	for i := 0; i < n && c.err == nil; i++ {
		h := new(Host)
		h.code(c)
		if c.err != nil {
			break
		}
		h.ip = normAddr(h.ip)
		if !h.ip.IsValid() || hosts[h.ip] != nil {
			return 0, c.fail("bad or duplicate host address")
		}
		hosts[h.ip] = h
		all = append(all, h)
	}
	if c.err == nil && !c.expect(snapTrailer) {
		return 0, c.fail("missing trailer")
	}
	if c.err != nil {
		return 0, c.err
	}
	// Drain so that gzip verifies its checksum.
	if _, err := io.Copy(io.Discard, c.r); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reset()
	t.hosts, t.all = hosts, all
	t.events, t.refused, t.sawDNSRequest = events, refused, sawDNS
	for _, h := range all {
		h.internal = t.internal(h.ip)
		h.idIdx = noID
		h.asLabel = asLabel(h.asn, h.asOrg)
		h.dirty = false
		t.markDirty(h)
	}
	return seq, nil
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
