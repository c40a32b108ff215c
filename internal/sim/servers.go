package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// Server-side and Internet-side background: monitoring, directory
// replication, mail, the DMZ reverse proxy, Internet scanners, Jenkins, NTP,
// backups, and the benign look-alikes that live on servers.

func (g *gen) hostScale() float64 { return float64(g.cfg.Hosts) * g.cfg.EventsPerHostHour / defaultEPH }

// every schedules fn at a jittered period (seconds) from the start.
func (g *gen) every(period float64, jitter float64, fn func(t int64)) {
	p := sec(period)
	g.addSource(g.w.startUS+int64(g.r.Float64()*float64(p)), func(t int64) int64 {
		fn(t)
		return t + p + int64((g.r.Float64()*2-1)*jitter*float64(p))
	})
}

// poisson schedules fn as a Poisson process with perHour events at full
// daytime load, shaped by the diurnal profile when shaped is true.
func (g *gen) poisson(perHour float64, shaped bool, fn func(t int64)) {
	if perHour <= 0 {
		return
	}
	rate := perHour / 3600e6
	g.addSource(g.w.startUS+int64(g.r.ExpFloat64()/rate), func(t int64) int64 {
		if !shaped || g.r.Float64() < diurnal(t) {
			fn(t)
		}
		return t + 1 + int64(g.r.ExpFloat64()/rate)
	})
}

func (g *gen) setupServers() {
	w := g.w
	k := g.hostScale()
	// monitoring: ICMP and SNMP polls
	monPeriod := 300.0
	if g.cfg.Hosts >= 300 {
		monPeriod = 60
	}
	g.every(monPeriod, 0.02, func(t int64) { g.monitorPoll(t) })
	g.every(240, 0.3, func(t int64) { g.dcReplication(t) })
	g.every(1024, 0.05, func(t int64) { g.ntpServers(t) })
	g.every(300, 0.1, func(t int64) { g.jenkinsPoll(t) })
	g.poisson(2.5, true, func(t int64) { g.jenkinsOutbound(t) })
	g.every(3600, 0, func(t int64) { g.backupJobs(t) })
	g.poisson(0.35*k, true, func(t int64) { g.mailOut(t) })
	g.poisson(0.45*k, false, func(t int64) { g.mailIn(t) })
	g.poisson(0.9*k, false, func(t int64) { g.reverseProxy(t) })
	g.poisson(100+2.0*k, false, func(t int64) { g.scanner(t) })
	g.poisson(0.3*k, false, func(t int64) {
		g.noise(t, w.ws[g.r.IntN(len(w.ws))])
	})
	g.poisson(0.02*k+0.2, true, func(t int64) { g.scanToEmail(t) })
	g.poisson(0.3*k+1, true, func(t int64) { g.adminActivity(t) })
	g.setupDevServer()
	g.setupVPN()
}

// ---- infrastructure --------------------------------------------------------------

func (g *gen) monitorPoll(t int64) {
	w := g.w
	tt := t
	for _, s := range w.org.Servers {
		ip := parseIP4(s.IP)
		if netDMZ.contains(ip) || ip == w.monitor {
			continue
		}
		var f flow
		g.initFlow(&f, tt, w.monitor, 0, ip, 0, pICMP)
		f.icmpType, f.icmpCd = 8, 0
		if f.sen.cid {
			f.cid = communityID(w.monitor, ip, 8, 0, pICMP)
		}
		f.end = tt + g.rttTo(ip)
		f.pts, f.ptc, f.bts, f.btc = 1, 1, 98, 98
		g.emitFlow(&f)
		tt += int64(200 + g.r.IntN(3000))
	}
	// SNMP to printers
	for _, p := range w.printers {
		var f flow
		g.initFlow(&f, tt, w.monitor, g.eport(osLinux), p.ip, 161, pUDP)
		f.app = "snmp"
		f.end = tt + int64(2000+g.r.IntN(8000))
		f.vol(int64(90*3), int64(120*3))
		f.pts, f.ptc = 3, 3
		g.emitFlow(&f)
		tt += int64(500 + g.r.IntN(2000))
	}
}

func (g *gen) dcReplication(t int64) {
	w := g.w
	a, b := w.dc[0], w.dc[1]
	if g.r.IntN(2) == 0 {
		a, b = b, a
	}
	var f flow
	g.initFlow(&f, t, a, g.eport(osWin), b, 135, pTCP)
	f.app = "dcerpc"
	f.end = t + ms(30)
	f.vol(480, 360)
	g.emitFlow(&f)
	g.initFlow(&f, t+ms(40), a, g.eport(osWin), b, uint16(49664+g.r.IntN(4)), pTCP)
	f.app = "dcerpc"
	f.end = t + sec(g.logn(3, 1))
	f.vol(g.lognI(20000, 1.5, 1000, 10<<20), g.lognI(30000, 1.5, 1000, 10<<20))
	g.emitFlow(&f)
	g.initFlow(&f, t+ms(80), a, g.eport(osWin), b, 389, pTCP)
	if f.s8 {
		f.app = "ldap"
	} else {
		f.app = "failed"
	}
	f.end = t + sec(1)
	f.vol(3000, 8000)
	g.emitFlow(&f)
	// DNS servers pull zone updates from the DCs
	if g.r.IntN(3) == 0 {
		g.initFlow(&f, t+ms(200), w.dns[g.r.IntN(2)], g.eport(osLinux), a, 53, pTCP)
		f.app = "dns"
		f.end = t + sec(2)
		f.vol(400, g.lognI(40000, 1, 2000, 1<<20))
		g.emitFlow(&f)
	}
}

var ntpPool = []string{"hetzner", "ovh", "digitalocean", "linode"}

func (g *gen) ntpServers(t int64) {
	w := g.w
	for i := 0; i < 4; i++ {
		p := providers[ntpPool[i]]
		dst := p.pickHash(fmt.Sprintf("ntp-%d-%d", g.cfg.Seed, i))
		var f flow
		g.initFlow(&f, t+ms(float64(i)*7), w.ntp, 123, dst, 123, pUDP)
		f.app = "ntp"
		f.end = f.start + g.rttTo(dst)
		f.vol(90, 90)
		g.emitFlow(&f)
	}
	for _, dc := range w.dc {
		var f flow
		dst := []uint32{parseIP4("20.101.57.9"), parseIP4("168.61.215.74")}[g.r.IntN(2)]
		g.initFlow(&f, t+ms(50), dc, 123, dst, 123, pUDP)
		f.app = "ntp"
		f.end = f.start + g.rttTo(dst)
		f.vol(90, 90)
		g.emitFlow(&f)
	}
}

func (g *gen) backupJobs(t int64) {
	w := g.w
	hour := (t / 3600e6) % 24
	if hour != 1 && hour != 2 {
		return
	}
	targets := []uint32{w.fs[0], w.fs[1], w.sshSrv[2], w.apps[2], w.apps[0], w.mail}
	tt := t + sec(g.r.Float64()*300)
	for _, s := range targets {
		var f flow
		g.initFlow(&f, tt, w.backup, g.eport(osLinux), s, 10000, pTCP)
		f.app = "failed"
		dur := sec(g.logn(900, 0.6))
		f.end = tt + dur
		f.vol(g.lognI(200000, 1, 10000, 50<<20), g.lognI(2<<30, 1, 1<<20, 40<<30))
		g.emitFlow(&f)
		tt += dur/3 + sec(g.r.Float64()*60)
	}
}

// ---- mail --------------------------------------------------------------------------

var mxTargets = []struct{ name, prov string }{
	{"mx1.mail.protection.outlook.com", "ms365"}, {"aspmx.l.google.com", "google"}, {"mx.partner-logistics.de", "hetzner"},
	{"mail.supplier-one.com", "ovh"}, {"mx01.mimecast.com", "aws"}, {"smtp.accountingfirm.co.uk", "digitalocean"},
}

func (g *gen) mailOut(t int64) {
	w := g.w
	m := mxTargets[g.r.IntN(len(mxTargets))]
	dst := providers[m.prov].pickHash(m.name)
	var f flow
	g.initFlow(&f, t, w.mail, g.eport(osLinux), dst, 25, pTCP)
	f.app = "smtp"
	rtt := g.rttTo(dst)
	helo := "mail01." + w.domain
	from := firstNames[g.r.IntN(len(firstNames))] + "." + lastNames[g.r.IntN(len(lastNames))] + "@" + w.pubDomain
	to := []string{"orders@" + strings.SplitN(m.name, ".", 2)[1]}
	size := g.lognI(30000, 1.3, 2000, 25<<20)
	if g.r.IntN(10) < 8 {
		g.emitSMTP(t+rtt*3, &f, 0, &smtpRec{helo: helo})
		f.app, f.appOrig = "tls", "smtp"
		g.tlsOnFlow(&f, t+rtt*4, &tlsConn{ip: dst, cert: mkCertFor(g, m.name), tls12: g.r.IntN(2) == 0, client: tcCurl}, rtt)
	} else {
		g.emitSMTP(t+rtt*6+size/50000*1000, &f, 0, &smtpRec{helo: helo, from: from, to: to, subject: "Purchase order " + strconv.Itoa(40000+g.r.IntN(9999)), hasMail: true})
	}
	f.end = t + rtt*10 + size/50000*1000
	f.vol(size+1500, 2500)
	g.emitFlow(&f)
}

// mkCertFor returns a deterministic DV certificate for an external name.
func mkCertFor(g *gen, name string) *cert {
	key := strconv.FormatInt(g.cfg.Seed, 10) + "/" + name
	if c, ok := g.extCerts[key]; ok {
		return c
	}
	if g.extCerts == nil {
		g.extCerts = map[string]*cert{}
	}
	r := newRand(g.cfg.Seed, "cert/"+name)
	fam := []string{"digicert", "sectigo", "le", "globalsign"}[r.IntN(4)]
	c := mkCert(r, fam, name, "", []string{name}, g.w.startUS/1e6)
	g.extCerts[key] = c
	return c
}

func (g *gen) mailIn(t int64) {
	w := g.w
	src := providers[[]string{"ms365", "google", "aws", "hetzner", "ovh"}[g.r.IntN(5)]].pick(g.r)
	var f flow
	g.initFlow(&f, t, src, g.eport(osLinux), w.mx, 25, pTCP)
	f.app = "smtp"
	rtt := g.rttTo(src)
	helo := []string{"mail-eur01.outbound.protection.outlook.com", "mail-sor-f41.google.com", "a48-92.smtp-out.amazonses.com", "mail.vendor-portal.net"}[g.r.IntN(4)]
	size := g.lognI(40000, 1.3, 2000, 25<<20)
	g.emitSMTP(t+rtt*3, &f, 0, &smtpRec{helo: helo})
	f.app, f.appOrig = "tls", "smtp"
	g.tlsOnFlow(&f, t+rtt*4, &tlsConn{ip: w.mx, sni: "mx01." + w.pubDomain, cert: mkCertFor(g, "mx01."+w.pubDomain), tls12: true, client: tcCurl}, rtt)
	f.end = t + rtt*10 + size/40000*1000
	f.vol(size+1500, 2500)
	g.emitFlow(&f)
	// the gateway relays inward in clear text
	t2 := f.end + ms(200+g.r.Float64()*800)
	g.initFlow(&f, t2, w.mx, g.eport(osLinux), w.mail, 25, pTCP)
	f.app = "smtp"
	u := w.ws[g.r.IntN(len(w.ws))]
	g.emitSMTP(t2+ms(20), &f, 0, &smtpRec{helo: "mx01." + w.pubDomain, from: "noreply@" + strings.SplitN(helo, ".", 2)[1], to: []string{u.user + "@" + w.pubDomain},
		subject: []string{"Your invoice", "Meeting notes", "Delivery update", "Re: contract draft", "Weekly report"}[g.r.IntN(5)], hasMail: true})
	f.end = t2 + ms(100) + size/100000*1000
	f.vol(size+1200, 900)
	g.emitFlow(&f)
}

func (g *gen) scanToEmail(t int64) {
	w := g.w
	if len(w.printers) == 0 {
		return
	}
	p := w.printers[g.r.IntN(len(w.printers))]
	u := w.ws[g.r.IntN(len(w.ws))]
	var f flow
	g.initFlow(&f, t, p.ip, uint16(1024+g.r.IntN(4000)), w.mail, 25, pTCP)
	f.app = "smtp"
	size := g.lognI(400000, 0.8, 50000, 20<<20)
	g.emitSMTP(t+ms(300), &f, 0, &smtpRec{helo: strings.ToLower(p.name), from: "scanner@" + w.pubDomain, to: []string{u.user + "@" + w.pubDomain},
		subject: "Scanned from " + p.name, hasMail: true})
	f.end = t + ms(400) + size/200000*1000
	f.vol(size, 900)
	g.emitFlow(&f)
}

// ---- DMZ --------------------------------------------------------------------------

// reverseProxy: an Internet visitor to the public web site through the DMZ
// nginx, which forwards to the internal web servers with X-Forwarded-For and
// Via headers (benign look-alike of an internal relay).
func (g *gen) reverseProxy(t int64) {
	w := g.w
	prev := g.curCase
	g.curCase = g.rpCase
	defer func() { g.curCase = prev }()
	cli := providers["residential"].pick(g.r)
	if g.r.IntN(6) == 0 {
		cli = providers[vpsProviders[g.r.IntN(len(vpsProviders))]].pick(g.r)
	}
	site := "www." + w.pubDomain
	if g.r.IntN(3) == 0 {
		site = "portal." + w.pubDomain
	}
	up := g.lognI(3000, 0.8, 500, 200000)
	down := g.lognI(60000, 1.2, 2000, 10<<20)
	dur := sec(g.logn(8, 1))
	clientTLS := []*tlsClient{tcChrome, tcChrome, tcSafari, tcFirefox}[g.r.IntN(4)]
	ua := []string{uaChromeWin, uaChromeMac, uaSafariMac, uaFirefoxWin}[g.r.IntN(4)]
	g.tlsFlow(t, &tlsConn{cli: cli, cliOS: osWin, ip: w.rp, port: 443, sni: site, cert: g.rpCert, client: clientTLS, up: up, down: down, dur: dur})
	// upstream legs: one keep-alive connection per request burst
	backend := w.web[g.r.IntN(2)]
	t2 := t + g.rttTo(cli)*2 + ms(2+g.r.Float64()*5)
	var f flow
	g.initFlow(&f, t2, w.rp, g.eport(osLinux), backend, 8080, pTCP)
	f.app = "http"
	n := 1 + g.r.IntN(4)
	tt := t2 + int64(300+g.r.IntN(500))
	paths := []struct{ p, ct string }{{"/", "text/html"}, {"/products", "text/html"}, {"/assets/app.css", "text/css"}, {"/assets/app.js", "application/javascript"},
		{"/api/v2/catalog?page=1", "application/json"}, {"/login", "text/html"}, {"/images/hero.webp", "image/webp"}}
	var total int64
	for i := 0; i < n; i++ {
		p := paths[g.r.IntN(len(paths))]
		l := g.lognI(15000, 1.1, 200, 5<<20)
		total += l
		tx := httpTx{host: site, url: p.p, ua: ua, xff: ipStr(cli), ctype: p.ct, method: "GET", proto: "HTTP/1.1", status: 200, length: l, txid: i,
			reqH: []kv{{"Host", site}, {"X-Real-IP", ipStr(cli)}, {"X-Forwarded-For", ipStr(cli)}, {"X-Forwarded-Proto", "https"}, {"Via", "1.1 rp01"},
				{"User-Agent", ua}, {"Accept", "*/*"}, {"Connection", "close"}},
			respH: []kv{{"Server", "gunicorn"}, {"Content-Type", p.ct}, {"Content-Length", strconv.FormatInt(l, 10)}}}
		if p.p == "/login" && g.r.IntN(3) == 0 {
			tx.method = "POST"
			tx.status = 302
			tx.redirect = "/account"
			tx.length = 0
		}
		tt = g.plainExchange(tt, &f, &tx, g.r.IntN(10) < 6, int64(400+g.r.IntN(3000))) + ms(g.logn(50, 1))
	}
	f.end = tt + ms(5)
	f.vol(int64(n*700), total+int64(n*250))
	g.emitFlow(&f)
}

var scanPorts = []uint16{22, 23, 80, 443, 445, 3389, 5900, 8080, 1433, 3306, 6379, 9200, 5432, 2375, 8443, 21, 25, 110, 161, 5060, 7547, 8888, 9000, 10000, 27017}

var scanSigs = map[uint16]sigDef{
	1433: {2010935, 3, "ET SCAN Suspicious inbound to MSSQL port 1433", "Potentially Bad Traffic", 2, `"created_at":["2010_07_30"],"former_category":["HUNTING"],"updated_at":["2018_03_27"]`},
	3306: {2010937, 3, "ET SCAN Suspicious inbound to mySQL port 3306", "Potentially Bad Traffic", 2, `"created_at":["2010_07_30"],"former_category":["HUNTING"],"updated_at":["2018_03_27"]`},
	5432: {2010939, 3, "ET SCAN Suspicious inbound to PostgreSQL port 5432", "Potentially Bad Traffic", 2, `"created_at":["2010_07_30"],"former_category":["HUNTING"],"updated_at":["2018_03_27"]`},
	5900: {2002911, 6, "ET SCAN Potential VNC Scan 5900-5920", "Attempted Information Leak", 2, `"created_at":["2010_07_30"],"updated_at":["2010_07_30"]`},
	22:   {2001219, 20, "ET SCAN Potential SSH Scan", "Attempted Information Leak", 2, `"created_at":["2010_07_30"],"updated_at":["2010_07_30"]`},
	445:  {2001569, 15, "ET SCAN Behavioral Unusual Port 445 traffic Potential Scan or Infection", "Misc activity", 3, `"created_at":["2010_07_30"],"updated_at":["2010_07_30"]`},
	3389: {2023753, 3, "ET SCAN MS Terminal Server Traffic on Non-standard Port", "Attempted Information Leak", 2, `"attack_target":["Server"],"created_at":["2017_01_23"],"deployment":["Perimeter"],"signature_severity":["Minor"],"updated_at":["2024_03_05"]`},
}

var repSigs = []sigDef{
	{2402000, 7240, "ET DROP Dshield Block Listed Source group 1", "Misc Attack", 2, `"affected_product":["Any"],"attack_target":["Any"],"created_at":["2010_12_30"],"deployment":["Perimeter"],"signature_severity":["Minor"],"tag":["Dshield"],"updated_at":["2026_11_19"]`},
	{2403341, 98211, "ET CINS Active Threat Intelligence Poor Reputation IP group 42", "Misc Attack", 2, `"affected_product":["Any"],"attack_target":["Any"],"created_at":["2013_10_08"],"deployment":["Perimeter"],"signature_severity":["Major"],"tag":["CINS"],"updated_at":["2026_11_19"]`},
	{2500028, 6702, "ET COMPROMISED Known Compromised or Hostile Host Traffic group 15", "Misc Attack", 2, `"affected_product":["Any"],"attack_target":["Any"],"created_at":["2011_04_21"],"deployment":["Perimeter"],"signature_severity":["Major"],"tag":["COMPROMISED"],"updated_at":["2026_11_19"]`},
	{2009582, 3, "ET SCAN NMAP -sS window 1024", "Attempted Information Leak", 2, `"created_at":["2010_07_30"],"updated_at":["2019_07_26"]`},
	{2024364, 4, "ET SCAN Possible Nmap User-Agent Observed", "Web Application Attack", 1, `"attack_target":["Web_Server"],"created_at":["2017_06_08"],"deployment":["Perimeter"],"signature_severity":["Informational"],"updated_at":["2024_03_05"]`},
}

var scanUAs = []string{"Mozilla/5.0 zgrab/0.x", "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
	"Expanse, a Palo Alto Networks company, searches across the global IPv4 space multiple times per day to identify customers' presences on the Internet. If you would like to be excluded from our scans, please send IP addresses/domains to: scaninfo@paloaltonetworks.com",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.129 Safari/537.36", "python-requests/2.31.0", "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"}

// scanner: Internet background radiation against the DMZ.
func (g *gen) scanner(t int64) {
	src := providers["scanners"].pick(g.r)
	dst := ip4(172, 16, 0, byte(1+g.r.IntN(60)))
	port := scanPorts[g.r.IntN(len(scanPorts))]
	var f flow
	g.initFlow(&f, t, src, uint16(1024+g.r.IntN(64000)), dst, port, pTCP)
	w := g.w
	if (dst == w.rp && (port == 80 || port == 443)) || (dst == w.mx && port == 25) {
		// open service: a probe request on the web server
		if port == 80 {
			f.app = "http"
			ua := scanUAs[g.r.IntN(len(scanUAs))]
			tx := httpTx{host: ipStr(dst), url: []string{"/", "/.env", "/wp-login.php", "/cgi-bin/luci/;stok=/locale", "/actuator/health", "/.git/config", "/favicon.ico"}[g.r.IntN(7)],
				ua: ua, ctype: "text/html", method: "GET", proto: "HTTP/1.1", status: 301, redirect: "https://www." + w.pubDomain + "/", length: 162,
				reqH: []kv{{"Host", ipStr(dst)}, {"User-Agent", ua}}, respH: []kv{{"Server", "nginx"}, {"Location", "https://www." + w.pubDomain + "/"}}}
			done := g.plainExchange(t+g.rttTo(src), &f, &tx, false, 0)
			if strings.Contains(ua, "Nmap") {
				g.emitAlert(done-ms(1), &f, &repSigs[4], true, 0, func(b []byte) []byte { return g.appHTTPObj(b, &f, &tx, false) })
			}
			f.end = done + ms(2)
			f.vol(int64(200+len(ua)), 420)
		} else {
			f.app = "tls"
			f.end = t + ms(300)
			f.vol(600, 4000)
		}
		g.emitFlow(&f)
		return
	}
	f.tcp = tcpSynOnly
	f.pts, f.bts = 1, 60
	if g.r.IntN(4) == 0 {
		f.pts, f.bts = 2, 120 // one retransmission
	}
	if g.r.IntN(3) == 0 {
		f.tcp = tcpRefused
		f.ptc, f.btc = 1, 54
	}
	f.end = t + int64(g.r.IntN(2000))
	if s, ok := scanSigs[port]; ok && g.r.IntN(3) > 0 {
		g.emitAlert(t, &f, &s, true, -1, nil)
	}
	if g.r.IntN(10) < 6 {
		// reputation lists: one or two of them know the source
		k := g.r.IntN(3)
		g.emitAlert(t, &f, &repSigs[k], true, -1, nil)
		if g.r.IntN(3) == 0 {
			g.emitAlert(t, &f, &repSigs[(k+1)%3], true, -1, nil)
		}
	}
	g.emitFlow(&f)
}

// ---- admins, Jenkins --------------------------------------------------------------

func (g *gen) adminActivity(t int64) {
	w := g.w
	j := w.jump[g.r.IntN(len(w.jump))]
	srvs := []string{"dc01", "dc02", "fs01", "fs02", "erp01", "app01", "app02", "build01", "db01", "mail01", "jenkins01", "proxy01", "proxy02"}
	s := w.servers[srvs[g.r.IntN(len(srvs))]]
	if s.os == osWin {
		var f flow
		g.initFlow(&f, t, j.ip, g.eport(osWin), s.ip, 3389, pTCP)
		f.app = "rdp"
		f.end = t + sec(g.logn(600, 1))
		f.vol(g.lognI(400000, 1, 20000, 50<<20), g.lognI(3<<20, 1, 50000, 500<<20))
		g.emitFlow(&f)
		return
	}
	g.sshSession(t, j.ip, osWin, s.ip, sshClients[3], sshServers[int(s.ip)%len(sshServers)])
}

// jenkinsPoll: the CI server polls git over SSH.
func (g *gen) jenkinsPoll(t int64) {
	prev := g.curCase
	g.curCase = g.jenkinsCase
	defer func() { g.curCase = prev }()
	w := g.w
	g.sshSession(t, w.jenkins, osLinux, w.sshSrv[1], sshClients[1], sshServers[1])
	// the build agent keeps a websocket to the controller
	if g.r.IntN(6) == 0 {
		var f flow
		g.initFlow(&f, t+ms(100), w.sshSrv[0], g.eport(osLinux), w.jenkins, 8080, pTCP)
		f.app = "http"
		tx := httpTx{host: "jenkins." + w.domain, port: 8080, url: "/wsagents/", ua: uaJenkins, method: "GET", proto: "HTTP/1.1", status: 101, length: 0,
			reqH:  []kv{{"Host", "jenkins." + w.domain + ":8080"}, {"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Node-Name", "build01"}, {"User-Agent", uaJenkins}},
			respH: []kv{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"X-Remoting-Capability", "rO0ABXNyABpodWRzb24ucmVtb3RpbmcuQ2FwYWJpbGl0eQ=="}}}
		g.plainExchange(t+ms(101), &f, &tx, false, 0)
		f.end = t + sec(280)
		f.vol(g.lognI(200000, 1, 10000, 10<<20), g.lognI(300000, 1, 10000, 10<<20))
		g.emitFlow(&f)
	}
}

// jenkinsOutbound: the CI server fetches plugins and artifacts.
func (g *gen) jenkinsOutbound(t int64) {
	prev := g.curCase
	g.curCase = g.jenkinsCase
	defer func() { g.curCase = prev }()
	w := g.w
	s := w.jenk.pick(g.r)
	if s == nil {
		return
	}
	ip, tt := g.lookupSite(t, w.jenkins, osLinux, s)
	g.tlsFlow(tt+ms(1), &tlsConn{cli: w.jenkins, cliOS: osLinux, ip: ip, port: 443, sni: s.name, cert: s.cert, tls12: s.has(fTLS12), client: tcJava,
		up: g.lognI(3000, 0.8, 500, 100000), down: g.lognI(2<<20, 1.2, 5000, 200<<20), dur: sec(g.logn(6, 1))})
}

// ---- benign look-alikes on workstations and the VPN -----------------------------------

// setupDevServer: a developer runs a web app on 8080 that colleagues browse
// (relative URLs, Host = the workstation itself).
func (g *gen) setupDevServer() {
	w := g.w
	dev := w.devWS
	if dev == nil {
		return
	}
	cols := g.devClients
	g.poisson(3, true, func(t int64) {
		prev := g.curCase
		g.curCase = g.devCase
		defer func() { g.curCase = prev }()
		c := cols[g.r.IntN(len(cols))]
		var f flow
		g.initFlow(&f, t, c.ip, g.eport(c.os), dev.ip, 8080, pTCP)
		f.app = "http"
		host := ipStr(dev.ip) + ":8080"
		rtt := g.rttTo(dev.ip)
		tt := t + rtt
		n := 1 + g.r.IntN(5)
		var down int64
		for i := 0; i < n; i++ {
			p := []struct{ p, ct string }{{"/", "text/html"}, {"/static/js/main.7f3a2c.js", "application/javascript"}, {"/api/items?page=" + strconv.Itoa(1+g.r.IntN(5)), "application/json"},
				{"/static/css/main.css", "text/css"}, {"/favicon.ico", "image/x-icon"}}[g.r.IntN(5)]
			l := g.lognI(9000, 1, 200, 2<<20)
			tx := httpTx{host: ipStr(dev.ip), port: 8080, url: p.p, ua: c.ua, ctype: p.ct, method: "GET", proto: "HTTP/1.1", status: 200, length: l, txid: i,
				reqH:  []kv{{"Host", host}, {"User-Agent", c.ua}, {"Accept", "*/*"}, {"Connection", "keep-alive"}},
				respH: []kv{{"X-Powered-By", "Express"}, {"Content-Type", p.ct}, {"Content-Length", strconv.FormatInt(l, 10)}}}
			if i > 0 {
				tx.refer = "http://" + host + "/"
			}
			tt = g.plainExchange(tt, &f, &tx, g.r.IntN(2) == 0, rtt) + ms(g.logn(200, 1))
			down += l + 250
		}
		f.end = tt + sec(g.logn(5, 1))
		f.vol(int64(n*480), down)
		g.emitFlow(&f)
	})
}

// setupVPN: IT staff keep long-lived tunnels to the corporate VPN gateway.
func (g *gen) setupVPN() {
	users := g.vpnClients
	gw := g.w.vpnGW
	for _, u := range users {
		u := u
		g.every(3*3600, 0.3, func(t int64) {
			prev := g.curCase
			g.curCase = g.vpnCase
			defer func() { g.curCase = prev }()
			ip := gw.ips[0]
			tt := t
			if g.r.IntN(2) == 0 {
				ip, tt = g.lookupSite(t, u.ip, u.os, gw)
			}
			g.tlsFlow(tt+ms(1), &tlsConn{cli: u.ip, cliOS: u.os, ip: ip, port: 443, sni: gw.name, cert: gw.cert, tls12: true, client: tcSchannel,
				up: g.lognI(6000, 0.5, 2000, 50000), down: g.lognI(12000, 0.5, 3000, 90000), dur: sec(2 + g.r.Float64()*3)})
			var f flow
			g.initFlow(&f, tt+sec(4), u.ip, 4501, ip, 4501, pUDP)
			dur := sec(2.5*3600 + g.r.Float64()*1800)
			f.end = f.start + dur
			f.vol(g.lognI(60<<20, 1, 1<<20, 2<<30), g.lognI(300<<20, 1, 5<<20, 8<<30))
			g.emitFlow(&f)
		})
	}
}
