package sim

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
)

// ---- small random helpers ---------------------------------------------------

// logn draws a log-normal value with the given median.
func (g *gen) logn(median, sigma float64) float64 {
	return median * math.Exp(sigma*g.r.NormFloat64())
}

func (g *gen) lognI(median, sigma float64, lo, hi int64) int64 {
	v := int64(g.logn(median, sigma))
	return min(max(v, lo), hi)
}

// ms returns microseconds for a (fractional) number of milliseconds.
func ms(v float64) int64 { return int64(v * 1000) }

func sec(v float64) int64 { return int64(v * 1e6) }

func (g *gen) eport(os osKind) uint16 {
	if os == osLinux {
		return uint16(32768 + g.r.IntN(28232))
	}
	return uint16(49152 + g.r.IntN(16383))
}

// rttTo estimates a round trip time (µs) from the org to ip.
func (g *gen) rttTo(ip uint32) int64 {
	if isInternal(ip) {
		return int64(150 + g.r.IntN(700))
	}
	return ms(4 + g.r.ExpFloat64()*35)
}

// ---- DNS ---------------------------------------------------------------------

func (g *gen) dnsServer(cli uint32) uint32 {
	if cli%5 == 0 {
		return g.w.dns[1]
	}
	return g.w.dns[0]
}

// siteAnswers fills g.ans with the CNAME chain and A records of s. It returns
// the address the client will use.
func (g *gen) siteAnswers(s *site, qtype string) uint32 {
	g.ans = g.ans[:0]
	prev := s.name
	for _, c := range s.cname {
		g.ans = append(g.ans, dnsAns{rrname: prev, rrtype: "CNAME", rdata: c, ttl: s.ttl})
		prev = c
	}
	n := len(s.ips)
	off := g.r.IntN(n)
	if qtype == "AAAA" {
		for i := 0; i < len(s.v6); i++ {
			g.ans = append(g.ans, dnsAns{rrname: prev, rrtype: "AAAA", rdata: s.v6[(i+off)%len(s.v6)], ttl: min(s.ttl, 300)})
		}
		return 0
	}
	for i := 0; i < n; i++ {
		g.ans = append(g.ans, dnsAns{rrname: prev, rrtype: "A", rdata: ipStr(s.ips[(i+off)%n]), ttl: min(s.ttl, 300)})
	}
	return s.ips[off]
}

// lookupSite performs an A (and sometimes AAAA) lookup of s from cli through
// the internal resolvers. It returns the chosen address and the time the
// answer arrives.
func (g *gen) lookupSite(t int64, cli uint32, os osKind, s *site) (uint32, int64) {
	return g.lookupName(t, cli, os, s.name, s)
}

func (g *gen) lookupName(t int64, cli uint32, os osKind, name string, s *site) (uint32, int64) {
	srv := g.dnsServer(cli)
	var f flow
	g.initFlow(&f, t, cli, g.eport(os), srv, 53, pUDP)
	f.app = "dns"
	id := g.r.IntN(65536)
	miss := g.r.Float64() < 0.18
	rtt := int64(200 + g.r.IntN(1500))
	if miss {
		rtt = ms(8 + g.r.ExpFloat64()*40)
	}
	g.emitDNSQuery(t, &f, id, 0, name, "A")
	if a, ok := domainAlerts[name]; ok && a.dns != nil {
		g.emitAlert(t+int64(g.r.IntN(30)), &f, a.dns, true, 0, func(b []byte) []byte { return g.appAlertDNS(b, &f, id, name) })
	}
	ip := g.siteAnswers(s, "A")
	if g.ans[len(g.ans)-1].rrtype == "A" && name != s.name {
		g.ans[0].rrname = name
	}
	g.emitDNSAnswer(t+rtt, &f, id, 1, name, "A", "NOERROR", g.ans, "")
	bts, btc := int64(60+len(name)), int64(90+len(g.ans)*28+len(name))
	f.txCnt = 2
	end := t + rtt
	if os == osWin && len(s.v6) > 0 && g.r.IntN(2) == 0 {
		id2 := g.r.IntN(65536)
		t2 := t + int64(50+g.r.IntN(300))
		g.emitDNSQuery(t2, &f, id2, 2, name, "AAAA")
		g.siteAnswers(s, "AAAA")
		g.emitDNSAnswer(t2+rtt, &f, id2, 3, name, "AAAA", "NOERROR", g.ans, "")
		bts, btc = bts*2, btc+int64(90+len(g.ans)*40)
		f.txCnt = 4
		end = t2 + rtt
	}
	f.end = end
	f.vol(bts, btc)
	g.emitFlow(&f)
	if miss {
		g.forwardQuery(t+int64(100+g.r.IntN(400)), srv, name)
	}
	return ip, t + rtt
}

// appAlertDNS appends the DNS object of a query inside an alert.
func (g *gen) appAlertDNS(b []byte, f *flow, id int, name string) []byte {
	if f.s8 {
		b = kInt(b, `,"dns":{"version":3,"type":"request","tx_id":0,"id":`, int64(id))
		b = kStr(b, `,"flags":"100","rd":true,"opcode":0,"rcode":"NOERROR","queries":[{"rrname":`, name)
		return append(b, `,"rrtype":"A"}]}`...)
	}
	b = kInt(b, `,"dns":{"query":[{"type":"query","id":`, int64(id))
	b = kStr(b, `,"rrname":`, name)
	return append(b, `,"rrtype":"A","tx_id":0,"opcode":0}]}`...)
}

// lookupRaw logs a lookup with explicit answers (internal names, NXDOMAIN...).
func (g *gen) lookupRaw(t int64, cli uint32, os osKind, name, qtype, rcode string, ans []dnsAns, soa string) int64 {
	srv := g.dnsServer(cli)
	var f flow
	g.initFlow(&f, t, cli, g.eport(os), srv, 53, pUDP)
	f.app = "dns"
	id := g.r.IntN(65536)
	rtt := int64(200 + g.r.IntN(900))
	if rcode == "NXDOMAIN" && !strings.HasSuffix(name, g.w.domain) {
		rtt = ms(10 + g.r.ExpFloat64()*30)
	}
	g.emitDNSQuery(t, &f, id, 0, name, qtype)
	g.emitDNSAnswer(t+rtt, &f, id, 1, name, qtype, rcode, ans, soa)
	f.txCnt = 2
	f.end = t + rtt
	f.vol(int64(60+len(name)), int64(90+len(ans)*30+len(name)+len(soa)))
	g.emitFlow(&f)
	return t + rtt
}

// forwardQuery models the resolver's cache miss going to the Internet.
func (g *gen) forwardQuery(t int64, srv uint32, name string) {
	if g.r.IntN(2) == 0 {
		return
	}
	up := []uint32{ip4(1, 1, 1, 1), ip4(1, 0, 0, 1), ip4(9, 9, 9, 9)}[g.r.IntN(3)]
	var f flow
	g.initFlow(&f, t, srv, g.eport(osLinux), up, 53, pUDP)
	f.app = "dns"
	id := g.r.IntN(65536)
	rtt := ms(6 + g.r.ExpFloat64()*20)
	g.emitDNSQuery(t, &f, id, 0, name, "A")
	var ans []dnsAns
	if s := g.w.byName[name]; s != nil {
		g.siteAnswers(s, "A")
		ans = g.ans
	}
	rcode := "NOERROR"
	if ans == nil {
		// unknown names still resolve (the simulated Internet is larger than
		// the catalogue); give them a hosting address
		ans = []dnsAns{{rrname: name, rrtype: "A", rdata: ipStr(providers[vpsProviders[int(hash32(name))%len(vpsProviders)]].pickHash(name)), ttl: 300}}
	}
	g.emitDNSAnswer(t+rtt, &f, id, 1, name, "A", rcode, ans, "")
	f.txCnt = 2
	f.end = t + rtt
	f.vol(int64(70+len(name)), int64(120+len(ans)*30))
	g.emitFlow(&f)
}

func hash32(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func (p *provider) pickHash(s string) uint32 {
	h := hash32(s)
	c := p.ranges[int(h>>8)%len(p.ranges)]
	return c.base&c.mask() + 1 + h%(c.size()-2)
}

// ---- TLS / QUIC ----------------------------------------------------------------

type tlsConn struct {
	cli     uint32
	cliOS   osKind
	ip      uint32
	port    uint16
	sni     string
	cert    *cert
	tls12   bool
	client  *tlsClient
	up      int64
	down    int64
	dur     int64
	tcpMode uint8
	ja3s    *ja3sDef
}

func (g *gen) ja3sFor(ip uint32, ver int) ja3sDef {
	if ver == 13 {
		return ja3s13[int(ip)%len(ja3s13)]
	}
	return ja3s12[int(ip>>3)%len(ja3s12)]
}

// tlsFlow emits a TLS connection (tls record + flow record).
func (g *gen) tlsFlow(t int64, c *tlsConn) int64 {
	var f flow
	g.initFlow(&f, t, c.cli, g.eport(c.cliOS), c.ip, c.port, pTCP)
	f.app = "tls"
	g.tlsOnFlow(&f, t, c, g.rttTo(c.ip))
	f.end = t + max(c.dur, ms(5))
	f.vol(c.up, c.down)
	f.tcp = c.tcpMode
	g.emitFlow(&f)
	return f.end
}

// tlsOnFlow logs the TLS handshake of an existing flow.
func (g *gen) tlsOnFlow(f *flow, t int64, c *tlsConn, rtt int64) {
	ver := 13
	if c.tls12 || (c.client != nil && c.client.maxTLS == 12) {
		ver = 12
	}
	ti := tlsInfo{sni: c.sni, ver: ver, cert: c.cert, cli: c.client}
	if ver == 12 && g.r.IntN(7) == 0 {
		ti.resumed = true
	}
	if c.ja3s != nil {
		ti.ja3s = *c.ja3s
	} else {
		ti.ja3s = g.ja3sFor(c.ip, ver)
	}
	if ti.resumed && ver == 12 {
		ti.ja3s = ja3s12[0]
	}
	if c.client != nil && len(c.client.alpn) > 0 {
		ti.alpn = c.client.alpn[0]
		if c.tls12 && g.r.IntN(2) == 0 {
			ti.alpn = "http/1.1"
		}
	}
	ts := t + rtt + rtt/2 + int64(g.r.IntN(400))
	g.emitTLS(ts, f, &ti)
	if a, ok := domainAlerts[c.sni]; ok && a.sni != nil {
		g.emitAlert(ts+int64(g.r.IntN(50)), f, a.sni, true, -1, func(b []byte) []byte {
			b = kStr(b, `,"tls":{"sni":`, ti.sni)
			if ti.ver == 13 {
				return append(b, `,"version":"TLS 1.3"}`...)
			}
			return append(b, `,"version":"TLS 1.2"}`...)
		})
	}
}

// domAlert: ET INFO/POLICY rules keyed on a domain in DNS or in the TLS SNI.
type domAlert struct{ dns, sni *sigDef }

var metaSNI = `"attack_target":["Client_Endpoint"],"created_at":["2023_03_02"],"deployment":["Perimeter"],"signature_severity":["Informational"],"updated_at":["2025_06_10"]`

var domainAlerts = map[string]domAlert{
	"ipinfo.io":       {&sigIPLookup, &sigDef{2033079, 3, "ET INFO External IP Address Lookup Domain (ipinfo .io) in TLS SNI", "Potentially Bad Traffic", 2, metaInfo}},
	"discord.com":     {&sigDef{2035465, 2, "ET INFO Observed Discord Domain in DNS Lookup (discord .com)", "Misc activity", 3, metaInfo}, &sigDef{2035466, 2, "ET INFO Observed Discord Domain (discord .com in TLS SNI)", "Misc activity", 3, metaSNI}},
	"www.dropbox.com": {&sigDef{2012647, 4, "ET POLICY Dropbox.com Offsite File Backup in Use", "Potential Corporate Privacy Violation", 1, metaPolicy}, nil},
	"wetransfer.com":  {nil, &sigDef{2044360, 1, "ET INFO Observed File Sharing Service Domain (wetransfer .com in TLS SNI)", "Misc activity", 3, metaSNI}},
	"chatgpt.com":     {nil, &sigDef{2044771, 2, "ET INFO Observed OpenAI ChatGPT Domain (chatgpt .com in TLS SNI)", "Misc activity", 3, metaSNI}},
	"claude.ai":       {nil, &sigDef{2052001, 1, "ET INFO Observed Anthropic Claude Domain (claude .ai in TLS SNI)", "Misc activity", 3, metaSNI}},
}

func (g *gen) quicFlow(t int64, cli uint32, os osKind, ip uint32, sni string, client *tlsClient, up, down, dur int64) {
	var f flow
	g.initFlow(&f, t, cli, g.eport(os), ip, 443, pUDP)
	f.app = "quic"
	rtt := g.rttTo(ip)
	g.emitQUIC(t+int64(g.r.IntN(300)), &f, sni, client)
	if g.r.IntN(2) == 0 {
		g.emitQUIC(t+rtt+int64(g.r.IntN(500)), &f, sni, client)
	}
	f.end = t + dur
	f.vol(up, down)
	g.emitFlow(&f)
}

// ---- HTTP helpers ----------------------------------------------------------------

// hdrs builds a header list from name/value pairs, skipping empty values.
func (g *gen) hdrs(kvs ...string) []kv {
	out := make([]kv, 0, len(kvs)/2)
	for i := 0; i+1 < len(kvs); i += 2 {
		if kvs[i+1] == "" {
			continue
		}
		out = append(out, kv{kvs[i], kvs[i+1]})
	}
	return out
}

var b64 = base64.StdEncoding

func basicAuth(user, pass string) string {
	return "Basic " + b64.EncodeToString([]byte(user+":"+pass))
}

// plainExchange logs one HTTP transaction on f and its file, returning the
// time the response completed.
func (g *gen) plainExchange(t int64, f *flow, tx *httpTx, file bool, rtt int64) int64 {
	done := t + rtt + ms(g.logn(25, 1.0)) + tx.length/20000*1000
	g.emitHTTP(done, f, tx)
	if file && tx.length > 0 && tx.method != "HEAD" && tx.status == 200 {
		name := tx.url
		if strings.HasPrefix(name, "http://") {
			if i := strings.IndexByte(name[7:], '/'); i >= 0 {
				name = name[7+i:]
			}
		}
		if i := strings.IndexByte(name, '?'); i >= 0 {
			name = name[:i]
		}
		fd := fileFor(name, tx.length)
		if tx.length > 4<<20 && g.r.IntN(3) == 0 {
			fd.truncated = true
		}
		g.emitFileinfo(done+int64(g.r.IntN(300)), f, tx, &fd)
	}
	return done
}

// ---- proxy chains ------------------------------------------------------------------

// hop is one HTTP proxy on a path.
type hop struct {
	ip        uint32
	port      uint16
	os        osKind
	via       string // Via token this proxy adds ("" = none)
	xff       bool   // appends X-Forwarded-For
	dnsP      float64
	connResp  []kv // extra response headers on CONNECT 200
	server    string
	authBasic string // Proxy-Authorization the client sends (Basic); "" none
	negotiate bool   // corporate Kerberos proxy auth (407 then Negotiate)
	cacheName string // X-Cache "from" name (squid)
}

// proxReq describes one client request through a chain of proxies.
type proxReq struct {
	cli      uint32
	cliOS    osKind
	ua       string
	client   *tlsClient
	dst      *site
	dstIP    uint32
	https    bool
	path     string
	ctype    string
	up, down int64
	dur      int64
	first407 bool // send without credentials first, get 407
	method   string
	status   int    // origin status for cleartext requests (0 = 200)
	redirect string // Location of a redirect
}

// proxied emits every visible leg of a request through hops: the client's
// CONNECT / absolute-URI request to the first proxy, each proxy's request to
// the next, and the last proxy's connection to the origin. Legs between two
// external hosts are not visible to the sensors and are skipped.
// It returns the origin address used.
func (g *gen) proxied(t int64, p *proxReq, hops []hop) uint32 {
	dst := p.dst
	dip := p.dstIP
	if dip == 0 {
		dip = dst.ips[g.r.IntN(len(dst.ips))]
	}
	// leg timing
	n := len(hops) + 1
	var starts [8]int64
	var rtts [8]int64
	senders := [8]uint32{p.cli}
	senderOS := [8]osKind{p.cliOS}
	starts[0] = t
	for i := 0; i < n; i++ {
		var to uint32
		if i < len(hops) {
			to = hops[i].ip
		} else {
			to = dip
		}
		if isInternal(senders[i]) && isInternal(to) {
			rtts[i] = int64(200 + g.r.IntN(600))
		} else {
			rtts[i] = g.rttTo(to)
		}
		if i+1 < n {
			senders[i+1] = hops[i].ip
			senderOS[i+1] = hops[i].os
			starts[i+1] = starts[i] + rtts[i] + rtts[i]/2 + ms(0.3+g.r.ExpFloat64()*4)
		}
	}
	// the last proxy may resolve the destination first
	if last := len(hops) - 1; last >= 0 && isInternal(hops[last].ip) && g.r.Float64() < hops[last].dnsP {
		_, done := g.lookupSite(starts[n-1], hops[last].ip, hops[last].os, dst)
		starts[n-1] = done + ms(0.2+g.r.Float64())
	}
	// response arrival at each leg (CONNECT 200 comes back after the next leg
	// connected)
	var total int64
	for i := 0; i < n; i++ {
		total += rtts[i]
	}
	var via, xffs []string
	endAll := t + p.dur
	for i := 0; i < n; i++ {
		last := i == n-1
		var to uint32
		var port uint16
		if last {
			to = dip
			port = 80
			if p.https {
				port = 443
			}
		} else {
			to, port = hops[i].ip, hops[i].port
		}
		from := senders[i]
		if isInternal(from) || isInternal(to) {
			var f flow
			g.initFlow(&f, starts[i], from, g.eport(senderOS[i]), to, port, pTCP)
			// 0.3-2% overhead differences between legs
			up := p.up + int64(len(hops)-i)*180 + int64(g.r.IntN(int(p.up/50+2)))
			down := p.down + int64(g.r.IntN(int(p.down/60+2)))
			legEnd := endAll - int64(i)*ms(0.4+g.r.Float64()*3)
			if legEnd <= starts[i] {
				legEnd = starts[i] + ms(2)
			}
			respAt := starts[i] + rtts[i]
			for k := i + 1; k < n; k++ {
				respAt += rtts[k] + rtts[k]/2
			}
			if !last {
				h := &hops[i]
				if p.https {
					g.connectTx(&f, respAt, p, h, i, via, xffs)
					f.app, f.appOrig = "tls", "http"
					g.tlsOnFlow(&f, respAt, &tlsConn{ip: dip, sni: dst.name, cert: dst.cert, tls12: dst.has(fTLS12), client: p.client}, total)
				} else {
					f.app = "http"
					g.absoluteTx(&f, respAt, p, hops, i, via, xffs)
				}
			} else {
				if p.https {
					f.app = "tls"
					g.tlsOnFlow(&f, starts[i], &tlsConn{ip: dip, sni: dst.name, cert: dst.cert, tls12: dst.has(fTLS12), client: p.client}, rtts[i])
				} else {
					f.app = "http"
					g.originTx(&f, starts[i]+rtts[i], p, via, xffs, hops)
				}
			}
			f.end = legEnd
			f.vol(up, down)
			g.emitFlow(&f)
		}
		if i < len(hops) {
			if hops[i].via != "" {
				via = append(via, hops[i].via)
			}
			if hops[i].xff {
				xffs = append(xffs, ipStr(from))
			}
		}
	}
	return dip
}

func joinComma(v []string) string { return strings.Join(v, ", ") }

// connectTx logs CONNECT host:443 on a leg (with an optional 407 first).
func (g *gen) connectTx(f *flow, at int64, p *proxReq, h *hop, leg int, via, xffs []string) {
	target := p.dst.name + ":443"
	txid := 0
	ua := p.ua
	auth := ""
	if leg == 0 {
		auth = h.authBasic
	}
	if leg == 0 && (p.first407 || h.negotiate && g.r.IntN(3) == 0) {
		scheme := `Basic realm="proxy"`
		if h.negotiate {
			scheme = "Negotiate"
		}
		tx := httpTx{host: p.dst.name, port: 443, url: target, ua: ua, method: "CONNECT", proto: "HTTP/1.1", status: 407,
			ctype: "text/html", length: int64(3400 + g.r.IntN(300)), txid: txid,
			reqH:  g.hdrs("Host", target, "User-Agent", ua, "Proxy-Connection", "keep-alive"),
			respH: g.hdrs("Server", h.server, "Content-Type", "text/html;charset=utf-8", "Proxy-Authenticate", scheme, "Connection", "keep-alive")}
		if h.cacheName != "" {
			tx.respH = append(tx.respH, kv{"X-Cache", "MISS from " + h.cacheName}, kv{"Via", h.via})
		}
		g.emitHTTP(at-ms(1+g.r.Float64()*3), f, &tx)
		txid++
		if h.negotiate {
			auth = "Negotiate YIIHMgYGKwYBBQUCoIIHJjCCByKgMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCqKCBuwEggboYIIG5AYJKoZIhvcSAQICAQBuggbTMIIGz6ADAgEFoQMCAQ6iBwMFACAAAACjggT"
		}
		if auth == "" {
			auth = basicAuth("user", "proxy")
		}
	}
	xff := ""
	if len(xffs) > 0 {
		xff = joinComma(xffs)
	}
	tx := httpTx{host: p.dst.name, port: 443, url: target, ua: ua, xff: xff, method: "CONNECT", proto: "HTTP/1.1", status: 200, length: 0, txid: txid}
	req := []kv{{"Host", target}}
	if ua != "" {
		req = append(req, kv{"User-Agent", ua})
	}
	if leg == 0 {
		req = append(req, kv{"Proxy-Connection", "keep-alive"})
	}
	if auth != "" {
		req = append(req, kv{"Proxy-Authorization", auth})
	}
	if len(via) > 0 {
		req = append(req, kv{"Via", joinComma(via)})
	}
	if xff != "" {
		req = append(req, kv{"X-Forwarded-For", xff})
	}
	tx.reqH = req
	tx.respH = h.connResp
	g.emitHTTP(at, f, &tx)
}

// absoluteTx logs "GET http://host/path" sent to a proxy.
func (g *gen) absoluteTx(f *flow, at int64, p *proxReq, hops []hop, leg int, via, xffs []string) {
	h := &hops[leg]
	method := p.method
	if method == "" {
		method = "GET"
	}
	tx := httpTx{host: p.dst.name, url: "http://" + p.dst.name + p.path, ua: p.ua, method: method, proto: "HTTP/1.1", status: 200,
		ctype: p.ctype, length: p.down, redirect: p.redirect}
	if p.status != 0 {
		tx.status = p.status
	}
	if len(xffs) > 0 {
		tx.xff = joinComma(xffs)
	}
	req := []kv{{"Host", p.dst.name}, {"User-Agent", p.ua}, {"Accept", "*/*"}}
	if leg == 0 {
		req = append(req, kv{"Proxy-Connection", "keep-alive"})
		if h.authBasic != "" {
			req = append(req, kv{"Proxy-Authorization", h.authBasic})
		}
	}
	if len(via) > 0 {
		req = append(req, kv{"Via", joinComma(via)})
	}
	if tx.xff != "" {
		req = append(req, kv{"X-Forwarded-For", tx.xff})
	}
	tx.reqH = req
	resp := []kv{{"Content-Type", p.ctype}, {"Content-Length", strconv.FormatInt(p.down, 10)}}
	// the response on this leg carries the Via entries of this proxy and of
	// every proxy behind it (closest to the origin first)
	var rv []string
	for k := len(hops) - 1; k >= leg; k-- {
		if hops[k].via != "" {
			rv = append(rv, hops[k].via)
		}
	}
	if len(rv) > 0 {
		resp = append(resp, kv{"Via", joinComma(rv)})
	}
	if h.cacheName != "" {
		resp = append(resp, kv{"X-Cache", "MISS from " + h.cacheName})
	}
	tx.respH = resp
	g.plainExchange(at, f, &tx, true, 0)
}

// originTx logs the last proxy's (or the client's) request to the origin.
func (g *gen) originTx(f *flow, at int64, p *proxReq, via, xffs []string, hops []hop) {
	method := p.method
	if method == "" {
		method = "GET"
	}
	tx := httpTx{host: p.dst.name, url: p.path, ua: p.ua, method: method, proto: "HTTP/1.1", status: 200, ctype: p.ctype, length: p.down, redirect: p.redirect}
	if p.status != 0 {
		tx.status = p.status
	}
	if len(xffs) > 0 {
		tx.xff = joinComma(xffs)
	}
	req := []kv{{"Host", p.dst.name}, {"User-Agent", p.ua}, {"Accept", "*/*"}}
	if len(via) > 0 {
		req = append(req, kv{"Via", joinComma(via)})
	}
	if tx.xff != "" {
		req = append(req, kv{"X-Forwarded-For", tx.xff})
	}
	if len(hops) > 0 && hops[len(hops)-1].cacheName != "" {
		req = append(req, kv{"Cache-Control", "max-age=259200"})
	}
	tx.reqH = req
	tx.respH = []kv{{"Content-Type", p.ctype}, {"Content-Length", strconv.FormatInt(p.down, 10)}, {"Server", originServer(p.dst)}}
	g.plainExchange(at, f, &tx, true, int64(g.r.IntN(2000)))
}

func originServer(s *site) string {
	switch s.prov.name {
	case "akamai":
		return "AkamaiGHost"
	case "cloudfront":
		return "CloudFront"
	case "google":
		return "ocsp_responder"
	case "ms_bg", "ms365":
		return "Microsoft-IIS/10.0"
	case "canonical":
		return "Apache/2.4.29 (Ubuntu)"
	case "cloudflare":
		return "cloudflare"
	}
	return "nginx"
}
