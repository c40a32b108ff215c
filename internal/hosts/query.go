package hosts

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nethunt/nethunt/internal/fields"
	"github.com/nethunt/nethunt/internal/query"
	"github.com/nethunt/nethunt/internal/query/match"
)

// The host.* query fields. Each has its own Index in the host row (not the
// event row): Row fills them, the in-memory matcher reads them.
var (
	hostFields  []*fields.Field
	hostGetters []func(*Host) any
	// hostSets is set for fields that are one valueSet: Find fills their
	// row slot from a reused buffer instead of allocating per host.
	hostSets   []func(*Host) *valueSet
	hostByName = map[string]*fields.Field{}
)

func hf(name string, t fields.Type, desc string, get func(*Host) any, aliases ...string) {
	f := &fields.Field{Name: name, Type: t, Desc: desc, Column: fields.ColumnName(name), Index: len(hostFields)}
	if _, dup := hostByName[name]; dup {
		panic("hosts: duplicate field " + name)
	}
	hostFields = append(hostFields, f)
	hostGetters = append(hostGetters, get)
	hostSets = append(hostSets, nil)
	hostByName[name] = f
	for _, a := range aliases {
		hostByName[a] = f
	}
}

// hfSet registers a list field that is one valueSet of the host.
func hfSet(name, desc string, set func(*Host) *valueSet, aliases ...string) {
	hf(name, fields.Strings, desc, func(h *Host) any {
		if vs := set(h); vs != nil {
			return vs.strs()
		}
		return nil
	}, aliases...)
	hostSets[len(hostSets)-1] = set
}

func nz(n uint64) any { return int64(n) }

// svcStrings collects one string attribute over all services.
func svcStrings(h *Host, get func(*service) *valueSet) any {
	if h.srv == nil {
		return nil
	}
	var out []string
	for i := range h.srv.services {
		vs := get(&h.srv.services[i])
		for j := range vs.ents {
			if v := vs.ents[j].v; !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func cliSet(h *Host, get func(*clientSide) *valueSet) *valueSet {
	if h.cli == nil {
		return nil
	}
	return get(h.cli)
}

func srvSet(h *Host, get func(*serverSide) *valueSet) *valueSet {
	if h.srv == nil {
		return nil
	}
	return get(h.srv)
}

func alSet(h *Host, get func(*alertSide) *valueSet) *valueSet {
	if h.al == nil {
		return nil
	}
	return get(h.al)
}

var roleNameCache sync.Map // roleSet -> []string

func rolesOf(h *Host) any {
	if h.roles == 0 {
		return nil
	}
	if v, ok := roleNameCache.Load(h.roles); ok {
		return v
	}
	names := h.roles.names()
	if names == nil {
		return nil // no role: NOT host.roles:* (Stamus "unclassified"), host.roles_count:0
	}
	roleNameCache.Store(h.roles, names)
	return names
}

func init() {
	S, I, B, T, IP, SS, IS := fields.String, fields.Int, fields.Bool, fields.Time, fields.IP, fields.Strings, fields.Ints
	// identity
	hf("host.ip", IP, "The host's address (matches CIDRs: host.ip:10.0.0.0/8).", func(h *Host) any { return h.ip }, "host_id.ip")
	hf("host.internal", B, "Inside the home networks.", func(h *Host) any { return h.internal }, "host.in_home_net", "host_id.in_home_net")
	hf("host.first_seen", T, "First event involving the host.", func(h *Host) any { return tmAny(h.first) }, "host_id.first_seen")
	hf("host.last_seen", T, "Last event involving the host.", func(h *Host) any { return tmAny(h.last) }, "host_id.last_seen")
	hf("host.events", I, "Events involving the host.", func(h *Host) any { return nz(h.nEvents()) })
	hfSet("host.groups", "Network groups (configuration network_groups).", func(h *Host) *valueSet { return &h.groups }, "host.net_info.agg", "host_id.net_info.agg", "host.net_info")
	hfSet("host.tags", "Tags of the host's events (policies).", func(h *Host) *valueSet { return &h.tags })
	hfSet("host.sensors", "Sensors (EVE host) that saw the host.", func(h *Host) *valueSet { return &h.sensors })
	hf("host.vlans", IS, "VLAN ids the host was seen on.", func(h *Host) any {
		if len(h.vlans) == 0 {
			return nil
		}
		return h.vlans[:len(h.vlans):len(h.vlans)]
	})
	hfSet("host.macs", "MAC addresses (DHCP client_mac).", func(h *Host) *valueSet { return &h.macs })
	hf("host.country", S, "Country of an external host (event geo enrichment, else Options.Geo).", func(h *Host) any { return strAny(h.country) })
	hf("host.asn", S, "Autonomous system of an external host, \"AS<n> <org>\" (event geo enrichment, else Options.Geo).", func(h *Host) any { return strAny(h.asLabel) })
	// roles
	hf("host.roles", SS, "Roles: http proxy, socks proxy, dns server, dhcp, domain controller, printer, mail server, web server, ntp server, ssh server, file server, vpn (absent when none: NOT host.roles:* finds unclassified hosts).",
		rolesOf, "host.roles.name", "host_id.roles.name", "host.role")
	hf("host.approved", B, "Listed in approved_proxies, with every port it proxies on approved (false for every other host).", func(h *Host) any { return h.approved })
	hf("host.proxy.mode", S, "forward or reverse, for hosts with the http proxy role.", func(h *Host) any { return strAny(modeNames[h.proxyMode]) })
	hf("host.proxy.ports", IS, "Ports on which the host showed proxy behaviour.", func(h *Host) any {
		if h.srv == nil || len(h.srv.proxyPorts) == 0 {
			return nil
		}
		out := make([]int64, len(h.srv.proxyPorts))
		for i, p := range h.srv.proxyPorts {
			out[i] = int64(p)
		}
		return out
	})
	hfSet("host.proxy.targets", "Names asked through the host as a proxy (CONNECT / absolute URI), top.", func(h *Host) *valueSet { return srvSet(h, func(s *serverSide) *valueSet { return &s.proxyTargets }) })
	hfSet("host.proxy.forwarded", "Names the host received from clients and then asked for itself.", func(h *Host) *valueSet { return srvSet(h, func(s *serverSide) *valueSet { return &s.forwarded }) })
	hf("host.evidence", SS, "Kinds of role evidence seen (e.g. http.connect_accepted, dns.response).", func(h *Host) any {
		if h.srv == nil || len(h.srv.evid) == 0 {
			return nil
		}
		out := make([]string, len(h.srv.evid))
		for i, e := range h.srv.evid {
			out[i] = evInfos[e.kind].name
		}
		return out
	})
	// names and users
	hfSet("host.hostnames", "Names of the host: DNS answers, TLS SNI and HTTP Host served, DHCP hostname, Kerberos machine account, NTLMSSP host.",
		func(h *Host) *valueSet { return &h.hostnames }, "host.hostname", "host.hostname.host", "host_id.hostname.host")
	hfSet("host.domains", "AD domains / Kerberos realms (lower case).", func(h *Host) *valueSet { return &h.domains })
	hfSet("host.usernames", "Users seen on the host as a client: krb5 cname, smb ntlmssp user, FTP USER, HTTP Basic / Proxy-Authorization user.",
		func(h *Host) *valueSet { return &h.usernames }, "host.username", "host.username.user", "host_id.username.user")
	hfSet("host.mail_from", "SMTP MAIL FROM addresses sent, top.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.mailFrom }) })
	// services
	hf("host.services.port", IS, "Ports the host answers on.", func(h *Host) any {
		if h.srv == nil || len(h.srv.services) == 0 {
			return nil
		}
		out := make([]int64, 0, len(h.srv.services))
		for i := range h.srv.services {
			p := int64(h.srv.services[i].port)
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
		return out
	}, "host_id.services.port")
	hf("host.services.proto", SS, "Transports of the services (tcp, udp, sctp).", func(h *Host) any {
		if h.srv == nil {
			return nil
		}
		var out []string
		for i := range h.srv.services {
			if p := protoNames[h.srv.services[i].proto]; !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
		return out
	}, "host_id.services.proto")
	hf("host.services.app_proto", SS, "Application protocols served (http, tls, dns, unknown, ...).", func(h *Host) any {
		return svcStrings(h, func(s *service) *valueSet { return &s.apps })
	}, "host.services.values.app_proto", "host_id.services.values.app_proto")
	hf("host.services.http.server", SS, "HTTP Server response headers served.", func(h *Host) any {
		return svcStrings(h, func(s *service) *valueSet { return &s.detail().httpServer })
	}, "host.services.values.http.server", "host_id.services.values.http.server")
	hf("host.services.tls.subject", SS, "Subjects of the TLS certificates served.", func(h *Host) any {
		return svcStrings(h, func(s *service) *valueSet { return &s.detail().tlsSubject })
	}, "host.services.values.tls.subject", "host_id.services.values.tls.subject")
	hf("host.services.tls.issuerdn", SS, "Issuers of the TLS certificates served.", func(h *Host) any {
		return svcStrings(h, func(s *service) *valueSet { return &s.detail().tlsIssuer })
	}, "host.services.values.tls.issuerdn", "host_id.services.values.tls.issuerdn")
	hf("host.services.tls.fingerprint", SS, "SHA-1 fingerprints of the TLS certificates served.", func(h *Host) any {
		return svcStrings(h, func(s *service) *valueSet { return &s.detail().tlsFP })
	}, "host.services.values.tls.fingerprint", "host_id.services.values.tls.fingerprint")
	hf("host.services.ssh.software", SS, "SSH server software served.", func(h *Host) any {
		return svcStrings(h, func(s *service) *valueSet { return &s.detail().sshSoftware })
	}, "host.ssh.server.software_version", "host_id.ssh.server.software_version", "host.services.values.ssh.server.software_version")
	hf("host.services.names", SS, "Names clients asked the host for (TLS SNI, HTTP Host) per service.", func(h *Host) any {
		return svcStrings(h, func(s *service) *valueSet { return &s.detail().names })
	})
	hfSet("host.tls.ja3s", "JA3S of the host's TLS server hellos.", func(h *Host) *valueSet { return srvSet(h, func(s *serverSide) *valueSet { return &s.ja3s }) }, "host_id.tls.ja3s.hash")
	hfSet("host.http.status", "HTTP status codes the host answered (as text, e.g. \"407\").", func(h *Host) *valueSet { return srvSet(h, func(s *serverSide) *valueSet { return &s.httpStatus }) })
	// client activity and fingerprints
	hfSet("host.client_service", "Application protocols used as a client.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.protos }) },
		"host.client_service.name", "host_id.client_service.name")
	hfSet("host.client.ports", "Ports contacted as a client, as proto/port (\"tcp/443\"), top.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.ports }) })
	hfSet("host.http.user_agent", "HTTP User-Agents sent (and QUIC UA).", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.userAgents }) },
		"host.http.user_agent.agent", "host_id.http.user_agent.agent")
	hfSet("host.tls.ja3", "JA3 hashes of the host's TLS / QUIC client hellos.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.ja3 }) },
		"host.tls.ja3.hash", "host_id.tls.ja3.hash")
	hfSet("host.tls.ja4", "JA4 of the host's TLS / QUIC client hellos.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.ja4 }) },
		"host.tls.ja4.hash", "host_id.tls.ja4.hash")
	hfSet("host.ssh.client", "SSH client software.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.sshClient }) },
		"host.ssh.client.software_version", "host_id.ssh.client.software_version")
	hfSet("host.ssh.hassh", "HASSH of the host's SSH client.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.hassh }) })
	hfSet("host.dns.queries", "DNS names asked, top.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.dnsQueries }) })
	hfSet("host.http.hosts", "HTTP Host names asked as a client, top.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.httpHosts }) })
	hfSet("host.tls.sni", "TLS / QUIC server names asked as a client, top.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.sni }) })
	hfSet("host.tls.versions", "TLS versions negotiated as a client.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.tlsVersions }) })
	hfSet("host.smb.shares", "SMB shares accessed, top.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.smbShares }) })
	hfSet("host.krb5.services", "Kerberos service names (sname) asked, top.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.krbServices }) })
	hf("host.krb5.weak_tickets", I, "Kerberos answers with weak (RC4/DES) encryption received.", func(h *Host) any {
		if h.cli == nil {
			return nil
		}
		return nz(h.cli.krbWeak)
	})
	hfSet("host.smtp.helo", "SMTP HELO names sent.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.helo }) })
	hfSet("host.dhcp.vendor", "DHCP vendor class identifiers.", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.dhcpVendor }) })
	hf("host.unclassified", B, "True for hosts without a role (Stamus \"unclassified\").", func(h *Host) any { return h.roles == 0 })
	// peers and traffic
	hf("host.clients", I, "Distinct clients served (exact up to 256, then estimated).", func(h *Host) any {
		if h.srv == nil {
			return int64(0)
		}
		return h.srv.clients.nKeys()
	})
	hf("host.servers", I, "Distinct servers contacted (exact up to 256, then estimated).", func(h *Host) any {
		if h.cli == nil {
			return int64(0)
		}
		return h.cli.servers.nKeys()
	})
	hf("host.flows.out", I, "Flows as a client.", func(h *Host) any {
		if h.cli == nil {
			return int64(0)
		}
		return nz(h.cli.flows)
	})
	hf("host.flows.in", I, "Answered flows as a server.", func(h *Host) any {
		if h.srv == nil {
			return int64(0)
		}
		return nz(h.srv.flows)
	})
	hf("host.flows.unanswered", I, "Client flows that got no packet back.", func(h *Host) any {
		if h.cli == nil {
			return int64(0)
		}
		return nz(h.cli.unanswered)
	})
	hf("host.bytes.out", I, "Bytes sent (as client and server).", func(h *Host) any {
		var n uint64
		if h.cli != nil {
			n += h.cli.bytesOut
		}
		if h.srv != nil {
			n += h.srv.bytesOut
		}
		return nz(n)
	})
	hf("host.bytes.in", I, "Bytes received (as client and server).", func(h *Host) any {
		var n uint64
		if h.cli != nil {
			n += h.cli.bytesIn
		}
		if h.srv != nil {
			n += h.srv.bytesIn
		}
		return nz(n)
	})
	hfSet("host.countries", "Countries of the servers contacted (geo enrichment).", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.countries }) })
	hfSet("host.asns", "Autonomous systems of the servers contacted (geo enrichment).", func(h *Host) *valueSet { return cliSet(h, func(c *clientSide) *valueSet { return &c.asns }) })
	hf("host.files.sent", I, "Files sent (fileinfo).", func(h *Host) any { return nz(h.filesSent) })
	hf("host.files.received", I, "Files received (fileinfo).", func(h *Host) any { return nz(h.filesRecv) })
	// alerts
	hf("host.alerts", I, "Alerts involving the host.", func(h *Host) any {
		if h.al == nil {
			return int64(0)
		}
		return nz(h.al.total)
	}, "host.alerts.total")
	for sev := 1; sev <= 3; sev++ {
		sev := sev
		hf(fmt.Sprintf("host.alerts.sev%d", sev), I, fmt.Sprintf("Alerts of severity %d involving the host.", sev), func(h *Host) any {
			if h.al == nil {
				return int64(0)
			}
			return nz(h.al.bySev[sev])
		})
	}
	hfSet("host.alerts.signatures", "Alert signatures, top.", func(h *Host) *valueSet { return alSet(h, func(a *alertSide) *valueSet { return &a.signatures }) })
	hf("host.alerts.signature_ids", IS, "Alert signature ids, top.", func(h *Host) any {
		if h.al == nil || len(h.al.sids) == 0 {
			return nil
		}
		return slices.Clone(h.al.sids)
	})
	hfSet("host.alerts.categories", "Alert categories.", func(h *Host) *valueSet { return alSet(h, func(a *alertSide) *valueSet { return &a.categories }) })
	hfSet("host.alerts.mitre", "MITRE technique ids from alert metadata.", func(h *Host) *valueSet { return alSet(h, func(a *alertSide) *valueSet { return &a.mitre }) })
	hf("host.anomalies", I, "Anomaly events involving the host.", func(h *Host) any { return nz(h.anomalies) })
	hfSet("host.flowbits", "Flowbits set on the host's flows.", func(h *Host) *valueSet { return &h.flowbits })
	// counts (Stamus *_count)
	for _, c := range countFields {
		c := c
		hf(c.name, I, c.desc, func(h *Host) any { return c.get(h) }, c.aliases...)
	}
}

type countField struct {
	name, desc string
	aliases    []string
	get        func(h *Host) int64
}

func setLen(s *valueSet) int64 { return int64(len(s.ents)) }

var countFields = []countField{
	{"host.hostname_count", "Number of hostnames.", []string{"host_id.hostname_count"}, func(h *Host) int64 { return setLen(&h.hostnames) }},
	{"host.username_count", "Number of usernames.", []string{"host_id.username_count"}, func(h *Host) int64 { return setLen(&h.usernames) }},
	{"host.roles_count", "Number of roles.", []string{"host_id.roles_count"}, func(h *Host) int64 { return int64(len(h.roles.names())) }},
	{"host.services_count", "Number of services (proto/port).", []string{"host_id.services_count"}, func(h *Host) int64 {
		if h.srv == nil {
			return 0
		}
		return int64(len(h.srv.services))
	}},
	{"host.client_service_count", "Number of protocols used as a client.", []string{"host_id.client_service_count"}, func(h *Host) int64 {
		if h.cli == nil {
			return 0
		}
		return setLen(&h.cli.protos)
	}},
	{"host.net_info_count", "Number of network groups.", []string{"host_id.net_info_count", "host.groups_count"}, func(h *Host) int64 { return setLen(&h.groups) }},
	{"host.http.user_agent_count", "Number of User-Agents.", []string{"host_id.http.user_agent_count"}, func(h *Host) int64 {
		if h.cli == nil {
			return 0
		}
		return setLen(&h.cli.userAgents)
	}},
	{"host.tls.ja4_count", "Number of JA4s.", []string{"host_id.tls.ja4_count"}, func(h *Host) int64 {
		if h.cli == nil {
			return 0
		}
		return setLen(&h.cli.ja4)
	}},
	{"host.tls.ja3_count", "Number of JA3s.", []string{"host_id.tls.ja3_count"}, func(h *Host) int64 {
		if h.cli == nil {
			return 0
		}
		return setLen(&h.cli.ja3)
	}},
	{"host.ssh.client_count", "Number of SSH client software versions.", []string{"host_id.ssh.client_count"}, func(h *Host) int64 {
		if h.cli == nil {
			return 0
		}
		return setLen(&h.cli.sshClient)
	}},
	{"host.dns.queries_count", "Number of DNS names kept (top list, at most 64).", nil, func(h *Host) int64 {
		if h.cli == nil {
			return 0
		}
		return setLen(&h.cli.dnsQueries)
	}},
}

// counts fills Card.Counts.
func (h *Host) counts() map[string]int64 {
	m := make(map[string]int64, len(countFields))
	for _, c := range countFields {
		m[strings.TrimPrefix(c.name, "host.")] = c.get(h)
	}
	return m
}

func tmAny(n int64) any {
	if n == 0 {
		return nil
	}
	return ts(n)
}

func strAny(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Fields returns the host.* query fields in row order. Their Index is the
// position in a host row (Row), not in an event row; Get is nil.
func Fields() []*fields.Field { return slices.Clone(hostFields) }

// Resolve finds a host field by name, for query.Options.Resolve. It knows
// the host.* names, Stamus-style aliases (host.roles.name,
// host_id.services.port, ...) and host_id.* for any host.* name.
func Resolve(name string) (*fields.Field, bool) {
	if f, ok := hostByName[name]; ok {
		return f, true
	}
	if rest, ok := strings.CutPrefix(name, "host_id."); ok {
		f, ok := hostByName["host."+rest]
		return f, ok
	}
	return nil, false
}

// Suggest proposes up to n host field names close to an unknown one, for
// query.Options.Suggest.
func Suggest(name string, n int) []string {
	lname := strings.ToLower(name)
	if !strings.HasPrefix(lname, "host.") && !strings.HasPrefix(lname, "host_id.") {
		lname = "host." + lname
	}
	names := make([]string, len(hostFields))
	for i, f := range hostFields {
		names[i] = f.Name
	}
	return fields.SuggestFrom(names, lname, strings.TrimPrefix(lname, "host."), n)
}

// ParseOptions are the query.ParseWith options for host queries.
func ParseOptions() query.Options { return query.Options{Resolve: Resolve, Suggest: Suggest} }

// Parse parses a host query ("host.roles:\"http proxy\" AND NOT host.approved:true").
func Parse(text string) (query.Expr, error) { return query.ParseWith(text, ParseOptions()) }

// Row fills dst (reused when large enough) with the host's values in
// Fields order, typed as the fields say (nil = absent). Slices in the row
// share the host's memory: use the row inside a Find callback only.
func (h *Host) Row(dst []any) []any {
	if cap(dst) < len(hostGetters) {
		dst = make([]any, len(hostGetters))
	}
	dst = dst[:len(hostGetters)]
	for i, g := range hostGetters {
		dst[i] = g(h)
	}
	return dst
}

// needed returns the row positions a query reads, or an error when it
// names a field that is not a host field.
func needed(e query.Expr) ([]int, error) {
	var idx []int
	var err error
	query.Walk(e, func(x query.Expr) bool {
		f := query.TermField(x)
		if f == nil {
			return true
		}
		if f.Index < 0 || f.Index >= len(hostFields) || hostFields[f.Index] != f {
			err = fmt.Errorf("hosts: %s is not a host field (host queries use host.* fields)", f.Name)
			return false
		}
		if !slices.Contains(idx, f.Index) {
			idx = append(idx, f.Index)
		}
		return true
	})
	return idx, err
}

// Find calls fn for every host matching m (compiled from a query parsed
// with ParseOptions), in no particular order, until fn returns false. fn
// runs under the table's read lock: it must not call Observe, and must copy
// what it keeps (Card, Summary). Only the fields the query reads are
// computed per host.
func (t *Table) Find(m *match.Matcher, fn func(*Host) bool) error {
	idx, err := needed(m.Expr())
	if err != nil {
		return err
	}
	t.settle()
	t.mu.RLock()
	defer t.mu.RUnlock()
	row := make([]any, len(hostGetters))
	bufs := make([][]string, len(hostGetters))
	for _, h := range t.all {
		for _, i := range idx {
			if set := hostSets[i]; set != nil {
				// The row only lives for this Match: reuse a buffer.
				row[i] = nil
				if vs := set(h); vs != nil && len(vs.ents) > 0 {
					b := bufs[i][:0]
					for j := range vs.ents {
						b = append(b, vs.ents[j].v)
					}
					bufs[i] = b
					row[i] = b
				}
				continue
			}
			row[i] = hostGetters[i](h)
		}
		if m.Match(row) && !fn(h) {
			break
		}
	}
	return nil
}

// Query parses and runs a host query and returns the matching hosts'
// summaries sorted by address; limit <= 0 means all.
func (t *Table) Query(text string, limit int) ([]Summary, error) {
	e, err := Parse(text)
	if err != nil {
		return nil, err
	}
	m, err := match.Compile(e)
	if err != nil {
		return nil, err
	}
	var hs []*Host
	var out []Summary
	err = t.Find(m, func(h *Host) bool {
		hs = append(hs, h)
		return true
	})
	if err != nil {
		return nil, err
	}
	// Find released the lock; summaries are copied under a new one, so a
	// host observed in between shows its newer state (never a torn one).
	t.mu.RLock()
	slices.SortFunc(hs, func(a, b *Host) int { return a.ip.Compare(b.ip) })
	if limit > 0 && len(hs) > limit {
		hs = hs[:limit]
	}
	out = make([]Summary, len(hs))
	for i, h := range hs {
		out[i] = h.Summary()
	}
	t.mu.RUnlock()
	return out, nil
}
