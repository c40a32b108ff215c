// Package reflist holds nethunt's reference lists: the context that turns a
// name, an address or a port into evidence for proxy, tunnel, CDN and Tor
// hunts (MITRE ATT&CK T1090, T1572).
//
//   - CDN address ranges and CDN hostname suffixes (domain fronting, CDN
//     baselines),
//   - tunnelling services (ngrok, Cloudflare Tunnel, localtunnel, ...),
//   - dynamic-DNS suffixes, Tor2web gateways and .onion names,
//   - free / automated certificate authorities (issuer DN rules),
//   - Tor relay addresses (from a user-supplied list only),
//   - proxy and Tor ports.
//
// Defaults are compiled in (the files under builtin/, embedded). The CDN
// ranges are a representative SAMPLE of each vendor's published ranges and
// must be refreshed from the vendors' lists; see docs/enrichment.md. Load
// reads the same file formats from a directory and overrides or extends the
// defaults.
//
// A *Lists is immutable once built and safe for concurrent use. Host lookups
// match on label boundaries ("evilngrok.io" does not match "ngrok.io"), are
// case-insensitive, tolerate a trailing dot and do not allocate.
package reflist

import (
	"embed"
	"fmt"
	"io/fs"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/gaissmai/bart"
)

//go:embed builtin
var builtinFS embed.FS

// File names inside a reference-list directory (and inside builtin/).
const (
	FileCDNDir       = "cdn" // directory of <provider>.txt CIDR lists
	FileCDNSuffixes  = "cdn-suffixes.txt"
	FileTunnels      = "tunnels.txt"
	FileDynDNS       = "dyndns.txt"
	FileTorNames     = "tor-names.txt"
	FileFreeCA       = "free-ca.txt"
	FileProxyPorts   = "proxy-ports.txt"
	FileTorRelays    = "tor-relays.txt" // optional, in the directory only
	maxHostLen       = 253
	proxyRangeLabel  = "proxy-range"
	defaultTorSource = "builtin (none)"
)

// Lists is one immutable set of reference lists.
type Lists struct {
	cdnNets    *bart.Table[string]
	cdnCount   map[string]int // provider -> prefixes
	cdnSuffix  suffixSet
	tunnels    suffixSet
	dyndns     suffixSet
	torNames   suffixSet
	freeCA     []caRule
	tor        *bart.Lite
	torCount   int
	torSource  string
	ports      map[uint16]string
	portRanges []portRange
}

type portRange struct {
	lo, hi uint16
	label  string
}

// Stats summarises a Lists for start-up logs.
type Stats struct {
	CDNPrefixes  map[string]int // per provider
	CDNSuffixes  int
	Tunnels      int
	DynDNS       int
	TorNames     int
	FreeCARules  int
	TorRelays    int
	TorSource    string
	ProxyPorts   int
	ProxyRanges  int
	CDNProviders []string
}

// Stats returns entry counts.
func (l *Lists) Stats() Stats {
	s := Stats{
		CDNPrefixes: map[string]int{},
		CDNSuffixes: len(l.cdnSuffix), Tunnels: len(l.tunnels), DynDNS: len(l.dyndns),
		TorNames: len(l.torNames), FreeCARules: len(l.freeCA), TorRelays: l.torCount,
		TorSource: l.torSource, ProxyPorts: len(l.ports), ProxyRanges: len(l.portRanges),
	}
	for p, n := range l.cdnCount {
		s.CDNPrefixes[p] = n
		s.CDNProviders = append(s.CDNProviders, p)
	}
	sort.Strings(s.CDNProviders)
	return s
}

// IsCDN reports whether addr is inside a known CDN range and which provider.
func (l *Lists) IsCDN(addr netip.Addr) (provider string, ok bool) {
	if !addr.IsValid() {
		return "", false
	}
	return l.cdnNets.Lookup(addr.Unmap())
}

// CDNSuffix reports whether host is under a CDN hostname suffix (typically a
// CNAME target such as d111.cloudfront.net) and which provider.
func (l *Lists) CDNSuffix(host string) (provider string, ok bool) {
	return l.cdnSuffix.match(host)
}

// TunnelService reports whether host belongs to a tunnelling service
// (ngrok, trycloudflare.com, localtunnel, ...) and which one.
func (l *Lists) TunnelService(host string) (service string, ok bool) {
	return l.tunnels.match(host)
}

// DynDNS reports whether host is under a dynamic-DNS provider's suffix.
func (l *Lists) DynDNS(host string) bool {
	_, ok := l.dyndns.match(host)
	return ok
}

// DynDNSProvider is DynDNS that also names the provider.
func (l *Lists) DynDNSProvider(host string) (provider string, ok bool) {
	return l.dyndns.match(host)
}

// TorName reports Tor-related names: "onion" for *.onion (an onion address
// leaking to DNS or a proxy) and "tor2web" for onion-gateway domains.
func (l *Lists) TorName(host string) (kind string, ok bool) {
	h := trimDot(host)
	if len(h) > 6 && strings.EqualFold(h[len(h)-6:], ".onion") {
		return "onion", true
	}
	return l.torNames.match(host)
}

// IsTor reports whether addr is a Tor relay according to the relay list
// loaded with WithTorRelays or from tor-relays.txt (none by default).
func (l *Lists) IsTor(addr netip.Addr) bool {
	if l.tor == nil || !addr.IsValid() {
		return false
	}
	return l.tor.Lookup(addr.Unmap())
}

// ProxyPort labels ports commonly used by proxies and Tor ("socks",
// "squid", "tor-orport", ...). Ports 8000–8999 without a label of their own
// are reported as "proxy-range".
func (l *Lists) ProxyPort(port uint16) (label string, ok bool) {
	if s, ok := l.ports[port]; ok {
		return s, true
	}
	for _, r := range l.portRanges {
		if port >= r.lo && port <= r.hi {
			return r.label, true
		}
	}
	return "", false
}

// FreeCA reports whether a certificate issuer DN (Suricata's tls.issuerdn,
// "C=US, O=Let's Encrypt, CN=R11") belongs to a free / automated CA and
// returns its label ("letsencrypt", "zerossl", "buypass", ...).
func (l *Lists) FreeCA(issuerDN string) (ca string, ok bool) {
	if issuerDN == "" {
		return "", false
	}
	var buf [16]attrValue
	dn := buf[:0]
	for a, v := range DN(issuerDN) {
		if len(dn) == len(buf) {
			break
		}
		dn = append(dn, attrValue{a, v})
	}
	for i := range l.freeCA {
		if l.freeCA[i].match(dn) {
			return l.freeCA[i].label, true
		}
	}
	return "", false
}

var defaultLists = sync.OnceValues(func() (*Lists, error) {
	b := newBuilder()
	sub, err := fs.Sub(builtinFS, "builtin")
	if err != nil {
		return nil, err
	}
	if err := b.loadFS(sub, "builtin/"); err != nil {
		return nil, err
	}
	return b.build(), nil
})

// Default returns the compiled-in lists (shared, immutable).
func Default() *Lists {
	l, err := defaultLists()
	if err != nil {
		// The embedded files are checked by the tests; this cannot happen in a
		// released binary.
		panic("reflist: bad built-in list: " + err.Error())
	}
	return l
}

// WithTorRelays returns a copy of l whose Tor relay set is read from path
// (replacing any previous set). Accepted formats are described at
// ParseTorRelays. The other lists are shared with l.
func (l *Lists) WithTorRelays(path string) (*Lists, error) {
	set, n, err := readTorFile(path)
	if err != nil {
		return nil, err
	}
	c := *l
	c.tor, c.torCount, c.torSource = set, n, path
	return &c, nil
}

// LoadWith is Load(dir) followed by WithTorRelays(torRelays) when
// torRelays is not "": everything the reflists_dir and tor_relays settings
// describe, in one call (call it again on SIGHUP and swap the result).
func LoadWith(dir, torRelays string) (*Lists, error) {
	l, err := Load(dir)
	if err != nil || torRelays == "" {
		return l, err
	}
	return l.WithTorRelays(torRelays)
}

func (b *builder) build() *Lists {
	l := &Lists{
		cdnNets:   new(bart.Table[string]),
		cdnCount:  map[string]int{},
		cdnSuffix: b.cdnSuffix, tunnels: b.tunnels, dyndns: b.dyndns, torNames: b.torNames,
		freeCA: b.freeCA, ports: b.ports, tor: b.tor, torCount: b.torCount, torSource: b.torSource,
	}
	providers := make([]string, 0, len(b.cdn))
	for p := range b.cdn {
		providers = append(providers, p)
	}
	sort.Strings(providers) // deterministic on overlaps: later provider wins
	for _, p := range providers {
		for _, pfx := range b.cdn[p] {
			l.cdnNets.Insert(pfx, p)
		}
		l.cdnCount[p] = len(b.cdn[p])
	}
	for _, r := range b.ranges {
		l.portRanges = append(l.portRanges, r)
	}
	if l.torSource == "" {
		l.torSource = defaultTorSource
	}
	return l
}

// String describes where the lists came from, for logs.
func (l *Lists) String() string {
	s := l.Stats()
	n := 0
	for _, c := range s.CDNPrefixes {
		n += c
	}
	return fmt.Sprintf("reflist: %d CDN prefixes (%s), %d CDN suffixes, %d tunnel suffixes, %d dyndns suffixes, %d tor2web names, %d free-CA rules, %d proxy ports + %d ranges, %d Tor relays (%s)",
		n, strings.Join(s.CDNProviders, ","), s.CDNSuffixes, s.Tunnels, s.DynDNS, s.TorNames, s.FreeCARules, s.ProxyPorts, s.ProxyRanges, s.TorRelays, s.TorSource)
}
