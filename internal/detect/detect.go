// Package detect is nethunt's rogue-proxy and MITRE ATT&CK T1090 detection
// stage: it watches the event stream and raises findings (events of
// event_type "finding", see event.Finding) for
//
//   - unapproved HTTP(S) proxies, internal (T1090.001) and external
//     (T1090.002), from CONNECT / absolute-URI / 407 / Proxy-* evidence;
//   - proxy-port and SOCKS use towards the Internet;
//   - Tor and tunnelling services (relay lists, Tor link certificates,
//     directory fetches, .onion / Tor2web names, ngrok-style names);
//   - domain fronting (T1090.004): SNI vs Host on one flow, Host vs the
//     name the client resolved, CONNECT target vs SNI;
//   - proxy chains (T1090.003): a proxy that relays to another proxy, from
//     request forms, Via / X-Forwarded-For and flows paired by timing and
//     volume, with the hop count;
//   - unusual use of CDN infrastructure against the host's own baseline;
//   - new external destinations on proxy-like services (from sightings);
//   - threat-intelligence matches.
//
// Every finding carries an escalate / review decision following the
// playbook (escalate on a confirmed threat-intel match, on the same
// behaviour across several hosts, or on obfuscation: fronting, chaining,
// Tor), a score and each reason that made it ("+40 ..."), the hosts
// involved and references of the evidence events. One (detector, subject)
// pair has one stable finding id; the finding is re-emitted with that id
// when its decision changes, or at most once per Options.ReEmitEvery while
// evidence keeps coming.
//
// The stage runs inside the ingest pipeline (ingest.Stage, one goroutine).
// Its state is bounded (two-generation tables with caps, see state.go and
// Stats) and snapshotted (Snapshot); Process is deterministic for a given
// event sequence, so a snapshot plus a replay of the stored batches after
// it rebuilds the same state. docs/detections.md documents each detector:
// what it looks at, its thresholds and its known false positives.
package detect

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/hosts"
	"github.com/nethunt/nethunt/internal/reflist"
)

// Detector names (finding.detector).
const (
	DetProxy     = "unapproved_http_proxy"
	DetPortUse   = "proxy_port"
	DetTor       = "tor"
	DetTunnel    = "tunnel_service"
	DetFronting  = "domain_fronting"
	DetChain     = "proxy_chain"
	DetCDN       = "cdn_anomaly"
	DetNewDest   = "new_destination"
	DetIntel     = "intel"
	DetVirtHosts = "many_host_names"
)

// Finding kinds (finding.kind).
const (
	KindInternalProxy  = "internal_proxy"
	KindExternalProxy  = "external_proxy"
	KindSOCKS          = "socks_proxy"
	KindTor            = "tor"
	KindTunnel         = "tunnel_service"
	KindFronting       = "domain_fronting"
	KindChain          = "proxy_chain"
	KindCDN            = "cdn_abuse"
	KindNewDest        = "new_destination"
	KindIntel          = "intel_match"
	KindPossibleRelay  = "possible_proxy"
	techProxy          = "T1090"
	techInternal       = "T1090.001"
	techExternal       = "T1090.002"
	techMultiHop       = "T1090.003"
	techFronting       = "T1090.004"
	defaultReEmitEvery = time.Hour
	defaultSeveral     = 3
	defaultMaxSubjects = 10000
	defaultIntelConf   = 70
)

// Options configure the stage.
type Options struct {
	// StatePath is the snapshot file; "" keeps state in memory only. When
	// the file exists New loads it and Seq reports the batch it covers.
	StatePath string
	// Hosts, when set, is Host Insights (updated by the hosts stage before
	// this one); it only adds host names and roles to explanations and
	// never changes the state or the decisions.
	Hosts *hosts.Table
	// HomeNets are the internal networks; empty means the private,
	// loopback and link-local ranges.
	HomeNets []netip.Prefix
	// ApprovedProxies are never reported as unapproved proxies and are not
	// taken for chain pivots (port 0 approves every port of the address).
	ApprovedProxies []hosts.ApprovedProxy
	// Allow lists addresses, CIDRs and domains (a domain covers its
	// subdomains) never reported as destinations, proxies or fronts.
	Allow []string
	// Deny lists addresses, CIDRs and domains that make any finding
	// touching them escalate (a local, confirmed indicator).
	Deny []string
	// Lists are the reference lists (CDN ranges, tunnels, Tor, proxy
	// ports); nil means reflist.Default(). SetLists swaps them at run time.
	Lists *reflist.Lists
	// ReEmitEvery bounds how often an unchanged finding is emitted again
	// with updated counts (default 1h of event time).
	ReEmitEvery time.Duration
	// SeveralHosts is how many distinct internal hosts showing the same
	// behaviour make "several hosts" (default 3).
	SeveralHosts int
	// SOCKSPorts are the ports on which unrecognised TCP counts as SOCKS;
	// nil means hosts.DefaultSOCKSPorts.
	SOCKSPorts []int
	// MaxSubjects caps each detector's table (default 10000 subjects).
	MaxSubjects int
	// IntelConfirmed is the indicator confidence (0-100) from which a
	// threat-intel match escalates (default 70; 0 in a feed means unknown).
	IntelConfirmed int
	// Disabled lists detector names (Det* constants) to switch off.
	Disabled []string
}

// Stage is the detection stage. Process and Snapshot must be called from
// one goroutine (the ingest stage goroutine); Stats and SetLists are safe
// from any goroutine.
type Stage struct {
	opt     Options
	lists   atomic.Pointer[reflist.Lists]
	allow   matcher
	deny    matcher
	socks   [65536 / 64]uint64
	off     map[string]bool
	st      *state
	seq     int64
	out     []*event.Event
	stats   counters
	shared  atomic.Pointer[Stats]
	caCache map[string]string
	caLists *reflist.Lists
}

type counters struct {
	Events  uint64
	Emitted uint64
}

// New builds the stage, loading the snapshot at opt.StatePath when it
// exists.
func New(opt Options) (*Stage, error) {
	if opt.ReEmitEvery <= 0 {
		opt.ReEmitEvery = defaultReEmitEvery
	}
	if opt.SeveralHosts <= 1 {
		opt.SeveralHosts = defaultSeveral
	}
	if opt.MaxSubjects <= 0 {
		opt.MaxSubjects = defaultMaxSubjects
	}
	if opt.IntelConfirmed <= 0 {
		opt.IntelConfirmed = defaultIntelConf
	}
	s := &Stage{opt: opt, off: map[string]bool{}}
	l := opt.Lists
	if l == nil {
		l = reflist.Default()
	}
	s.lists.Store(l)
	var err error
	if s.allow, err = newMatcher(opt.Allow); err != nil {
		return nil, fmt.Errorf("allow list: %w", err)
	}
	if s.deny, err = newMatcher(opt.Deny); err != nil {
		return nil, fmt.Errorf("deny list: %w", err)
	}
	ports := opt.SOCKSPorts
	if ports == nil {
		ports = hosts.DefaultSOCKSPorts
	}
	for _, p := range ports {
		if p > 0 && p < 65536 {
			s.socks[p/64] |= 1 << (p % 64)
		}
	}
	for _, d := range opt.Disabled {
		if !slices.Contains(detectorNames, d) {
			return nil, fmt.Errorf("unknown detector %q (known: %s)", d, strings.Join(detectorNames, ", "))
		}
		s.off[d] = true
	}
	s.st = newState(opt.MaxSubjects)
	if opt.StatePath != "" {
		seq, st, err := loadState(opt.StatePath, opt.MaxSubjects)
		switch {
		case errors.Is(err, errNoState):
		case err != nil:
			return nil, err
		default:
			s.st, s.seq = st, seq
		}
	}
	s.publish()
	return s, nil
}

var detectorNames = []string{DetProxy, DetPortUse, DetTor, DetTunnel, DetFronting, DetChain, DetCDN, DetNewDest, DetIntel, DetVirtHosts}

// Seq is the store batch sequence the loaded snapshot covers (0 = none):
// the caller replays the batches after it.
func (s *Stage) Seq() int64 { return s.seq }

// SetLists swaps the reference lists (after a reload); nil restores the
// built-in lists.
func (s *Stage) SetLists(l *reflist.Lists) {
	if l == nil {
		l = reflist.Default()
	}
	s.lists.Store(l)
}

func (s *Stage) lst() *reflist.Lists { return s.lists.Load() }

// Process implements ingest.Stage: it observes every event of the batch in
// order and returns the finding events raised (or re-raised) by it.
// Finding events in the batch (a replay of stored batches contains them)
// are ignored; sighting events feed the new-destination detector.
func (s *Stage) Process(batch []*event.Event) []*event.Event {
	s.out = nil
	for _, ev := range batch {
		s.observe(ev)
	}
	s.stats.Events += uint64(len(batch))
	s.publish()
	out := s.out
	s.out = nil
	return out
}

func (s *Stage) observe(ev *event.Event) {
	switch ev.EventType {
	case EventType:
		return
	case "flow":
		if ev.Flow != nil {
			s.onFlow(ev)
		}
	case "http":
		if ev.HTTP != nil {
			s.onHTTP(ev)
		}
	case "tls":
		if ev.TLS != nil {
			s.onTLS(ev)
		}
	case "dns":
		if ev.DNS != nil {
			s.onDNS(ev)
		}
	case "quic":
		if ev.QUIC != nil && ev.QUIC.SNI != "" {
			s.onName(ev, ev.SrcIP, ev.DestIP, ev.QUIC.SNI, "quic.sni")
		}
	case "alert":
		if ev.Alert != nil {
			s.onAlert(ev)
		}
	case "sighting":
		if ev.Sighting != nil {
			s.onSighting(ev)
		}
	}
	if len(ev.Enrich.Intel) > 0 {
		s.onIntel(ev)
	}
}

// ---- shared helpers ------------------------------------------------------

// internal reports whether a is in the home networks.
func (s *Stage) internal(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	if len(s.opt.HomeNets) == 0 {
		return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast()
	}
	for _, p := range s.opt.HomeNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// approved reports whether ip:port is an approved proxy.
func (s *Stage) approved(a netip.Addr, port int64) bool {
	a = a.Unmap()
	for _, p := range s.opt.ApprovedProxies {
		if p.Addr.Unmap() == a && (p.Port == 0 || int64(p.Port) == port) {
			return true
		}
	}
	return false
}

func (s *Stage) approvedHost(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.opt.ApprovedProxies {
		if p.Addr.Unmap() == a {
			return true
		}
	}
	return false
}

func (s *Stage) isSOCKSPort(p int64) bool {
	return p > 0 && p < 65536 && s.socks[p/64]&(1<<(p%64)) != 0
}

// allowedAddr / allowedName: the allow list covers it.
func (s *Stage) allowedAddr(a netip.Addr) bool { return s.allow.addr(a) }
func (s *Stage) allowedName(n string) bool     { return s.allow.name(n) }

// denied reports whether an address or name string is on the deny list.
func (s *Stage) denied(v string) bool {
	if a, err := netip.ParseAddr(v); err == nil {
		return s.deny.addr(a)
	}
	return s.deny.name(v)
}

func (s *Stage) enabled(det string) bool { return !s.off[det] }

// clientServer returns the client and server of an event: flow and
// app-layer records are logged client to server; alerts follow the packet,
// so their flow object (or direction) decides; DNS clients are the side
// that is not port 53.
func clientServer(ev *event.Event) (cli, srv netip.Addr, cport, sport int64) {
	cli, srv, cport, sport = ev.SrcIP, ev.DestIP, ev.SrcPort, ev.DestPort
	switch ev.EventType {
	case "dns":
		if ev.SrcPort == 53 && ev.DestPort != 53 {
			return ev.DestIP, ev.SrcIP, ev.DestPort, ev.SrcPort
		}
	case "alert":
		if f := ev.Flow; f != nil && f.SrcIP != "" {
			if f.SrcIP == ev.DestIPStr && f.DestIP == ev.SrcIPStr {
				return ev.DestIP, ev.SrcIP, ev.DestPort, ev.SrcPort
			}
			return
		}
		if ev.Direction == "to_client" {
			return ev.DestIP, ev.SrcIP, ev.DestPort, ev.SrcPort
		}
		if ev.SrcPort > 0 && ev.DestPort > 0 && ev.SrcPort < 1024 && ev.DestPort >= 1024 {
			return ev.DestIP, ev.SrcIP, ev.DestPort, ev.SrcPort
		}
	}
	return
}

// hostLabel names an address for explanations: "10.0.0.5 (ENG-WS01)" when
// Host Insights knows a name.
func (s *Stage) hostLabel(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	str := a.String()
	if s.opt.Hosts == nil {
		return str
	}
	if c, ok := s.opt.Hosts.Get(a); ok && len(c.Names.Hostnames.Values) > 0 {
		return str + " (" + c.Names.Hostnames.Values[0].Value + ")"
	}
	return str
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func hasPrefixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
}

// containsFold reports whether s contains sub (ASCII, sub lower-case).
func containsFold(s, sub string) bool {
	n, m := len(s), len(sub)
	if m == 0 {
		return true
	}
	for i := 0; i+m <= n; i++ {
		j := 0
		for ; j < m; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == m {
			return true
		}
	}
	return false
}

// stripPort removes a trailing ":port" from a Host value or CONNECT target.
func stripPort(h string) string {
	if h == "" {
		return h
	}
	if h[0] == '[' {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[1:i]
		}
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i > 0 && strings.IndexByte(h, ':') == i {
		return h[:i]
	}
	return h
}

func isIPLiteral(h string) bool {
	if h == "" {
		return false
	}
	c := h[len(h)-1]
	if strings.IndexByte(h, ':') < 0 && (c < '0' || c > '9') {
		return false
	}
	_, err := netip.ParseAddr(h)
	return err == nil
}
