package detect

import (
	"net/netip"
	"strings"

	"github.com/nethunt/nethunt/internal/event"
)

// hdrs summarises the proxy-relevant headers of one HTTP transaction.
type hdrs struct {
	respProxyAuth  bool // Proxy-Authenticate sent
	respProxyAgent bool // Proxy-Agent sent (Privoxy, tinyproxy...)
	reqProxyAuthz  bool // Proxy-Authorization received
	reqProxyConn   bool // Proxy-Connection received
	reqVia         int  // entries in the request's Via
	reqXFF         int  // entries in X-Forwarded-For (or Forwarded for=)
	respVia        int  // entries in the response's Via
	viaProxies     int  // response Via entries that name forward proxies
	viaUpstream    []string
	xff            string
}

func scanHeaders(ev *event.Event) hdrs {
	h := ev.HTTP
	var r hdrs
	for _, x := range h.RequestHeaders {
		switch {
		case strings.EqualFold(x.Name, "Proxy-Authorization"):
			r.reqProxyAuthz = true
		case strings.EqualFold(x.Name, "Proxy-Connection"):
			r.reqProxyConn = true
		case strings.EqualFold(x.Name, "Via"):
			r.reqVia += listLen(x.Value)
		case strings.EqualFold(x.Name, "X-Forwarded-For"):
			if r.xff == "" {
				r.xff = x.Value
			}
		case strings.EqualFold(x.Name, "Forwarded"):
			if n := strings.Count(strings.ToLower(x.Value), "for="); n > r.reqXFF {
				r.reqXFF = n
			}
		}
	}
	for _, x := range h.ResponseHeaders {
		switch {
		case strings.EqualFold(x.Name, "Proxy-Authenticate"):
			r.respProxyAuth = true
		case strings.EqualFold(x.Name, "Proxy-Agent"):
			r.respProxyAgent = true
		case strings.EqualFold(x.Name, "Via"):
			r.respVia += listLen(x.Value)
			n, up := viaProxies(x.Value)
			r.viaProxies += n
			r.viaUpstream = append(r.viaUpstream, up...)
		}
	}
	if r.xff == "" {
		r.xff = h.XFF
	}
	if r.xff == "" {
		r.xff = ev.XFF
	}
	if r.xff != "" {
		r.reqXFF = max(r.reqXFF, listLen(r.xff))
	}
	return r
}

// viaProxies counts the entries of a response Via header that name
// forward-proxy software (squid, tinyproxy, privoxy, ...) and returns the
// names of all but the last of them: a response collects one entry per
// proxy on its way back, so the last one is the proxy next to the client
// and the others are upstream of it. Entries of CDNs and reverse caches
// (CloudFront, Varnish, Akamai, ...) are not proxies of the client.
func viaProxies(v string) (int, []string) {
	var names []string
	n := 0
	for _, e := range strings.Split(v, ",") {
		e = strings.TrimSpace(e)
		l := strings.ToLower(e)
		cdn := false
		for _, tok := range viaCDN {
			if strings.Contains(l, tok) {
				cdn = true
				break
			}
		}
		if cdn {
			continue
		}
		for _, tok := range viaProxy {
			if strings.Contains(l, tok) {
				n++
				f := strings.Fields(e)
				if len(f) >= 2 {
					names = append(names, f[1])
				}
				break
			}
		}
	}
	if len(names) > 0 {
		names = names[:len(names)-1]
	}
	return n, names
}

var (
	viaProxy = []string{"squid", "proxy", "privoxy", "polipo", "bluecoat", "zscaler", "mcafee", "fortigate", "fortiweb", "sophos", "wingate", "3proxy", "ccproxy", "trafficserver", "apache traffic server"}
	viaCDN   = []string{"cloudfront", "varnish", "akamai", "fastly", "cloudflare", "azure", "google", "vegur"}
)

// listLen counts the comma-separated entries of a header value.
func listLen(v string) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	return strings.Count(v, ",") + 1
}

// onHTTP: proxy requests (CONNECT, absolute URI, 407, Proxy-* headers),
// chains, cleartext fronting, Tor directory fetches and names.
func (s *Stage) onHTTP(ev *event.Event) {
	h := ev.HTTP
	cli, srv, port := ev.SrcIP, ev.DestIP, ev.DestPort
	if !cli.IsValid() || !srv.IsValid() {
		return
	}
	connect := strings.EqualFold(h.Method, "CONNECT")
	abs := !connect && (hasPrefixFold(h.URL, "http://") || hasPrefixFold(h.URL, "https://") || hasPrefixFold(h.URL, "ftp://"))
	status := int64(-1)
	if h.Status != nil {
		status = *h.Status
	}
	hd := scanHeaders(ev)
	target := stripPort(h.Hostname)
	if connect && target == "" {
		target = stripPort(h.URL)
	}
	target = lowerASCII(strings.TrimSuffix(target, "."))
	proxyish := connect || abs || status == 407 || hd.respProxyAuth || hd.respProxyAgent || hd.reqProxyAuthz

	if proxyish && s.enabled(DetProxy) {
		s.proxyObserve(ev, cli, srv, port, connect, abs, status, &hd, target)
	}
	if (connect || abs) && s.enabled(DetChain) {
		s.chainHeader(ev, cli, srv, port, &hd, target)
	}
	if connect && ev.FlowID != 0 && target != "" {
		fi, _ := s.st.Flows.put(ev.FlowID, func() *flowInfo { return &flowInfo{} })
		fi.Connect = target
	}
	if !proxyish && s.internal(cli) {
		if !s.internal(srv) {
			if s.enabled(DetFronting) && target != "" && !isIPLiteral(target) {
				s.frontHTTP(ev, cli, srv, target)
			}
			if s.enabled(DetTor) && strings.HasPrefix(h.URL, "/tor/") {
				s.torEvidence(ev, cli, srv, port, torDirFetch, "Tor directory protocol request "+clipStr(h.URL, 60)+" to "+srv.String())
			}
		} else if s.enabled(DetVirtHosts) && target != "" && !isIPLiteral(target) {
			s.virtHosts(ev, cli, srv, port, target)
		}
	}
	if target != "" && !isIPLiteral(target) {
		s.onName(ev, cli, srv, target, "http.hostname")
	}
}

func clipStr(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// srvKey formats ip:port.
func srvKey(a netip.Addr, port int64) string {
	if port <= 0 || port > 65535 {
		return a.String()
	}
	return netip.AddrPortFrom(a, uint16(port)).String()
}
