package hosts

import (
	"net/netip"
	"slices"
)

// Host is one IP address's profile. Its methods may only be used inside a
// Find callback or while the table is otherwise guaranteed not to change;
// Card and Summary return copies that are safe to keep.
type Host struct {
	// The first cache line holds what every event reads: the address, the
	// last time, the identity run and the client/server parts.
	ip   netip.Addr
	last int64 // unix nanoseconds
	// Identity run: consecutive events with the same sensor, groups, tags
	// and VLAN (idKey) are only counted in idRun; the event count and the
	// identity lists are brought up to date by flushID (on the next
	// identity change, or before readers read). This spares the identity
	// lists' memory on almost every event.
	idKey    uint64
	cli      *clientSide
	srv      *serverSide
	idRun    uint32
	internal bool
	dirty    bool    // roles need re-evaluation
	roles    roleSet // derived by evalRoles

	first     int64  // unix nanoseconds; only read when an event is older than last
	events    uint64 // events counted, without the pending identity run
	al        *alertSide
	proxyMode uint8
	approved  bool
	idIdx     idIndex

	groups    valueSet
	sensors   valueSet
	tags      valueSet
	vlans     []int64
	hostnames valueSet // src bits: name*
	domains   valueSet // AD domains / Kerberos realms
	usernames valueSet
	macs      valueSet
	flowbits  valueSet

	anomalies   uint64
	anomalyType valueSet
	filesSent   uint64
	filesRecv   uint64

	country, asOrg string // own geo (external hosts, Options.Geo)
	asn            uint32
	asLabel        string // "AS13335 Cloudflare", what peers list
}

// setGeo records where the host is.
func (h *Host) setGeo(country string, asn uint32, org string) {
	h.country, h.asn, h.asOrg = cut(country, 64), asn, cut(org, 128)
	h.asLabel = asLabel(h.asn, h.asOrg)
}

// nEvents is the number of events involving the host.
func (h *Host) nEvents() uint64 { return h.events + uint64(h.idRun) }

// idIndex remembers which entries the last identity update hit (-1: none).
type idIndex struct {
	sensor int16
	groups [4]int16
	tags   [4]int16
}

var noID = idIndex{sensor: -1, groups: [4]int16{-1, -1, -1, -1}, tags: [4]int16{-1, -1, -1, -1}}

// flushID applies a pending identity run to the identity lists.
func (h *Host) flushID() {
	if h.idRun == 0 {
		return
	}
	// The run's events are the host's latest, so their last time is the
	// host's (flushID runs before a new identity's event is applied).
	n, at := h.idRun, h.last
	h.events += uint64(n)
	bump := func(s *valueSet, i int16) {
		if i >= 0 && int(i) < len(s.ents) {
			e := &s.ents[i]
			e.count += n
			e.last = max(e.last, at)
		}
	}
	bump(&h.sensors, h.idIdx.sensor)
	for _, i := range h.idIdx.groups {
		bump(&h.groups, i)
	}
	for _, i := range h.idIdx.tags {
		bump(&h.tags, i)
	}
	h.idRun = 0
}

// runCopy returns a copy of s with n more hits (at time at) on the
// entries at idx, as flushID would apply them.
func (s *valueSet) runCopy(idx []int16, n uint32, at int64) *valueSet {
	cp := *s
	cp.ents = slices.Clone(s.ents)
	for _, i := range idx {
		if i >= 0 && int(i) < len(cp.ents) {
			e := &cp.ents[i]
			e.count += n
			e.last = max(e.last, at)
		}
	}
	return &cp
}

// clientSide is what a host does as a client. Fields are ordered so that
// a flow record reads adjacent cache lines.
type clientSide struct {
	flows, bytesOut, bytesIn, pktsOut, pktsIn, unanswered uint64

	protos  valueSet // app protocols used as client
	ports   valueSet // "tcp/443" contacted
	servers distinct

	userAgents  valueSet
	ja3         valueSet
	ja4         valueSet
	sshClient   valueSet
	hassh       valueSet
	dnsQueries  valueSet // top
	httpHosts   valueSet // top
	sni         valueSet // top (TLS and QUIC)
	tlsVersions valueSet
	smbShares   valueSet
	krbServices valueSet
	mailFrom    valueSet
	helo        valueSet
	dhcpVendor  valueSet
	countries   valueSet
	asns        valueSet
	krbWeak     uint64 // tickets with weak (RC4/DES) encryption received
	httpReqs    uint64
	dnsReqs     uint64
}

// serverSide is what a host does as a server. Fields are ordered so that
// a flow record reads adjacent cache lines.
type serverSide struct {
	flows, bytesOut, bytesIn, pktsOut, pktsIn uint64
	evid                                      []evidence
	evPos                                     [numEv]uint8 // 1 + index in evid; 0 = none
	services                                  []service
	nsvc                                      int
	svcKeys                                   [capServices]uint32 // proto<<16 | port, parallel to services
	clients                                   distinct
	servicesDropped                           uint32
	proxyPorts                                []uint16 // ports with inbound proxy evidence

	proxyTargets valueSet // names asked through it (CONNECT / absolute URI), top
	forwarded    valueSet // names it both received and asked for itself (forwarding proof)
	xff          valueSet // distinct X-Forwarded-For values it sent (forwarding)
	ja3s         valueSet
	httpStatus   valueSet // status codes it answered
}

// service is one (proto, port) a host answers on. Flow records touch only
// the first fields; app-layer details live in svcDetail, allocated when an
// app-layer record brings some.
type service struct {
	proto       uint8
	port        uint16
	first, last int64
	flows       uint64
	bytesIn     uint64 // client to server
	bytesOut    uint64 // server to client
	apps        valueSet
	clients     distinct
	*svcDetail
}

type svcDetail struct {
	httpServer  valueSet
	tlsSubject  valueSet
	tlsIssuer   valueSet
	tlsFP       valueSet
	sshSoftware valueSet
	hassh       valueSet
	ja3s        valueSet
	names       valueSet // SNI / Host / :authority served on this port
	tlsNotAfter string
	tlsNotBefor string
}

var emptyDetail svcDetail

func (sv *service) det() *svcDetail {
	if sv.svcDetail == nil {
		sv.svcDetail = new(svcDetail)
	}
	return sv.svcDetail
}

func (sv *service) detail() *svcDetail {
	if sv.svcDetail == nil {
		return &emptyDetail
	}
	return sv.svcDetail
}

// alertSide counts alerts involving the host.
type alertSide struct {
	total, asSrc, asDst uint64
	bySev               [5]uint64 // index = severity 1..4; 0 = other
	signatures          valueSet  // top
	sids                []int64   // signature ids, parallel to signatures
	categories          valueSet
	mitre               valueSet
	last                int64
}

// Transport protocols of services.
const (
	protoOther uint8 = iota
	protoTCP
	protoUDP
	protoSCTP
	protoICMP
)

var protoNames = [...]string{"other", "tcp", "udp", "sctp", "icmp"}

func protoID(p string) uint8 {
	switch p {
	case "TCP", "tcp", "6":
		return protoTCP
	case "UDP", "udp", "17":
		return protoUDP
	case "SCTP", "sctp", "132":
		return protoSCTP
	case "ICMP", "IPv6-ICMP", "icmp", "ipv6-icmp", "1", "58":
		return protoICMP
	}
	return protoOther
}

// Sources of hostnames (bits of entry.src).
const (
	nameDNS = 1 << iota
	nameSNI
	nameHTTP
	nameDHCP
	nameKrb5
	nameNTLM
	namePTR
)

var nameSrcNames = []string{"dns", "sni", "http", "dhcp", "krb5", "ntlm", "ptr"}

func (h *Host) client() *clientSide {
	if h.cli == nil {
		h.cli = new(clientSide)
	}
	return h.cli
}

func (h *Host) server() *serverSide {
	if h.srv == nil {
		h.srv = new(serverSide)
	}
	return h.srv
}

func (h *Host) alerts() *alertSide {
	if h.al == nil {
		h.al = new(alertSide)
	}
	return h.al
}

// service returns the service (proto, port), creating it; nil when the
// host's service list is full.
func (s *serverSide) service(proto uint8, port uint16, now int64) *service {
	k := uint32(proto)<<16 | uint32(port)
	for i, x := range s.svcKeys[:s.nsvc] {
		if x == k {
			sv := &s.services[i]
			if now > sv.last {
				sv.last = now
			}
			if now < sv.first {
				sv.first = now
			}
			return sv
		}
	}
	if len(s.services) >= capServices {
		s.servicesDropped++
		return nil
	}
	s.services = append(s.services, service{proto: proto, port: port, first: now, last: now})
	s.svcKeys[s.nsvc] = k
	s.nsvc++
	return &s.services[len(s.services)-1]
}

// addName records a hostname with its source.
func (h *Host) addName(name string, src uint16, now int64) {
	name = normName(name)
	if name == "" {
		return
	}
	if i := h.hostnames.add(name, now, capHostnames, keepFirst); i >= 0 {
		h.hostnames.ents[i].src |= src
	}
}

// normName lower-cases a DNS-style name and strips a trailing dot; IP
// literals and empty names give "".
func normName(s string) string {
	if s == "" || s == "<empty>" {
		return ""
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if s == "" {
		return ""
	}
	lower, ipish, colons := true, true, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z':
			lower, ipish = false, false
		case c == ':':
			colons++
		case c == '.' || (c >= '0' && c <= '9'):
		default:
			ipish = false
		}
	}
	if ipish || colons >= 2 || s[0] == '[' {
		return "" // an IP literal (with or without port), not a name
	}
	if !lower {
		b := []byte(s)
		for i, c := range b {
			if c >= 'A' && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			}
		}
		s = string(b)
	}
	return s
}
