package sim

import (
	"bufio"
	"math/rand/v2"
	"strconv"
)

// event types (index into etNames; used for stats)
const (
	etFlow uint8 = iota
	etDNS
	etTLS
	etHTTP
	etFileinfo
	etAlert
	etAnomaly
	etSMB
	etKrb5
	etDHCP
	etSSH
	etSMTP
	etQUIC
	etCount
)

var etNames = [etCount]string{"flow", "dns", "tls", "http", "fileinfo", "alert", "anomaly", "smb", "krb5", "dhcp", "ssh", "smtp", "quic"}

const (
	pTCP  uint8 = 6
	pUDP  uint8 = 17
	pICMP uint8 = 1
)

// TCP session shapes for flow records.
const (
	tcpClosed      uint8 = iota // SYN .. FIN both ways
	tcpEstablished              // timed out while established (long-lived)
	tcpSynOnly                  // no answer
	tcpRefused                  // SYN answered by RST
	tcpReset                    // data, then RST
)

type sensor struct {
	name, iface string
	cid         bool
	fingerprint bool // ja3/ja4 logging enabled
	allHeaders  bool // http dump-all-headers: both
	hashes      bool // fileinfo force-hash
}

var sensors = []*sensor{
	{name: sensorDefs[0].Name, iface: sensorDefs[0].Iface, cid: true, fingerprint: true, allHeaders: true, hashes: true},
	{name: sensorDefs[1].Name, iface: sensorDefs[1].Iface, cid: false, fingerprint: false, allHeaders: false, hashes: false},
}

// flow is one network flow; all records of the flow share its id.
type flow struct {
	id               uint64
	src, dst         uint32
	sp, dp           uint16
	proto            uint8
	start, end       int64
	pts, ptc         int64
	bts, btc         int64
	app, appOrig     string
	tcp              uint8
	sen              *sensor
	s8               bool
	vlan             int
	cid              string
	txCnt            int
	alerted          bool
	cs               int
	icmpType, icmpCd int
}

type kv struct{ name, value string }

type httpTx struct {
	host     string
	port     int
	url      string
	ua       string
	xff      string
	ctype    string
	refer    string
	method   string
	proto    string
	status   int
	redirect string
	length   int64
	reqH     []kv
	respH    []kv
	txid     int
}

type fileDef struct {
	name                string
	size                int64
	md5, sha1, sha256   string
	truncated, noHashes bool
}

type dnsAns struct {
	rrname, rrtype, rdata string
	ttl                   int
}

type tlsInfo struct {
	sni     string
	ver     int
	cert    *cert
	resumed bool
	cli     *tlsClient
	ja3s    ja3sDef
	alpn    string // server-selected ALPN
}

// gen carries the generation state.
type gen struct {
	w       *world
	cfg     Config
	r       *rand.Rand // background traffic
	idr     *rand.Rand // flow ids
	q       pqueue
	free    [][]byte
	out     *bufio.Writer
	tc      tsCache
	stats   [etCount]int64
	bytes   int64
	endUS   int64
	curCase int
	cases   []*caseState
	err     error
	ans     []dnsAns
	src     srcHeap
	nsrc    int
	floor   int64 // everything before this has been written
	clamped int64 // records that had to be moved forward (should stay 0)
	// background rates
	wsRate   float64 // workstation activities per µs at full daytime load
	siteCase map[*site]int

	// case bookkeeping (indices into cases)
	approvedCase [2]int
	approvedHops []hop
	rpCase       int
	devCase      int
	jenkinsCase  int
	leCase       int
	cdnCase      int
	vpnCase      int
	rpCert       *cert
	devClients   []*node
	vpnClients   []*node
	intCerts     map[string]*cert
	extCerts     map[string]*cert
}

func (g *gen) buf() []byte {
	if n := len(g.free); n > 0 {
		b := g.free[n-1]
		g.free = g.free[:n-1]
		return b[:0]
	}
	return make([]byte, 0, 1024)
}

// flush writes every queued line with ts < until, in order.
func (g *gen) flush(until int64) {
	for g.q.len() > 0 && g.q.peekTS() < until {
		p := g.q.pop()
		if g.err == nil {
			_, g.err = g.out.Write(p.b)
		}
		g.stats[p.typ]++
		g.bytes += int64(len(p.b))
		if cap(p.b) <= 8192 && len(g.free) < 4096 {
			g.free = append(g.free, p.b)
		}
	}
}

func (g *gen) nextFlowID() uint64 {
	for {
		v := g.idr.Uint64() & (1<<51 - 1)
		if v > 1<<32 {
			return v
		}
	}
}

func (g *gen) sensorFor(src, dst uint32) (*sensor, int) {
	if netDMZ.contains(src) || netDMZ.contains(dst) {
		return sensors[1], 300
	}
	switch {
	case netPrint.contains(src) || netPrint.contains(dst):
		return sensors[0], 130
	case netMgmt.contains(src) || netMgmt.contains(dst):
		return sensors[0], 199
	}
	return sensors[0], 0
}

// initFlow prepares f for a new connection starting at t.
func (g *gen) initFlow(f *flow, t int64, src uint32, sp uint16, dst uint32, dp uint16, proto uint8) {
	*f = flow{src: src, dst: dst, sp: sp, dp: dp, proto: proto, start: t, end: t, cs: g.curCase}
	f.id = g.nextFlowID()
	f.sen, f.vlan = g.sensorFor(src, dst)
	f.s8 = g.r.Float64() < g.cfg.Suricata8Fraction
	if f.sen.cid {
		f.cid = communityID(src, dst, sp, dp, proto)
	}
}

// vol sets byte counters and derives plausible packet counts.
func (f *flow) vol(bts, btc int64) {
	f.pts = bts/900 + 1
	f.ptc = btc/1250 + 1
	if f.proto == pTCP {
		f.pts += 2
		f.ptc += 2
		if f.ptc > 3*f.pts {
			f.pts = f.ptc/2 + 1
		}
		if f.pts > 3*f.ptc {
			f.ptc = f.pts/2 + 1
		}
	}
	if btc == 0 {
		f.ptc = 0
	}
	f.bts = max(bts, f.pts*60)
	f.btc = max(btc, f.ptc*60)
}

// hdr starts an EVE line with the common header. rev swaps the endpoints
// (records triggered by a server-to-client packet).
func (g *gen) hdr(ts int64, f *flow, et uint8, rev bool) []byte {
	b := g.buf()
	b = append(b, `{"timestamp":"`...)
	b = g.tc.appTS(b, ts)
	b = append(b, `","flow_id":`...)
	b = strconv.AppendUint(b, f.id, 10)
	b = append(b, `,"in_iface":"`...)
	b = append(b, f.sen.iface...)
	b = append(b, `","event_type":"`...)
	b = append(b, etNames[et]...)
	b = append(b, '"')
	if f.vlan > 0 {
		b = append(b, `,"vlan":[`...)
		b = strconv.AppendInt(b, int64(f.vlan), 10)
		b = append(b, ']')
	}
	src, dst, sp, dp := f.src, f.dst, f.sp, f.dp
	if rev {
		src, dst, sp, dp = dst, src, dp, sp
	}
	b = append(b, `,"src_ip":"`...)
	b = appIP(b, src)
	b = append(b, '"')
	if f.proto != pICMP {
		b = append(b, `,"src_port":`...)
		b = strconv.AppendUint(b, uint64(sp), 10)
	}
	b = append(b, `,"dest_ip":"`...)
	b = appIP(b, dst)
	b = append(b, '"')
	if f.proto != pICMP {
		b = append(b, `,"dest_port":`...)
		b = strconv.AppendUint(b, uint64(dp), 10)
	}
	if f.s8 {
		b = append(b, `,"ip_v":4`...)
	}
	switch f.proto {
	case pTCP:
		b = append(b, `,"proto":"TCP"`...)
	case pUDP:
		b = append(b, `,"proto":"UDP"`...)
	default:
		b = append(b, `,"proto":"ICMP","icmp_type":`...)
		b = strconv.AppendInt(b, int64(f.icmpType), 10)
		b = append(b, `,"icmp_code":`...)
		b = strconv.AppendInt(b, int64(f.icmpCd), 10)
	}
	if f.sen.cid {
		b = append(b, `,"community_id":"`...)
		b = append(b, f.cid...)
		b = append(b, '"')
	}
	return b
}

// done finishes the line and queues it. Lines after the end of the
// simulation are dropped (flow records are clamped by emitFlow instead).
func (g *gen) done(b []byte, ts int64, f *flow, et uint8) {
	if ts >= g.endUS {
		g.free = append(g.free, b)
		return
	}
	if ts < g.floor {
		ts = g.floor
		g.clamped++
	}
	b = append(b, `,"host":"`...)
	b = append(b, f.sen.name...)
	b = append(b, "\"}\n"...)
	g.q.push(ts, et, b)
	if f.cs >= 0 {
		g.cases[f.cs].observe(ts, f)
	}
}

// ---- flow ------------------------------------------------------------------

func (g *gen) emitFlow(f *flow) {
	var timeout int64
	state := "closed"
	switch f.proto {
	case pTCP:
		switch f.tcp {
		case tcpClosed, tcpReset, tcpRefused:
			timeout = 60e6
		case tcpSynOnly:
			timeout, state = 60e6, "new"
		default:
			timeout, state = 600e6, "established"
		}
	default:
		timeout, state = 300e6, "established"
		if f.ptc == 0 {
			timeout, state = 30e6, "new"
		}
	}
	reason := "timeout"
	ts := f.end + timeout + g.r.Int64N(1e6)
	if f.start >= g.endUS {
		return
	}
	tcpMode := f.tcp
	if ts >= g.endUS {
		// still tracked when the sensor stopped: logged at shutdown
		ts = g.endUS - 1 - g.r.Int64N(5e5)
		if ts < f.start {
			ts = f.start
		}
		reason = "shutdown"
		if f.end > ts {
			frac := float64(ts-f.start) / float64(f.end-f.start+1)
			f.bts = int64(float64(f.bts)*frac) + 60
			f.btc = int64(float64(f.btc) * frac)
			f.pts = int64(float64(f.pts)*frac) + 1
			f.ptc = int64(float64(f.ptc) * frac)
			f.end = ts
			if f.proto == pTCP && (tcpMode == tcpClosed || tcpMode == tcpReset) {
				tcpMode = tcpEstablished
				state = "established"
			}
		}
	}
	b := g.hdr(ts, f, etFlow, false)
	if f.app != "" {
		b = kStr(b, `,"app_proto":`, f.app)
	}
	if f.appOrig != "" {
		b = kStr(b, `,"app_proto_orig":`, f.appOrig)
	}
	b = kInt(b, `,"flow":{"pkts_toserver":`, f.pts)
	b = kInt(b, `,"pkts_toclient":`, f.ptc)
	b = kInt(b, `,"bytes_toserver":`, f.bts)
	b = kInt(b, `,"bytes_toclient":`, f.btc)
	b = append(b, `,"start":"`...)
	b = g.tc.appTS(b, f.start)
	b = append(b, `","end":"`...)
	b = g.tc.appTS(b, f.end)
	b = kInt(b, `","age":`, (f.end-f.start)/1e6)
	b = kStr(b, `,"state":`, state)
	b = kStr(b, `,"reason":`, reason)
	b = kBool(b, `,"alerted":`, f.alerted)
	if f.s8 && f.txCnt > 0 {
		b = kInt(b, `,"tx_cnt":`, int64(f.txCnt))
	}
	b = append(b, '}')
	if f.proto == pTCP {
		switch tcpMode {
		case tcpClosed:
			b = append(b, `,"tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed"}`...)
		case tcpReset:
			b = append(b, `,"tcp":{"tcp_flags":"1e","tcp_flags_ts":"1a","tcp_flags_tc":"1e","syn":true,"rst":true,"psh":true,"ack":true,"state":"closed"}`...)
		case tcpSynOnly:
			b = append(b, `,"tcp":{"tcp_flags":"02","tcp_flags_ts":"02","tcp_flags_tc":"00","syn":true,"state":"syn_sent"}`...)
		case tcpRefused:
			b = append(b, `,"tcp":{"tcp_flags":"16","tcp_flags_ts":"02","tcp_flags_tc":"14","syn":true,"rst":true,"ack":true,"state":"closed"}`...)
		default:
			b = append(b, `,"tcp":{"tcp_flags":"1a","tcp_flags_ts":"1a","tcp_flags_tc":"1a","syn":true,"psh":true,"ack":true,"state":"established"}`...)
		}
	}
	g.done(b, ts, f, etFlow)
}

// ---- dns -------------------------------------------------------------------

func appDNSAnswers(b []byte, ans []dnsAns) []byte {
	b = append(b, `,"answers":[`...)
	for i, a := range ans {
		if i > 0 {
			b = append(b, ',')
		}
		b = kStr(b, `{"rrname":`, a.rrname)
		b = kStr(b, `,"rrtype":`, a.rrtype)
		b = kInt(b, `,"ttl":`, int64(a.ttl))
		b = kStr(b, `,"rdata":`, a.rdata)
		b = append(b, '}')
	}
	b = append(b, `],"grouped":{`...)
	// group by type, in order of first appearance
	first := true
	var seen [4]string
	ns := 0
	for _, a := range ans {
		dup := false
		for k := 0; k < ns; k++ {
			if seen[k] == a.rrtype {
				dup = true
			}
		}
		if dup {
			continue
		}
		if ns < len(seen) {
			seen[ns] = a.rrtype
			ns++
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appStr(b, a.rrtype)
		b = append(b, ":["...)
		n := 0
		for _, c := range ans {
			if c.rrtype == a.rrtype {
				if n > 0 {
					b = append(b, ',')
				}
				b = appStr(b, c.rdata)
				n++
			}
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// emitDNSQuery logs one query (v2 "query" / v3 "request").
func (g *gen) emitDNSQuery(ts int64, f *flow, id int, txid int, name, qtype string) {
	b := g.hdr(ts, f, etDNS, false)
	if f.s8 {
		b = kInt(b, `,"dns":{"version":3,"type":"request","tx_id":`, int64(txid))
		b = kInt(b, `,"id":`, int64(id))
		b = append(b, `,"flags":"100","rd":true,"opcode":0,"rcode":"NOERROR","queries":[`...)
		b = kStr(b, `{"rrname":`, name)
		b = kStr(b, `,"rrtype":`, qtype)
		b = append(b, "}]}"...)
	} else {
		b = kInt(b, `,"dns":{"type":"query","id":`, int64(id))
		b = kStr(b, `,"rrname":`, name)
		b = kStr(b, `,"rrtype":`, qtype)
		b = kInt(b, `,"tx_id":`, int64(txid))
		b = append(b, `,"opcode":0}`...)
	}
	g.done(b, ts, f, etDNS)
}

// emitDNSAnswer logs the response (v2 "answer" / v3 "response"; v3 puts the
// responder in src_ip).
func (g *gen) emitDNSAnswer(ts int64, f *flow, id int, txid int, name, qtype, rcode string, ans []dnsAns, soa string) {
	b := g.hdr(ts, f, etDNS, f.s8)
	flags := "8180"
	if rcode == "NXDOMAIN" {
		flags = "8183"
	} else if rcode == "SERVFAIL" {
		flags = "8182"
	}
	if f.s8 {
		b = kInt(b, `,"dns":{"version":3,"type":"response","tx_id":`, int64(txid))
		b = kInt(b, `,"id":`, int64(id))
		b = kStr(b, `,"flags":`, flags)
		b = append(b, `,"qr":true,"rd":true,"ra":true,"opcode":0`...)
		b = kStr(b, `,"rcode":`, rcode)
		b = kStr(b, `,"queries":[{"rrname":`, name)
		b = kStr(b, `,"rrtype":`, qtype)
		b = append(b, "}]"...)
	} else {
		b = kInt(b, `,"dns":{"version":2,"type":"answer","id":`, int64(id))
		b = kStr(b, `,"flags":`, flags)
		b = append(b, `,"qr":true,"rd":true,"ra":true,"opcode":0`...)
		b = kStr(b, `,"rrname":`, name)
		b = kStr(b, `,"rrtype":`, qtype)
		b = kStr(b, `,"rcode":`, rcode)
	}
	if len(ans) > 0 {
		b = appDNSAnswers(b, ans)
	}
	if soa != "" {
		b = kStr(b, `,"authorities":[{"rrname":`, soa)
		b = append(b, `,"rrtype":"SOA","ttl":900`...)
		if f.s8 {
			b = kStr(b, `,"soa":{"mname":`, "ns1."+soa)
			b = kStr(b, `,"rname":`, "hostmaster."+soa)
			b = append(b, `,"serial":2026111901,"refresh":900,"retry":600,"expire":86400,"minimum":900}`...)
		}
		b = append(b, "}]"...)
	}
	b = append(b, '}')
	g.done(b, ts, f, etDNS)
}

// ---- tls -------------------------------------------------------------------

func (g *gen) emitTLS(ts int64, f *flow, ti *tlsInfo) {
	b := g.hdr(ts, f, etTLS, false)
	b = append(b, `,"tls":{`...)
	showCert := ti.cert != nil && ti.ver == 12 && !ti.resumed
	sep := ""
	if showCert {
		b = kStr(b, `"subject":`, ti.cert.subject)
		b = kStr(b, `,"issuerdn":`, ti.cert.issuer)
		b = kStr(b, `,"serial":`, ti.cert.serial)
		b = kStr(b, `,"fingerprint":`, ti.cert.fp)
		sep = ","
	}
	if ti.resumed {
		b = append(b, sep...)
		b = append(b, `"session_resumed":true`...)
		sep = ","
	}
	if ti.sni != "" {
		b = append(b, sep...)
		b = kStr(b, `"sni":`, ti.sni)
		sep = ","
	}
	b = append(b, sep...)
	if ti.ver == 13 {
		b = append(b, `"version":"TLS 1.3"`...)
	} else {
		b = append(b, `"version":"TLS 1.2"`...)
	}
	if showCert {
		b = append(b, `,"notbefore":"`...)
		b = appDateTime(b, ti.cert.nb)
		b = append(b, `","notafter":"`...)
		b = appDateTime(b, ti.cert.na)
		b = append(b, '"')
	}
	if f.sen.fingerprint && ti.cli != nil {
		s, h := ti.cli.ja3For(g.r, ti.sni != "")
		b = kStr(b, `,"ja3":{"hash":`, h)
		b = kStr(b, `,"string":`, s)
		b = kStr(b, `},"ja3s":{"hash":`, ti.ja3s.hash)
		b = kStr(b, `,"string":`, ti.ja3s.str)
		b = append(b, '}')
		if ti.sni != "" {
			b = kStr(b, `,"ja4":`, ti.cli.ja4)
		} else {
			b = kStr(b, `,"ja4":`, ti.cli.ja4NoSN)
		}
	}
	if f.s8 {
		if showCert && len(ti.cert.san) > 0 {
			b = append(b, `,"subjectaltname":`...)
			b = appStrArr(b, ti.cert.san)
		}
		if ti.cli != nil && len(ti.cli.alpn) > 0 {
			b = append(b, `,"client_alpns":`...)
			b = appStrArr(b, ti.cli.alpn)
			if ti.alpn != "" {
				b = kStr(b, `,"server_alpns":[`, ti.alpn)
				b = append(b, ']')
			}
		}
	}
	b = append(b, '}')
	g.done(b, ts, f, etTLS)
}

// ---- http ------------------------------------------------------------------

var dmzHeaderNames = map[string]bool{"Via": true, "Server": true, "X-Forwarded-Proto": true, "Proxy-Authorization": true, "Proxy-Authenticate": true, "Authorization": true, "Location": true}

func (g *gen) appHTTPObj(b []byte, f *flow, tx *httpTx, headers bool) []byte {
	b = kStr(b, `,"http":{"hostname":`, tx.host)
	if tx.port > 0 {
		b = kInt(b, `,"http_port":`, int64(tx.port))
	}
	b = kStr(b, `,"url":`, tx.url)
	if tx.ua != "" {
		b = kStr(b, `,"http_user_agent":`, tx.ua)
	}
	if tx.xff != "" {
		b = kStr(b, `,"xff":`, tx.xff)
	}
	if tx.ctype != "" {
		b = kStr(b, `,"http_content_type":`, tx.ctype)
	}
	if tx.refer != "" {
		b = kStr(b, `,"http_refer":`, tx.refer)
	}
	b = kStr(b, `,"http_method":`, tx.method)
	b = kStr(b, `,"protocol":`, tx.proto)
	if tx.status > 0 {
		b = kInt(b, `,"status":`, int64(tx.status))
	}
	if tx.redirect != "" {
		b = kStr(b, `,"redirect":`, tx.redirect)
	}
	b = kInt(b, `,"length":`, tx.length)
	if headers {
		all := f.sen.allHeaders
		b = appHeaders(b, `,"request_headers":[`, tx.reqH, all)
		b = appHeaders(b, `,"response_headers":[`, tx.respH, all)
	}
	return append(b, '}')
}

func appHeaders(b []byte, key string, hs []kv, all bool) []byte {
	b = append(b, key...)
	n := 0
	for _, h := range hs {
		if !all && !dmzHeaderNames[h.name] {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = kStr(b, `{"name":`, h.name)
		b = kStr(b, `,"value":`, h.value)
		b = append(b, '}')
		n++
	}
	return append(b, ']')
}

func (g *gen) emitHTTP(ts int64, f *flow, tx *httpTx) {
	b := g.hdr(ts, f, etHTTP, false)
	b = kInt(b, `,"tx_id":`, int64(tx.txid))
	b = g.appHTTPObj(b, f, tx, true)
	g.done(b, ts, f, etHTTP)
	f.txCnt++
}

func (g *gen) appFileObj(b []byte, f *flow, fd *fileDef, txid int) []byte {
	b = kStr(b, `,"fileinfo":{"filename":`, fd.name)
	b = append(b, `,"sid":[],"gaps":false`...)
	if fd.truncated {
		b = append(b, `,"state":"TRUNCATED"`...)
	} else {
		b = append(b, `,"state":"CLOSED"`...)
		if f.sen.hashes && !fd.noHashes {
			b = kStr(b, `,"md5":`, fd.md5)
			b = kStr(b, `,"sha1":`, fd.sha1)
			b = kStr(b, `,"sha256":`, fd.sha256)
		}
	}
	b = kInt(b, `,"stored":false,"size":`, fd.size)
	b = kInt(b, `,"tx_id":`, int64(txid))
	return append(b, '}')
}

// emitFileinfo logs a file seen in an HTTP response (server to client).
func (g *gen) emitFileinfo(ts int64, f *flow, tx *httpTx, fd *fileDef) {
	b := g.hdr(ts, f, etFileinfo, true)
	b = append(b, `,"app_proto":"http"`...)
	b = g.appHTTPObj(b, f, tx, false)
	b = g.appFileObj(b, f, fd, tx.txid)
	g.done(b, ts, f, etFileinfo)
}

// fileFor derives stable hashes for a named file so the same download has the
// same hashes everywhere.
func fileFor(name string, size int64) fileDef {
	key := name + "#" + strconv.FormatInt(size, 10)
	return fileDef{name: name, size: size, md5: md5hex(key), sha1: sha1hex(key), sha256: sha256hex(key)}
}

// ---- alerts and anomalies ----------------------------------------------------

type sigDef struct {
	sid, rev int
	msg      string
	cat      string
	sev      int
	meta     string // pre-rendered metadata object (without braces) or ""
}

func (g *gen) emitAlert(ts int64, f *flow, s *sigDef, toServer bool, txid int, app func(b []byte) []byte) {
	f.alerted = true
	b := g.hdr(ts, f, etAlert, !toServer)
	if txid >= 0 {
		b = kInt(b, `,"tx_id":`, int64(txid))
	}
	if f.app != "" {
		b = kStr(b, `,"app_proto":`, f.app)
	}
	b = kInt(b, `,"alert":{"action":"allowed","gid":1,"signature_id":`, int64(s.sid))
	b = kInt(b, `,"rev":`, int64(s.rev))
	b = kStr(b, `,"signature":`, s.msg)
	b = kStr(b, `,"category":`, s.cat)
	b = kInt(b, `,"severity":`, int64(s.sev))
	if s.meta != "" {
		b = append(b, `,"metadata":{`...)
		b = append(b, s.meta...)
		b = append(b, '}')
	}
	b = append(b, '}')
	if app != nil {
		b = app(b)
	}
	// flow counters at alert time (partial)
	pts, ptc := max(1, f.pts/3), f.ptc/3
	bts, btc := max(60*pts, f.bts/3), f.btc/3
	if f.pts <= 2 {
		pts, bts = f.pts, f.bts
	}
	if ptc == 0 {
		btc = 0
	}
	b = kInt(b, `,"flow":{"pkts_toserver":`, pts)
	b = kInt(b, `,"pkts_toclient":`, ptc)
	b = kInt(b, `,"bytes_toserver":`, bts)
	b = kInt(b, `,"bytes_toclient":`, btc)
	b = append(b, `,"start":"`...)
	b = g.tc.appTS(b, f.start)
	b = append(b, `","src_ip":"`...)
	b = appIP(b, f.src)
	b = append(b, `","dest_ip":"`...)
	b = appIP(b, f.dst)
	b = append(b, '"')
	if f.proto != pICMP {
		b = kInt(b, `,"src_port":`, int64(f.sp))
		b = kInt(b, `,"dest_port":`, int64(f.dp))
	}
	b = append(b, '}')
	if toServer {
		b = append(b, `,"direction":"to_server"`...)
	} else {
		b = append(b, `,"direction":"to_client"`...)
	}
	g.done(b, ts, f, etAlert)
}

func (g *gen) emitAnomaly(ts int64, f *flow, typ, event, app, layer string, toServer bool) {
	b := g.hdr(ts, f, etAnomaly, !toServer)
	b = append(b, `,"anomaly":{`...)
	if app != "" {
		b = kStr(b, `"app_proto":`, app)
		b = kStr(b, `,"type":`, typ)
	} else {
		b = kStr(b, `"type":`, typ)
	}
	b = kStr(b, `,"event":`, event)
	if layer != "" {
		b = kStr(b, `,"layer":`, layer)
	}
	b = append(b, '}')
	g.done(b, ts, f, etAnomaly)
}

// ---- other protocols --------------------------------------------------------

func (g *gen) emitQUIC(ts int64, f *flow, sni string, cli *tlsClient) {
	b := g.hdr(ts, f, etQUIC, false)
	b = append(b, `,"quic":{"version":"1"`...)
	if sni != "" {
		b = kStr(b, `,"sni":`, sni)
	}
	if f.sen.fingerprint && cli != nil {
		b = kStr(b, `,"ja4":`, quicJA4)
	}
	b = append(b, '}')
	g.done(b, ts, f, etQUIC)
}

var quicJA4 = computeJA4('q', 13, true, []uint16{0x1301, 0x1302, 0x1303},
	[]uint16{0, 16, 10, 13, 27, 43, 45, 51, 57, 17613, 65037}, "h3", hexlist(chromeSigs))

func (g *gen) emitSSH(ts int64, f *flow, cl, sv sshSoft) {
	b := g.hdr(ts, f, etSSH, false)
	b = kStr(b, `,"ssh":{"client":{"proto_version":"2.0","software_version":`, cl.version)
	if f.sen.fingerprint {
		b = kStr(b, `,"hassh":{"hash":`, cl.hassh)
		b = kStr(b, `,"string":`, cl.str)
		b = append(b, '}')
	}
	b = kStr(b, `},"server":{"proto_version":"2.0","software_version":`, sv.version)
	if f.sen.fingerprint {
		b = kStr(b, `,"hassh":{"hash":`, sv.hassh)
		b = kStr(b, `,"string":`, sv.str)
		b = append(b, '}')
	}
	b = append(b, "}}"...)
	g.done(b, ts, f, etSSH)
}

type krbMsg struct {
	msgType, cname, realm, sname, enc string
	errCode, failed                   string
	ticketEnc                         string
}

func (g *gen) emitKrb5(ts int64, f *flow, m *krbMsg, rev bool) {
	b := g.hdr(ts, f, etKrb5, rev)
	b = kStr(b, `,"krb5":{"msg_type":`, m.msgType)
	if m.failed != "" {
		b = kStr(b, `,"failed_request":`, m.failed)
		b = kStr(b, `,"error_code":`, m.errCode)
	}
	b = kStr(b, `,"cname":`, m.cname)
	b = kStr(b, `,"realm":`, m.realm)
	b = kStr(b, `,"sname":`, m.sname)
	b = kStr(b, `,"encryption":`, m.enc)
	b = kBool(b, `,"weak_encryption":`, m.enc == "rc4-hmac" || m.enc == "des-cbc-md5")
	if f.s8 && m.ticketEnc != "" {
		b = kStr(b, `,"ticket_encryption":`, m.ticketEnc)
		b = append(b, `,"ticket_weak_encryption":false`...)
	}
	b = append(b, '}')
	g.done(b, ts, f, etKrb5)
}

type smbRec struct {
	id                 int
	command, status    string
	statusCode         string
	sessionID, treeID  int64
	filename, share    string
	disposition        string
	ntlmUser, ntlmDom  string
	ntlmHost           string
	krbRealm, krbSName string
	dialect            string
	clientDialects     bool
	access             string
	shareType          string
}

func (g *gen) emitSMB(ts int64, f *flow, txid int, s *smbRec) {
	b := g.hdr(ts, f, etSMB, false)
	b = kInt(b, `,"tx_id":`, int64(txid))
	b = kInt(b, `,"smb":{"id":`, int64(s.id))
	b = kStr(b, `,"dialect":`, s.dialect)
	b = kStr(b, `,"command":`, s.command)
	b = kStr(b, `,"status":`, s.status)
	b = kStr(b, `,"status_code":`, s.statusCode)
	b = kInt(b, `,"session_id":`, s.sessionID)
	b = kInt(b, `,"tree_id":`, s.treeID)
	if s.clientDialects {
		b = append(b, `,"client_dialects":["2.02","2.10","3.00","3.02","3.11"],"client_guid":"`...)
		b = append(b, md5hex(ipStr(f.src))[:8]...)
		b = append(b, `-3c1a-4e5f-9b2d-`...)
		b = append(b, md5hex(ipStr(f.src))[8:20]...)
		b = append(b, `","server_guid":"`...)
		b = append(b, md5hex(ipStr(f.dst))[:8]...)
		b = append(b, `-7d21-4a0b-8e3c-`...)
		b = append(b, md5hex(ipStr(f.dst))[8:20]...)
		b = append(b, `","max_read_size":8388608,"max_write_size":8388608`...)
	}
	if s.ntlmUser != "" {
		b = kStr(b, `,"ntlmssp":{"domain":`, s.ntlmDom)
		b = kStr(b, `,"user":`, s.ntlmUser)
		b = kStr(b, `,"host":`, s.ntlmHost)
		b = append(b, `,"version":"10.0 build 26100"}`...)
	}
	if s.krbRealm != "" {
		b = kStr(b, `,"kerberos":{"realm":`, s.krbRealm)
		b = append(b, `,"snames":["cifs",`...)
		b = appStr(b, s.krbSName)
		b = append(b, "]}"...)
	}
	if s.share != "" {
		b = kStr(b, `,"share":`, s.share)
		if s.shareType != "" {
			b = kStr(b, `,"share_type":`, s.shareType)
		}
	}
	if s.filename != "" {
		b = kStr(b, `,"filename":`, s.filename)
		if s.disposition != "" {
			b = kStr(b, `,"disposition":`, s.disposition)
		}
		if s.access != "" {
			b = kStr(b, `,"access":`, s.access)
		}
	}
	b = append(b, '}')
	g.done(b, ts, f, etSMB)
	f.txCnt++
}

type dhcpRec struct {
	typ, dhcpType      string
	id                 uint32
	mac                string
	clientIP, assigned string
	relay              string
	hostname           string
	requested          string
	vendor             string
	reply              bool
}

func (g *gen) emitDHCP(ts int64, f *flow, d *dhcpRec, rev bool) {
	b := g.hdr(ts, f, etDHCP, rev)
	b = kStr(b, `,"dhcp":{"type":`, d.typ)
	b = kInt(b, `,"id":`, int64(d.id))
	b = kStr(b, `,"client_mac":`, d.mac)
	b = kStr(b, `,"assigned_ip":`, d.assigned)
	b = kStr(b, `,"client_ip":`, d.clientIP)
	if d.relay != "" {
		b = kStr(b, `,"relay_ip":`, d.relay)
	}
	b = kStr(b, `,"dhcp_type":`, d.dhcpType)
	if d.requested != "" {
		b = kStr(b, `,"requested_ip":`, d.requested)
	}
	if d.hostname != "" {
		b = kStr(b, `,"hostname":`, d.hostname)
	}
	if d.vendor != "" {
		b = kStr(b, `,"vendor_class_identifier":`, d.vendor)
	}
	if d.reply {
		b = append(b, `,"lease_time":28800,"renewal_time":14400,"rebinding_time":25200,"subnet_mask":"255.255.255.0"`...)
	}
	b = append(b, '}')
	g.done(b, ts, f, etDHCP)
}

type smtpRec struct {
	helo, from string
	to         []string
	subject    string
	starttls   bool
	hasMail    bool
}

func (g *gen) emitSMTP(ts int64, f *flow, txid int, s *smtpRec) {
	b := g.hdr(ts, f, etSMTP, false)
	b = kInt(b, `,"tx_id":`, int64(txid))
	b = kStr(b, `,"smtp":{"helo":`, s.helo)
	if s.hasMail {
		b = kStr(b, `,"mail_from":`, "<"+s.from+">")
		b = append(b, `,"rcpt_to":[`...)
		for i, t := range s.to {
			if i > 0 {
				b = append(b, ',')
			}
			b = appStr(b, "<"+t+">")
		}
		b = append(b, "]}"...)
		b = kStr(b, `,"email":{"status":"PARSE_DONE","from":`, s.from)
		b = append(b, `,"to":`...)
		b = appStrArr(b, s.to)
		b = kStr(b, `,"subject":`, s.subject)
		b = append(b, '}')
	} else {
		b = append(b, '}')
	}
	g.done(b, ts, f, etSMTP)
	f.txCnt++
}
