package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Truth is the ground-truth document written next to the EVE output.
type Truth struct {
	Seed              int64            `json:"seed"`
	Start             string           `json:"start"`
	End               string           `json:"end"`
	Hosts             int              `json:"hosts"`
	Hours             float64          `json:"hours"`
	Suricata8Fraction float64          `json:"suricata8_fraction"`
	Events            int64            `json:"events"`
	ByType            map[string]int64 `json:"by_type"`
	Org               Org              `json:"org"`
	TorRelays         []string         `json:"tor_relays"`
	Cases             []TruthCase      `json:"cases"`
}

// TruthCase is one planted case or benign look-alike.
//
// Times are RFC 3339 UTC with microseconds. first_seen is the earliest flow
// start of any flow belonging to the case; last_seen the latest EVE record of
// the case; first_use the start of the first flow from a client to the case's
// infrastructure (proxy, relay, tunnel, front) and first_client that client.
// hop_count counts the relaying proxies between client and destination.
type TruthCase struct {
	ID              string     `json:"id"`
	Kind            string     `json:"kind"`
	Technique       string     `json:"technique,omitempty"`
	Benign          bool       `json:"benign"`
	LookalikeOf     string     `json:"lookalike_of,omitempty"`
	Hosts           TruthHosts `json:"hosts"`
	FirstSeen       string     `json:"first_seen,omitempty"`
	LastSeen        string     `json:"last_seen,omitempty"`
	FirstUse        string     `json:"first_use,omitempty"`
	FirstClient     string     `json:"first_client,omitempty"`
	Hops            []string   `json:"hops,omitempty"`
	HopCount        int        `json:"hop_count,omitempty"`
	Domains         []string   `json:"domains,omitempty"`
	IntervalSeconds float64    `json:"interval_seconds,omitempty"`
	Events          int64      `json:"events"`
	Notes           string     `json:"notes"`
}

// TruthHosts lists the addresses involved in a case ("ip" or "ip:port").
type TruthHosts struct {
	Proxy    string   `json:"proxy,omitempty"`
	Server   string   `json:"server,omitempty"`
	Pivot    string   `json:"pivot,omitempty"`
	Clients  []string `json:"clients,omitempty"`
	External []string `json:"external,omitempty"`
	Relays   []string `json:"relays,omitempty"`
	Backends []string `json:"backends,omitempty"`
}

type caseState struct {
	tc          TruthCase
	first, last int64
	firstUse    int64
	firstUseSrc uint32
	clients     map[uint32]bool // candidate clients (nil: any internal host)
	targets     map[uint32]bool // the case's infrastructure addresses
	seen        map[uint32]bool // clients actually seen talking to targets
	extFrom     map[uint32]bool // record external destinations of these hosts
	ext         map[uint32]bool
	seenT       map[uint32]bool // targets actually contacted
	events      int64
	listClients bool
	extTargets  bool // hosts.external = contacted targets
	torCase     bool
}

func newCase(kind, technique string, benign bool, lookalike string) *caseState {
	return &caseState{
		tc:       TruthCase{Kind: kind, Technique: technique, Benign: benign, LookalikeOf: lookalike},
		first:    1 << 62,
		firstUse: 1 << 62,
		targets:  map[uint32]bool{},
		seen:     map[uint32]bool{},
		ext:      map[uint32]bool{},
		seenT:    map[uint32]bool{},
	}
}

func (c *caseState) observe(ts int64, f *flow) {
	c.events++
	if f.start < c.first {
		c.first = f.start
	}
	if ts > c.last {
		c.last = ts
	}
	if c.targets[f.dst] && (c.clients == nil || c.clients[f.src]) && isInternal(f.src) {
		c.seen[f.src] = true
		c.seenT[f.dst] = true
		if f.start < c.firstUse {
			c.firstUse = f.start
			c.firstUseSrc = f.src
		}
	}
	if c.extFrom != nil && c.extFrom[f.src] && !isInternal(f.dst) {
		c.ext[f.dst] = true
	}
}

func newRand(seed int64, label string) *rand.Rand {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(label); i++ {
		h ^= uint64(label[i])
		h *= 1099511628211
	}
	return rand.New(rand.NewPCG(uint64(seed)^0x9e3779b97f4a7c15, h))
}

func (g *gen) addCase(c *caseState) int {
	g.cases = append(g.cases, c)
	return len(g.cases) - 1
}

// caseTimes draws n times in [from, to), following the office-hours profile
// when shaped (with a floor so that night activity is possible), sorted.
func caseTimes(r *rand.Rand, from, to int64, n int, shaped bool) []int64 {
	if to <= from {
		to = from + 1
	}
	out := make([]int64, 0, n)
	for len(out) < n {
		t := from + int64(r.Float64()*float64(to-from))
		if shaped && r.Float64() > 0.1+diurnal(t) {
			continue
		}
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// regular draws beacon times from..to with the given period and jitter.
func regular(r *rand.Rand, from, to int64, period float64, jitter float64) []int64 {
	var out []int64
	for t := from; t < to; {
		out = append(out, t)
		t += int64(period * 1e6 * (1 + (r.Float64()*2-1)*jitter))
	}
	return out
}

// schedule runs fn at each time in times with g.curCase set to ci.
func (g *gen) schedule(ci int, times []int64, fn func(t int64, i int)) {
	if len(times) == 0 {
		return
	}
	i := 0
	g.addSource(times[0], func(t int64) int64 {
		prev := g.curCase
		g.curCase = ci
		fn(t, i)
		g.curCase = prev
		i++
		for i < len(times) && times[i] >= g.endUS {
			i = len(times)
		}
		if i >= len(times) {
			return -1
		}
		if times[i] <= t {
			return t + 1
		}
		return times[i]
	})
}

var words = []string{"cloud", "sync", "data", "edge", "node", "relay", "stream", "portal", "update", "static", "media", "cdn", "api",
	"secure", "mail", "files", "share", "link", "bridge", "gate", "net", "hub", "core", "zone", "pixel", "metric", "status",
	"orbit", "delta", "nova", "atlas", "echo", "lumen", "vertex", "quantum", "vista", "harbor", "summit", "ember", "falcon"}

func word(r *rand.Rand) string { return words[r.IntN(len(words))] }

// pickHosts chooses n distinct workstations not in used that satisfy ok.
func (g *gen) pickHosts(r *rand.Rand, n int, used map[uint32]bool, ok func(h *node) bool) []*node {
	var out []*node
	ws := g.w.ws
	for tries := 0; len(out) < n && tries < 50*len(ws)+100; tries++ {
		h := ws[r.IntN(len(ws))]
		if used[h.ip] && tries < 40*len(ws) {
			continue
		}
		if ok != nil && !ok(h) && tries < 20*len(ws) {
			continue
		}
		if slices.Contains(out, h) {
			continue
		}
		used[h.ip] = true
		out = append(out, h)
	}
	return out
}

func ipList(hs []*node) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = ipStr(h.ip)
	}
	return out
}

func ipSet(hs []*node) map[uint32]bool {
	m := map[uint32]bool{}
	for _, h := range hs {
		m[h.ip] = true
	}
	return m
}

// window returns the active window of a planted case: it starts between 12%
// and 45% into the run and lasts until the end.
func (g *gen) window(r *rand.Rand) (int64, int64, float64) {
	w := g.w
	d := w.endUS - w.startUS
	t0 := w.startUS + int64(float64(d)*(0.12+0.33*r.Float64()))
	return t0, w.endUS, float64(w.endUS-t0) / 3600e6
}

func clampN(v float64, lo, hi int) int {
	return min(max(int(v), lo), hi)
}

func (g *gen) setupCases() {
	w := g.w
	used := map[uint32]bool{}
	g.siteCase = map[*site]int{}
	r := newRand(g.cfg.Seed, "cases")

	// benign hosts first (they constrain the planted picks)
	w.devWS = g.pickHosts(r, 1, used, func(h *node) bool { return h.tech && h.os != osWin })[0]
	g.devClients = g.pickHosts(r, 3, used, func(h *node) bool { return h.dept == w.devWS.dept })
	g.vpnClients = g.pickHosts(r, min(4, max(1, len(w.ws)/60)), used, func(h *node) bool { return depts[h.dept].name == "IT" })

	g.plantRogueProxy(newRand(g.cfg.Seed, "c1"), used)
	g.plantExternalProxy(newRand(g.cfg.Seed, "c2"), used)
	g.plantSocks(newRand(g.cfg.Seed, "c3"), used)
	g.plantTor(newRand(g.cfg.Seed, "c4"), used)
	g.plantMultiHop(newRand(g.cfg.Seed, "c5"), used)
	g.plantFronting(newRand(g.cfg.Seed, "c6"), used)
	g.plantTunnel(newRand(g.cfg.Seed, "c7"), used)
	g.plantCDNAbuse(newRand(g.cfg.Seed, "c8"), used)

	g.setupBenignCases()
}

// ---- benign look-alikes ----------------------------------------------------------

func (g *gen) setupBenignCases() {
	w := g.w
	for i, p := range w.proxies {
		c := newCase("approved_proxy", "", true, "internal_rogue_http_proxy")
		c.tc.Hosts.Proxy = ipPort(p.ip, w.proxyPorts[i])
		c.targets[p.ip] = true
		c.extFrom = map[uint32]bool{p.ip: true}
		c.listClients = true
		c.tc.Notes = "Approved corporate Squid proxy (configured in approved_proxies). Departments with a PAC file send web traffic through it: " +
			"CONNECT host:443 (tunnelled TLS on the same flow, app_proto tls / app_proto_orig http), absolute-URI GETs, Kerberos 407 challenges, " +
			"Via / X-Cache response headers and X-Forwarded-For on its own upstream requests; it resolves and connects to the destinations itself."
		g.approvedCase[i] = g.addCase(c)
		via := "1.1 " + p.fqdn + " (squid/6.10)"
		g.approvedHops = append(g.approvedHops, hop{ip: p.ip, port: w.proxyPorts[i], os: osLinux, via: via, xff: true, dnsP: 0.25,
			server: "squid/6.10", negotiate: true, cacheName: p.fqdn})
	}

	c := newCase("reverse_proxy", "", true, "internal_rogue_http_proxy")
	c.tc.Hosts.Proxy = ipPort(w.rp, 443)
	c.tc.Hosts.Backends = []string{ipPort(w.web[0], 8080), ipPort(w.web[1], 8080)}
	c.tc.Domains = []string{"www." + w.pubDomain, "portal." + w.pubDomain}
	c.tc.Notes = "DMZ nginx reverse proxy: Internet clients reach it on 443, it forwards to the internal web servers on 8080 with X-Forwarded-For, X-Real-IP, X-Forwarded-Proto and Via headers."
	g.rpCase = g.addCase(c)
	r := newRand(g.cfg.Seed, "rpcert")
	g.rpCert = mkCert(r, "digicert", "www."+w.pubDomain, "C=US, ST=Illinois, L=Chicago, O="+titleCase(w.orgName)+" Inc.", []string{"www." + w.pubDomain, "portal." + w.pubDomain, w.pubDomain}, w.startUS/1e6)

	c = newCase("dev_web_server", "", true, "internal_rogue_http_proxy")
	c.tc.Hosts.Server = ipPort(w.devWS.ip, 8080)
	c.tc.Hosts.Clients = ipList(g.devClients)
	c.targets[w.devWS.ip] = true
	c.tc.Notes = "Developer workstation in Users serving a web app on 8080 to colleagues: plain GETs with relative URLs and Host = the workstation's own address; it relays nothing."
	g.devCase = g.addCase(c)

	c = newCase("jenkins_server", "", true, "internal_rogue_http_proxy")
	c.tc.Hosts.Server = ipPort(w.jenkins, 8080)
	c.targets[w.jenkins] = true
	c.extFrom = map[uint32]bool{w.jenkins: true}
	c.listClients = true
	c.tc.Notes = "Jenkins on 8080: engineers browse it (Host jenkins.<domain>:8080), the build agent holds a websocket, and the server itself fetches plugins/artifacts from the Internet (Java TLS stack) and polls git over SSH."
	g.jenkinsCase = g.addCase(c)

	c = newCase("letsencrypt_websites", "", true, "external_http_proxy_letsencrypt")
	for _, s := range w.popularLE {
		c.tc.Domains = append(c.tc.Domains, s.name)
		for _, ip := range s.ips {
			c.tc.Hosts.External = append(c.tc.Hosts.External, ipStr(ip))
			c.targets[ip] = true
		}
	}
	c.extTargets = true
	c.tc.Notes = "Popular small websites with Let's Encrypt certificates (TLS 1.2, certificate visible) on VPS/hosting address space, visited directly by many users on 443 only: no proxy requests."
	ci := g.addCase(c)
	g.leCase = ci
	for _, s := range w.popularLE {
		g.siteCase[s] = ci
	}

	c = newCase("cdn_usage", "", true, "domain_fronting")
	for _, s := range w.sites {
		switch s.prov.name {
		case "cloudfront", "azureedge", "fastly":
			if s.has(fHTTPS) && (s.has(fThird) || s.has(fBrowse)) {
				c.tc.Domains = append(c.tc.Domains, s.name)
				g.siteCase[s] = len(g.cases)
			}
		}
	}
	c.tc.Notes = "Ordinary CDN traffic (CloudFront, Azure CDN, Fastly) from browsers: the SNI always matches the name the client resolved, browser JA4s, no cleartext Host mismatch."
	g.cdnCase = g.addCase(c)

	c = newCase("corporate_vpn", "", true, "socks_proxy")
	c.tc.Hosts.External = []string{ipPort(w.vpnGW.ips[0], 443), ipPort(w.vpnGW.ips[0], 4501)}
	c.tc.Hosts.Clients = ipList(g.vpnClients)
	c.tc.Domains = []string{w.vpnGW.name}
	c.targets[w.vpnGW.ips[0]] = true
	c.tc.Notes = "Corporate VPN gateway (GlobalProtect style, DigiCert certificate for gp.<company>): IT staff authenticate over TLS 443 then hold multi-hour bulk UDP 4501 tunnels."
	g.vpnCase = g.addCase(c)
}

// ---- 1: internal rogue HTTP proxy ------------------------------------------------

func (g *gen) plantRogueProxy(r *rand.Rand, used map[uint32]bool) {
	p := g.pickHosts(r, 1, used, func(h *node) bool { return h.proxy < 0 && h.os != osMac })[0]
	ports := []uint16{8080, 3128, 8888, 8118}
	port := ports[r.IntN(len(ports))]
	h := hop{ip: p.ip, port: port, os: p.os, dnsP: 0.85}
	soft := ""
	switch port {
	case 3128:
		soft = "squid/5.7"
		h.via, h.xff, h.server, h.cacheName = "1.1 "+strings.ToLower(p.name)+" (squid/5.7)", true, soft, strings.ToLower(p.name)
	case 8888:
		soft = "tinyproxy/1.11.2"
		h.via, h.server = "1.1 "+strings.ToLower(p.name)+" (tinyproxy/1.11.2)", soft
		h.connResp = []kv{{"Proxy-agent", "tinyproxy/1.11.2"}}
	case 8118:
		soft = "Privoxy/3.0.34"
		h.connResp = []kv{{"Proxy-Agent", "Privoxy/3.0.34"}}
	default:
		soft = "a minimal forwarder (no Via, no X-Forwarded-For)"
	}
	auth := r.IntN(2) == 0
	if auth {
		h.authBasic = basicAuth(word(r)+strconv.Itoa(r.IntN(90)+10), randLabel(r, 10, alnum))
	}
	clients := g.pickHosts(r, 3+r.IntN(3), used, nil)
	c := newCase("internal_rogue_http_proxy", "T1090.001", false, "")
	c.tc.Hosts.Proxy = ipPort(p.ip, port)
	c.clients = ipSet(clients)
	c.targets[p.ip] = true
	c.extFrom = map[uint32]bool{p.ip: true}
	c.listClients = true
	authNote := ""
	if auth {
		authNote = " Clients send Proxy-Authorization: Basic; each client's first request is answered 407 with Proxy-Authenticate."
	}
	c.tc.Notes = fmt.Sprintf("Workstation %s (%s, %s) runs an unapproved HTTP proxy on %d (%s). Other Users hosts send CONNECT host:443 "+
		"(tunnelled TLS on the same flow) and absolute-URI GETs with Proxy-Connection headers; for each request the workstation resolves "+
		"the destination and opens its own outbound flow a few ms later with near-identical byte counts.%s", p.name, depts[p.dept].name, p.os, port, soft, authNote)
	ci := g.addCase(c)

	t0, t1, hours := g.window(r)
	n := clampN(6*hours, 30, 400)
	times := caseTimes(r, t0, t1, n, true)
	seen407 := map[uint32]bool{}
	g.schedule(ci, times, func(t int64, i int) {
		cl := clients[i%len(clients)]
		if i >= len(clients) {
			cl = clients[r.IntN(len(clients))]
		}
		req := g.browserReq(r, cl, t)
		req.first407 = auth && !seen407[cl.ip]
		seen407[cl.ip] = true
		g.proxied(t, req, []hop{h})
	})
}

// browserReq builds a typical user request (70% HTTPS via CONNECT, 30%
// cleartext absolute URI).
func (g *gen) browserReq(r *rand.Rand, cl *node, t int64) *proxReq {
	w := g.w
	req := &proxReq{cli: cl.ip, cliOS: cl.os, ua: cl.ua, client: cl.browser}
	if r.IntN(10) < 7 {
		req.dst = w.browse.pick(r)
		req.https = true
		req.up = g.lognI(2500, 0.9, 400, 400000)
		req.down = g.lognI(40000, 1.4, 800, 50<<20)
		req.dur = sec(g.logn(12, 1.2))
		return req
	}
	if r.IntN(2) == 0 {
		// typing a name: http://site/ answered by a redirect to https
		req.dst, req.path, req.ctype = w.browse.pick(r), "/", "text/html"
		req.status, req.redirect = 301, "https://"+req.dst.name+"/"
		req.up, req.down, req.dur = int64(420+r.IntN(200)), int64(180+r.IntN(400)), ms(g.logn(80, 0.6))
		return req
	}
	s, tx := g.plainPick(cl.os, r)
	req.dst, req.path, req.ctype = s, tx.url, tx.ctype
	if tx.ua != "" && r.IntN(2) == 0 {
		req.ua = tx.ua
	}
	req.up = int64(350 + len(tx.url))
	req.down = max(tx.length, 200) + 300
	req.dur = ms(g.logn(150, 0.8))
	return req
}

// plainPick returns a cleartext HTTP request typical for the OS.
func (g *gen) plainPick(os osKind, r *rand.Rand) (*site, httpTx) {
	w := g.w
	switch r.IntN(5) {
	case 0:
		if os != osWin {
			return w.site("ocsp.digicert.com"), httpTx{url: g.ocspPath(), ua: uaMacOCSP, ctype: "application/ocsp-response", length: int64(471 + r.IntN(400))}
		}
		return w.site("www.msftconnecttest.com"), httpTx{url: "/connecttest.txt", ua: uaNCSI, ctype: "text/plain", length: 22}
	case 1:
		c := cabFiles[r.IntN(len(cabFiles))]
		return w.site("ctldl.windowsupdate.com"), httpTx{url: c.path + "?" + randLabel(r, 16, "0123456789abcdef"), ua: uaCryptoAPI, ctype: "application/vnd.ms-cab-compressed", length: c.size}
	case 2:
		return w.site("ocsp.digicert.com"), httpTx{url: g.ocspPath(), ua: uaCryptoAPI, ctype: "application/ocsp-response", length: int64(471 + r.IntN(1400))}
	case 3:
		return w.site("ocsp.pki.goog"), httpTx{url: "/gts1c3" + g.ocspPath(), ua: uaCryptoAPI, ctype: "application/ocsp-response", length: int64(472 + r.IntN(300))}
	}
	if os == osLinux {
		return w.site("archive.ubuntu.com"), httpTx{url: "/ubuntu/dists/noble/Release", ua: uaAPT, ctype: "application/octet-stream", length: 266000}
	}
	return w.site("oneocsp.microsoft.com"), httpTx{url: g.ocspPath(), ua: uaCryptoAPI, ctype: "application/ocsp-response", length: int64(1400 + r.IntN(400))}
}

// ---- 2: external HTTP proxy with a Let's Encrypt certificate ------------------------

var cheapDomains = []string{"%s%d.duckdns.org", "%s-%s.xyz", "%s%s.top", "%s-%s.online", "%s%d.hopto.org", "%s%d.ddns.net", "%s-%s.site", "%s%s.icu", "%s-%d.shop"}

func cheapDomain(r *rand.Rand) string {
	pat := cheapDomains[r.IntN(len(cheapDomains))]
	a, b := word(r), word(r)
	n := 10 + r.IntN(990)
	switch strings.Count(pat, "%s") {
	case 1:
		return fmt.Sprintf(pat, a, n)
	}
	if strings.Contains(pat, "%d") {
		return fmt.Sprintf(pat, a, n)
	}
	return fmt.Sprintf(pat, a, b)
}

// extSite registers a case-specific external name so DNS answers resolve it.
func (g *gen) extSite(name string, ips []uint32, c *cert, prov *provider) *site {
	s := &site{name: name, ips: ips, cert: c, flags: fHTTPS | fTLS12, prov: prov, ttl: 300}
	g.w.addSite(s)
	return s
}

func (g *gen) plantExternalProxy(r *rand.Rand, used map[uint32]bool) {
	w := g.w
	prov := providers[vpsProviders[r.IntN(len(vpsProviders))]]
	ip := prov.pick(r)
	dom := cheapDomain(r)
	port := []uint16{8080, 3128, 8000, 8888}[r.IntN(4)]
	t0, t1, _ := g.window(r)
	crt := mkCert(r, "le", dom, "", []string{dom}, w.startUS/1e6)
	// freshly issued a few days before first use
	crt.nb = t0/1e6 - int64(2+r.IntN(18))*86400 - int64(r.IntN(86400))
	crt.na = crt.nb + 90*86400 - 1
	s := g.extSite(dom, []uint32{ip}, crt, prov)
	s.ttl = 60
	h := hop{ip: ip, port: port, os: osLinux, server: "squid/6.6"}
	if r.IntN(2) == 0 {
		h.via = "1.1 " + dom + " (squid/6.6)"
		h.cacheName = dom
	}
	auth := r.IntN(2) == 0
	if auth {
		h.authBasic = basicAuth(word(r), randLabel(r, 12, alnum))
	}
	clients := g.pickHosts(r, 1+r.IntN(2), used, nil)
	c := newCase("external_http_proxy_letsencrypt", "T1090.002", false, "")
	c.tc.Hosts.Proxy = ipPort(ip, port)
	c.tc.Hosts.Clients = ipList(clients)
	c.tc.Hosts.External = []string{ipStr(ip)}
	c.tc.Domains = []string{dom}
	c.clients = ipSet(clients)
	c.targets[ip] = true
	c.listClients = true
	c.extTargets = true
	c.tc.Notes = fmt.Sprintf("External %s address %s (%s) acts as an HTTP proxy on %d: Users hosts send CONNECT and absolute-URI requests to it; "+
		"the same IP serves TLS 1.2 on 443 with a fresh Let's Encrypt certificate (%s, CN=%s, issued %s). Clients resolve the name before use.",
		prov.name, ipStr(ip), dom, port, crt.issuer, dom, string(appDateTime(nil, crt.nb)))
	ci := g.addCase(c)

	for k, cl := range clients {
		cl := cl
		start := t0
		if k > 0 {
			start = t0 + int64(float64(t1-t0)*(0.1+0.3*r.Float64()))
		}
		n := clampN(5*float64(t1-start)/3600e6, 20, 250)
		times := caseTimes(r, start, t1, n, true)
		times[0] = start
		g.schedule(ci, times, func(t int64, i int) {
			if i == 0 || r.IntN(10) == 0 {
				// visit the site itself (LE certificate on 443)
				ipx, tt := g.lookupSite(t, cl.ip, cl.os, s)
				g.tlsFlow(tt+ms(1), &tlsConn{cli: cl.ip, cliOS: cl.os, ip: ipx, port: 443, sni: dom, cert: crt, tls12: true, client: cl.browser,
					up: g.lognI(2000, 0.6, 500, 20000), down: g.lognI(6000, 0.8, 800, 200000), dur: sec(g.logn(3, 0.8))})
				t = tt + sec(2+r.Float64()*5)
			} else if r.IntN(3) == 0 {
				_, t = g.lookupSite(t, cl.ip, cl.os, s)
				t += ms(1)
			}
			req := g.browserReq(r, cl, t)
			req.first407 = auth && i == 0
			g.proxied(t, req, []hop{h})
		})
	}
}

// ---- 3: SOCKS proxy ----------------------------------------------------------------

var sigSocks = sigDef{2018571, 3, "ET POLICY SOCKSv5 Proxy Inbound Connect (Outbound)", "Potential Corporate Privacy Violation", 1,
	`"attack_target":["Client_Endpoint"],"created_at":["2014_06_02"],"deployment":["Perimeter"],"signature_severity":["Informational"],"updated_at":["2024_03_12"],"mitre_tactic_id":["TA0011"],"mitre_tactic_name":["Command_And_Control"],"mitre_technique_id":["T1090"],"mitre_technique_name":["Proxy"]`}

func (g *gen) plantSocks(r *rand.Rand, used map[uint32]bool) {
	prov := providers[vpsProviders[r.IntN(len(vpsProviders))]]
	ip := prov.pick(r)
	port := []uint16{1080, 1080, 9050, 10808, 1081}[r.IntN(5)]
	cl := g.pickHosts(r, 1, used, nil)[0]
	withAlert := r.IntN(2) == 0
	c := newCase("socks_proxy", "T1090", false, "")
	c.tc.Hosts.Proxy = ipPort(ip, port)
	c.tc.Hosts.Clients = []string{ipStr(cl.ip)}
	c.tc.Hosts.External = []string{ipStr(ip)}
	c.clients = map[uint32]bool{cl.ip: true}
	c.targets[ip] = true
	c.listClients = true
	c.extTargets = true
	alertNote := "No IDS signature fires."
	if withAlert {
		alertNote = "An ET POLICY SOCKSv5 signature fires on some connections (do not rely on it: other seeds have none)."
	}
	c.tc.Notes = fmt.Sprintf("Host %s talks SOCKS5 to %s:%d (%s). Suricata has no SOCKS parser: flows show app_proto failed (or none for tiny ones); "+
		"short handshake-sized connections alternate with long-lived bulk tunnels. %s", cl.name, ipStr(ip), port, prov.name, alertNote)
	ci := g.addCase(c)
	t0, t1, hours := g.window(r)
	n := clampN(4*hours, 20, 200)
	times := caseTimes(r, t0, t1, n, false)
	g.schedule(ci, times, func(t int64, i int) {
		var f flow
		g.initFlow(&f, t, cl.ip, g.eport(cl.os), ip, port, pTCP)
		long := i > 0 && r.IntN(100) < 55
		if long {
			f.app = "failed"
			dur := sec(min(g.logn(1200, 1.2), 4*3600))
			f.end = t + dur
			f.vol(g.lognI(400000, 1.5, 20000, 40<<20), g.lognI(20<<20, 1.5, 300000, 2<<30))
			if r.IntN(5) == 0 {
				f.tcp = tcpEstablished
			}
		} else {
			if r.IntN(2) == 0 {
				f.app = "failed"
			}
			f.end = t + ms(200+r.Float64()*3000)
			f.vol(int64(40+r.IntN(2500)), int64(12+r.IntN(1800)))
		}
		if withAlert && (i == 0 || r.IntN(6) == 0) {
			g.emitAlert(t+g.rttTo(ip)*2, &f, &sigSocks, true, -1, nil)
		}
		g.emitFlow(&f)
	})
}

// ---- 4: Tor ----------------------------------------------------------------------

func (g *gen) plantTor(r *rand.Rand, used map[uint32]bool) {
	w := g.w
	cl := g.pickHosts(r, 1, used, nil)[0]
	type relay struct {
		ip      uint32
		port    uint16
		dirPort uint16
		crt     *cert
	}
	nrel := 6 + r.IntN(4)
	var relays []relay
	provs := []string{"torexit", "hetzner", "ovh", "digitalocean", "contabo", "linode"}
	for i := 0; i < nrel; i++ {
		rl := relay{ip: providers[provs[r.IntN(len(provs))]].pick(r), port: 9001}
		if r.IntN(10) < 3 {
			rl.port = 443
		}
		if r.IntN(3) == 0 {
			rl.dirPort = 9030
		}
		nb := (w.startUS/1e6 - int64(1+r.IntN(4))*86400) / 86400 * 86400
		ser := make([]byte, 8)
		fillRand(r, ser)
		ser[0] &= 0x7f
		fp := make([]byte, 20)
		fillRand(r, fp)
		rl.crt = &cert{
			subject: "CN=www." + randLabel(r, 8+r.IntN(12), lower) + ".com",
			issuer:  "CN=www." + randLabel(r, 8+r.IntN(12), lower) + ".net",
			serial:  colonHex(ser, true), fp: colonHex(fp, false),
			nb: nb, na: nb + int64(30+r.IntN(150))*86400,
		}
		relays = append(relays, rl)
	}
	noSNI := r.IntN(5) < 2
	withAlert := r.IntN(2) == 0
	withDownload := r.IntN(2) == 0
	c := newCase("tor", "T1090.003", false, "")
	c.tc.Hosts.Clients = []string{ipStr(cl.ip)}
	c.clients = map[uint32]bool{cl.ip: true}
	for _, rl := range relays {
		c.tc.Hosts.Relays = append(c.tc.Hosts.Relays, ipPort(rl.ip, rl.port))
		c.tc.Hosts.External = append(c.tc.Hosts.External, ipStr(rl.ip))
		c.targets[rl.ip] = true
	}
	c.listClients = true
	c.extTargets = true
	c.torCase = true
	sniNote := "random www.<x>.com SNI"
	if noSNI {
		sniNote = "no SNI"
	}
	c.tc.Notes = fmt.Sprintf("Host %s runs a Tor client: TLS 1.2 to relays on ORPorts 9001/443 (%s, self-signed link certificates with random www.<x>.com subject and www.<y>.net issuer, "+
		"short validity), bootstrap directory fetches, and long-lived guard connections. Relay IPs are listed in hosts.relays and tor_relays.", cl.name, sniNote)
	if withDownload {
		c.tc.Domains = []string{"www.torproject.org", "dist.torproject.org"}
		c.tc.Notes += " Before first use the host downloads Tor Browser from dist.torproject.org."
	}
	if withAlert {
		c.tc.Notes += " ET TOR relay signatures fire on some flows (not in every seed)."
	}
	ci := g.addCase(c)
	sig := sigDef{2522000 + 2*(40+r.IntN(300)), 3468 + r.IntN(400), "", "Misc Attack", 2,
		`"affected_product":["Any"],"attack_target":["Any"],"created_at":["2008_12_01"],"deployment":["Perimeter"],"signature_severity":["Minor"],"tag":["TOR"],"updated_at":["2026_11_18"]`}
	sig.msg = "ET TOR Known Tor Relay/Router (Not Exit) Node Traffic group " + strconv.Itoa((sig.sid-2522000)/2+1)

	torSite := g.extSite("www.torproject.org", []uint32{providers["hetzner"].pickHash("www.torproject.org"), providers["hetzner"].pickHash("www.torproject.org/2")},
		mkCert(r, "le", "www.torproject.org", "", []string{"www.torproject.org", "torproject.org"}, w.startUS/1e6), providers["hetzner"])
	distSite := g.extSite("dist.torproject.org", []uint32{providers["hetzner"].pickHash("dist.torproject.org")},
		mkCert(r, "le", "dist.torproject.org", "", []string{"dist.torproject.org"}, w.startUS/1e6), providers["hetzner"])

	t0, t1, hours := g.window(r)
	starts := clampN(hours/1.5, 4, 30)
	times := caseTimes(r, t0, t1, starts, true)
	times[0] = t0
	guards := []int{3 % nrel, 4 % nrel}
	connect := func(t int64, rl relay, long bool) {
		var f flow
		g.initFlow(&f, t, cl.ip, g.eport(cl.os), rl.ip, rl.port, pTCP)
		f.app = "tls"
		sni := ""
		if !noSNI {
			sni = "www." + randLabel(r, 6+r.IntN(14), lower) + ".com"
		}
		rtt := g.rttTo(rl.ip)
		g.tlsOnFlow(&f, t, &tlsConn{ip: rl.ip, sni: sni, cert: rl.crt, tls12: true, client: tcTor, ja3s: &ja3s12[1]}, rtt)
		if long {
			f.end = t + sec(min(g.logn(2400, 0.8), 3*3600))
			f.vol(g.lognI(2<<20, 1.2, 100000, 200<<20), g.lognI(30<<20, 1.3, 500000, 2<<30))
		} else {
			f.end = t + sec(2+r.Float64()*15)
			f.vol(int64(3000+r.IntN(20000)), int64(80000+r.IntN(2000000)))
		}
		if withAlert && r.IntN(3) == 0 {
			g.emitAlert(t+rtt, &f, &sig, true, -1, nil)
		}
		g.emitFlow(&f)
	}
	g.schedule(ci, times, func(t int64, i int) {
		if i == 0 && withDownload {
			ip, tt := g.lookupSite(t, cl.ip, cl.os, torSite)
			g.tlsFlow(tt+ms(1), &tlsConn{cli: cl.ip, cliOS: cl.os, ip: ip, port: 443, sni: torSite.name, cert: torSite.cert, tls12: true, client: cl.browser,
				up: 4000, down: 180000, dur: sec(6)})
			ip, tt = g.lookupSite(tt+sec(20), cl.ip, cl.os, distSite)
			g.tlsFlow(tt+ms(1), &tlsConn{cli: cl.ip, cliOS: cl.os, ip: ip, port: 443, sni: distSite.name, cert: distSite.cert, tls12: true, client: cl.browser,
				up: 30000, down: 142 << 20, dur: sec(40)})
			t = tt + sec(300+r.Float64()*600)
		}
		// bootstrap: directory fetches from a few relays (the first start
		// tries every known fallback directory)
		nd := 1 + r.IntN(3)
		if i == 0 {
			nd = nrel
		}
		for k := 0; k < nd; k++ {
			rl := relays[r.IntN(nrel)]
			if i == 0 {
				rl = relays[k]
			}
			if i == 0 {
				connect(t, rl, false)
			}
			if rl.dirPort != 0 && r.IntN(3) == 0 {
				var f flow
				g.initFlow(&f, t, cl.ip, g.eport(cl.os), rl.ip, rl.dirPort, pTCP)
				f.app = "http"
				l := int64(600000 + r.IntN(1500000))
				tx := httpTx{host: ipStr(rl.ip), url: "/tor/status-vote/current/consensus-microdesc/D586D1+14C131+E8A9C4+ED03BB+0232AF+49015F+EFCBE7+23D15D+27102B.z",
					method: "GET", proto: "HTTP/1.0", status: 200, ctype: "application/octet-stream", length: l,
					reqH:  []kv{{"Host", ipStr(rl.ip)}},
					respH: []kv{{"Content-Type", "application/octet-stream"}, {"Content-Encoding", "deflate"}, {"Expires", "Sat, 21 Nov 2026 01:00:00 GMT"}}}
				done := g.plainExchange(t+g.rttTo(rl.ip), &f, &tx, false, 0)
				f.end = done + ms(5)
				f.vol(400, l+600)
				g.emitFlow(&f)
			} else if i > 0 {
				connect(t, rl, false)
			}
			t += sec(0.5 + r.Float64()*3)
		}
		// guard connection(s) for the session
		connect(t+sec(1), relays[guards[r.IntN(2)]], true)
		if r.IntN(2) == 0 {
			connect(t+sec(30+r.Float64()*600), relays[guards[r.IntN(2)]], true)
		}
	})
}

// ---- 5: multi-hop chain -----------------------------------------------------------

func (g *gen) plantMultiHop(r *rand.Rand, used map[uint32]bool) {
	w := g.w
	cl := g.pickHosts(r, 1, used, nil)[0]
	pivIdx := r.IntN(2)
	piv := w.apps[pivIdx]
	pivName := []string{"app01", "app02"}[pivIdx]
	pivPort := []uint16{3129, 8081, 8889}[r.IntN(3)]
	prov := providers[vpsProviders[r.IntN(len(vpsProviders))]]
	ext := prov.pick(r)
	extPort := []uint16{3128, 8080, 8888}[r.IntN(3)]
	dom := "api." + word(r) + word(r) + []string{".net", ".io", ".cc", ".info"}[r.IntN(4)]
	dstProv := providers[vpsProviders[r.IntN(len(vpsProviders))]]
	dst := g.extSite(dom, []uint32{dstProv.pick(r)}, mkCert(r, "le", dom, "", []string{dom}, w.startUS/1e6), dstProv)
	hops := []hop{
		{ip: piv, port: pivPort, os: osLinux, via: "1.1 " + pivName + "." + w.domain + " (squid/4.15)", xff: true, dnsP: 0, server: "squid/4.15", cacheName: pivName + "." + w.domain},
		{ip: ext, port: extPort, os: osLinux, via: "1.1 " + randLabel(r, 6, lower) + " (squid/6.6)", xff: true, server: "squid/6.6"},
	}
	c := newCase("multi_hop_chain", "T1090.003", false, "")
	c.tc.Hosts.Clients = []string{ipStr(cl.ip)}
	c.tc.Hosts.Pivot = ipPort(piv, pivPort)
	c.tc.Hosts.Proxy = ipPort(ext, extPort)
	c.tc.Hosts.External = []string{ipStr(ext)}
	c.tc.Hops = []string{ipStr(cl.ip), ipPort(piv, pivPort), ipPort(ext, extPort), dom}
	c.tc.HopCount = 2
	c.tc.Domains = []string{dom}
	c.clients = map[uint32]bool{cl.ip: true}
	c.targets[piv] = true
	c.listClients = true
	c.tc.Notes = fmt.Sprintf("Chain client %s -> internal pivot %s:%d (%s.%s, a server running a forwarding proxy) -> external proxy %s:%d (%s) -> %s (and other sites). "+
		"The pivot's CONNECT / absolute-URI requests to the external proxy start a few ms after the client's and carry Via and X-Forwarded-For with the client; "+
		"responses to the client carry both proxies' Via entries. hop_count = number of relaying proxies.",
		ipStr(cl.ip), ipStr(piv), pivPort, pivName, w.domain, ipStr(ext), extPort, prov.name, dom)
	ci := g.addCase(c)
	t0, t1, hours := g.window(r)
	n := clampN(5*hours, 25, 300)
	times := caseTimes(r, t0, t1, n, true)
	g.schedule(ci, times, func(t int64, i int) {
		req := g.browserReq(r, cl, t)
		if req.https && (i == 0 || r.IntN(10) < 6) {
			req.dst = dst
		}
		if !req.https && r.IntN(2) == 0 {
			req.dst, req.path, req.ctype = dst, "/v1/"+[]string{"sync", "upload", "report", "status"}[r.IntN(4)]+"?id="+randLabel(r, 12, alnum), "application/json"
			req.method = []string{"GET", "POST"}[r.IntN(2)]
		}
		g.proxied(t, req, hops)
	})
}

// ---- 6: domain fronting --------------------------------------------------------------

func (g *gen) plantFronting(r *rand.Rand, used map[uint32]bool) {
	w := g.w
	cl := g.pickHosts(r, 1, used, nil)[0]
	var front *site
	var backend string
	var respH []kv
	switch r.IntN(3) {
	case 0:
		front = w.site([]string{"a0.awsstatic.com", "d1.awsstatic.com", "cdn.segment.com", "api.segment.io"}[r.IntN(4)])
		backend = "d" + randLabel(r, 13, alnum) + ".cloudfront.net"
		respH = []kv{{"Via", "1.1 " + randLabel(r, 32, "0123456789abcdef") + ".cloudfront.net (CloudFront)"}, {"X-Cache", "Miss from cloudfront"}, {"X-Amz-Cf-Pop", "FRA56-P" + strconv.Itoa(1+r.IntN(9))}}
	case 1:
		front = w.site([]string{"ajax.aspnetcdn.com", "js.monitor.azure.com"}[r.IntN(2)])
		backend = word(r) + word(r) + strconv.Itoa(100+r.IntN(900)) + ".azureedge.net"
		respH = []kv{{"X-Azure-Ref", "20261120T" + randLabel(r, 24, "0123456789ABCDEF")}, {"X-Cache", "TCP_MISS"}}
	default:
		front = w.site([]string{"cdn.jsdelivr.net", "github.githubassets.com", "www.redditstatic.com"}[r.IntN(3)])
		backend = word(r) + "-" + word(r) + ".global.ssl.fastly.net"
		respH = []kv{{"Via", "1.1 varnish"}, {"X-Served-By", "cache-fra-eddf82300" + strconv.Itoa(10+r.IntN(89)) + "-FRA"}, {"X-Cache", "MISS"}}
	}
	cli := []*tlsClient{tcGo, tcPython, tcSchannel12}[r.IntN(3)]
	ua := []string{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; rv:11.0) like Gecko", uaPython, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"}[r.IntN(3)]
	period := float64(60 + r.IntN(241))
	t0, t1, hours := g.window(r)
	// keep the case small: at most ~12 beacons per hour of activity
	if maxN := float64(clampN(12*hours, 40, 300)); float64(t1-t0)/1e6/period > maxN {
		period = float64(t1-t0) / 1e6 / maxN
	}
	times := regular(r, t0, t1, period, 0.15)
	c := newCase("domain_fronting", "T1090.004", false, "")
	c.tc.Hosts.Clients = []string{ipStr(cl.ip)}
	c.tc.Domains = []string{front.name, backend}
	c.clients = map[uint32]bool{cl.ip: true}
	c.listClients = true
	c.tc.IntervalSeconds = math.Round(period*10) / 10
	c.extTargets = true
	c.tc.Notes = fmt.Sprintf("Host %s resolves the allowed CDN name %s and sends TLS with SNI %s to the returned %s edge address, beaconing about every %.0fs with a non-browser TLS stack (%s); "+
		"cleartext port-80 requests to the same edge address carry Host: %s, a different backend on the same CDN that the host never resolved.",
		cl.name, front.name, front.name, front.prov.name, period, cli.name, backend)
	ci := g.addCase(c)
	var ip uint32
	var lastDNS int64 = -1 << 60
	g.schedule(ci, times, func(t int64, i int) {
		tt := t
		if t-lastDNS > int64(front.ttl)*1e6 || ip == 0 {
			ip, tt = g.lookupSite(t, cl.ip, cl.os, front)
			tt += ms(1)
			lastDNS = t
			c.targets[ip] = true
		}
		big := r.IntN(12) == 0
		up, down := int64(900+r.IntN(2500)), int64(600+r.IntN(3000))
		if big {
			down = int64(200000 + r.IntN(3000000))
		}
		g.tlsFlow(tt, &tlsConn{cli: cl.ip, cliOS: cl.os, ip: ip, port: 443, sni: front.name, cert: front.cert, tls12: front.has(fTLS12), client: cli,
			up: up, down: down, dur: ms(300 + r.Float64()*1500)})
		if i%7 == 3 || r.IntN(8) == 0 {
			var f flow
			t2 := tt + sec(1+r.Float64()*3)
			g.initFlow(&f, t2, cl.ip, g.eport(cl.os), ip, 80, pTCP)
			f.app = "http"
			meth := []string{"GET", "POST"}[r.IntN(2)]
			path := []string{"/api/v2/sync", "/content/check", "/v1/telemetry", "/assets/update.json"}[r.IntN(4)] + "?s=" + randLabel(r, 10, alnum)
			l := int64(200 + r.IntN(4000))
			tx := httpTx{host: backend, url: path, ua: ua, ctype: "application/json", method: meth, proto: "HTTP/1.1", status: 200, length: l,
				reqH: []kv{{"Host", backend}, {"User-Agent", ua}, {"Accept", "*/*"}, {"Cache-Control", "no-cache"}}}
			tx.respH = append([]kv{{"Content-Type", "application/json"}, {"Content-Length", strconv.FormatInt(l, 10)}}, respH...)
			done := g.plainExchange(t2+g.rttTo(ip), &f, &tx, false, 0)
			f.end = done + ms(3)
			f.vol(int64(350+r.IntN(3000)), l+400)
			g.emitFlow(&f)
		}
	})
}

// ---- 7: tunnelling service -------------------------------------------------------------

func (g *gen) plantTunnel(r *rand.Rand, used map[uint32]bool) {
	w := g.w
	cl := g.pickHosts(r, 1, used, nil)[0]
	var name, provName, fam string
	var san []string
	a, b := word(r), word(r)
	switch r.IntN(7) {
	case 0:
		name = fmt.Sprintf("%s-%d-%d-%d-%d.ngrok-free.app", randLabel(r, 4, "0123456789abcdef"), 80+r.IntN(100), r.IntN(255), r.IntN(255), r.IntN(255))
		provName, fam, san = "aws", "le", []string{"*.ngrok-free.app", "ngrok-free.app"}
	case 1:
		name = fmt.Sprintf("%s-%s-%s-%s.trycloudflare.com", a, b, word(r), word(r))
		provName, fam, san = "cloudflare", "gtswe1", []string{"*.trycloudflare.com", "trycloudflare.com"}
	case 2:
		name = fmt.Sprintf("%s-%s-%d.loca.lt", a, b, 10+r.IntN(90))
		provName, fam, san = "digitalocean", "le", []string{"*.loca.lt", "loca.lt"}
	case 3:
		name = randLabel(r, 32, "0123456789abcdef") + ".serveo.net"
		provName, fam, san = "hetzner", "le", []string{"*.serveo.net", "serveo.net"}
	case 4:
		name = a + b + ".pagekite.me"
		provName, fam, san = "linode", "le", []string{"*.pagekite.me", "pagekite.me"}
	case 5:
		name = fmt.Sprintf("%s%d-%d.portmap.io", a, r.IntN(100), 10000+r.IntN(50000))
		provName, fam, san = "ovh", "le", []string{"*.portmap.io", "portmap.io"}
	default:
		name = randLabel(r, 8, alnum) + "-" + strconv.Itoa(3000+r.IntN(6000)) + ".euw.devtunnels.ms"
		provName, fam, san = "azureedge", "ms", []string{"*.euw.devtunnels.ms"}
	}
	prov := providers[provName]
	crt := mkCert(r, fam, san[0], "", san, w.startUS/1e6)
	ips := []uint32{prov.pick(r)}
	if provName == "cloudflare" || provName == "aws" {
		ips = append(ips, prov.pick(r))
	}
	s := g.extSite(name, ips, crt, prov)
	if r.IntN(2) == 0 {
		s.flags &^= fTLS12
	}
	s.ttl = 30
	cli := []*tlsClient{tcGo, tcPython, tcCurl}[r.IntN(3)]
	period := float64([]int{30, 60, 120, 300, 600}[r.IntN(5)])
	t0, t1, _ := g.window(r)
	if end := t0 + int64((6+r.Float64()*8)*3600e6); end < t1 {
		t1 = end
	}
	if float64(t1-t0)/1e6/period > 400 {
		period = float64(t1-t0) / 1e6 / 400
	}
	if float64(t1-t0)/1e6/period < 30 {
		period = max(10, float64(t1-t0)/1e6/30)
	}
	times := regular(r, t0, t1, period, 0.06)
	c := newCase("tunnel_service", "T1090", false, "")
	c.tc.Hosts.Clients = []string{ipStr(cl.ip)}
	for _, ip := range ips {
		c.tc.Hosts.External = append(c.tc.Hosts.External, ipStr(ip))
		c.targets[ip] = true
	}
	c.tc.Domains = []string{name}
	c.tc.IntervalSeconds = period
	c.clients = map[uint32]bool{cl.ip: true}
	c.listClients = true
	c.extTargets = true
	c.tc.Notes = fmt.Sprintf("Host %s beacons to the tunnelling-service name %s every ~%.0fs (jitter 6%%) for several hours: DNS lookup then a short TLS session (SNI = the tunnel name, %s TLS stack).",
		cl.name, name, period, cli.name)
	ci := g.addCase(c)
	g.schedule(ci, times, func(t int64, i int) {
		ip := ips[r.IntN(len(ips))]
		tt := t
		if i == 0 || r.IntN(10) < 7 {
			ip, tt = g.lookupSite(t, cl.ip, cl.os, s)
			tt += ms(1)
		}
		g.tlsFlow(tt, &tlsConn{cli: cl.ip, cliOS: cl.os, ip: ip, port: 443, sni: name, cert: crt, tls12: s.has(fTLS12), client: cli,
			up: int64(400 + r.IntN(1200)), down: int64(300 + r.IntN(5000)), dur: ms(300 + r.Float64()*1700)})
	})
}

// ---- 8: CDN abuse ----------------------------------------------------------------------

func (g *gen) plantCDNAbuse(r *rand.Rand, used map[uint32]bool) {
	w := g.w
	cl := g.pickHosts(r, 1, used, nil)[0]
	name := "d" + randLabel(r, 13, alnum) + ".cloudfront.net"
	prov := providers["cloudfront"]
	s := g.extSite(name, []uint32{prov.pick(r), prov.pick(r), prov.pick(r)}, mkCert(r, "amazon", "*.cloudfront.net", "", []string{"*.cloudfront.net", "cloudfront.net"}, w.startUS/1e6), prov)
	s.flags &^= fTLS12
	s.ttl = 60
	t0, t1, _ := g.window(r)
	if end := t0 + int64((3+r.Float64()*3)*3600e6); end < t1 {
		t1 = end
	}
	hours := float64(t1-t0) / 3600e6
	n := clampN(10*hours, 20, 120)
	times := caseTimes(r, t0, t1, n, false)
	c := newCase("cdn_abuse", "T1090", false, "")
	c.tc.Hosts.Clients = []string{ipStr(cl.ip)}
	for _, ip := range s.ips {
		c.tc.Hosts.External = append(c.tc.Hosts.External, ipStr(ip))
		c.targets[ip] = true
	}
	c.tc.Domains = []string{name}
	c.clients = map[uint32]bool{cl.ip: true}
	c.listClients = true
	c.extTargets = true
	c.tc.Notes = fmt.Sprintf("Host %s suddenly sends large uploads (MBs per connection) to CloudFront distribution %s from a Python TLS stack, without the page loads and third-party requests that normally accompany CDN use.", cl.name, name)
	ci := g.addCase(c)
	g.schedule(ci, times, func(t int64, i int) {
		ip, tt := g.lookupSite(t, cl.ip, cl.os, s)
		g.tlsFlow(tt+ms(1), &tlsConn{cli: cl.ip, cliOS: cl.os, ip: ip, port: 443, sni: name, cert: s.cert, client: tcPython,
			up: g.lognI(12<<20, 0.8, 1<<20, 200<<20), down: int64(2000 + r.IntN(8000)), dur: sec(g.logn(40, 0.6))})
	})
}

// ---- truth --------------------------------------------------------------------------

func (g *gen) truthDoc(st Stats) Truth {
	w := g.w
	doc := Truth{
		Seed: g.cfg.Seed, Start: isoTime(w.startUS), End: isoTime(w.endUS), Hosts: g.cfg.Hosts, Hours: g.cfg.Hours,
		Suricata8Fraction: g.cfg.Suricata8Fraction, Events: st.Events, ByType: st.ByType, Org: w.org,
		TorRelays: []string{},
	}
	for i, c := range g.cases {
		tc := c.tc
		tc.ID = "case-" + strconv.Itoa(i+1)
		tc.Events = c.events
		if c.events > 0 {
			tc.FirstSeen = isoTime(c.first)
			tc.LastSeen = isoTime(c.last)
		}
		if c.firstUse < 1<<62 {
			tc.FirstUse = isoTime(c.firstUse)
			tc.FirstClient = ipStr(c.firstUseSrc)
		}
		if c.listClients {
			tc.Hosts.Clients = sortedIPs(c.seen)
		}
		if len(c.ext) > 0 {
			tc.Hosts.External = sortedIPs(c.ext)
		}
		if c.extTargets {
			tc.Hosts.External = sortedIPs(c.seenT)
		}
		if c.torCase {
			var rl []string
			for _, r := range tc.Hosts.Relays {
				ip, _, _ := strings.Cut(r, ":")
				if c.seenT[parseIP4(ip)] {
					rl = append(rl, r)
				}
			}
			tc.Hosts.Relays = rl
			doc.TorRelays = tc.Hosts.External
		}
		doc.Cases = append(doc.Cases, tc)
	}
	return doc
}

func sortedIPs(m map[uint32]bool) []string {
	ips := make([]uint32, 0, len(m))
	for ip := range m {
		ips = append(ips, ip)
	}
	sort.Slice(ips, func(i, j int) bool { return ips[i] < ips[j] })
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ipStr(ip)
	}
	return out
}
