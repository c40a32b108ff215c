// Package intel loads threat-intelligence indicators and matches events
// against them.
//
// Indicator types: ip, cidr, domain (the domain and all its subdomains), url,
// ja3, ja4, cert-sha1 (TLS certificate SHA-1 fingerprint), user-agent (exact)
// and, because STIX and MISP feeds carry them, file-md5 / file-sha1 /
// file-sha256 (Suricata fileinfo hashes; file-sha1 also matches certificate
// fingerprints, which are the SHA-1 of the certificate file).
//
// Sources are plain lists, CSV, STIX 2.1 bundles and MISP JSON exports (see
// Load and docs/enrichment.md). Load builds an immutable *Set; a Watcher
// reloads the files when they change (or on Reload, e.g. from SIGHUP) and
// swaps the Set atomically, so matching never stops.
//
// Matching is allocation-free when nothing matches: one or two bart lookups
// for the addresses plus one map probe per parent domain of each name.
package intel

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/gaissmai/bart"

	"github.com/nethunt/nethunt/internal/event"
)

// Type is an indicator type.
type Type string

// Indicator types.
const (
	IP         Type = "ip"
	CIDR       Type = "cidr"
	Domain     Type = "domain"
	URL        Type = "url"
	JA3        Type = "ja3"
	JA4        Type = "ja4"
	CertSHA1   Type = "cert-sha1"
	UserAgent  Type = "user-agent"
	FileMD5    Type = "file-md5"
	FileSHA1   Type = "file-sha1"
	FileSHA256 Type = "file-sha256"
)

// Types lists every indicator type.
var Types = []Type{IP, CIDR, Domain, URL, JA3, JA4, CertSHA1, UserAgent, FileMD5, FileSHA1, FileSHA256}

var typeAliases = map[string]Type{
	"ip": IP, "ipv4": IP, "ipv6": IP, "ip-dst": IP, "ip-src": IP, "ipv4-addr": IP, "ipv6-addr": IP, "address": IP,
	"cidr": CIDR, "net": CIDR, "network": CIDR, "subnet": CIDR, "prefix": CIDR,
	"domain": Domain, "domain-name": Domain, "hostname": Domain, "host": Domain, "fqdn": Domain,
	"url": URL, "uri": URL, "link": URL,
	"ja3": JA3, "ja3-fingerprint-md5": JA3, "ja3-hash": JA3,
	"ja4": JA4, "ja4-fingerprint": JA4,
	"cert-sha1": CertSHA1, "x509-fingerprint-sha1": CertSHA1, "sha1-cert": CertSHA1, "tls-sha1": CertSHA1,
	"certificate": CertSHA1, "cert": CertSHA1, "x509-sha1": CertSHA1, "ssl-sha1": CertSHA1,
	"user-agent": UserAgent, "useragent": UserAgent, "ua": UserAgent, "http-user-agent": UserAgent,
	"file-md5": FileMD5, "md5": FileMD5,
	"file-sha1": FileSHA1, "sha1": FileSHA1,
	"file-sha256": FileSHA256, "sha256": FileSHA256,
}

// ParseType accepts the type names above and common aliases (ipv4,
// ip-dst, domain-name, hostname, ja3-fingerprint-md5, x509-fingerprint-sha1,
// ua, md5, ...), case-insensitively.
func ParseType(s string) (Type, bool) {
	t, ok := typeAliases[strings.ToLower(strings.TrimSpace(s))]
	return t, ok
}

// Indicator is one loaded indicator. Value is normalised by the Builder.
type Indicator struct {
	Type        Type
	Value       string
	Source      string // feed name shown in hits
	Description string
	Confidence  int // 0–100, 0 = unknown
}

// Hit is one indicator matched by an event.
type Hit struct {
	Type        Type   // indicator type
	Value       string // indicator value as loaded (normalised)
	Field       string // event field that matched, by its registry name (tls.sni, dest_ip, ...)
	Observed    string // the event's value (a subdomain for domain hits, an address for CIDR hits)
	Source      string
	Description string
	Confidence  int
}

// String formats a hit for logs: "domain evil.com matched tls.sni=a.evil.com (feed)".
func (h Hit) String() string {
	return fmt.Sprintf("%s %s matched %s=%s (%s)", h.Type, h.Value, h.Field, h.Observed, h.Source)
}

// entry is an indicator's metadata shared by hits.
type entry struct {
	typ        Type
	value      string
	source     string
	desc       string
	confidence int
}

// Set is an immutable, concurrency-safe collection of indicators.
type Set struct {
	ips     *bart.Table[[]*entry] // ip and cidr; each prefix also carries its supernets' entries
	domains map[string][]*entry
	urls    map[string][]*entry // key: host + path [+ "?" + query], see urlKey
	exact   [numExact]map[string][]*entry

	allowIPs     *bart.Lite
	allowDomains map[string]struct{}
	allowKeys    map[string]struct{} // Type + "\x00" + key for the other types

	counts   map[Type]int
	allowed  int
	nonEmpty bool
}

// The exact-match tables.
const (
	exJA3 = iota
	exJA4
	exCert // cert-sha1 and file-sha1 (both are SHA-1 of certificate bytes when matched on tls.fingerprint)
	exUA
	exMD5
	exSHA1
	exSHA256
	numExact
)

func exactIndex(t Type) int {
	switch t {
	case JA3:
		return exJA3
	case JA4:
		return exJA4
	case CertSHA1:
		return exCert
	case UserAgent:
		return exUA
	case FileMD5:
		return exMD5
	case FileSHA1:
		return exSHA1
	case FileSHA256:
		return exSHA256
	}
	return -1
}

// Len is the number of indicators (after de-duplication).
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	n := 0
	for _, c := range s.counts {
		n += c
	}
	return n
}

// Counts returns the number of indicators per type.
func (s *Set) Counts() map[Type]int {
	out := map[Type]int{}
	if s != nil {
		for t, n := range s.counts {
			out[t] = n
		}
	}
	return out
}

// AllowCount is the number of allow-list entries.
func (s *Set) AllowCount() int {
	if s == nil {
		return 0
	}
	return s.allowed
}

// Builder collects indicators into a Set. It is not safe for concurrent use.
type Builder struct {
	ips       map[netip.Prefix][]*entry
	domains   map[string][]*entry
	urls      map[string][]*entry
	exact     [numExact]map[string][]*entry
	allowIPs  []netip.Prefix
	allowDom  map[string]struct{}
	allowKeys map[string]struct{}
	counts    map[Type]int
	allowed   int
	dups      int
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	b := &Builder{
		ips: map[netip.Prefix][]*entry{}, domains: map[string][]*entry{}, urls: map[string][]*entry{},
		allowDom: map[string]struct{}{}, allowKeys: map[string]struct{}{}, counts: map[Type]int{},
	}
	for i := range b.exact {
		b.exact[i] = map[string][]*entry{}
	}
	return b
}

// Duplicates counts indicators that were already present from the same
// source (same type and normalised value).
func (b *Builder) Duplicates() int { return b.dups }

// Add normalises and adds an indicator. An empty Type is detected from the
// value (DetectType). It returns the stored (normalised) indicator, and an
// error for values that are not valid for their type.
func (b *Builder) Add(ind Indicator) (Indicator, error) {
	t, key, display, err := normalize(ind.Type, ind.Value)
	if err != nil {
		return ind, err
	}
	ind.Type, ind.Value = t, display
	e := &entry{typ: t, value: display, source: ind.Source, desc: ind.Description, confidence: ind.Confidence}
	var m map[string][]*entry
	switch t {
	case IP, CIDR:
		p := netip.MustParsePrefix(key)
		if dup(b.ips[p], e) {
			b.dups++
			return ind, nil
		}
		b.ips[p] = append(b.ips[p], e)
		b.counts[t]++
		return ind, nil
	case Domain:
		m = b.domains
	case URL:
		m = b.urls
	default:
		m = b.exact[exactIndex(t)]
	}
	if dup(m[key], e) {
		b.dups++
		return ind, nil
	}
	m[key] = append(m[key], e)
	b.counts[t]++
	return ind, nil
}

func dup(es []*entry, e *entry) bool {
	for _, x := range es {
		if x.source == e.source && x.typ == e.typ {
			return true
		}
	}
	return false
}

// Allow adds an allow-list entry: events whose value matches it (with the
// same semantics as an indicator: an allowed domain covers its subdomains,
// an allowed CIDR its addresses) produce no hits of that kind.
func (b *Builder) Allow(ind Indicator) (Indicator, error) {
	t, key, display, err := normalize(ind.Type, ind.Value)
	if err != nil {
		return ind, err
	}
	ind.Type, ind.Value = t, display
	switch t {
	case IP, CIDR:
		b.allowIPs = append(b.allowIPs, netip.MustParsePrefix(key))
	case Domain:
		b.allowDom[key] = struct{}{}
	default:
		b.allowKeys[allowKey(t, key)] = struct{}{}
	}
	b.allowed++
	return ind, nil
}

func allowKey(t Type, key string) string {
	if t == FileSHA1 {
		t = CertSHA1 // one SHA-1 namespace for the fingerprint field
	}
	return string(t) + "\x00" + key
}

// Build returns the Set. The Builder must not be used afterwards.
func (b *Builder) Build() *Set {
	s := &Set{
		ips: new(bart.Table[[]*entry]), domains: b.domains, urls: b.urls, exact: b.exact,
		allowIPs: new(bart.Lite), allowDomains: b.allowDom, allowKeys: b.allowKeys,
		counts: b.counts, allowed: b.allowed,
	}
	// Insert shortest prefixes first, then give every prefix the entries of
	// all prefixes that contain it, so one longest-prefix lookup finds them
	// all (1.2.3.4 listed by one feed inside 1.2.3.0/24 of another).
	pfxs := make([]netip.Prefix, 0, len(b.ips))
	for p := range b.ips {
		pfxs = append(pfxs, p)
	}
	sort.Slice(pfxs, func(i, j int) bool { return pfxs[i].Bits() < pfxs[j].Bits() })
	for _, p := range pfxs {
		es := b.ips[p]
		if _, parent, ok := s.ips.LookupPrefixLPM(p); ok {
			es = append(es[:len(es):len(es)], parent...)
		}
		s.ips.Insert(p, es)
	}
	for _, p := range b.allowIPs {
		s.allowIPs.Insert(p)
	}
	s.nonEmpty = len(pfxs) > 0 || len(s.domains) > 0 || len(s.urls) > 0
	for _, m := range s.exact {
		if len(m) > 0 {
			s.nonEmpty = true
		}
	}
	return s
}

// Match returns the indicators ev matches (nil when none).
func (s *Set) Match(ev *event.Event) []Hit { return s.AppendMatches(nil, ev) }

// AppendMatches appends ev's hits to dst, for callers that reuse a slice.
//
// Checked fields: src_ip, dest_ip (ip, cidr); dns.rrname and
// dns.answers.rdata (domain, or ip for A/AAAA data); tls.sni, quic.sni,
// http.hostname (domain, or ip for address literals); http.url (url; the
// CONNECT target host:port as domain or ip); tls.ja3.hash, quic.ja3.hash
// (ja3); tls.ja4, quic.ja4 (ja4); tls.fingerprint (cert-sha1, file-sha1);
// http.http_user_agent, quic.ua (user-agent); fileinfo.md5 / sha1 / sha256.
func (s *Set) AppendMatches(dst []Hit, ev *event.Event) []Hit {
	if s == nil || !s.nonEmpty || ev == nil {
		return dst
	}
	dst = s.matchIP(dst, ev.SrcIP, "src_ip", "")
	dst = s.matchIP(dst, ev.DestIP, "dest_ip", "")
	if d := ev.DNS; d != nil {
		for _, n := range d.Names {
			dst = s.matchHost(dst, n, "dns.rrname")
		}
		for _, a := range d.AnswerData {
			dst = s.matchHost(dst, a, "dns.answers.rdata")
		}
	}
	if t := ev.TLS; t != nil {
		dst = s.matchHost(dst, t.SNI, "tls.sni")
		if t.JA3 != nil {
			dst = s.matchExact(dst, exJA3, JA3, t.JA3.Hash, "tls.ja3.hash")
		}
		dst = s.matchExact(dst, exJA4, JA4, t.JA4, "tls.ja4")
		dst = s.matchFingerprint(dst, t.Fingerprint, "tls.fingerprint")
	}
	if q := ev.QUIC; q != nil {
		dst = s.matchHost(dst, q.SNI, "quic.sni")
		if q.JA3 != nil {
			dst = s.matchExact(dst, exJA3, JA3, q.JA3.Hash, "quic.ja3.hash")
		}
		dst = s.matchExact(dst, exJA4, JA4, q.JA4, "quic.ja4")
		dst = s.matchExact(dst, exUA, UserAgent, q.UA, "quic.ua")
	}
	if h := ev.HTTP; h != nil {
		dst = s.matchHost(dst, h.Hostname, "http.hostname")
		dst = s.matchURL(dst, h, "http.url")
		dst = s.matchExact(dst, exUA, UserAgent, h.UserAgent, "http.http_user_agent")
	}
	if f := ev.FileInfo; f != nil {
		dst = s.matchExact(dst, exMD5, FileMD5, f.MD5, "fileinfo.md5")
		dst = s.matchExact(dst, exSHA1, FileSHA1, f.SHA1, "fileinfo.sha1")
		dst = s.matchExact(dst, exSHA256, FileSHA256, f.SHA256, "fileinfo.sha256")
	}
	return dst
}

func appendHits(dst []Hit, es []*entry, field, observed string) []Hit {
	for _, e := range es {
		dst = append(dst, Hit{Type: e.typ, Value: e.value, Field: field, Observed: observed, Source: e.source, Description: e.desc, Confidence: e.confidence})
	}
	return dst
}

// matchIP matches an address; observed defaults to the address itself.
func (s *Set) matchIP(dst []Hit, a netip.Addr, field, observed string) []Hit {
	if !a.IsValid() || s.ips.Size() == 0 {
		return dst
	}
	a = a.Unmap()
	es, ok := s.ips.Lookup(a)
	if !ok || s.allowIPs.Lookup(a) {
		return dst
	}
	if observed == "" {
		observed = a.String()
	}
	return appendHits(dst, es, field, observed)
}

// matchHost matches a DNS name (domain indicators on it and its parents) or
// an address literal (ip/cidr indicators).
func (s *Set) matchHost(dst []Hit, host, field string) []Hit {
	return s.matchHostAs(dst, host, field, host)
}

// matchHostAs is matchHost reporting observed as the event's value.
func (s *Set) matchHostAs(dst []Hit, host, field, observed string) []Hit {
	if host == "" {
		return dst
	}
	if h, ok := ipLiteral(host); ok {
		if a, err := netip.ParseAddr(h); err == nil {
			return s.matchIP(dst, a, field, observed)
		}
	}
	if len(s.domains) == 0 {
		return dst
	}
	var buf [256]byte
	name, ok := lowerName(buf[:0], host)
	if !ok {
		return dst
	}
	// Probe the name and each parent that still has a dot (single labels are
	// never indicators). Every listed parent is reported: "a.evil.com" may be
	// listed along with "evil.com" by another feed. An allowed parent
	// cancels the hits of this name.
	start := len(dst)
	for i := 0; ; {
		suffix := name[i:]
		if len(s.allowDomains) > 0 {
			if _, allowed := s.allowDomains[string(suffix)]; allowed {
				return dst[:start]
			}
		}
		if es, ok := s.domains[string(suffix)]; ok {
			dst = appendHits(dst, es, field, observed)
		}
		j := indexDot(suffix)
		if j < 0 {
			break
		}
		i += j + 1
		if indexDot(name[i:]) < 0 {
			break
		}
	}
	return dst
}

func (s *Set) matchExact(dst []Hit, idx int, t Type, v, field string) []Hit {
	m := s.exact[idx]
	if v == "" || len(m) == 0 {
		return dst
	}
	var buf [256]byte
	key := v
	if t != UserAgent {
		b, ok := lowerTrim(buf[:0], v)
		if !ok {
			return dst
		}
		es, found := m[string(b)]
		if !found {
			return dst
		}
		if len(s.allowKeys) > 0 {
			if _, allowed := s.allowKeys[allowKey(t, string(b))]; allowed {
				return dst
			}
		}
		return appendHits(dst, es, field, v)
	}
	es, found := m[key]
	if !found {
		return dst
	}
	if len(s.allowKeys) > 0 {
		if _, allowed := s.allowKeys[allowKey(t, key)]; allowed {
			return dst
		}
	}
	return appendHits(dst, es, field, v)
}

// matchFingerprint matches Suricata's "aa:bb:..." SHA-1 against cert-sha1
// and file-sha1 indicators.
func (s *Set) matchFingerprint(dst []Hit, fp, field string) []Hit {
	if fp == "" || len(s.exact[exCert]) == 0 && len(s.exact[exSHA1]) == 0 {
		return dst
	}
	var buf [40]byte
	b, ok := hexDigits(buf[:0], fp)
	if !ok || len(b) != 40 {
		return dst
	}
	if len(s.allowKeys) > 0 {
		if _, allowed := s.allowKeys[allowKey(CertSHA1, string(b))]; allowed {
			return dst
		}
	}
	if es, ok := s.exact[exCert][string(b)]; ok {
		dst = appendHits(dst, es, field, fp)
	}
	if es, ok := s.exact[exSHA1][string(b)]; ok {
		dst = appendHits(dst, es, field, fp)
	}
	return dst
}

func (s *Set) matchURL(dst []Hit, h *event.HTTP, field string) []Hit {
	u := h.URL
	if u == "" {
		return dst
	}
	// CONNECT host:port (and any request target that is not a path or an
	// absolute URI) names a host.
	if u[0] != '/' && !strings.Contains(u, "://") {
		if host, _, ok := splitHostPort(u); ok {
			dst = s.matchHostAs(dst, host, field, u)
		}
		return dst
	}
	if len(s.urls) == 0 {
		return dst
	}
	var buf [1024]byte
	key, qs, ok := observedURLKey(buf[:0], h.Hostname, u)
	if !ok {
		return dst
	}
	es, found := s.urls[string(key)]
	if !found && qs >= 0 {
		key = key[:qs]
		es, found = s.urls[string(key)]
	}
	if !found {
		return dst
	}
	if len(s.allowKeys) > 0 {
		if _, allowed := s.allowKeys[allowKey(URL, string(key))]; allowed {
			return dst
		}
	}
	return appendHits(dst, es, field, u)
}

// ipLiteral strips brackets and reports whether s could be an address
// (only then is it parsed: a failed netip.ParseAddr allocates its error).
func ipLiteral(s string) (string, bool) {
	if strings.HasPrefix(s, "[") {
		s = strings.TrimSuffix(s[1:], "]")
	}
	if strings.IndexByte(s, ':') >= 0 {
		return s, true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return s, false
		}
	}
	return s, s != ""
}

func indexDot(b []byte) int {
	for i, c := range b {
		if c == '.' {
			return i
		}
	}
	return -1
}
