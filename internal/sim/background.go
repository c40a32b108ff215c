package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// Background (benign) behaviour of workstations and servers.

// hourProfile is the relative activity per hour of a weekday (UTC = local).
var hourProfile = [24]float64{0.06, 0.05, 0.05, 0.05, 0.05, 0.07, 0.15, 0.45, 0.85, 1.0, 1.0, 0.95,
	0.7, 0.85, 1.0, 0.95, 0.85, 0.6, 0.3, 0.18, 0.14, 0.12, 0.09, 0.07}

func profileMean() float64 {
	s := 0.0
	for _, v := range hourProfile {
		s += v
	}
	return s / 24
}

// diurnal returns the activity level (0..1) at time us.
func diurnal(us int64) float64 {
	sec := us / 1e6
	days := sec / 86400
	wd := (days + 4) % 7 // 0 = Sunday
	h := float64(sec%86400) / 3600
	i := int(h)
	fr := h - float64(i)
	v := hourProfile[i]*(1-fr) + hourProfile[(i+1)%24]*fr
	if wd == 0 || wd == 6 {
		v = 0.04 + v*0.08
	}
	return v
}

// eventsPerActivity is the measured mean number of EVE records one
// workstation activity produces (including proxy legs); it converts
// Config.EventsPerHostHour into an activity rate.
const eventsPerActivity = 6.3

func (g *gen) setupBackground() {
	w := g.w
	// share of the volume that comes from workstation activity; servers,
	// DMZ and Internet noise make up the rest
	perHour := g.cfg.EventsPerHostHour * 0.83 / eventsPerActivity / profileMean()
	g.wsRate = perHour / 3600e6
	for _, h := range w.ws {
		h := h
		h.nextDHCP = w.startUS + int64(g.r.Float64()*4*3600e6)
		h.lastAct = w.startUS - int64(g.r.Float64()*3*3600e6)
		rate := g.wsRate * h.act
		g.addSource(w.startUS+int64(g.r.ExpFloat64()/rate), func(t int64) int64 {
			if g.r.Float64() < diurnal(t) {
				g.wsActivity(h, t)
			}
			return t + 1 + int64(g.r.ExpFloat64()/rate)
		})
	}
	g.setupServers()
}

func (g *gen) wsActivity(h *node, t int64) {
	if t-h.lastAct > 4*3600e6 {
		t = g.logon(h, t, t-h.lastAct > 10*3600e6)
	}
	h.lastAct = t
	if t >= h.nextDHCP {
		g.dhcp(h, t, false)
	}
	x := g.r.Float64()
	switch {
	case x < 0.29:
		g.browse(h, t)
	case x < 0.42:
		g.osBackground(h, t)
	case x < 0.58:
		g.plainHTTP(h, t)
	case x < 0.76:
		g.dnsNoise(h, t)
	case x < 0.785:
		g.smbSession(h, t)
	case x < 0.825:
		g.krbTGS(h, t, "")
	case x < 0.865:
		g.dcTraffic(h, t)
	case x < 0.90:
		g.intranet(h, t)
	case x < 0.905:
		g.printJob(h, t)
	case x < 0.92:
		g.ntpSync(h, t)
	default:
		if h.tech {
			g.techActivity(h, t)
		} else {
			g.browse(h, t)
		}
	}
}

// ---- logon, DHCP, Kerberos -----------------------------------------------------------

func (g *gen) logon(h *node, t int64, boot bool) int64 {
	if boot {
		g.dhcp(h, t, true)
		t += sec(1 + g.r.Float64()*3)
	}
	// Chrome's intranet-redirect probes: three random single-label names
	// (the Windows DNS suffix is appended)
	if h.browser == tcChrome || h.browser == tcChromeOld {
		for i := 0; i < 3; i++ {
			name := randLabel(g.r, 7+g.r.IntN(9), lower)
			if h.os == osWin {
				name += "." + g.w.domain
			}
			g.lookupRaw(t+ms(float64(i)*3), h.ip, h.os, name, "A", "NXDOMAIN", nil, g.w.domain)
		}
	}
	if h.os != osWin {
		return t + sec(2)
	}
	dc := g.w.dc[g.r.IntN(2)]
	// SRV lookup of the DCs
	g.srvLookup(t, h)
	t += ms(30)
	// AS exchange: preauth required, then the TGT
	g.krb(t, h, dc, &krbMsg{msgType: "KRB_ERROR", failed: "KRB_AS_REQ", errCode: "KDC_ERR_PREAUTH_REQUIRED", cname: "<empty>", realm: "<empty>", sname: "krbtgt/" + g.w.realm, enc: "<none>"})
	t += ms(15)
	g.krb(t, h, dc, &krbMsg{msgType: "KRB_AS_REP", cname: h.user, realm: g.w.realm, sname: "krbtgt/" + g.w.realm, enc: "aes256-cts-hmac-sha1-96", ticketEnc: "aes256-cts-hmac-sha1-96"})
	t += ms(20)
	g.krb(t, h, dc, &krbMsg{msgType: "KRB_AS_REP", cname: strings.ToUpper(h.name) + "$", realm: g.w.realm, sname: "krbtgt/" + g.w.realm, enc: "aes256-cts-hmac-sha1-96", ticketEnc: "aes256-cts-hmac-sha1-96"})
	t += ms(40)
	g.krbTGS(h, t, "ldap/dc0"+strconv.Itoa(1+g.r.IntN(2))+"."+g.w.domain)
	t += ms(30)
	// group policy from SYSVOL
	g.smbSysvol(h, t, dc)
	return t + sec(1+g.r.Float64()*4)
}

func (g *gen) srvLookup(t int64, h *node) {
	name := "_ldap._tcp.dc._msdcs." + g.w.domain
	ans := []dnsAns{
		{rrname: name, rrtype: "SRV", rdata: "0 100 389 dc01." + g.w.domain, ttl: 600},
		{rrname: name, rrtype: "SRV", rdata: "0 100 389 dc02." + g.w.domain, ttl: 600},
	}
	g.lookupRaw(t, h.ip, h.os, name, "SRV", "NOERROR", ans, "")
}

func (g *gen) krb(t int64, h *node, dc uint32, m *krbMsg) {
	var f flow
	g.initFlow(&f, t, h.ip, g.eport(h.os), dc, 88, pTCP)
	f.app = "krb5"
	rtt := g.rttTo(dc)
	g.emitKrb5(t+rtt+int64(g.r.IntN(3000)), &f, m, true)
	f.end = t + rtt*2 + ms(3)
	if m.msgType == "KRB_ERROR" {
		f.vol(int64(280+g.r.IntN(60)), int64(230+g.r.IntN(40)))
	} else {
		f.vol(int64(1400+g.r.IntN(900)), int64(1500+g.r.IntN(600)))
	}
	f.txCnt = 1
	g.emitFlow(&f)
}

var tgsServices = []string{"cifs/fs01", "cifs/fs02", "HTTP/proxy01", "HTTP/proxy02", "ldap/dc01", "ldap/dc02", "host/dc01", "MSSQLSvc/erp01", "HTTP/intranet", "cifs/dc01"}

func (g *gen) krbTGS(h *node, t int64, svc string) {
	if h.os != osWin {
		if h.os == osMac || g.r.IntN(2) == 0 {
			g.dnsNoise(h, t)
			return
		}
	}
	if svc == "" {
		svc = tgsServices[g.r.IntN(len(tgsServices))] + "." + g.w.domain
		if h.proxy >= 0 && g.r.IntN(2) == 0 {
			svc = "HTTP/proxy0" + strconv.Itoa(h.proxy+1) + "." + g.w.domain
		}
	}
	enc := "aes256-cts-hmac-sha1-96"
	if strings.HasPrefix(svc, "MSSQLSvc") && g.r.IntN(4) == 0 {
		enc = "rc4-hmac" // legacy service account
	}
	g.krb(t, h, g.w.dc[int(h.ip)%2], &krbMsg{msgType: "KRB_TGS_REP", cname: h.user, realm: g.w.realm, sname: svc, enc: "aes256-cts-hmac-sha1-96", ticketEnc: enc})
}

func (g *gen) dhcp(h *node, t int64, full bool) {
	h.nextDHCP = t + int64((4+g.r.Float64()*0.3)*3600e6)
	srv := g.w.dhcp[0]
	if g.r.IntN(5) == 0 {
		srv = g.w.dhcp[1]
	}
	id := g.r.Uint32()
	vendor := ""
	switch h.os {
	case osWin:
		vendor = "MSFT 5.0"
	case osLinux:
		vendor = ""
	}
	var f flow
	if full {
		// DORA through the relay on the access switch (giaddr)
		g.initFlow(&f, t, h.gw, 67, srv, 67, pUDP)
		f.app = "dhcp"
		rtt := int64(400 + g.r.IntN(1500))
		g.emitDHCP(t, &f, &dhcpRec{typ: "request", dhcpType: "discover", id: id, mac: h.mac, clientIP: "0.0.0.0", assigned: "0.0.0.0", relay: ipStr(h.gw), hostname: h.name, vendor: vendor}, false)
		g.emitDHCP(t+rtt, &f, &dhcpRec{typ: "reply", dhcpType: "offer", id: id, mac: h.mac, clientIP: "0.0.0.0", assigned: ipStr(h.ip), relay: ipStr(h.gw), reply: true}, true)
		t2 := t + rtt + ms(5+g.r.Float64()*20)
		g.emitDHCP(t2, &f, &dhcpRec{typ: "request", dhcpType: "request", id: id, mac: h.mac, clientIP: "0.0.0.0", assigned: "0.0.0.0", relay: ipStr(h.gw), requested: ipStr(h.ip), hostname: h.name, vendor: vendor}, false)
		g.emitDHCP(t2+rtt, &f, &dhcpRec{typ: "reply", dhcpType: "ack", id: id, mac: h.mac, clientIP: "0.0.0.0", assigned: ipStr(h.ip), relay: ipStr(h.gw), reply: true}, true)
		f.end = t2 + rtt
		f.txCnt = 4
		f.vol(2*342, 2*342)
	} else {
		g.initFlow(&f, t, h.ip, 68, srv, 67, pUDP)
		f.app = "dhcp"
		rtt := int64(300 + g.r.IntN(1200))
		g.emitDHCP(t, &f, &dhcpRec{typ: "request", dhcpType: "request", id: id, mac: h.mac, clientIP: ipStr(h.ip), assigned: "0.0.0.0", hostname: h.name, vendor: vendor}, false)
		g.emitDHCP(t+rtt, &f, &dhcpRec{typ: "reply", dhcpType: "ack", id: id, mac: h.mac, clientIP: ipStr(h.ip), assigned: ipStr(h.ip), reply: true}, true)
		f.end = t + rtt
		f.txCnt = 2
		f.vol(342, 342)
	}
	g.emitFlow(&f)
}

// ---- web ----------------------------------------------------------------------

// browse is one page visit: the first-party site plus some third parties.
func (g *gen) browse(h *node, t int64) {
	s := g.w.browse.pick(g.r)
	g.visit(h, t, s)
	n := []int{0, 0, 0, 0, 1, 1, 1, 2, 2, 3}[g.r.IntN(10)]
	tt := t + ms(60+g.r.Float64()*250)
	for i := 0; i < n; i++ {
		g.visit(h, tt, g.w.third.pick(g.r))
		tt += ms(20 + g.r.Float64()*300)
	}
}

// visit fetches one HTTPS site, directly or through the approved proxy.
func (g *gen) visit(h *node, t int64, s *site) {
	up := g.lognI(2500, 0.9, 400, 400000)
	down := g.lognI(35000, 1.5, 800, 80<<20)
	dur := sec(g.logn(9, 1.3))
	if s.has(fBypass) && g.r.IntN(3) == 0 {
		dur = sec(g.logn(600, 0.8)) // Outlook/Teams keep connections open
	}
	dur = min(dur, sec(3600))
	if h.proxy >= 0 && !s.has(fBypass) {
		px := h.proxy
		if g.r.IntN(12) == 0 {
			px = 1 - px // PAC failover
		}
		prev := g.curCase
		g.curCase = g.approvedCase[px]
		g.proxied(t, &proxReq{cli: h.ip, cliOS: h.os, ua: h.ua, client: h.browser, dst: s, https: true, up: up, down: down, dur: dur}, g.approvedHops[px:px+1])
		g.curCase = prev
		return
	}
	prev := g.curCase
	if c, ok := g.siteCase[s]; ok && prev < 0 {
		g.curCase = c
	}
	ip := s.ips[g.r.IntN(len(s.ips))]
	tt := t
	if g.r.Float64() < 0.5 {
		ip, tt = g.lookupSite(t, h.ip, h.os, s)
		tt += int64(50 + g.r.IntN(400))
	}
	if s.has(fQUIC) && (h.browser == tcChrome || h.browser == tcChromeOld) && g.r.IntN(2) == 0 {
		g.quicFlow(tt, h.ip, h.os, ip, s.name, h.browser, up+int64(g.r.IntN(3000)), down, dur)
	} else {
		mode := tcpClosed
		switch x := g.r.IntN(100); {
		case x < 4:
			mode = tcpReset
		case x < 7:
			mode = tcpEstablished
		}
		g.tlsFlow(tt, &tlsConn{cli: h.ip, cliOS: h.os, ip: ip, port: 443, sni: s.name, cert: s.cert, tls12: s.has(fTLS12), client: h.browser, up: up, down: down, dur: dur, tcpMode: mode})
		if g.r.IntN(900) == 0 {
			g.sprinkleTLSAlert(tt, h, ip, s)
		}
	}
	g.curCase = prev
}

// osBackground is operating-system and application housekeeping traffic.
func (g *gen) osBackground(h *node, t int64) {
	var s *site
	cli := h.browser
	switch h.os {
	case osWin:
		if g.r.IntN(5) < 4 || (h.browser != tcChrome && h.browser != tcChromeOld) {
			s = g.w.msbg.pick(g.r)
			cli = tcSchannel
			if g.r.IntN(5) == 0 {
				cli = tcSchannel12
			}
		} else {
			s = g.w.gbg.pick(g.r)
		}
	case osMac:
		s = g.w.abg.pick(g.r)
		cli = tcSafari
	default:
		if g.r.IntN(2) == 0 && (h.browser == tcChrome) {
			s = g.w.gbg.pick(g.r)
		} else {
			s = g.w.dev.pick(g.r)
			cli = tcPython
			if !s.has(fHTTPS) {
				g.plainHTTP(h, t)
				return
			}
		}
	}
	ip := s.ips[g.r.IntN(len(s.ips))]
	tt := t
	if g.r.Float64() < 0.4 {
		ip, tt = g.lookupSite(t, h.ip, h.os, s)
	}
	dur := sec(g.logn(1.5, 1.2))
	if g.r.IntN(6) == 0 {
		dur = sec(g.logn(90, 1.0))
	}
	g.tlsFlow(tt+int64(g.r.IntN(300)), &tlsConn{cli: h.ip, cliOS: h.os, ip: ip, port: 443, sni: s.name, cert: s.cert, tls12: s.has(fTLS12),
		client: cli, up: g.lognI(4000, 0.9, 600, 300000), down: g.lognI(6000, 1.0, 300, 2<<20), dur: dur})
}

var cabFiles = []struct {
	path string
	size int64
}{
	{"/msdownload/update/v3/static/trustedr/en/authrootstl.cab", 78621},
	{"/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab", 8024},
	{"/msdownload/update/v3/static/trustedr/en/pinrulesstl.cab", 39162},
}

// ocspPath makes a GET-style OCSP request path (base64 of the request).
func (g *gen) ocspPath() string {
	b := make([]byte, 83)
	fillRand(g.r, b)
	copy(b, []byte{0x30, 0x51, 0x30, 0x4f, 0x30, 0x4d, 0x30, 0x4b, 0x30, 0x49, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14})
	s := b64.EncodeToString(b)
	s = strings.ReplaceAll(s, "+", "%2B")
	s = strings.ReplaceAll(s, "/", "%2F")
	s = strings.ReplaceAll(s, "=", "%3D")
	return "/" + s
}

// plainHTTP is cleartext HTTP from the OS: NCSI, CRL/OCSP, updates.
func (g *gen) plainHTTP(h *node, t int64) {
	w := g.w
	var s *site
	var tx httpTx
	file := true
	switch h.os {
	case osWin:
		switch x := g.r.IntN(100); {
		case x < 30:
			s = w.site("www.msftconnecttest.com")
			tx = httpTx{url: "/connecttest.txt", ua: uaNCSI, ctype: "text/plain", length: 22}
		case x < 55:
			s = w.site("ctldl.windowsupdate.com")
			c := cabFiles[g.r.IntN(len(cabFiles))]
			tx = httpTx{url: c.path + "?" + randLabel(g.r, 16, "0123456789abcdef"), ua: uaCryptoAPI, ctype: "application/vnd.ms-cab-compressed", length: c.size}
			if g.r.IntN(3) == 0 {
				tx.status, tx.length, tx.ctype = 304, 0, ""
			}
		case x < 88:
			s = []*site{w.site("oneocsp.microsoft.com"), w.site("ocsp.digicert.com"), w.site("ocsp.pki.goog")}[g.r.IntN(3)]
			tx = httpTx{url: g.ocspPath(), ua: uaCryptoAPI, ctype: "application/ocsp-response", length: int64(471 + g.r.IntN(1400))}
		default:
			s = w.site("download.windowsupdate.com")
			v := 443 + g.r.IntN(3)
			tx = httpTx{url: fmt.Sprintf("/c/msdownload/update/software/defu/2026/11/am_delta_patch_1.%d.%d.0_%s.exe", v, 100+g.r.IntN(20)*7, sha1hex(strconv.Itoa(v))), ua: uaDO, ctype: "application/octet-stream", length: int64(280000 + (v%3)*412345)}
		}
	case osMac:
		if g.r.IntN(3) > 0 {
			s = w.site("ocsp2.apple.com")
			tx = httpTx{url: "/ocsp03-apevsrsa2g101" + g.ocspPath(), ua: uaMacOCSP, ctype: "application/ocsp-response", length: int64(1300 + g.r.IntN(700))}
		} else {
			s = w.site("ocsp.digicert.com")
			tx = httpTx{url: g.ocspPath(), ua: uaMacOCSP, ctype: "application/ocsp-response", length: int64(471 + g.r.IntN(400))}
		}
	default:
		if g.r.IntN(10) < 7 {
			s = []*site{w.site("archive.ubuntu.com"), w.site("security.ubuntu.com")}[g.r.IntN(2)]
			if g.r.IntN(2) == 0 {
				tx = httpTx{url: "/ubuntu/dists/noble-updates/InRelease", ua: uaAPT, ctype: "application/octet-stream", length: 126020}
				if g.r.IntN(2) == 0 {
					tx.status, tx.length, tx.ctype = 304, 0, ""
				}
			} else {
				pk := []string{"o/openssl/libssl3t64_3.0.13-0ubuntu3.6_amd64.deb", "c/curl/libcurl4t64_8.5.0-2ubuntu10.7_amd64.deb", "p/python3.12/python3.12_3.12.3-1ubuntu0.9_amd64.deb", "s/systemd/libsystemd0_255.4-1ubuntu8.8_amd64.deb"}[g.r.IntN(4)]
				tx = httpTx{url: "/ubuntu/pool/main/" + pk, ua: uaAPT, ctype: "application/vnd.debian.binary-package", length: int64(400000 + len(pk)*23011)}
			}
		} else {
			s = w.site("ocsp.pki.goog")
			tx = httpTx{url: "/gts1c3" + g.ocspPath(), ua: uaCurl, ctype: "application/ocsp-response", length: int64(472 + g.r.IntN(300))}
		}
	}
	if tx.status == 0 {
		tx.status = 200
	}
	tx.host, tx.method, tx.proto = s.name, "GET", "HTTP/1.1"
	// proxy departments send some of it through the proxy as absolute URIs
	if h.proxy >= 0 && h.os == osWin && g.r.IntN(2) == 0 && tx.status == 200 {
		prev := g.curCase
		g.curCase = g.approvedCase[h.proxy]
		g.proxied(t, &proxReq{cli: h.ip, cliOS: h.os, ua: tx.ua, dst: s, https: false, path: tx.url, ctype: tx.ctype,
			up: int64(300 + len(tx.url)), down: tx.length + 300, dur: ms(g.logn(120, 0.8))}, g.approvedHops[h.proxy:h.proxy+1])
		g.curCase = prev
		return
	}
	ip := s.ips[g.r.IntN(len(s.ips))]
	tt := t
	if g.r.Float64() < 0.6 {
		ip, tt = g.lookupSite(t, h.ip, h.os, s)
	}
	var f flow
	g.initFlow(&f, tt, h.ip, g.eport(h.os), ip, 80, pTCP)
	f.app = "http"
	rtt := g.rttTo(ip)
	tx.reqH = []kv{{"Host", s.name}, {"User-Agent", tx.ua}, {"Accept", "*/*"}, {"Connection", "Keep-Alive"}}
	if tx.ua == uaNCSI {
		tx.reqH = []kv{{"Connection", "Close"}, {"User-Agent", tx.ua}, {"Host", s.name}}
	}
	if tx.status == 304 {
		tx.respH = []kv{{"Server", originServer(s)}, {"ETag", `"` + md5hex(tx.url)[:16] + `"`}, {"Cache-Control", "public, max-age=900"}}
	} else {
		tx.respH = []kv{{"Content-Type", tx.ctype}, {"Content-Length", strconv.FormatInt(tx.length, 10)}, {"Server", originServer(s)}, {"Cache-Control", "max-age=3600"}}
	}
	done := g.plainExchange(tt+rtt, &f, &tx, file, rtt)
	if tx.ua == uaAPT && g.r.IntN(3) == 0 {
		g.emitAlert(done-ms(1), &f, &sigAPT, true, 0, func(b []byte) []byte { return g.appHTTPObj(b, &f, &tx, false) })
	}
	if strings.HasSuffix(tx.url, ".exe") && g.r.IntN(2) == 0 {
		g.emitAlert(done+ms(1), &f, &sigPEDownload, false, 0, func(b []byte) []byte { return g.appHTTPObj(b, &f, &tx, false) })
	}
	f.end = done + ms(g.logn(200, 1))
	f.vol(int64(300+len(tx.url)+len(tx.ua)), tx.length+320)
	g.emitFlow(&f)
}

// ---- DNS noise -------------------------------------------------------------------

var internalNames = []string{"dc01", "dc02", "fs01", "fs02", "mail01", "intranet", "jenkins", "git", "proxy01", "proxy02", "erp", "crm", "wiki", "print01"}

func (g *gen) internalAddr(name string) uint32 {
	w := g.w
	switch name {
	case "dc01":
		return w.dc[0]
	case "dc02":
		return w.dc[1]
	case "fs01":
		return w.fs[0]
	case "fs02":
		return w.fs[1]
	case "mail01":
		return w.mail
	case "intranet", "wiki":
		return w.web[0]
	case "jenkins":
		return w.jenkins
	case "git":
		return w.sshSrv[1]
	case "proxy01":
		return w.proxies[0].ip
	case "proxy02":
		return w.proxies[1].ip
	case "erp":
		return w.apps[2]
	case "crm":
		return w.apps[3]
	case "wpad":
		return w.web[1]
	}
	return w.printers[0].ip
}

func (g *gen) dnsNoise(h *node, t int64) {
	w := g.w
	x := g.r.IntN(100)
	switch {
	case x < 25:
		n := internalNames[g.r.IntN(len(internalNames))]
		fq := n + "." + w.domain
		g.lookupRaw(t, h.ip, h.os, fq, "A", "NOERROR", []dnsAns{{rrname: fq, rrtype: "A", rdata: ipStr(g.internalAddr(n)), ttl: 1200}}, "")
	case x < 33:
		fq := "wpad." + w.domain
		if h.proxy >= 0 {
			g.lookupRaw(t, h.ip, h.os, fq, "A", "NOERROR", []dnsAns{{rrname: fq, rrtype: "A", rdata: ipStr(w.web[1]), ttl: 1200}}, "")
		} else {
			g.lookupRaw(t, h.ip, h.os, fq, "A", "NXDOMAIN", nil, w.domain)
		}
	case x < 43:
		if h.os == osWin {
			g.srvLookup(t, h)
		} else {
			g.lookupRaw(t, h.ip, h.os, "_dns.resolver.arpa", "SVCB", "NXDOMAIN", nil, "arpa")
		}
	case x < 55:
		var ip uint32
		var nm string
		if g.r.IntN(2) == 0 && len(w.printers) > 0 {
			p := w.printers[g.r.IntN(len(w.printers))]
			ip, nm = p.ip, p.fqdn
		} else {
			o := w.ws[g.r.IntN(len(w.ws))]
			ip, nm = o.ip, o.fqdn
		}
		ptr := fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa", ip&0xff, ip>>8&0xff, ip>>16&0xff, ip>>24)
		g.lookupRaw(t, h.ip, h.os, ptr, "PTR", "NOERROR", []dnsAns{{rrname: ptr, rrtype: "PTR", rdata: nm, ttl: 1200}}, "")
	case x < 80:
		s := g.w.browse.pick(g.r)
		if g.r.IntN(2) == 0 {
			s = g.w.third.pick(g.r)
		}
		g.lookupSite(t, h.ip, h.os, s)
	case x < 88:
		n := []string{"isatap." + w.domain, randLabel(g.r, 8+g.r.IntN(6), lower) + "." + w.domain, "wpad", "localhost." + w.domain}[g.r.IntN(4)]
		g.lookupRaw(t, h.ip, h.os, n, "A", "NXDOMAIN", nil, w.domain)
	default:
		s := g.w.msbg.pick(g.r)
		if h.os == osMac {
			s = g.w.abg.pick(g.r)
		}
		g.lookupSite(t, h.ip, h.os, s)
	}
}

// ---- SMB / directory -------------------------------------------------------------

var shareFiles = map[string][]string{
	"Engineering": {"specs\\api-v3-design.docx", "builds\\release-notes-4.2.md", "diagrams\\network-2026.vsdx", "tools\\setup.ps1"},
	"Finance":     {"Budget\\Q4-2026-forecast.xlsx", "AP\\invoices-2026-11.xlsx", "Payroll\\2026-11-summary.pdf", "Audit\\controls-matrix.xlsx"},
	"HR":          {"Onboarding\\checklist.docx", "Policies\\remote-work-2026.pdf", "Recruiting\\pipeline.xlsx"},
	"Sales":       {"Pipeline\\forecast-Q4.xlsx", "Contracts\\msa-template.docx", "Decks\\product-overview-2026.pptx"},
	"Marketing":   {"Campaigns\\winter-2026\\brief.docx", "Brand\\logo-pack.zip", "Web\\landing-copy.docx"},
	"IT":          {"Scripts\\inventory.ps1", "Docs\\runbook-backup.docx", "Licenses\\renewals-2026.xlsx"},
	"Legal":       {"NDA\\nda-template.docx", "Cases\\2026-031\\memo.pdf"},
	"Operations":  {"Logistics\\routes-nov.xlsx", "Vendors\\contacts.xlsx", "SOP\\warehouse-safety.pdf"},
	"Support":     {"KB\\known-issues.docx", "Escalations\\2026-11.xlsx"},
}

func (g *gen) smbSession(h *node, t int64) {
	w := g.w
	fsIdx := int(h.ip>>8) % 2
	fs := w.fs[fsIdx]
	fsName := []string{"fs01", "fs02"}[fsIdx]
	dname := depts[h.dept].name
	share := "\\\\" + fsName + "." + w.domain + "\\" + dname
	if g.r.IntN(4) == 0 {
		share = "\\\\" + fsName + "." + w.domain + "\\Public"
	}
	files := shareFiles[dname]
	var f flow
	g.initFlow(&f, t, h.ip, g.eport(h.os), fs, 445, pTCP)
	f.app = "smb"
	rtt := g.rttTo(fs)
	tt := t + rtt
	sid := int64(g.r.Uint64()&0xffffffffffff) | 0x1000000000
	tree := int64(1 + g.r.IntN(9))
	id := 1
	tx := 0
	next := func(r *smbRec) {
		r.id = id
		r.dialect = "3.1.1"
		if r.status == "" {
			r.status, r.statusCode = "STATUS_SUCCESS", "0x0"
		}
		g.emitSMB(tt, &f, tx, r)
		id++
		tx++
		tt += int64(300 + g.r.IntN(3000))
	}
	next(&smbRec{command: "SMB2_COMMAND_NEGOTIATE_PROTOCOL", clientDialects: true})
	ntlm := h.os != osWin || g.r.IntN(4) == 0
	if ntlm {
		next(&smbRec{command: "SMB2_COMMAND_SESSION_SETUP", status: "STATUS_MORE_PROCESSING_REQUIRED", statusCode: "0xc0000016", sessionID: sid})
		next(&smbRec{command: "SMB2_COMMAND_SESSION_SETUP", sessionID: sid, ntlmUser: h.user, ntlmDom: strings.ToUpper(w.orgName), ntlmHost: strings.ToUpper(h.name)})
	} else {
		next(&smbRec{command: "SMB2_COMMAND_SESSION_SETUP", sessionID: sid, krbRealm: w.realm, krbSName: fsName + "." + w.domain})
	}
	next(&smbRec{command: "SMB2_COMMAND_TREE_CONNECT", sessionID: sid, treeID: tree, share: share, shareType: "FILE"})
	nf := 1 + g.r.IntN(2)
	var bytesDown int64
	for i := 0; i < nf; i++ {
		fn := files[g.r.IntN(len(files))]
		if strings.HasSuffix(share, "Public") {
			fn = []string{"Templates\\letterhead.dotx", "Announcements\\holiday-schedule-2026.pdf", "Menus\\cafeteria-week47.pdf"}[g.r.IntN(3)]
		}
		st := ""
		code := ""
		if g.r.IntN(15) == 0 {
			st, code = "STATUS_OBJECT_NAME_NOT_FOUND", "0xc0000034"
		}
		next(&smbRec{command: "SMB2_COMMAND_CREATE", status: st, statusCode: code, sessionID: sid, treeID: tree, filename: fn, disposition: "FILE_OPEN", access: "normal"})
		if st == "" {
			bytesDown += g.lognI(150000, 1.3, 2000, 60<<20)
			next(&smbRec{command: "SMB2_COMMAND_CLOSE", sessionID: sid, treeID: tree, filename: fn})
		}
	}
	f.end = tt + sec(g.logn(20, 1.5))
	f.vol(g.lognI(6000, 1, 1500, 10<<20), bytesDown+3000)
	g.emitFlow(&f)
}

func (g *gen) smbSysvol(h *node, t int64, dc uint32) {
	w := g.w
	var f flow
	g.initFlow(&f, t, h.ip, g.eport(h.os), dc, 445, pTCP)
	f.app = "smb"
	tt := t + g.rttTo(dc)
	sid := int64(g.r.Uint64()&0xffffffffffff) | 0x1000000000
	recs := []smbRec{
		{command: "SMB2_COMMAND_NEGOTIATE_PROTOCOL", clientDialects: true},
		{command: "SMB2_COMMAND_SESSION_SETUP", sessionID: sid, krbRealm: w.realm, krbSName: "dc0" + strconv.Itoa(int(dc&1)+0) + "." + w.domain},
		{command: "SMB2_COMMAND_TREE_CONNECT", sessionID: sid, treeID: 1, share: "\\\\" + w.domain + "\\SYSVOL", shareType: "FILE"},
		{command: "SMB2_COMMAND_CREATE", sessionID: sid, treeID: 1, filename: w.domain + "\\Policies\\{31B2F340-016D-11D2-945F-00C04FB984F9}\\gpt.ini", disposition: "FILE_OPEN", access: "normal"},
		{command: "SMB2_COMMAND_CLOSE", sessionID: sid, treeID: 1, filename: w.domain + "\\Policies\\{31B2F340-016D-11D2-945F-00C04FB984F9}\\gpt.ini"},
	}
	recs[1].krbSName = []string{"dc01", "dc02"}[int(dc-w.dc[0])&1] + "." + w.domain
	for i := range recs {
		recs[i].id = i + 1
		recs[i].dialect = "3.1.1"
		recs[i].status, recs[i].statusCode = "STATUS_SUCCESS", "0x0"
		g.emitSMB(tt, &f, i, &recs[i])
		tt += int64(400 + g.r.IntN(2000))
	}
	f.end = tt + sec(g.logn(3, 0.6))
	f.vol(int64(4000+g.r.IntN(3000)), int64(9000+g.r.IntN(20000)))
	g.emitFlow(&f)
}

func (g *gen) dcTraffic(h *node, t int64) {
	w := g.w
	dc := w.dc[g.r.IntN(2)]
	var f flow
	switch x := g.r.IntN(100); {
	case x < 45:
		g.initFlow(&f, t, h.ip, g.eport(h.os), dc, 389, pTCP)
		if f.s8 {
			f.app = "ldap"
		} else {
			f.app = "failed"
		}
		f.end = t + sec(g.logn(2, 1.2))
		f.vol(g.lognI(3000, 0.8, 400, 200000), g.lognI(9000, 1.1, 400, 2000000))
	case x < 60:
		// LDAPS with the internal CA certificate
		g.initFlow(&f, t, h.ip, g.eport(h.os), dc, 636, pTCP)
		f.app = "tls"
		name := []string{"dc01", "dc02"}[int(dc-w.dc[0])&1] + "." + w.domain
		c := g.internalCert(name)
		g.tlsOnFlow(&f, t, &tlsConn{ip: dc, sni: name, cert: c, tls12: true, client: tcSchannel12}, g.rttTo(dc))
		f.end = t + sec(g.logn(2, 1))
		f.vol(g.lognI(3000, 0.8, 400, 200000), g.lognI(9000, 1.1, 1400, 2000000))
	case x < 82:
		g.initFlow(&f, t, h.ip, g.eport(h.os), dc, 135, pTCP)
		f.app = "dcerpc"
		f.end = t + ms(g.logn(40, 0.5))
		f.vol(int64(400+g.r.IntN(200)), int64(300+g.r.IntN(200)))
		g.emitFlow(&f)
		g.initFlow(&f, t+ms(50), h.ip, g.eport(h.os), dc, uint16(49664+g.r.IntN(8)), pTCP)
		f.app = "dcerpc"
		f.end = t + sec(g.logn(1, 1))
		f.vol(g.lognI(3000, 0.8, 600, 200000), g.lognI(4000, 1, 400, 200000))
	default:
		g.initFlow(&f, t, h.ip, g.eport(h.os), dc, 389, pUDP)
		if f.s8 {
			f.app = "ldap"
		}
		f.end = t + int64(300+g.r.IntN(900))
		f.vol(int64(220+g.r.IntN(40)), int64(180+g.r.IntN(40)))
	}
	g.emitFlow(&f)
}

// internalCert returns the certificate issued by the corporate CA for name.
func (g *gen) internalCert(name string) *cert {
	if c, ok := g.intCerts[name]; ok {
		return c
	}
	if g.intCerts == nil {
		g.intCerts = map[string]*cert{}
	}
	parts := strings.Split(g.w.domain, ".")
	iss := ""
	for i := len(parts) - 1; i >= 0; i-- {
		iss += "DC=" + parts[i] + ", "
	}
	iss += "CN=" + strings.ToUpper(g.w.orgName) + "-ISSUING-CA"
	r := newRand(g.cfg.Seed, "intcert/"+name)
	c := &cert{subject: "CN=" + name, issuer: iss, san: []string{name}}
	ser := make([]byte, 19)
	fillRand(r, ser)
	ser[0] = 0x5e
	c.serial = colonHex(ser, true)
	fp := make([]byte, 20)
	fillRand(r, fp)
	c.fp = colonHex(fp, false)
	c.nb = g.w.startUS/1e6 - int64(40+r.IntN(300))*86400
	c.na = c.nb + 2*365*86400
	g.intCerts[name] = c
	return c
}

func (g *gen) intranet(h *node, t int64) {
	w := g.w
	web := w.web[0]
	host := "intranet." + w.domain
	if g.r.IntN(3) == 0 {
		host = "wiki." + w.domain
	}
	if g.r.IntN(2) == 0 {
		g.tlsFlow(t, &tlsConn{cli: h.ip, cliOS: h.os, ip: web, port: 443, sni: host, cert: g.internalCert(host), tls12: g.r.IntN(2) == 0,
			client: h.browser, up: g.lognI(3000, 0.8, 500, 100000), down: g.lognI(40000, 1.2, 1000, 5<<20), dur: sec(g.logn(10, 1))})
		return
	}
	var f flow
	g.initFlow(&f, t, h.ip, g.eport(h.os), web, 80, pTCP)
	f.app = "http"
	rtt := g.rttTo(web)
	tt := t + rtt
	paths := []struct{ p, ct string }{{"/", "text/html"}, {"/news/2026/11/quarterly-all-hands", "text/html"}, {"/static/css/site.css", "text/css"},
		{"/static/js/app.js", "application/javascript"}, {"/api/menu", "application/json"}, {"/images/banner-winter.jpg", "image/jpeg"}}
	n := 1 + g.r.IntN(4)
	var down int64
	for i := 0; i < n; i++ {
		p := paths[g.r.IntN(len(paths))]
		l := g.lognI(12000, 1, 200, 2<<20)
		tx := httpTx{host: host, url: p.p, ua: h.ua, ctype: p.ct, method: "GET", proto: "HTTP/1.1", status: 200, length: l, txid: i,
			reqH:  []kv{{"Host", host}, {"User-Agent", h.ua}, {"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}, {"Accept-Encoding", "gzip, deflate"}, {"Connection", "keep-alive"}},
			respH: []kv{{"Server", "nginx/1.24.0"}, {"Content-Type", p.ct}, {"Content-Length", strconv.FormatInt(l, 10)}}}
		if i > 0 {
			tx.refer = "http://" + host + "/"
		}
		tt = g.plainExchange(tt, &f, &tx, g.r.IntN(10) < 7, rtt) + ms(g.logn(300, 1))
		down += l + 250
	}
	f.end = tt + sec(g.logn(5, 0.8))
	f.vol(int64(n*420), down)
	g.emitFlow(&f)
}

func (g *gen) printJob(h *node, t int64) {
	w := g.w
	if len(w.printers) == 0 {
		return
	}
	p := w.printers[int(h.ip>>8+h.ip)%len(w.printers)]
	size := g.lognI(300000, 1.2, 20000, 40<<20)
	var f flow
	switch x := g.r.IntN(10); {
	case x < 6 && h.os == osWin:
		g.initFlow(&f, t, h.ip, g.eport(h.os), p.ip, 9100, pTCP)
		f.app = "failed"
	case x < 9 || h.os != osWin:
		g.initFlow(&f, t, h.ip, g.eport(h.os), p.ip, 631, pTCP)
		f.app = "http"
		ua := "CUPS/2.4.7 (Darwin 25.1.0; arm64) IPP/2.0"
		if h.os == osLinux {
			ua = "CUPS/2.4.7 (Linux 6.8.0-49-generic; x86_64) IPP/2.0"
		} else if h.os == osWin {
			ua = "Microsoft-IPP-Class-Driver"
		}
		rtt := g.rttTo(p.ip)
		for i, op := range []string{"/ipp/print", "/ipp/print"} {
			l := int64(180 + g.r.IntN(200))
			tx := httpTx{host: ipStr(p.ip), port: 631, url: op, ua: ua, ctype: "application/ipp", method: "POST", proto: "HTTP/1.1", status: 200, length: l, txid: i,
				reqH:  []kv{{"Host", ipStr(p.ip) + ":631"}, {"User-Agent", ua}, {"Content-Type", "application/ipp"}, {"Expect", "100-continue"}},
				respH: []kv{{"Server", "HP HTTP Server; " + p.model}, {"Content-Type", "application/ipp"}}}
			g.plainExchange(t+rtt+int64(i)*ms(200), &f, &tx, false, rtt)
		}
	default:
		g.initFlow(&f, t, h.ip, uint16(721+g.r.IntN(10)), p.ip, 515, pTCP)
		f.app = "failed"
	}
	f.end = t + ms(200) + size/4000*1000
	f.vol(size, int64(600+g.r.IntN(800)))
	g.emitFlow(&f)
}

func (g *gen) ntpSync(h *node, t int64) {
	var dst uint32
	switch h.os {
	case osWin:
		dst = g.w.dc[g.r.IntN(2)]
	case osMac:
		dst = ip4(17, 253, byte(4+g.r.IntN(30)), byte(125+g.r.IntN(4)))
	default:
		if g.r.IntN(2) == 0 {
			dst = g.w.ntp
		} else {
			dst = ip4(185, 125, 190, byte(56+g.r.IntN(3)))
		}
	}
	var f flow
	g.initFlow(&f, t, h.ip, 123, dst, 123, pUDP)
	if h.os != osWin {
		f.sp = g.eport(h.os)
		if f.sen.cid {
			f.cid = communityID(f.src, f.dst, f.sp, f.dp, f.proto)
		}
	}
	f.app = "ntp"
	f.end = t + g.rttTo(dst)
	f.vol(90, 90)
	g.emitFlow(&f)
}

// ---- engineers -------------------------------------------------------------------

func (g *gen) techActivity(h *node, t int64) {
	w := g.w
	switch x := g.r.IntN(100); {
	case x < 28:
		srv := w.sshSrv[g.r.IntN(len(w.sshSrv))]
		cl := sshClients[0]
		if h.os == osLinux {
			cl = sshClients[1]
		} else if h.os == osMac {
			cl = sshClients[2]
		} else if g.r.IntN(3) == 0 {
			cl = sshClients[3]
		}
		g.sshSession(t, h.ip, h.os, srv, cl, sshServers[int(srv)%len(sshServers)])
	case x < 58:
		s := w.dev.pick(g.r)
		if !s.has(fHTTPS) {
			g.plainHTTP(h, t)
			return
		}
		cli := []*tlsClient{tcCurl, tcPython, tcGo, h.browser}[g.r.IntN(4)]
		ip, tt := g.lookupSite(t, h.ip, h.os, s)
		g.tlsFlow(tt+int64(g.r.IntN(300)), &tlsConn{cli: h.ip, cliOS: h.os, ip: ip, port: 443, sni: s.name, cert: s.cert, tls12: s.has(fTLS12), client: cli,
			up: g.lognI(3000, 1, 400, 2<<20), down: g.lognI(200000, 1.6, 1000, 200<<20), dur: sec(g.logn(4, 1.2))})
	case x < 73:
		g.jenkinsUI(h, t)
	case x < 83:
		// scripted HTTP (curl) to an external plain-HTTP API
		var f flow
		s := w.site("ipinfo.io")
		ip, tt := g.lookupSite(t, h.ip, h.os, s)
		g.initFlow(&f, tt, h.ip, g.eport(h.os), ip, 80, pTCP)
		f.app = "http"
		rtt := g.rttTo(ip)
		tx := httpTx{host: s.name, url: "/ip", ua: uaCurl, ctype: "text/html", method: "GET", proto: "HTTP/1.1", status: 200, length: 14,
			reqH: []kv{{"Host", s.name}, {"User-Agent", uaCurl}, {"Accept", "*/*"}}, respH: []kv{{"Content-Type", "text/html; charset=utf-8"}, {"Content-Length", "14"}, {"Via", "1.1 google"}}}
		done := g.plainExchange(tt+rtt, &f, &tx, true, rtt)
		g.emitAlert(done-ms(1), &f, &sigCurl, true, 0, func(b []byte) []byte { return g.appHTTPObj(b, &f, &tx, false) })
		f.end = done + ms(5)
		f.vol(180, 420)
		g.emitFlow(&f)
	default:
		// internal dev APIs on app servers
		app := w.apps[g.r.IntN(2)]
		port := []uint16{8000, 8443, 9090}[g.r.IntN(3)]
		if port == 8443 {
			name := []string{"app01", "app02"}[int(app-w.apps[0])&1] + "." + w.domain
			g.tlsFlow(t, &tlsConn{cli: h.ip, cliOS: h.os, ip: app, port: port, sni: name, cert: g.internalCert(name), tls12: true, client: tcCurl,
				up: g.lognI(2000, 1, 300, 100000), down: g.lognI(8000, 1, 300, 1<<20), dur: ms(g.logn(300, 1))})
			return
		}
		var f flow
		g.initFlow(&f, t, h.ip, g.eport(h.os), app, port, pTCP)
		f.app = "http"
		host := ipStr(app) + ":" + strconv.Itoa(int(port))
		tx := httpTx{host: ipStr(app), port: int(port), url: []string{"/api/v1/health", "/metrics", "/api/v1/orders?limit=50"}[g.r.IntN(3)], ua: []string{uaCurl, uaPython, uaGo}[g.r.IntN(3)],
			ctype: "application/json", method: "GET", proto: "HTTP/1.1", status: 200, length: g.lognI(900, 1, 20, 100000),
			reqH: []kv{{"Host", host}, {"Accept", "*/*"}}, respH: []kv{{"Content-Type", "application/json"}}}
		tx.reqH = append(tx.reqH, kv{"User-Agent", tx.ua})
		rtt := g.rttTo(app)
		done := g.plainExchange(t+rtt, &f, &tx, false, rtt)
		f.end = done + ms(2)
		f.vol(250, tx.length+200)
		g.emitFlow(&f)
	}
}

func (g *gen) sshSession(t int64, cli uint32, os osKind, srv uint32, cl, sv sshSoft) {
	var f flow
	g.initFlow(&f, t, cli, g.eport(os), srv, 22, pTCP)
	f.app = "ssh"
	g.emitSSH(t+g.rttTo(srv)*3+ms(5), &f, cl, sv)
	f.end = t + sec(g.logn(240, 1.6))
	f.vol(g.lognI(40000, 1.2, 3000, 50<<20), g.lognI(90000, 1.4, 3000, 200<<20))
	g.emitFlow(&f)
}

func (g *gen) jenkinsUI(h *node, t int64) {
	w := g.w
	prev := g.curCase
	if prev < 0 {
		g.curCase = g.jenkinsCase
	}
	defer func() { g.curCase = prev }()
	var f flow
	g.initFlow(&f, t, h.ip, g.eport(h.os), w.jenkins, 8080, pTCP)
	f.app = "http"
	host := "jenkins." + w.domain
	rtt := g.rttTo(w.jenkins)
	tt := t + rtt
	jobs := []string{"platform-api", "web-frontend", "billing-service", "infra-terraform", "mobile-app"}
	n := 2 + g.r.IntN(5)
	var down int64
	for i := 0; i < n; i++ {
		job := jobs[g.r.IntN(len(jobs))]
		p := []string{"/job/" + job + "/", "/job/" + job + "/lastBuild/console", "/static/6d1b2a9c/css/style.css", "/ajaxBuildQueue", "/job/" + job + "/" + strconv.Itoa(100+g.r.IntN(800)) + "/artifact/build.log"}[g.r.IntN(5)]
		l := g.lognI(20000, 1.2, 300, 5<<20)
		tx := httpTx{host: host, port: 8080, url: p, ua: h.ua, ctype: "text/html", method: "GET", proto: "HTTP/1.1", status: 200, length: l, txid: i,
			reqH:  []kv{{"Host", host + ":8080"}, {"User-Agent", h.ua}, {"Accept", "text/html,*/*"}, {"Cookie", "JSESSIONID.1f4c2a8b=node0" + randLabel(g.r, 24, alnum)}},
			respH: []kv{{"Server", "Jetty(12.0.16)"}, {"X-Jenkins", "2.479.3"}, {"X-Hudson", "1.395"}, {"Content-Type", "text/html;charset=utf-8"}}}
		if i > 0 {
			tx.refer = "http://" + host + ":8080/"
		}
		tt = g.plainExchange(tt, &f, &tx, g.r.IntN(2) == 0, rtt) + ms(g.logn(400, 1))
		down += l + 300
	}
	f.end = tt + sec(g.logn(10, 1))
	f.vol(int64(n*600), down)
	g.emitFlow(&f)
}

// ---- alerts sprinkled on ordinary traffic ---------------------------------------------

var (
	metaInfo      = `"affected_product":["Any"],"attack_target":["Client_Endpoint"],"created_at":["2019_08_13"],"deployment":["Perimeter"],"signature_severity":["Informational"],"updated_at":["2024_05_14"]`
	metaPolicy    = `"created_at":["2011_06_14"],"former_category":["POLICY"],"updated_at":["2023_11_13"],"signature_severity":["Informational"]`
	sigAPT        = sigDef{2013504, 6, "ET POLICY GNU/Linux APT User-Agent Outbound likely related to package management", "Not Suspicious Traffic", 3, metaPolicy}
	sigCurl       = sigDef{2013028, 7, "ET POLICY curl User-Agent Outbound", "Attempted Information Leak", 2, metaPolicy}
	sigPEDownload = sigDef{2018959, 5, "ET POLICY PE EXE or DLL Windows file download HTTP", "Potential Corporate Privacy Violation", 1, `"created_at":["2014_08_19"],"former_category":["INFO"],"signature_severity":["Informational"],"updated_at":["2024_02_16"]`}
	sigTLSInvalid = sigDef{2230010, 1, "SURICATA TLS invalid record/traffic", "Generic Protocol Command Decode", 3, ""}
	sigIPLookup   = sigDef{2033078, 2, "ET INFO External IP Lookup Domain in DNS Lookup (ipinfo .io)", "Potentially Bad Traffic", 2, metaInfo}
	streamSigs    = []sigDef{
		{2210020, 2, "SURICATA STREAM ESTABLISHED packet out of window", "Generic Protocol Command Decode", 3, ""},
		{2210045, 2, "SURICATA STREAM Packet with invalid ack", "Generic Protocol Command Decode", 3, ""},
		{2210029, 2, "SURICATA STREAM ESTABLISHED invalid ack", "Generic Protocol Command Decode", 3, ""},
		{2210056, 1, "SURICATA STREAM bad window update", "Generic Protocol Command Decode", 3, ""},
		{2210054, 1, "SURICATA STREAM excessive retransmissions", "Generic Protocol Command Decode", 3, ""},
	}
	anomalies = []struct{ typ, ev, app, layer string }{
		{"stream", "stream.pkt_spurious_retransmission", "", ""},
		{"stream", "stream.est_packet_out_of_window", "", ""},
		{"applayer", "APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION", "tls", "proto_detect"},
		{"applayer", "INVALID_RECORD_TYPE", "tls", "proto_parser"},
		{"applayer", "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST", "http", "proto_parser"},
		{"decode", "decoder.ipv4.opt_pad_required", "", ""},
	}
)

func (g *gen) sprinkleTLSAlert(t int64, h *node, ip uint32, s *site) {
	var f flow
	g.initFlow(&f, t, h.ip, g.eport(h.os), ip, 443, pTCP)
	f.app = "tls"
	f.vol(3000, 20000)
	f.end = t + sec(2)
	g.emitAlert(t+ms(300), &f, &sigTLSInvalid, false, -1, nil)
	g.emitFlow(&f)
}

// noise emits stream alerts and anomaly records on ordinary-looking flows.
func (g *gen) noise(t int64, h *node) {
	s := g.w.browse.pick(g.r)
	ip := s.ips[0]
	var f flow
	g.initFlow(&f, t, h.ip, g.eport(h.os), ip, 443, pTCP)
	f.app = "tls"
	f.vol(g.lognI(8000, 1, 500, 1<<20), g.lognI(90000, 1.3, 1000, 20<<20))
	f.end = t + sec(g.logn(20, 1))
	f.tcp = tcpReset
	if g.r.IntN(2) == 0 {
		sg := &streamSigs[g.r.IntN(len(streamSigs))]
		g.emitAlert(t+sec(g.r.Float64()*3), &f, sg, g.r.IntN(2) == 0, -1, nil)
	} else {
		a := anomalies[g.r.IntN(len(anomalies))]
		g.emitAnomaly(t+sec(g.r.Float64()*3), &f, a.typ, a.ev, a.app, a.layer, g.r.IntN(2) == 0)
	}
	g.emitFlow(&f)
}
