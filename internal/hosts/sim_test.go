package hosts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/config"
	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/enrich"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/query/match"
	"github.com/nethunt/nethunt/internal/sim"
)

// The simulator run the tests share: 300 workstations, 6 working hours
// (from 08:00, so that daytime-only traffic such as the developer's web
// server and the print jobs is in it).
var simCfg = sim.Config{Seed: 1, Hosts: 300, Hours: 6, Start: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}

type simRun struct {
	table *Table
	truth sim.Truth
	org   sim.Org
	evs   []*event.Event
	opt   Options
}

var (
	simOnce sync.Once
	simData simRun
	simErr  error
)

func loadSim(t testing.TB) *simRun {
	t.Helper()
	simOnce.Do(func() {
		var eve, truth bytes.Buffer
		if _, err := sim.Generate(simCfg, &eve, &truth); err != nil {
			simErr = err
			return
		}
		if err := json.Unmarshal(truth.Bytes(), &simData.truth); err != nil {
			simErr = err
			return
		}
		org := simData.truth.Org
		simData.org = org
		var groups []config.NetGroup
		for _, g := range org.Groups {
			groups = append(groups, config.NetGroup{Name: g.Name, CIDR: g.CIDR})
		}
		en, err := enrich.New(&config.Config{HomeNets: org.HomeNets, NetworkGroups: groups})
		if err != nil {
			simErr = err
			return
		}
		approved, err := ParseApproved(org.ApprovedProxies)
		if err != nil {
			simErr = err
			return
		}
		opt := Options{Approved: approved}
		for _, n := range org.HomeNets {
			opt.HomeNets = append(opt.HomeNets, netip.MustParsePrefix(n))
		}
		simData.opt = opt
		sc := bufio.NewScanner(&eve)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			ev, err := decode.Decode(sc.Bytes())
			if err != nil {
				simErr = err
				return
			}
			en.Event(ev)
			ev.Raw = nil
			simData.evs = append(simData.evs, ev)
		}
		tb := New(opt)
		for i := 0; i < len(simData.evs); i += 1000 {
			tb.ObserveBatch(simData.evs[i:min(i+1000, len(simData.evs))])
		}
		simData.table = tb
	})
	if simErr != nil {
		t.Fatal(simErr)
	}
	return &simData
}

func addrOf(t testing.TB, s string) netip.Addr {
	t.Helper()
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr()
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatalf("bad address %q: %v", s, err)
	}
	return a
}

func portOf(t testing.TB, s string) int {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatalf("bad ip:port %q: %v", s, err)
	}
	return int(ap.Port())
}

func (r *simRun) card(t testing.TB, a netip.Addr) Card {
	t.Helper()
	c, ok := r.table.Get(a)
	if !ok {
		t.Fatalf("no host %s", a)
	}
	return c
}

func role(c Card, name string) *Role {
	for i := range c.Roles {
		if c.Roles[i].Name == name {
			return &c.Roles[i]
		}
	}
	return nil
}

func (r *simRun) cases(kind string) []sim.TruthCase {
	var out []sim.TruthCase
	for _, c := range r.truth.Cases {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

// checkEvidence asserts a role explains itself: counts, an example event
// and first/last seen times.
func checkEvidence(t *testing.T, c Card, r *Role) {
	t.Helper()
	if len(r.Evidence) == 0 || r.Why == "" || r.FirstSeen.IsZero() || r.LastSeen.Before(r.FirstSeen) {
		t.Errorf("%s %s: role without evidence: %+v", c.IP, r.Name, r)
		return
	}
	withExample := false
	for _, e := range r.Evidence {
		if e.Count <= 0 || e.FirstSeen.IsZero() {
			t.Errorf("%s %s: empty evidence %+v", c.IP, r.Name, e)
		}
		if e.Example.FlowID != 0 && !e.Example.Time.IsZero() {
			withExample = true
		}
	}
	if !withExample {
		t.Errorf("%s %s: no evidence points at an example event: %+v", c.IP, r.Name, r.Evidence)
	}
}

func TestSimHTTPProxies(t *testing.T) {
	r := loadSim(t)
	expected := map[netip.Addr]string{} // host -> why it must be a proxy

	// Approved proxies, from the organisation.
	if len(r.org.ApprovedProxies) == 0 {
		t.Fatal("simulator organisation has no approved proxies")
	}
	for _, ap := range r.org.ApprovedProxies {
		a, port := addrOf(t, ap), portOf(t, ap)
		expected[a] = "approved"
		c := r.card(t, a)
		rl := role(c, RoleHTTPProxy)
		if rl == nil {
			t.Errorf("approved proxy %s has no http proxy role; roles %v", ap, c.Roles)
			continue
		}
		checkEvidence(t, c, rl)
		if rl.Approved == nil || !*rl.Approved || !c.Approved {
			t.Errorf("approved proxy %s is not marked approved", ap)
		}
		if rl.Mode != "forward" || !slices.Contains(rl.Ports, port) || rl.Confidence != "strong" {
			t.Errorf("approved proxy %s: mode %q ports %v confidence %s", ap, rl.Mode, rl.Ports, rl.Confidence)
		}
	}

	// Planted cases and look-alikes, from the ground truth.
	mustProxy := func(hostport, why string, approved bool, mode string) {
		a := addrOf(t, hostport)
		expected[a] = why
		c := r.card(t, a)
		rl := role(c, RoleHTTPProxy)
		if rl == nil {
			t.Errorf("%s %s has no http proxy role; roles %+v", why, hostport, c.Roles)
			return
		}
		checkEvidence(t, c, rl)
		if c.Approved != approved {
			t.Errorf("%s %s: approved = %v", why, hostport, c.Approved)
		}
		if mode != "" && rl.Mode != mode {
			t.Errorf("%s %s: mode %q, want %q", why, hostport, rl.Mode, mode)
		}
		if strings.Contains(hostport, ":") && mode == "forward" {
			if p := portOf(t, hostport); !slices.Contains(rl.Ports, p) {
				t.Errorf("%s %s: proxy ports %v lack %d", why, hostport, rl.Ports, p)
			}
		}
	}
	n := 0
	for _, k := range []string{"internal_rogue_http_proxy", "external_http_proxy_letsencrypt"} {
		for _, c := range r.cases(k) {
			mustProxy(c.Hosts.Proxy, k, false, "forward")
			n++
		}
	}
	for _, c := range r.cases("multi_hop_chain") {
		mustProxy(c.Hosts.Pivot, "multi-hop pivot", false, "forward")
		mustProxy(c.Hosts.Proxy, "multi-hop upstream proxy", false, "forward")
		n++
	}
	for _, c := range r.cases("reverse_proxy") {
		mustProxy(c.Hosts.Proxy, "DMZ reverse proxy", false, "reverse")
		n++
	}
	if n < 4 {
		t.Fatalf("ground truth lacks the proxy cases (found %d)", n)
	}

	// Look-alikes that are not proxies.
	dev := r.cases("dev_web_server")
	if len(dev) != 1 || dev[0].Hosts.Server == "" {
		t.Fatalf("ground truth lacks the developer web server: %+v", dev)
	}
	if dev[0].Events == 0 {
		t.Fatalf("the developer web server has no traffic in this run; the test would prove nothing")
	}
	for _, c := range append(dev, r.cases("jenkins_server")...) {
		a, port := addrOf(t, c.Hosts.Server), portOf(t, c.Hosts.Server)
		card := r.card(t, a)
		if rl := role(card, RoleHTTPProxy); rl != nil {
			t.Errorf("%s %s must not be an http proxy: %+v", c.Kind, c.Hosts.Server, rl)
		}
		served := false
		for _, s := range card.Services {
			served = served || s.Port == port
		}
		if !served || role(card, RoleWebServer) == nil {
			t.Errorf("%s %s: the look-alike was not observed as a web server on %d (services %+v)", c.Kind, c.Hosts.Server, port, card.Services)
		}
	}
	for _, c := range r.cases("letsencrypt_websites") {
		for _, e := range c.Hosts.External {
			if rl := role(r.card(t, addrOf(t, e)), RoleHTTPProxy); rl != nil {
				t.Errorf("website %s must not be an http proxy: %+v", e, rl)
			}
		}
	}

	// Nothing else is an http proxy.
	rows, err := r.table.Query(`host.roles:"http proxy"`, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if _, ok := expected[netip.MustParseAddr(row.IP)]; !ok {
			c, _ := r.table.Get(netip.MustParseAddr(row.IP))
			t.Errorf("unexpected http proxy %s: %+v", row.IP, role(c, RoleHTTPProxy))
		}
	}
	if len(rows) != len(expected) {
		t.Errorf("query found %d http proxies, want %d (%v)", len(rows), len(expected), expected)
	}

	// The hunt from the issue: proxies that are not approved.
	rows, err = r.table.Query(`host.roles:"http proxy" AND NOT host.approved:true`, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range rows {
		got = append(got, row.IP)
	}
	var want []string
	for a, why := range expected {
		if why != "approved" {
			want = append(want, a.String())
		}
	}
	slices.SortFunc(want, func(a, b string) int { return netip.MustParseAddr(a).Compare(netip.MustParseAddr(b)) })
	if !slices.Equal(got, want) {
		t.Errorf("unapproved proxies = %v, want %v", got, want)
	}
}

func TestSimOtherProxyLookalikes(t *testing.T) {
	r := loadSim(t)
	for _, c := range r.cases("socks_proxy") {
		a := addrOf(t, c.Hosts.Proxy)
		card := r.card(t, a)
		rl := role(card, RoleSOCKSProxy)
		if rl == nil {
			t.Errorf("socks proxy %s has no role; roles %+v", c.Hosts.Proxy, card.Roles)
			continue
		}
		checkEvidence(t, card, rl)
		if !slices.Contains(rl.Ports, portOf(t, c.Hosts.Proxy)) {
			t.Errorf("socks proxy ports %v", rl.Ports)
		}
	}
	for _, c := range r.cases("corporate_vpn") {
		gw := addrOf(t, c.Hosts.External[0])
		card := r.card(t, gw)
		if rl := role(card, RoleVPN); rl == nil {
			t.Errorf("VPN gateway %s has no vpn role; roles %+v", gw, card.Roles)
		}
		if role(card, RoleSOCKSProxy) != nil || role(card, RoleHTTPProxy) != nil {
			t.Errorf("VPN gateway %s taken for a proxy", gw)
		}
	}
}

// simOracle scans the raw events for which hosts answered what.
type simOracle struct {
	answered map[netip.Addr]map[int]int // server -> port -> answered flows
	clients  map[netip.Addr]map[netip.Addr]bool
	dnsResp  map[netip.Addr]bool
	dhcpResp map[netip.Addr]bool
	smtp     map[netip.Addr]bool
	sshSrv   map[netip.Addr]bool
}

func (r *simRun) oracle() *simOracle {
	o := &simOracle{answered: map[netip.Addr]map[int]int{}, clients: map[netip.Addr]map[netip.Addr]bool{},
		dnsResp: map[netip.Addr]bool{}, dhcpResp: map[netip.Addr]bool{}, smtp: map[netip.Addr]bool{}, sshSrv: map[netip.Addr]bool{}}
	for _, ev := range r.evs {
		switch ev.EventType {
		case "flow":
			if ev.Flow != nil && ev.Flow.PktsToClient > 0 && ev.AppProto != "" {
				if o.answered[ev.DestIP] == nil {
					o.answered[ev.DestIP] = map[int]int{}
					o.clients[ev.DestIP] = map[netip.Addr]bool{}
				}
				o.answered[ev.DestIP][int(ev.DestPort)]++
				o.clients[ev.DestIP][ev.SrcIP] = true
			}
		case "dns":
			if ev.SrcPort == 53 && (ev.DNS.Type == "answer" || ev.DNS.Type == "response") {
				o.dnsResp[ev.SrcIP] = true
			}
		case "dhcp":
			if ev.DHCP.Type == "reply" {
				o.dhcpResp[ev.SrcIP] = true
			}
		case "smtp":
			o.smtp[ev.DestIP] = true
		case "ssh":
			if ev.SSH.Server != nil {
				o.sshSrv[ev.DestIP] = true
			}
		}
	}
	return o
}

func TestSimInfrastructureRoles(t *testing.T) {
	r := loadSim(t)
	o := r.oracle()
	// hasRole asserts the role for each listed server that the oracle says
	// did the job in this run; it returns how many were checked.
	hasRole := func(what string, servers []string, roleName string, did func(netip.Addr) bool) int {
		n := 0
		for _, s := range servers {
			a := addrOf(t, s)
			if !did(a) {
				continue
			}
			n++
			c := r.card(t, a)
			rl := role(c, roleName)
			if rl == nil {
				t.Errorf("%s %s lacks role %q; roles %+v", what, s, roleName, c.Roles)
				continue
			}
			checkEvidence(t, c, rl)
		}
		if n == 0 {
			t.Errorf("no %s did its job in the simulator run", what)
		}
		return n
	}
	answers := func(ports ...int) func(netip.Addr) bool {
		return func(a netip.Addr) bool {
			for _, p := range ports {
				if o.answered[a][p] > 0 {
					return true
				}
			}
			return false
		}
	}
	hasRole("DNS server", r.org.DNSServers, RoleDNSServer, func(a netip.Addr) bool { return o.dnsResp[a] || o.answered[a][53] > 0 })
	hasRole("DHCP server", r.org.DHCPServers, RoleDHCPServer, func(a netip.Addr) bool { return o.dhcpResp[a] })
	hasRole("domain controller", r.org.DomainControllers, RoleDomainController, answers(88))
	np := hasRole("printer", r.org.Printers, RolePrinter, answers(9100, 515, 631))
	if np < 3 {
		t.Errorf("only %d printers printed", np)
	}
	hasRole("mail server", r.org.MailServers, RoleMailServer, func(a netip.Addr) bool { return o.smtp[a] })
	hasRole("NTP server", r.org.NTPServers, RoleNTPServer, answers(123))
	hasRole("SSH server", r.org.SSHServers, RoleSSHServer, func(a netip.Addr) bool { return o.sshSrv[a] })
	hasRole("file server", r.org.FileServers, RoleFileServer, func(a netip.Addr) bool { return len(o.clients[a]) >= 2 && o.answered[a][445] > 0 })
	hasRole("web server", r.org.WebServers, RoleWebServer, answers(80, 443, 8080))

	// Exclusive infrastructure roles go to no one else.
	only := map[string][]string{
		RoleDHCPServer:       r.org.DHCPServers,
		RoleDomainController: r.org.DomainControllers,
		RolePrinter:          r.org.Printers,
	}
	for roleName, list := range only {
		rows, err := r.table.Query(`host.roles:"`+roleName+`"`, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			if !slices.Contains(list, row.IP) {
				t.Errorf("%s has role %q but the organisation lists only %v", row.IP, roleName, list)
			}
		}
	}
	// Internal DNS: only the DNS servers and the domain controllers answer.
	rows, _ := r.table.Query(`host.roles:"dns server" AND host.internal:true`, 0)
	for _, row := range rows {
		if !slices.Contains(r.org.DNSServers, row.IP) && !slices.Contains(r.org.DomainControllers, row.IP) {
			t.Errorf("internal host %s answers DNS", row.IP)
		}
	}
}

func TestSimIdentity(t *testing.T) {
	r := loadSim(t)
	// Workstations: names from DNS/DHCP/Kerberos, users, group, MAC.
	named, users, macs := 0, 0, 0
	for _, w := range r.org.Workstations {
		c, ok := r.table.Get(addrOf(t, w.IP))
		if !ok {
			continue
		}
		if !c.Internal {
			t.Errorf("workstation %s not internal", w.IP)
		}
		if len(c.Groups.Values) == 0 || c.Groups.Values[0].Value != "Users" {
			t.Errorf("workstation %s groups %+v", w.IP, c.Groups)
		}
		for _, v := range c.Names.Hostnames.Values {
			if strings.HasPrefix(strings.ToLower(w.Name), strings.SplitN(v.Value, ".", 2)[0]) {
				named++
				break
			}
		}
		for _, v := range c.Users.Usernames.Values {
			if v.Value == w.User {
				users++
				break
			}
		}
		for _, v := range c.MACs.Values {
			if v.Value == strings.ToLower(w.MAC) {
				macs++
				break
			}
		}
	}
	if n := len(r.org.Workstations); named < n/2 || users < n/4 || macs < n/4 {
		t.Errorf("of %d workstations: %d named, %d with their user, %d with their MAC", n, named, users, macs)
	}
	// Servers are named from DNS answers.
	dc := r.card(t, addrOf(t, r.org.DomainControllers[0]))
	if len(dc.Names.Hostnames.Values) == 0 || !strings.HasPrefix(dc.Names.Hostnames.Values[0].Value, "dc") {
		t.Errorf("domain controller names %+v", dc.Names.Hostnames)
	}
	if !slices.ContainsFunc(dc.Names.Domains.Values, func(v Value) bool { return v.Value == strings.ToLower(r.org.Realm) }) {
		t.Errorf("domain controller domains %+v, want %s", dc.Names.Domains, r.org.Realm)
	}
	// Client fingerprints and activity.
	clients, ja4, ua, dnsq := 0, 0, 0, 0
	for _, w := range r.org.Workstations {
		c, ok := r.table.Get(addrOf(t, w.IP))
		if !ok {
			continue
		}
		clients++
		if len(c.Fingerprints.JA4.Values) > 0 {
			ja4++
		}
		if len(c.Fingerprints.UserAgents.Values) > 0 {
			ua++
		}
		if len(c.Client.DNSQueries.Values) > 0 {
			dnsq++
		}
		if c.Traffic.FlowsOut > 0 && c.Traffic.Servers.N == 0 {
			t.Errorf("%s has client flows but no servers contacted", w.IP)
		}
	}
	if clients < len(r.org.Workstations)*9/10 || ja4 < clients/2 || ua < clients/2 || dnsq < clients/2 {
		t.Errorf("%d clients: %d with JA4, %d with a User-Agent, %d with DNS queries", clients, ja4, ua, dnsq)
	}
}

func TestSimServicesDetail(t *testing.T) {
	r := loadSim(t)
	// The reverse proxy serves TLS on 443 to many clients with its
	// certificate (from the truth's domains).
	for _, c := range r.cases("reverse_proxy") {
		card := r.card(t, addrOf(t, c.Hosts.Proxy))
		var svc *Service
		for i := range card.Services {
			if card.Services[i].Port == 443 {
				svc = &card.Services[i]
			}
		}
		if svc == nil || svc.AppProto != "tls" || svc.Clients.N < 100 {
			t.Fatalf("reverse proxy 443 service: %+v", svc)
		}
		for _, d := range c.Domains {
			if !slices.ContainsFunc(svc.Names.Values, func(v Value) bool { return v.Value == d }) {
				t.Errorf("reverse proxy serves no %s: %+v", d, svc.Names)
			}
		}
	}
	// The approved proxies' HTTP Server header.
	ap := addrOf(t, r.org.ApprovedProxies[0])
	found := false
	for _, s := range r.card(t, ap).Services {
		for _, v := range s.HTTPServers.Values {
			found = found || strings.Contains(v.Value, "squid")
		}
	}
	if !found {
		t.Errorf("approved proxy has no squid Server header")
	}
	// SSH servers have their software.
	for _, s := range r.org.SSHServers {
		c, ok := r.table.Get(addrOf(t, s))
		if !ok || role(c, RoleSSHServer) == nil {
			continue
		}
		has := false
		for _, sv := range c.Services {
			has = has || len(sv.SSHSoftware.Values) > 0
		}
		if !has {
			t.Errorf("ssh server %s without software", s)
		}
	}
}

func TestSimQueries(t *testing.T) {
	r := loadSim(t)
	count := func(q string) int {
		t.Helper()
		rows, err := r.table.Query(q, 0)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return len(rows)
	}
	// Oracle: addresses seen in the events.
	seen := map[netip.Addr]bool{}
	for _, ev := range r.evs {
		for _, a := range []netip.Addr{ev.SrcIP, ev.DestIP} {
			if trackable(a) {
				seen[a] = true
			}
		}
	}
	ten, home := 0, 0
	p10 := netip.MustParsePrefix("10.0.0.0/8")
	for a := range seen {
		if p10.Contains(a) {
			ten++
		}
		for _, n := range r.opt.HomeNets {
			if n.Contains(a) {
				home++
				break
			}
		}
	}
	if got := count(`host.ip:10.0.0.0/8`); got != ten {
		t.Errorf("host.ip:10.0.0.0/8 = %d hosts, want %d", got, ten)
	}
	if got := count(`host.internal:true`); got != home {
		t.Errorf("host.internal:true = %d, want %d", got, home)
	}
	if got, all := count(`*`), r.table.Len(); got != all || all < len(seen) {
		t.Errorf("* = %d, table %d, addresses in events %d", got, all, len(seen))
	}
	users := count(`host.groups:Users`)
	if users < len(r.org.Workstations)*9/10 || users != count(`host.ip:10.10.0.0/16`) {
		t.Errorf("host.groups:Users = %d, workstations %d, 10.10/16 %d", users, len(r.org.Workstations), count(`host.ip:10.10.0.0/16`))
	}
	if n := count(`host.services.port:3128 AND host.roles:"http proxy"`); n < 1 {
		t.Errorf("no proxy on 3128")
	}
	if count(`host_id.roles.name:"domain controller"`) != len(r.org.DomainControllers) {
		t.Errorf("Stamus alias host_id.roles.name")
	}
	start := simCfg.Start.Format(time.RFC3339)
	if a, b := count(`host.first_seen:>=`+start), count(`*`); a != b {
		t.Errorf("first_seen >= start: %d of %d", a, b)
	}
	if count(`host.first_seen:>`+simCfg.Start.Add(7*time.Hour).Format(time.RFC3339)) != 0 {
		t.Errorf("hosts first seen after the end")
	}
	if n := count(`host.unclassified:true`); n == 0 || n != count(`host.roles_count:0`) || n != count(`NOT host.roles:*`) || n+count(`host.roles:*`) != r.table.Len() {
		t.Errorf("unclassified %d, roles_count:0 %d, NOT host.roles:* %d", n, count(`host.roles_count:0`), count(`NOT host.roles:*`))
	}
	if count(`host.tls.ja4:t13d* AND host.internal:true`) == 0 || count(`host.http.user_agent:*Chrome*`) == 0 {
		t.Errorf("fingerprint queries found nothing")
	}
	if count(`host.services.tls.issuerdn:*Let?s\ Encrypt*`) == 0 {
		t.Errorf("no Let's Encrypt service")
	}
	if count(`host.clients:>100`) == 0 || count(`host.dns.queries:*tailspin*`) == 0 {
		t.Errorf("count / top-list queries found nothing")
	}
	// Errors name host fields.
	if _, err := r.table.Query(`host.role:"x" AND host.rolez:y`, 0); err == nil || !strings.Contains(err.Error(), "did you mean") {
		t.Errorf("unknown field error: %v", err)
	}
	if _, err := Parse(`src_ip:10.0.0.1`); err == nil {
		t.Errorf("event field accepted in a host query")
	}
	// Find stops when asked and Row agrees with the matcher.
	e, _ := Parse(`host.roles:"http proxy"`)
	m, _ := match.Compile(e)
	n := 0
	if err := r.table.Find(m, func(h *Host) bool {
		row := h.Row(nil)
		if !m.Match(row) {
			t.Errorf("Row of %s does not match", h.IP())
		}
		n++
		return n < 2
	}); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("Find did not stop: %d", n)
	}
}

func TestSimCardAndList(t *testing.T) {
	r := loadSim(t)
	ap := addrOf(t, r.org.ApprovedProxies[0])
	c := r.card(t, ap)
	var b bytes.Buffer
	if err := WriteCard(&b, c); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Host " + ap.String(), "Roles", "http proxy", "APPROVED", "flow_id", "Services", "tcp/" + strconv.Itoa(portOf(t, r.org.ApprovedProxies[0])),
		"Names", "Users", "Fingerprints", "Client activity", "Traffic", "Alerts"} {
		if !strings.Contains(out, want) {
			t.Errorf("card lacks %q:\n%s", want, out)
		}
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Card
	if err := json.Unmarshal(js, &back); err != nil || back.IP != c.IP || len(back.Roles) != len(c.Roles) {
		t.Errorf("card JSON round trip: %v", err)
	}
	// The card is a copy: observing more does not change it.
	before := c.Events
	r.table.Observe(&event.Event{Time: simCfg.Start.Add(time.Hour), EventType: "flow", SrcIP: ap, DestIP: netip.MustParseAddr("10.10.0.1"),
		SrcIPStr: ap.String(), DestIPStr: "10.10.0.1", Proto: "TCP", SrcPort: 40000, DestPort: 80})
	if c.Events != before {
		t.Errorf("card changed")
	}
	if c2 := r.card(t, ap); c2.Events != before+1 {
		t.Errorf("events %d after one more, want %d", c2.Events, before+1)
	}
	list := r.table.List()
	if len(list) != r.table.Len() || !slices.IsSortedFunc(list, func(a, b Summary) int {
		return netip.MustParseAddr(a.IP).Compare(netip.MustParseAddr(b.IP))
	}) {
		t.Errorf("List: %d rows for %d hosts, sorted %v", len(list), r.table.Len(), false)
	}
	b.Reset()
	if err := WriteSummaries(&b, list[:10]); err != nil || strings.Count(b.String(), "\n") != 11 {
		t.Errorf("WriteSummaries: %v\n%s", err, b.String())
	}
}
