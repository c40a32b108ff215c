package sim

import (
	"slices"
	"strconv"
	"strings"
)

// Org is the modelled organisation: address plan, network groups, approved
// proxies and the addresses of its infrastructure. It is deterministic per
// seed (names vary with the seed; the address plan is fixed).
type Org struct {
	Name            string     `json:"name"`
	Domain          string     `json:"domain"` // Active Directory DNS domain
	Realm           string     `json:"realm"`  // Kerberos realm
	PublicDomain    string     `json:"public_domain"`
	HomeNets        []string   `json:"home_nets"`
	Groups          []NetGroup `json:"groups"`
	ApprovedProxies []string   `json:"approved_proxies"` // "ip:port"

	DNSServers        []string `json:"dns_servers"`
	DHCPServers       []string `json:"dhcp_servers"`
	DomainControllers []string `json:"domain_controllers"`
	NTPServers        []string `json:"ntp_servers"`
	FileServers       []string `json:"file_servers"`
	MailServers       []string `json:"mail_servers"`
	WebServers        []string `json:"web_servers"`
	SSHServers        []string `json:"ssh_servers"`
	AppServers        []string `json:"app_servers"`
	Printers          []string `json:"printers"`
	JumpHosts         []string `json:"jump_hosts"`
	ReverseProxies    []string `json:"reverse_proxies"` // DMZ, "ip:port"
	Jenkins           []string `json:"jenkins"`         // "ip:port"
	VPNGateways       []string `json:"vpn_gateways"`    // external corporate VPN, "ip:port"
	Monitoring        []string `json:"monitoring"`
	Sensors           []Sensor `json:"sensors"`

	Servers      []Host `json:"servers"`
	Workstations []Host `json:"workstations"`
}

// NetGroup is a named network (nethunt "network_groups").
type NetGroup struct {
	Name string `json:"name"`
	CIDR string `json:"cidr"`
}

// Sensor describes one Suricata sensor in the output.
type Sensor struct {
	Name        string `json:"name"` // EVE "host"
	Iface       string `json:"in_iface"`
	CommunityID bool   `json:"community_id"`
	Sees        string `json:"sees"`
}

// Host is one internal host of the organisation.
type Host struct {
	IP   string `json:"ip"`
	Name string `json:"name"`
	Role string `json:"role,omitempty"`
	User string `json:"user,omitempty"`
	Dept string `json:"dept,omitempty"`
	OS   string `json:"os,omitempty"`
	MAC  string `json:"mac,omitempty"`
}

var sensorDefs = []Sensor{
	{Name: "suricata-core01", Iface: "ens1f0", CommunityID: true, Sees: "core switch SPAN: users, servers, printers, management and Internet egress"},
	{Name: "suricata-dmz01", Iface: "ens1f1", CommunityID: false, Sees: "DMZ segment (vlan 300): Internet to DMZ and DMZ to internal"},
}

func (w *world) buildOrg() {
	o := &w.org
	o.Name = titleCase(w.orgName)
	o.Domain = w.domain
	o.Realm = w.realm
	o.PublicDomain = w.pubDomain
	o.HomeNets = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}
	o.Groups = []NetGroup{
		{"Users", "10.10.0.0/16"},
		{"Servers", "10.20.0.0/16"},
		{"DMZ", "172.16.0.0/24"},
		{"Printers", "10.30.0.0/24"},
		{"Management", "10.99.0.0/24"},
	}
	for i, p := range w.proxies {
		o.ApprovedProxies = append(o.ApprovedProxies, ipPort(p.ip, w.proxyPorts[i]))
	}
	for _, ip := range w.dns {
		o.DNSServers = append(o.DNSServers, ipStr(ip))
	}
	for _, ip := range w.dhcp {
		o.DHCPServers = append(o.DHCPServers, ipStr(ip))
	}
	for _, ip := range w.dc {
		o.DomainControllers = append(o.DomainControllers, ipStr(ip))
	}
	o.NTPServers = []string{ipStr(w.ntp), ipStr(w.dc[0]), ipStr(w.dc[1])}
	for _, ip := range w.fs {
		o.FileServers = append(o.FileServers, ipStr(ip))
	}
	o.MailServers = []string{ipStr(w.mail), ipStr(w.mx)}
	o.WebServers = []string{ipStr(w.web[0]), ipStr(w.web[1])}
	for _, ip := range w.sshSrv {
		o.SSHServers = append(o.SSHServers, ipStr(ip))
	}
	for _, ip := range w.apps {
		o.AppServers = append(o.AppServers, ipStr(ip))
	}
	for _, p := range w.printers {
		o.Printers = append(o.Printers, ipStr(p.ip))
	}
	for _, j := range w.jump {
		o.JumpHosts = append(o.JumpHosts, ipStr(j.ip))
	}
	o.ReverseProxies = []string{ipPort(w.rp, 443)}
	o.Jenkins = []string{ipPort(w.jenkins, 8080)}
	o.VPNGateways = []string{ipPort(w.vpnGW.ips[0], 443)}
	o.Monitoring = []string{ipStr(w.monitor)}
	o.Sensors = append([]Sensor(nil), sensorDefs...)
	names := make([]string, 0, len(w.servers))
	for n := range w.servers {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s := w.servers[n]
		o.Servers = append(o.Servers, Host{IP: ipStr(s.ip), Name: s.fqdn, Role: s.role, OS: s.os.String(), MAC: s.mac})
	}
	for _, p := range w.printers {
		o.Servers = append(o.Servers, Host{IP: ipStr(p.ip), Name: p.fqdn, Role: "printer", MAC: p.mac})
	}
	for _, h := range w.ws {
		o.Workstations = append(o.Workstations, Host{IP: ipStr(h.ip), Name: h.name, Role: "workstation", User: h.user, Dept: depts[h.dept].name, OS: h.os.String(), MAC: h.mac})
	}
}

// ConfigYAML renders the organisation as a nethunt configuration snippet:
// home_nets, network_groups (list of {name, cidr}) and approved_proxies.
func (o Org) ConfigYAML() string {
	var b strings.Builder
	b.WriteString("# Generated by nethunt sim for organisation " + strconv.Quote(o.Name) + "\n")
	b.WriteString("home_nets:\n")
	for _, n := range o.HomeNets {
		b.WriteString("  - " + strconv.Quote(n) + "\n")
	}
	b.WriteString("network_groups:\n")
	for _, g := range o.Groups {
		b.WriteString("  - name: " + strconv.Quote(g.Name) + "\n")
		b.WriteString("    cidr: " + strconv.Quote(g.CIDR) + "\n")
	}
	b.WriteString("approved_proxies:\n")
	for _, p := range o.ApprovedProxies {
		b.WriteString("  - " + strconv.Quote(p) + "\n")
	}
	return b.String()
}
