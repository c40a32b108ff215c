package hosts

import (
	"fmt"
	"github.com/nethunt/nethunt/internal/human"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Count is a distinct count that is exact up to a cap and estimated past it.
type Count struct {
	N     int64 `json:"n"`
	Exact bool  `json:"exact"`
}

func countOf(d *distinct) Count {
	n, exact := d.count()
	return Count{N: n, Exact: exact}
}

// Card is a self-contained snapshot of one host (a copy: safe to keep and
// to serialise after the table changed).
type Card struct {
	IP        string    `json:"ip"`
	Internal  bool      `json:"internal"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Events    int64     `json:"events"`
	Country   string    `json:"country,omitempty"`
	ASN       string    `json:"asn,omitempty"`
	Groups    ValueList `json:"groups"`
	Tags      ValueList `json:"tags"`
	Sensors   ValueList `json:"sensors"`
	VLANs     []int64   `json:"vlans,omitempty"`
	MACs      ValueList `json:"macs"`

	Roles []Role `json:"roles"`
	// Approved: the host is an approved proxy (Options.Approved covers it).
	Approved bool `json:"approved"`

	Services        []Service `json:"services"`
	ServicesDropped int64     `json:"services_dropped,omitempty"`

	Names        Names        `json:"names"`
	Users        Users        `json:"users"`
	Fingerprints Fingerprints `json:"fingerprints"`
	Client       Client       `json:"client"`
	Traffic      Traffic      `json:"traffic"`
	Alerts       Alerts       `json:"alerts"`
	Other        Other        `json:"other"`

	// Counts has the number of values of every list attribute, under the
	// names of the host.*_count query fields.
	Counts map[string]int64 `json:"counts"`
}

// Service is one (proto, port) the host answers on.
type Service struct {
	Proto string `json:"proto"`
	Port  int    `json:"port"`
	// AppProto is the first application protocol that is not "unknown".
	AppProto        string    `json:"app_proto"`
	AppProtos       ValueList `json:"app_protos"`
	FirstSeen       time.Time `json:"first_seen"`
	LastSeen        time.Time `json:"last_seen"`
	Flows           int64     `json:"flows"`
	BytesIn         int64     `json:"bytes_in"`
	BytesOut        int64     `json:"bytes_out"`
	Clients         Count     `json:"clients"`
	Names           ValueList `json:"names"` // SNI / Host asked of it
	HTTPServers     ValueList `json:"http_servers"`
	TLSSubjects     ValueList `json:"tls_subjects"`
	TLSIssuers      ValueList `json:"tls_issuers"`
	TLSFingerprints ValueList `json:"tls_fingerprints"`
	TLSNotBefore    string    `json:"tls_notbefore,omitempty"`
	TLSNotAfter     string    `json:"tls_notafter,omitempty"`
	JA3S            ValueList `json:"ja3s"`
	SSHSoftware     ValueList `json:"ssh_software"`
	HASSH           ValueList `json:"hassh"`
}

// Names are the host's names.
type Names struct {
	Hostnames ValueList `json:"hostnames"`
	Domains   ValueList `json:"domains"`
}

// Users are identities seen on the host as a client.
type Users struct {
	Usernames ValueList `json:"usernames"`
	MailFrom  ValueList `json:"mail_from"`
}

// Fingerprints of the host's client and server software.
type Fingerprints struct {
	UserAgents ValueList `json:"user_agents"`
	JA3        ValueList `json:"ja3"`
	JA4        ValueList `json:"ja4"`
	JA3S       ValueList `json:"ja3s"`
	SSHClient  ValueList `json:"ssh_client"`
	HASSH      ValueList `json:"hassh"`
	DHCPVendor ValueList `json:"dhcp_vendor"`
}

// Client is what the host does as a client.
type Client struct {
	Protocols   ValueList `json:"protocols"`
	Ports       ValueList `json:"ports"`
	DNSQueries  ValueList `json:"dns_queries"`
	HTTPHosts   ValueList `json:"http_hosts"`
	TLSSNI      ValueList `json:"tls_sni"`
	TLSVersions ValueList `json:"tls_versions"`
	SMBShares   ValueList `json:"smb_shares"`
	KrbServices ValueList `json:"krb5_services"`
	Helo        ValueList `json:"smtp_helo"`
	HTTPReqs    int64     `json:"http_requests"`
	DNSReqs     int64     `json:"dns_requests"`
	KrbWeak     int64     `json:"krb5_weak_tickets"`
}

// Traffic is the host's volume from flow records.
type Traffic struct {
	FlowsOut   int64     `json:"flows_out"` // as client
	FlowsIn    int64     `json:"flows_in"`  // as server (answered)
	BytesOut   int64     `json:"bytes_out"` // sent, both roles
	BytesIn    int64     `json:"bytes_in"`
	PktsOut    int64     `json:"pkts_out"`
	PktsIn     int64     `json:"pkts_in"`
	Unanswered int64     `json:"unanswered"` // client flows without a packet back
	Clients    Count     `json:"clients"`    // distinct clients served
	Servers    Count     `json:"servers"`    // distinct servers contacted
	Countries  ValueList `json:"countries"`  // of the servers contacted (Options.Geo)
	ASNs       ValueList `json:"asns"`
	FilesSent  int64     `json:"files_sent"`
	FilesRecv  int64     `json:"files_received"`
}

// Alerts involving the host.
type Alerts struct {
	Total      int64            `json:"total"`
	AsSource   int64            `json:"as_source"`
	AsTarget   int64            `json:"as_target"`
	BySeverity map[string]int64 `json:"by_severity"`
	Signatures ValueList        `json:"signatures"`
	Categories ValueList        `json:"categories"`
	MITRE      ValueList        `json:"mitre_techniques"`
	LastSeen   time.Time        `json:"last_seen"`
}

// Other attributes.
type Other struct {
	Anomalies     int64     `json:"anomalies"`
	AnomalyTypes  ValueList `json:"anomaly_types"`
	HTTPStatus    ValueList `json:"http_status_served"`
	ProxyTargets  ValueList `json:"proxy_targets"`
	Forwarded     ValueList `json:"forwarded_names"`
	XFF           ValueList `json:"xff_sent"`
	Flowbits      ValueList `json:"flowbits"`
	ProxyPorts    []int     `json:"proxy_ports,omitempty"`
	EvidenceKinds []string  `json:"evidence,omitempty"`
}

// Get returns the card of the host at ip.
func (t *Table) Get(ip netip.Addr) (Card, bool) {
	t.settle()
	t.mu.RLock()
	defer t.mu.RUnlock()
	h := t.lookupRO(normAddr(ip))
	if h == nil {
		return Card{}, false
	}
	return h.Card(), true
}

// Roles returns the roles of the host at ip (nil when it has none) without
// building a card: cheap enough to call per event (sightings' asset roles).
func (t *Table) Roles(ip netip.Addr) ([]string, bool) {
	t.settle()
	t.mu.RLock()
	defer t.mu.RUnlock()
	h := t.lookupRO(normAddr(ip))
	if h == nil {
		return nil, false
	}
	return h.roles.names(), true
}

// Card copies the host into a Card.
func (h *Host) Card() Card {
	c := Card{
		IP: h.ip.String(), Internal: h.internal, FirstSeen: ts(h.first), LastSeen: ts(h.last), Events: int64(h.nEvents()),
		Country: h.country, ASN: h.asLabel,
		Groups: h.groups.list(false, nil), Tags: h.tags.list(false, nil), Sensors: h.sensors.list(false, nil),
		VLANs: slices.Clone(h.vlans), MACs: h.macs.list(false, nil),
		Roles: h.roleCards(), Approved: h.approved,
		Names: Names{Hostnames: h.hostnames.list(false, nameSrcNames), Domains: h.domains.list(false, nil)},
		Users: Users{Usernames: h.usernames.list(false, nil)},
	}
	c.Other.Anomalies = int64(h.anomalies)
	c.Other.AnomalyTypes = h.anomalyType.list(true, nil)
	c.Other.Flowbits = h.flowbits.list(false, nil)
	c.Traffic.FilesSent, c.Traffic.FilesRecv = int64(h.filesSent), int64(h.filesRecv)
	if cs := h.cli; cs != nil {
		c.Users.MailFrom = cs.mailFrom.list(true, nil)
		c.Fingerprints = Fingerprints{
			UserAgents: cs.userAgents.list(false, nil), JA3: cs.ja3.list(false, nil), JA4: cs.ja4.list(false, nil),
			SSHClient: cs.sshClient.list(false, nil), HASSH: cs.hassh.list(false, nil), DHCPVendor: cs.dhcpVendor.list(false, nil),
		}
		c.Client = Client{
			Protocols: cs.protos.list(false, nil), Ports: cs.ports.list(true, nil), DNSQueries: cs.dnsQueries.list(true, nil),
			HTTPHosts: cs.httpHosts.list(true, nil), TLSSNI: cs.sni.list(true, nil), TLSVersions: cs.tlsVersions.list(false, nil),
			SMBShares: cs.smbShares.list(true, nil), KrbServices: cs.krbServices.list(true, nil), Helo: cs.helo.list(false, nil),
			HTTPReqs: int64(cs.httpReqs), DNSReqs: int64(cs.dnsReqs), KrbWeak: int64(cs.krbWeak),
		}
		c.Traffic.FlowsOut = int64(cs.flows)
		c.Traffic.BytesOut += int64(cs.bytesOut)
		c.Traffic.BytesIn += int64(cs.bytesIn)
		c.Traffic.PktsOut += int64(cs.pktsOut)
		c.Traffic.PktsIn += int64(cs.pktsIn)
		c.Traffic.Unanswered = int64(cs.unanswered)
		c.Traffic.Servers = countOf(&cs.servers)
		c.Traffic.Countries = cs.countries.list(false, nil)
		c.Traffic.ASNs = cs.asns.list(false, nil)
	} else {
		c.Traffic.Servers = Count{Exact: true}
	}
	c.Traffic.Clients = Count{Exact: true}
	if ss := h.srv; ss != nil {
		c.Fingerprints.JA3S = ss.ja3s.list(false, nil)
		c.Traffic.FlowsIn = int64(ss.flows)
		c.Traffic.BytesOut += int64(ss.bytesOut)
		c.Traffic.BytesIn += int64(ss.bytesIn)
		c.Traffic.PktsOut += int64(ss.pktsOut)
		c.Traffic.PktsIn += int64(ss.pktsIn)
		c.Traffic.Clients = countOf(&ss.clients)
		c.ServicesDropped = int64(ss.servicesDropped)
		for i := range ss.services {
			c.Services = append(c.Services, ss.services[i].card())
		}
		slices.SortFunc(c.Services, func(a, b Service) int {
			if a.Port != b.Port {
				return a.Port - b.Port
			}
			return strings.Compare(a.Proto, b.Proto)
		})
		c.Other.HTTPStatus = ss.httpStatus.list(false, nil)
		c.Other.ProxyTargets = ss.proxyTargets.list(true, nil)
		c.Other.Forwarded = ss.forwarded.list(false, nil)
		c.Other.XFF = ss.xff.list(false, nil)
		for _, p := range ss.proxyPorts {
			c.Other.ProxyPorts = append(c.Other.ProxyPorts, int(p))
		}
		slices.Sort(c.Other.ProxyPorts)
		for _, e := range ss.evid {
			c.Other.EvidenceKinds = append(c.Other.EvidenceKinds, evInfos[e.kind].name)
		}
		slices.Sort(c.Other.EvidenceKinds)
	}
	c.Alerts.BySeverity = map[string]int64{}
	if a := h.al; a != nil {
		c.Alerts.Total, c.Alerts.AsSource, c.Alerts.AsTarget = int64(a.total), int64(a.asSrc), int64(a.asDst)
		for i, n := range a.bySev {
			if n > 0 {
				k := strconv.Itoa(i)
				if i == 0 {
					k = "other"
				}
				c.Alerts.BySeverity[k] = int64(n)
			}
		}
		c.Alerts.Signatures = a.signatures.listIDs(true, nil, a.sids)
		c.Alerts.Categories = a.categories.list(false, nil)
		c.Alerts.MITRE = a.mitre.list(false, nil)
		c.Alerts.LastSeen = ts(a.last)
	}
	c.Counts = h.counts()
	return c
}

func (sv *service) card() Service {
	d := sv.detail()
	s := Service{
		Proto: protoNames[sv.proto], Port: int(sv.port), AppProto: sv.appProto(), AppProtos: sv.apps.list(false, nil),
		FirstSeen: ts(sv.first), LastSeen: ts(sv.last), Flows: int64(sv.flows),
		BytesIn: int64(sv.bytesIn), BytesOut: int64(sv.bytesOut), Clients: countOf(&sv.clients),
		Names: d.names.list(false, nil), HTTPServers: d.httpServer.list(false, nil),
		TLSSubjects: d.tlsSubject.list(false, nil), TLSIssuers: d.tlsIssuer.list(false, nil), TLSFingerprints: d.tlsFP.list(false, nil),
		TLSNotBefore: d.tlsNotBefor, TLSNotAfter: d.tlsNotAfter,
		JA3S: d.ja3s.list(false, nil), SSHSoftware: d.sshSoftware.list(false, nil), HASSH: d.hassh.list(false, nil),
	}
	return s
}

// appProto is the service's first application protocol that is not
// "unknown" (the Stamus display rule), else "unknown".
func (sv *service) appProto() string {
	for i := range sv.apps.ents {
		if a := sv.apps.ents[i].v; a != "unknown" {
			return a
		}
	}
	if len(sv.apps.ents) > 0 {
		return sv.apps.ents[0].v
	}
	return ""
}

// ---- summaries -----------------------------------------------------------

// Summary is one row of a hosts table.
type Summary struct {
	IP        string    `json:"ip"`
	Internal  bool      `json:"internal"`
	Hostname  string    `json:"hostname,omitempty"`
	Groups    []string  `json:"groups,omitempty"`
	Roles     []string  `json:"roles,omitempty"`
	Approved  bool      `json:"approved,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Services  int       `json:"services"`
	Clients   int64     `json:"clients"`
	Events    int64     `json:"events"`
	Alerts    int64     `json:"alerts"`
}

// Summary copies the host's table row.
func (h *Host) Summary() Summary {
	s := Summary{IP: h.ip.String(), Internal: h.internal, Groups: h.groups.values(), Roles: h.roles.names(),
		Approved: h.approved, FirstSeen: ts(h.first), LastSeen: ts(h.last), Events: int64(h.nEvents())}
	if len(h.hostnames.ents) > 0 {
		s.Hostname = h.hostnames.ents[0].v
	}
	if h.srv != nil {
		s.Services = len(h.srv.services)
		s.Clients = h.srv.clients.nKeys()
	}
	if h.al != nil {
		s.Alerts = int64(h.al.total)
	}
	return s
}

// IP returns the host's address.
func (h *Host) IP() netip.Addr { return h.ip }

// List returns the summaries of every host, sorted by address.
func (t *Table) List() []Summary {
	t.settle()
	t.mu.RLock()
	hs := make([]*Host, 0, len(t.hosts))
	for _, h := range t.all {
		hs = append(hs, h)
	}
	slices.SortFunc(hs, func(a, b *Host) int { return a.ip.Compare(b.ip) })
	out := make([]Summary, len(hs))
	for i, h := range hs {
		out[i] = h.Summary()
	}
	t.mu.RUnlock()
	return out
}

// WriteSummaries renders summaries as an aligned table.
func WriteSummaries(w io.Writer, rows []Summary) error {
	bw := &errWriter{w: w}
	bw.printf("%-39s %-3s %-28s %-32s %-16s %-16s %5s %7s %9s\n", "IP", "INT", "GROUPS/HOSTNAME", "ROLES", "FIRST SEEN", "LAST SEEN", "SVCS", "CLIENTS", "EVENTS")
	for _, r := range rows {
		in := "ext"
		if r.Internal {
			in = "int"
		}
		gh := printable(strings.Join(r.Groups, ","))
		if r.Hostname != "" {
			if gh != "" {
				gh += " "
			}
			gh += printable(r.Hostname)
		}
		roles := strings.Join(r.Roles, ",")
		if r.Approved {
			roles += " (approved)"
		}
		bw.printf("%-39s %-3s %-28s %-32s %-16s %-16s %5d %7d %9d\n", r.IP, in, cut(gh, 28), cut(roles, 32),
			shortTime(r.FirstSeen), shortTime(r.LastSeen), r.Services, r.Clients, r.Events)
	}
	return bw.err
}

// ---- terminal card -------------------------------------------------------

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func shortTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func fullTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func (c Count) String() string {
	if c.Exact {
		return strconv.FormatInt(c.N, 10)
	}
	return "~" + strconv.FormatInt(c.N, 10)
}

// printable escapes control characters and invalid UTF-8 (values are
// attacker controlled: no terminal escape sequences reach the screen).
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unicode.IsControl(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// vl renders a value list on one line: up to max values, with counts for
// top lists and sources for hostnames.
func vl(l ValueList, max int) string {
	if len(l.Values) == 0 {
		return "-"
	}
	var b strings.Builder
	for i, v := range l.Values {
		if i == max {
			fmt.Fprintf(&b, " … (+%d more)", len(l.Values)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(printable(v.Value))
		switch {
		case len(v.Sources) > 0:
			b.WriteString(" (" + strings.Join(v.Sources, ",") + ")")
		case l.Top || v.Count > 1:
			b.WriteString(" ×" + strconv.FormatInt(v.Count, 10))
		}
	}
	if l.Dropped > 0 {
		if l.Top {
			fmt.Fprintf(&b, " [%d evicted]", l.Dropped)
		} else {
			fmt.Fprintf(&b, " [%d dropped]", l.Dropped)
		}
	}
	return b.String()
}

// WriteCard renders a card for a terminal, grouped in sections: identity,
// roles with evidence, services, names, users, fingerprints, client
// activity, traffic, alerts.
func WriteCard(w io.Writer, c Card) error {
	p := &errWriter{w: w}
	scope := "external"
	if c.Internal {
		scope = "internal"
	}
	title := c.IP
	if len(c.Names.Hostnames.Values) > 0 {
		title += "  " + printable(c.Names.Hostnames.Values[0].Value)
	}
	p.printf("Host %s  (%s)\n", title, scope)
	p.printf("  first seen %s   last seen %s   events %d\n", fullTime(c.FirstSeen), fullTime(c.LastSeen), c.Events)
	p.printf("  groups: %s   tags: %s\n", vl(c.Groups, 8), vl(c.Tags, 8))
	p.printf("  sensors: %s", vl(c.Sensors, 4))
	if len(c.VLANs) > 0 {
		p.printf("   vlans: %v", c.VLANs)
	}
	if len(c.MACs.Values) > 0 {
		p.printf("   mac: %s", vl(c.MACs, 4))
	}
	p.printf("\n")
	if c.Country != "" || c.ASN != "" {
		p.printf("  country: %s   asn: %s\n", c.Country, c.ASN)
	}

	p.printf("\nRoles\n")
	if len(c.Roles) == 0 {
		p.printf("  (unclassified)\n")
	}
	for _, r := range c.Roles {
		extra := r.Confidence
		if r.Mode != "" {
			extra += ", " + r.Mode
		}
		if r.Approved != nil {
			if *r.Approved {
				extra += ", APPROVED"
			} else {
				extra += ", NOT APPROVED"
			}
		}
		if len(r.Ports) > 0 {
			ps := make([]string, len(r.Ports))
			for i, x := range r.Ports {
				ps[i] = strconv.Itoa(x)
			}
			extra += ", ports " + strings.Join(ps, ",")
		}
		p.printf("  %s (%s) — %s; since %s\n", r.Name, r.Label, extra, fullTime(r.FirstSeen))
		p.printf("    why: %s\n", r.Why)
		for _, e := range r.Evidence {
			peers := strconv.Itoa(e.Peers)
			if e.Peers >= 8 {
				peers = "8+"
			}
			p.printf("    - %s: %d× from %s peer(s)", e.Desc, e.Count, peers)
			if e.Port != 0 {
				p.printf(" on port %d", e.Port)
			}
			p.printf(", %s → %s", shortTime(e.FirstSeen), shortTime(e.LastSeen))
			if e.Example.FlowID != 0 || e.Example.Peer != "" {
				p.printf("; e.g. flow_id %d at %s", e.Example.FlowID, fullTime(e.Example.Time))
				if e.Example.Peer != "" {
					p.printf(" with %s", e.Example.Peer)
				}
			}
			p.printf("\n")
		}
		if len(r.Targets) > 0 {
			p.printf("    asked through it: %s\n", printable(strings.Join(r.Targets, ", ")))
		}
		if len(r.Forwarded) > 0 {
			p.printf("    forwarded (both legs seen): %s\n", printable(strings.Join(r.Forwarded, ", ")))
		}
	}

	p.printf("\nServices (%d", len(c.Services))
	if c.ServicesDropped > 0 {
		p.printf(", %d more dropped", c.ServicesDropped)
	}
	p.printf(")\n")
	for _, s := range c.Services {
		p.printf("  %s/%-5d %-8s flows %d  clients %s  in %s  out %s  %s → %s\n", s.Proto, s.Port, s.AppProto, s.Flows, s.Clients,
			human.Bytes(s.BytesIn), human.Bytes(s.BytesOut), shortTime(s.FirstSeen), shortTime(s.LastSeen))
		if len(s.AppProtos.Values) > 1 {
			p.printf("      app protocols: %s\n", vl(s.AppProtos, 8))
		}
		for _, kv := range []struct {
			k string
			l ValueList
		}{{"names asked", s.Names}, {"http server", s.HTTPServers}, {"tls subject", s.TLSSubjects}, {"tls issuer", s.TLSIssuers},
			{"tls fingerprint", s.TLSFingerprints}, {"ja3s", s.JA3S}, {"ssh software", s.SSHSoftware}, {"hassh", s.HASSH}} {
			if len(kv.l.Values) > 0 {
				p.printf("      %s: %s\n", kv.k, vl(kv.l, 4))
			}
		}
		if s.TLSNotAfter != "" {
			p.printf("      tls validity: %s → %s\n", s.TLSNotBefore, s.TLSNotAfter)
		}
	}

	p.printf("\nNames\n  hostnames: %s\n  domains: %s\n", vl(c.Names.Hostnames, 8), vl(c.Names.Domains, 8))
	p.printf("\nUsers\n  usernames: %s\n  mail from: %s\n", vl(c.Users.Usernames, 8), vl(c.Users.MailFrom, 8))
	f := c.Fingerprints
	p.printf("\nFingerprints\n  user agents: %s\n  ja3: %s\n  ja4: %s\n  ja3s (served): %s\n  ssh client: %s\n  hassh: %s\n",
		vl(f.UserAgents, 4), vl(f.JA3, 4), vl(f.JA4, 4), vl(f.JA3S, 4), vl(f.SSHClient, 4), vl(f.HASSH, 4))
	if len(f.DHCPVendor.Values) > 0 {
		p.printf("  dhcp vendor: %s\n", vl(f.DHCPVendor, 4))
	}
	cl := c.Client
	p.printf("\nClient activity\n  protocols: %s\n  ports: %s\n  dns queries: %s (%d requests)\n  http hosts: %s (%d requests)\n  tls sni: %s\n",
		vl(cl.Protocols, 12), vl(cl.Ports, 8), vl(cl.DNSQueries, 8), cl.DNSReqs, vl(cl.HTTPHosts, 8), cl.HTTPReqs, vl(cl.TLSSNI, 8))
	for _, kv := range []struct {
		k string
		l ValueList
	}{{"tls versions", cl.TLSVersions}, {"smb shares", cl.SMBShares}, {"kerberos services", cl.KrbServices}, {"smtp helo", cl.Helo}} {
		if len(kv.l.Values) > 0 {
			p.printf("  %s: %s\n", kv.k, vl(kv.l, 6))
		}
	}
	if cl.KrbWeak > 0 {
		p.printf("  kerberos tickets with weak encryption: %d\n", cl.KrbWeak)
	}
	tr := c.Traffic
	p.printf("\nTraffic\n  as client: %d flows to %s servers (%d unanswered)\n  as server: %d flows from %s clients\n",
		tr.FlowsOut, tr.Servers, tr.Unanswered, tr.FlowsIn, tr.Clients)
	p.printf("  bytes out %s  in %s   packets out %d  in %d   files sent %d  received %d\n",
		human.Bytes(tr.BytesOut), human.Bytes(tr.BytesIn), tr.PktsOut, tr.PktsIn, tr.FilesSent, tr.FilesRecv)
	if len(tr.Countries.Values) > 0 || len(tr.ASNs.Values) > 0 {
		p.printf("  countries: %s\n  asns: %s\n", vl(tr.Countries, 10), vl(tr.ASNs, 6))
	}
	a := c.Alerts
	p.printf("\nAlerts\n  total %d (as source %d, as target %d)", a.Total, a.AsSource, a.AsTarget)
	if a.Total > 0 {
		var sev []string
		for _, k := range []string{"1", "2", "3", "4", "other"} {
			if n := a.BySeverity[k]; n > 0 {
				sev = append(sev, fmt.Sprintf("sev %s: %d", k, n))
			}
		}
		p.printf("  %s  last %s\n", strings.Join(sev, ", "), fullTime(a.LastSeen))
		for i, s := range a.Signatures.Values {
			if i == 8 {
				break
			}
			p.printf("  %6d× [%d] %s\n", s.Count, s.ID, printable(s.Value))
		}
		if len(a.MITRE.Values) > 0 {
			p.printf("  mitre: %s\n", vl(a.MITRE, 10))
		}
	} else {
		p.printf("\n")
	}
	o := c.Other
	if o.Anomalies > 0 || len(o.Flowbits.Values) > 0 {
		p.printf("\nOther\n")
		if o.Anomalies > 0 {
			p.printf("  anomalies: %d (%s)\n", o.Anomalies, vl(o.AnomalyTypes, 5))
		}
		if len(o.Flowbits.Values) > 0 {
			p.printf("  flowbits: %s\n", vl(o.Flowbits, 8))
		}
	}
	return p.err
}
