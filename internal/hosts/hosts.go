// Package hosts is nethunt's Host Insights: one profile per IP address,
// built from the EVE stream without keeping events, in the spirit of the
// Stamus host_id document analysts know. A profile holds first/last seen,
// internal or external, network groups, names, users, services served with
// their TLS/HTTP/SSH details, client fingerprints (User-Agents, JA3, JA4,
// SSH software), DNS names asked, peers, traffic, alerts, and roles
// (HTTP proxy, DNS server, domain controller, ...) with the evidence that
// gave them.
//
// The ingest loop calls (*Table).Observe or ObserveBatch from one goroutine;
// the CLI and UI read concurrently through Get, List, Find and Query. Every
// multi-valued attribute is bounded per host (see the caps below), with a
// counter of values it could not keep, so a scanner or a CDN cannot blow up
// memory. Roles are re-evaluated lazily, for the hosts that changed, when a
// reader asks.
//
// Hosts are queryable in the filter language under the host. prefix
// (host.roles:"http proxy" AND NOT host.approved:true): see Fields, Resolve,
// Suggest, (*Host).Row and (*Table).Find. Save and Load write a versioned
// snapshot that records the ingest batch sequence it covers; a table can
// always be rebuilt by observing the stored events in order.
//
// See docs/host-insights.md for the attribute list, caps and role rules.
package hosts

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/nethunt/nethunt/internal/event"
)

// Caps on what one host keeps. Values past a cap are counted in the list's
// Dropped counter (keepFirst lists) or evict the least frequent value (top
// lists).
const (
	capGroups      = 16
	capTags        = 32
	capSensors     = 8
	capVLANs       = 8
	capHostnames   = 64
	capDomains     = 16
	capUsernames   = 64
	capMACs        = 8
	capServices    = 64
	capSvcApps     = 8
	capSvcDetail   = 8 // http servers, TLS subjects/issuers/fingerprints, SSH software per service
	capSvcNames    = 16
	capClientProto = 32
	capClientPorts = 64
	capUA          = 32
	capJA          = 32 // JA3, JA4, JA3S, HASSH
	capSSHSoft     = 16
	capDNSTop      = 64
	capHTTPTop     = 64
	capSNITop      = 64
	capSMBShares   = 32
	capKrbServices = 32
	capMail        = 32
	capHelo        = 16
	capTLSVersions = 8
	capDHCPVendor  = 8
	capGeo         = 64
	capSigTop      = 32
	capAlertCat    = 16
	capMITRE       = 32
	capAnomalies   = 16
	capProxyTgt    = 64
	capForwarded   = 32
	capFlowbits    = 32
	capXFF         = 16

	peersExact   = 256 // distinct clients / servers per host: exact up to this
	peersHLLBits = 10  // then a 1024-register HyperLogLog
	svcExact     = 64  // distinct clients per service
	svcHLLBits   = 10
)

// ApprovedProxy is one entry of the approved-proxy list (configuration
// approved_proxies). Port 0 approves every port of the address.
type ApprovedProxy struct {
	Addr netip.Addr
	Port int
}

// Options configure a Table.
type Options struct {
	// HomeNets are the internal networks. Empty means the private, loopback
	// and link-local ranges (RFC 1918, RFC 4193, 127/8, ::1, 169.254/16,
	// fe80::/10).
	HomeNets []netip.Prefix
	// Approved lists the approved proxies; a host with the http proxy or
	// socks proxy role is approved when every port it proxies on is listed.
	Approved []ApprovedProxy
	// SOCKSPorts are the ports on which unrecognised TCP traffic counts as
	// SOCKS evidence. Nil means DefaultSOCKSPorts.
	SOCKSPorts []int
	// MaxHosts bounds the number of hosts kept; past it, new external hosts
	// are not created (and counted in Stats.HostsRefused) while internal
	// hosts always are. 0 means DefaultMaxHosts; negative means no bound.
	MaxHosts int
	// Geo, when set, is asked once per new external host for its country
	// (ISO code) and autonomous system, when the event that brings the host
	// carries no geo enrichment (event.Enrichment.SrcGeo/DestGeo, which is
	// used first). Hosts list the countries and ASNs of the servers they
	// talk to.
	Geo func(netip.Addr) (country string, asn uint32, asOrg string)
}

// DefaultMaxHosts is the default bound on the number of hosts (about
// 1.5-3 GB at the measured 1.5-3 KB per host; see docs/host-insights.md).
const DefaultMaxHosts = 1_000_000

// DefaultSOCKSPorts: 1080 (SOCKS), 1081, 1085, 1086, 1088 (common
// alternates and shadowsocks/v2ray local ports), 9050/9150 (Tor SOCKS),
// 10808 (v2rayN/Xray SOCKS inbound).
var DefaultSOCKSPorts = []int{1080, 1081, 1085, 1086, 1088, 9050, 9150, 10808}

// Stats summarises a table.
type Stats struct {
	Hosts        int
	Internal     int
	Events       uint64 // events observed
	HostsRefused uint64 // events whose new external host was not created (MaxHosts)
}

// Table holds every host profile. Observe and ObserveBatch must be called
// from one goroutine at a time; all other methods may be called
// concurrently with them and with each other.
type Table struct {
	mu    sync.RWMutex
	opt   Options
	hosts map[netip.Addr]*Host
	all   []*Host // every host in creation order (close to memory order: scans are faster)
	dirty []*Host // hosts whose roles must be re-evaluated
	runs  []*Host // hosts with a pending identity run (Host.flushID)

	socks   [65536 / 64]uint64 // bitset of SOCKS ports
	maxHost int

	events  uint64
	refused uint64

	// tunnels remembers flows on which a proxy accepted CONNECT, so that
	// the TLS handshake tunnelled through it is not taken for the proxy's
	// own certificate. Two generations bound it.
	tunnels, tunnelsOld map[uint64]struct{}
	// pending keeps names learnt from DNS answers for addresses that are
	// not hosts yet (resolution comes before the connection).
	pending, pendingOld map[netip.Addr]pendingNames
	portNames           map[uint32]string // "tcp/443" interned
	sawDNSRequest       bool
	sink                uint64 // keeps warm's loads from being optimised away

	// hcache is a direct-mapped cache in front of the hosts map.
	hcache [1 << hcacheBits]*Host
	// pairs remembers (client, server, proto, port) keys recently added to
	// the distinct peer counters: adding them again changes nothing, so a
	// hit skips three random memory accesses.
	pairs [1 << pairBits]uint64
	// nameSeen skips DNS name mappings applied in the last minute: popular
	// names are answered over and over.
	nameSeen [1 << 12]struct {
		key uint64
		at  int64
	}
}

type pendingNames struct {
	names [4]string
	at    int64
}

const (
	hcacheBits = 15
	pairBits   = 15
	tunnelGen  = 1 << 15
	pendingGen = 1 << 16
)

// New returns an empty table.
func New(opt Options) *Table {
	t := &Table{opt: opt, hosts: make(map[netip.Addr]*Host)}
	t.reset()
	ports := opt.SOCKSPorts
	if ports == nil {
		ports = DefaultSOCKSPorts
	}
	for _, p := range ports {
		if p > 0 && p < 65536 {
			t.socks[p/64] |= 1 << (p % 64)
		}
	}
	switch {
	case opt.MaxHosts == 0:
		t.maxHost = DefaultMaxHosts
	case opt.MaxHosts < 0:
		t.maxHost = int(^uint(0) >> 1)
	default:
		t.maxHost = opt.MaxHosts
	}
	t.opt.HomeNets = append([]netip.Prefix(nil), opt.HomeNets...)
	for i, p := range t.opt.HomeNets {
		t.opt.HomeNets[i] = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-map4(p)).Masked()
	}
	return t
}

// map4 is the number of prefix bits an IPv4-mapped IPv6 prefix loses when
// unmapped (::ffff:10.0.0.0/104 is 10.0.0.0/8).
func map4(p netip.Prefix) int {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return 96
	}
	return 0
}

func (t *Table) reset() {
	t.hcache = [len(t.hcache)]*Host{}
	t.pairs = [len(t.pairs)]uint64{}
	t.nameSeen = [len(t.nameSeen)]struct {
		key uint64
		at  int64
	}{}
	t.tunnels = make(map[uint64]struct{})
	t.tunnelsOld = nil
	t.pending = make(map[netip.Addr]pendingNames)
	t.pendingOld = nil
	t.portNames = make(map[uint32]string)
	t.dirty = nil
	t.runs = nil
	t.sawDNSRequest = false
}

func (t *Table) isSOCKSPort(p int64) bool {
	return p > 0 && p < 65536 && t.socks[p/64]&(1<<(p%64)) != 0
}

// Observe folds one event into the profiles of its hosts.
func (t *Table) Observe(ev *event.Event) {
	if ev == nil {
		return
	}
	t.mu.Lock()
	t.observe(ev)
	t.mu.Unlock()
}

// ObserveBatch observes events in order, taking the lock once. It is
// faster than Observe per event: before observing a window of events it
// reads the memory of the hosts they involve breadth first (all hosts'
// first lines, then all their client/server parts, ...), so that the
// cache misses overlap instead of being paid one after the other.
//
// The write lock is released every lockSpan events, so that a reader (a
// `nethunt host IP` answered by the ingesting process) waits for at most a
// few milliseconds, not for a whole 20k-event batch.
func (t *Table) ObserveBatch(evs []*event.Event) {
	for len(evs) > 0 {
		span := evs[:min(lockSpan, len(evs))]
		evs = evs[len(span):]
		t.mu.Lock()
		for i := 0; i < len(span); i += warmWindow {
			w := span[i:min(i+warmWindow, len(span))]
			t.warm(w)
			for _, ev := range w {
				if ev != nil {
					t.observe(ev)
				}
			}
		}
		t.mu.Unlock()
	}
}

const (
	warmWindow = 16
	lockSpan   = 1024 // about 3 ms of observing
)

// warm touches, without changing anything, the memory observe will need
// for the events' hosts, one level at a time across all of them.
func (t *Table) warm(evs []*event.Event) {
	var hs [2 * warmWindow]*Host
	var as [2 * warmWindow]netip.Addr
	n := 0
	for _, ev := range evs {
		if ev == nil {
			continue
		}
		for _, a := range [2]netip.Addr{ev.SrcIP, ev.DestIP} {
			if a.Is4() {
				as[n], hs[n] = a, t.hcache[cacheSlot(a)]
				n++
			}
		}
	}
	var s uint64
	for i := 0; i < n; i++ { // first lines
		if h := hs[i]; h != nil && h.ip != as[i] {
			hs[i] = nil
		}
	}
	for i := 0; i < n; i++ { // client / server parts
		if h := hs[i]; h != nil {
			if c := h.cli; c != nil {
				s += c.flows
			}
			if v := h.srv; v != nil {
				s += v.flows
			}
		}
	}
	for i := 0; i < n; i++ { // what those point to
		if h := hs[i]; h != nil {
			if c := h.cli; c != nil && len(c.protos.ents) > 0 {
				s += uint64(c.protos.ents[0].count)
			}
			if v := h.srv; v != nil {
				if len(v.services) > 0 {
					s += v.services[0].flows
				}
				if len(v.evid) > 0 {
					s += uint64(v.evid[0].count)
				}
			}
		}
	}
	t.sink += s
}

// Len returns the number of hosts.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.hosts)
}

// Stats returns table counters.
func (t *Table) Stats() Stats {
	t.mu.RLock()
	defer t.mu.RUnlock()
	s := Stats{Hosts: len(t.hosts), Events: t.events, HostsRefused: t.refused}
	for _, h := range t.all {
		if h.internal {
			s.Internal++
		}
	}
	return s
}

// internal reports whether a is in the home networks.
func (t *Table) internal(a netip.Addr) bool {
	if len(t.opt.HomeNets) == 0 {
		return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast()
	}
	for _, p := range t.opt.HomeNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// trackable reports whether a is a unicast address worth a profile.
func trackable(a netip.Addr) bool {
	if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() {
		return false
	}
	if a.Is4() {
		b := a.As4()
		if b == [4]byte{255, 255, 255, 255} {
			return false
		}
	}
	return true
}

// lookupRO is lookup for readers (no cache update: they hold the read lock).
func (t *Table) lookupRO(a netip.Addr) *Host {
	if h := t.hcache[cacheSlot(a)]; h != nil && h.ip == a {
		return h
	}
	return t.hosts[a]
}

// lookup returns the existing profile of a (normalised) or nil.
func (t *Table) lookup(a netip.Addr) *Host {
	slot := &t.hcache[cacheSlot(a)]
	if h := *slot; h != nil && h.ip == a {
		return h
	}
	h := t.hosts[a]
	if h != nil {
		*slot = h
	}
	return h
}

// host returns the profile of a, creating it unless the table is full.
func (t *Table) host(a netip.Addr, now int64) *Host { return t.hostGeo(a, now, nil) }

// hostGeo is host with the event's geo enrichment for a new host.
func (t *Table) hostGeo(a netip.Addr, now int64, geo *event.Geo) *Host {
	a = normAddr(a)
	slot := &t.hcache[cacheSlot(a)]
	if h := *slot; h != nil && h.ip == a {
		return h
	}
	if h := t.hosts[a]; h != nil {
		*slot = h
		return h
	}
	if !trackable(a) {
		return nil
	}
	in := t.internal(a)
	if len(t.hosts) >= t.maxHost && !in {
		t.refused++
		return nil
	}
	h := &Host{ip: a, first: now, last: now, internal: in, idIdx: noID}
	switch {
	case geo != nil && (geo.Country != "" || geo.ASN != 0):
		h.setGeo(geo.Country, geo.ASN, geo.ASOrg)
	case !in && t.opt.Geo != nil:
		h.setGeo(t.opt.Geo(a))
	}
	t.hosts[a] = h
	t.all = append(t.all, h)
	*slot = h
	t.applyPending(h)
	t.markDirty(h)
	return h
}

func (t *Table) markDirty(h *Host) {
	if !h.dirty {
		h.dirty = true
		t.dirty = append(t.dirty, h)
	}
}

// settle re-evaluates the roles of changed hosts. Readers call it before
// reading roles; it takes the write lock only when there is work.
func (t *Table) settle() {
	t.mu.RLock()
	n := len(t.dirty) + len(t.runs)
	t.mu.RUnlock()
	if n == 0 {
		return
	}
	t.mu.Lock()
	t.settleLocked()
	t.mu.Unlock()
}

// settleLocked is settle with the write lock held.
func (t *Table) settleLocked() {
	for _, h := range t.runs {
		h.flushID()
	}
	t.runs = t.runs[:0]
	for _, h := range t.dirty {
		h.evalRoles(t)
		h.dirty = false
	}
	t.dirty = t.dirty[:0]
}

// normAddr drops IPv4-in-IPv6 mapping and zones: one host per address.
func normAddr(a netip.Addr) netip.Addr {
	if a.Is4() {
		return a
	}
	return a.Unmap().WithZone("")
}

// cacheSlot hashes an address into hcache.
func cacheSlot(a netip.Addr) int {
	var x uint64
	if a.Is4() {
		b := a.As4()
		x = uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	} else {
		b := a.As16()
		for i := 0; i < 16; i += 4 {
			x = x*0x9e3779b1 + (uint64(b[i])<<24 | uint64(b[i+1])<<16 | uint64(b[i+2])<<8 | uint64(b[i+3]))
		}
	}
	return int((x * 0x9e3779b97f4a7c15) >> (64 - hcacheBits))
}

// ParseApproved parses approved_proxies entries: "ip:port", "[v6]:port" or
// a bare address (every port).
func ParseApproved(list []string) ([]ApprovedProxy, error) {
	var out []ApprovedProxy
	for _, s := range list {
		s = strings.TrimSpace(s)
		if ap, err := netip.ParseAddrPort(s); err == nil {
			out = append(out, ApprovedProxy{Addr: ap.Addr(), Port: int(ap.Port())})
			continue
		}
		a, err := netip.ParseAddr(strings.Trim(s, "[]"))
		if err != nil {
			return nil, fmt.Errorf("approved proxy %q: want ip, ip:port or [ipv6]:port", s)
		}
		out = append(out, ApprovedProxy{Addr: a})
	}
	return out, nil
}
