package sim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// ---- external address space --------------------------------------------------

// provider is a pool of public address ranges owned by one operator.
type provider struct {
	name   string
	ranges []cidr
	v6     string // AAAA prefix (for DNS answers only; flows are IPv4)
}

func mkProv(name, v6 string, ranges ...string) *provider {
	p := &provider{name: name, v6: v6}
	for _, r := range ranges {
		p.ranges = append(p.ranges, parseCIDR(r))
	}
	return p
}

// providers are real operators' public ranges, so that external addresses look
// like the Internet (no RFC 1918 / documentation ranges for "external").
var providers = map[string]*provider{
	"google":     mkProv("google", "2607:f8b0:4005:", "142.250.0.0/15", "172.217.0.0/16", "216.58.192.0/19", "142.251.0.0/16"),
	"ms365":      mkProv("ms365", "2603:1026:c0b:", "52.96.0.0/14", "40.99.0.0/16"),
	"ms_login":   mkProv("ms_login", "2603:1037:1:", "20.190.128.0/18", "40.126.0.0/18"),
	"ms_bg":      mkProv("ms_bg", "", "20.42.0.0/16", "13.89.0.0/16", "20.189.0.0/16", "52.168.0.0/16", "20.50.0.0/16"),
	"ms_edge":    mkProv("ms_edge", "2620:1ec:c11:", "13.107.21.0/24", "204.79.197.0/24"),
	"akamai":     mkProv("akamai", "2600:1406:3c00:", "23.32.0.0/11", "2.16.0.0/13", "104.64.0.0/10", "184.24.0.0/13"),
	"cloudfront": mkProv("cloudfront", "2600:9000:", "13.224.0.0/14", "18.64.0.0/14", "54.230.0.0/16", "99.84.0.0/16", "108.156.0.0/14", "3.160.0.0/14"),
	"fastly":     mkProv("fastly", "2a04:4e42:", "151.101.0.0/16", "146.75.0.0/17"),
	"cloudflare": mkProv("cloudflare", "2606:4700:", "104.16.0.0/13", "172.64.0.0/13"),
	"github":     mkProv("github", "", "140.82.112.0/20"),
	"azureedge":  mkProv("azureedge", "2620:1ec:bdf:", "13.107.246.0/24", "13.107.213.0/24", "152.199.0.0/16"),
	"meta":       mkProv("meta", "2a03:2880:", "157.240.0.0/16", "31.13.64.0/18"),
	"twitter":    mkProv("twitter", "", "104.244.42.0/24"),
	"wikimedia":  mkProv("wikimedia", "2a02:ec80:300:", "185.15.58.0/24", "208.80.154.0/24"),
	"canonical":  mkProv("canonical", "", "185.125.190.0/24", "91.189.91.0/24"),
	"dropbox":    mkProv("dropbox", "", "162.125.0.0/16"),
	"zoom":       mkProv("zoom", "", "170.114.0.0/16"),
	"aws":        mkProv("aws", "", "52.0.0.0/11", "54.144.0.0/12", "3.208.0.0/12", "18.204.0.0/14", "44.192.0.0/11"),
	"apple":      mkProv("apple", "2620:149:a44:", "17.0.0.0/8"),
	"vercel":     mkProv("vercel", "", "76.76.21.0/24"),
	"netlify":    mkProv("netlify", "", "75.2.60.0/24", "99.83.190.0/24"),
	// hosting / VPS operators
	"hetzner":      mkProv("hetzner", "", "65.108.0.0/15", "95.216.0.0/15", "135.181.0.0/16", "116.202.0.0/15", "78.46.0.0/15", "88.198.0.0/16", "49.12.0.0/15"),
	"ovh":          mkProv("ovh", "", "51.38.0.0/16", "51.68.0.0/16", "51.77.0.0/16", "51.89.0.0/16", "135.125.0.0/16", "54.36.0.0/16", "145.239.0.0/16", "37.187.0.0/16"),
	"digitalocean": mkProv("digitalocean", "", "164.90.0.0/16", "138.68.0.0/16", "159.89.0.0/16", "206.189.0.0/16", "167.99.0.0/16", "134.209.0.0/16", "46.101.0.0/16"),
	"vultr":        mkProv("vultr", "", "45.32.0.0/16", "45.63.0.0/17", "149.28.0.0/16", "45.77.0.0/16", "108.61.0.0/16"),
	"linode":       mkProv("linode", "", "45.79.0.0/16", "172.104.0.0/15", "139.162.0.0/16"),
	"contabo":      mkProv("contabo", "", "161.97.0.0/16", "207.180.192.0/18", "173.212.192.0/18"),
	"torexit":      mkProv("torexit", "", "185.220.100.0/22", "192.42.116.0/22"),
	// eyeball networks (remote users, inbound web clients)
	"residential": mkProv("residential", "", "73.0.0.0/8", "98.192.0.0/10", "86.128.0.0/10", "90.0.0.0/9", "79.192.0.0/10", "84.128.0.0/10", "24.0.0.0/12", "109.40.0.0/13"),
	// Internet background noise (scanners, crawlers)
	"scanners": mkProv("scanners", "", "80.94.92.0/24", "185.224.128.0/22", "162.142.125.0/24", "167.94.138.0/24", "71.6.135.0/24", "198.235.24.0/24", "147.185.132.0/24", "218.92.0.0/16", "61.177.172.0/24", "92.255.57.0/24", "45.148.10.0/24", "194.165.16.0/24"),
}

var vpsProviders = []string{"hetzner", "ovh", "digitalocean", "vultr", "linode", "contabo"}

func (p *provider) pick(r *rand.Rand) uint32 {
	c := p.ranges[r.IntN(len(p.ranges))]
	size := c.size()
	off := uint32(r.Uint64N(uint64(size-2))) + 1
	ip := c.base&c.mask() + off
	if ip&0xff == 0 || ip&0xff == 255 {
		ip ^= 7
	}
	return ip
}

func (p *provider) pickV6(r *rand.Rand) string {
	if p.v6 == "" {
		return ""
	}
	return fmt.Sprintf("%s%x::%x", p.v6, r.IntN(0xfff)+1, r.IntN(0xfffe)+1)
}

// ---- certificates ----------------------------------------------------------

type cert struct {
	subject, issuer, serial, fp string
	nb, na                      int64 // unix seconds
	san                         []string
	le                          bool
}

var issuers = map[string][]string{
	"le":         {"C=US, O=Let's Encrypt, CN=R10", "C=US, O=Let's Encrypt, CN=R11", "C=US, O=Let's Encrypt, CN=E5", "C=US, O=Let's Encrypt, CN=E6", "C=US, O=Let's Encrypt, CN=R12", "C=US, O=Let's Encrypt, CN=R13"},
	"gts":        {"C=US, O=Google Trust Services, CN=WR2"},
	"gtswe1":     {"C=US, O=Google Trust Services, CN=WE1"},
	"digicert":   {"C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1", "C=US, O=DigiCert Inc, CN=DigiCert Global G3 TLS ECC SHA384 2020 CA1", "C=US, O=DigiCert Inc, OU=www.digicert.com, CN=GeoTrust Global TLS RSA4096 SHA256 2022 CA1"},
	"ms":         {"C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 04", "C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 08", "C=US, O=Microsoft Corporation, CN=Microsoft Azure ECC TLS Issuing CA 03"},
	"amazon":     {"C=US, O=Amazon, CN=Amazon RSA 2048 M02", "C=US, O=Amazon, CN=Amazon RSA 2048 M03", "C=US, O=Amazon, CN=Amazon RSA 2048 M04"},
	"sectigo":    {"C=GB, ST=Greater Manchester, L=Salford, O=Sectigo Limited, CN=Sectigo RSA Domain Validation Secure Server CA", "C=GB, O=Sectigo Limited, CN=Sectigo Public Server Authentication CA DV R36"},
	"sectigoecc": {"C=GB, ST=Greater Manchester, L=Salford, O=Sectigo Limited, CN=Sectigo ECC Domain Validation Secure Server CA"},
	"globalsign": {"C=BE, O=GlobalSign nv-sa, CN=GlobalSign Atlas R3 DV TLS CA 2025 Q3", "C=BE, O=GlobalSign nv-sa, CN=GlobalSign GCC R6 AlphaSSL CA 2025"},
	"apple":      {"C=US, O=Apple Inc., CN=Apple Public Server RSA CA 12 - G1", "C=US, O=Apple Inc., ST=California, CN=Apple Public EV Server ECC CA 1 - G1"},
}

var ovSubjects = map[string]string{
	"MS":     "C=US, ST=WA, L=Redmond, O=Microsoft Corporation",
	"META":   "C=US, ST=California, L=Menlo Park, O=Meta Platforms, Inc.",
	"APPLE":  "C=US, ST=California, L=Cupertino, O=Apple Inc.",
	"AMZN":   "C=US, ST=Washington, L=Seattle, O=Amazon.com, Inc.",
	"LI":     "C=US, ST=California, L=Sunnyvale, O=LinkedIn Corporation",
	"ADOBE":  "C=US, ST=California, L=San Jose, O=Adobe Inc.",
	"DROP":   "C=US, ST=California, L=San Francisco, O=Dropbox, Inc",
	"ZOOM":   "C=US, ST=California, L=San Jose, O=Zoom Video Communications, Inc.",
	"NYT":    "C=US, ST=New York, L=New York, O=The New York Times Company",
	"REDDIT": "C=US, ST=California, L=SAN FRANCISCO, O=REDDIT, INC.",
}

// mkCert builds a deterministic certificate for cn from issuer family fam.
// now is the simulation start (unix seconds); the cert is valid at now.
func mkCert(r *rand.Rand, fam, cn, ov string, san []string, now int64) *cert {
	iss := issuers[fam]
	c := &cert{issuer: iss[r.IntN(len(iss))], san: san}
	if ov != "" {
		c.subject = ov + ", CN=" + cn
	} else {
		c.subject = "CN=" + cn
	}
	var validity int64
	var serial []byte
	switch fam {
	case "le":
		c.le = true
		validity = 90*86400 - 1
		serial = make([]byte, 18)
		fillRand(r, serial)
		serial[0] = byte(3 + r.IntN(4)) // LE serials start 03..06
	case "gts", "gtswe1":
		validity = 84 * 86400
		serial = make([]byte, 16)
		fillRand(r, serial)
		serial[0] &= 0x7f
	default:
		validity = 199 * 86400
		if r.IntN(3) == 0 {
			validity = 397 * 86400 // issued before the March 2026 200-day limit
		}
		serial = make([]byte, 16)
		fillRand(r, serial)
		serial[0] &= 0x7f
		if serial[0] == 0 {
			serial[0] = 0x0b
		}
	}
	// issued some time before now, still valid after the run
	age := int64(r.Float64()*float64(validity)*0.7) + 86400
	c.nb = (now - age) / 60 * 60
	if fam == "le" {
		c.nb = now - age - int64(r.IntN(3600))
	}
	if fam == "digicert" || fam == "sectigo" || fam == "ms" || fam == "apple" || fam == "globalsign" {
		c.nb = (now - age) / 86400 * 86400 // these CAs start at midnight
	}
	c.na = c.nb + validity
	if fam != "le" && fam != "gts" && fam != "gtswe1" {
		c.na = c.nb + validity + 86399
	}
	c.serial = colonHex(serial, true)
	fp := make([]byte, 20)
	fillRand(r, fp)
	c.fp = colonHex(fp, false)
	return c
}

func fillRand(r *rand.Rand, p []byte) {
	for i := range p {
		p[i] = byte(r.Uint32())
	}
}

// ---- sites -----------------------------------------------------------------

const (
	fHTTP    = 1 << iota // plain HTTP site (port 80)
	fHTTPS               // HTTPS (default unless fHTTP only)
	fQUIC                // reachable over QUIC (Chrome)
	fTLS12               // server negotiates TLS 1.2 only (certificate visible)
	fBypass              // Microsoft 365: PAC sends it direct, not via the proxy
	fBrowse              // user-browsed first-party site
	fThird               // third-party / subresource domain
	fMSBG                // Windows background service (SChannel)
	fGBG                 // Chrome background
	fABG                 // macOS background
	fDev                 // developer tooling
	fJenkins             // Jenkins update center
	fLE                  // Let's Encrypt small site (benign look-alike pool)
)

type site struct {
	name  string
	ips   []uint32
	v6    []string
	cname []string
	ttl   int
	cert  *cert
	flags uint32
	w     float64
	prov  *provider
}

func (s *site) has(f uint32) bool { return s.flags&f != 0 }

// siteSpec: name|provider|issuer|weight|flags|cname|certCN|ov
// flags letters: h http, q quic, 2 tls1.2-only, m bypass, n browse, p third,
// b ms bg, g chrome bg, a mac bg, d dev, j jenkins, l lets-encrypt pool.
// cname: keyword (edgekey, edgesuite, cloudfront, fastly, azureedge, google)
// or a literal target name.
var siteSpecs = []string{
	// Microsoft 365 and Windows
	"login.microsoftonline.com|ms_login|ms|30|mbn2|login.mso.msidentity.com|stamp2.login.microsoftonline.com|MS",
	"outlook.office365.com|ms365|digicert|30|mbn|outlook.ha.office365.com|outlook.com|MS",
	"outlook.office.com|ms365|digicert|12|mn|outlook.ha.office365.com|outlook.com|MS",
	"teams.microsoft.com|ms365|ms|20|mn|teams-office-com.s-0005.dc-msedge.net|teams.microsoft.com|MS",
	"graph.microsoft.com|ms365|ms|12|mb||graph.microsoft.com|MS",
	"www.office.com|ms365|ms|8|mn||www.office.com|MS",
	"substrate.office.com|ms365|ms|6|mb||outlook.com|MS",
	"settings-win.data.microsoft.com|ms_bg|ms|10|b2||settings-win.data.microsoft.com|MS",
	"v10.events.data.microsoft.com|ms_bg|ms|22|b|global.asimov.events.data.trafficmanager.net|*.events.data.microsoft.com|MS",
	"self.events.data.microsoft.com|ms_bg|ms|8|b||*.events.data.microsoft.com|MS",
	"fe2cr.update.microsoft.com|ms_bg|ms|5|b2|fe2cr.update.microsoft.com.akadns.net|*.update.microsoft.com|MS",
	"slscr.update.microsoft.com|ms_bg|ms|5|b2||*.update.microsoft.com|MS",
	"wdcp.microsoft.com|ms_bg|ms|6|b||wdcp.microsoft.com|MS",
	"nav.smartscreen.microsoft.com|ms_bg|ms|8|b||*.smartscreen.microsoft.com|MS",
	"login.live.com|ms_bg|digicert|6|b2|login.msa.msidentity.com|login.live.com|MS",
	"www.bing.com|ms_edge|ms|10|nb|www-www.bing.com.trafficmanager.net|www.bing.com|MS",
	"edge.microsoft.com|ms_edge|ms|5|b||edge.microsoft.com|MS",
	"config.edge.skype.com|ms_bg|ms|5|b|config.edge.skype.com.trafficmanager.net|config.edge.skype.com|MS",
	"officeclient.microsoft.com|ms_bg|ms|5|b2||officeclient.microsoft.com|MS",
	"ecs.office.com|ms365|ms|5|b||ecs.office.com|MS",
	"aadcdn.msftauth.net|akamai|ms|8|mp|edgekey|aadcdn.msftauth.net|MS",
	"res.cdn.office.net|azureedge|ms|6|mp|azureedge|*.cdn.office.net|MS",
	"static2.sharepointonline.com|azureedge|ms|4|mp|azureedge|*.sharepointonline.com|MS",
	"ctldl.windowsupdate.com|akamai||8|h|ctldl.windowsupdate.com.delivery.microsoft.com||",
	"download.windowsupdate.com|akamai||3|h|download.windowsupdate.com.delivery.microsoft.com||",
	"www.msftconnecttest.com|ms_bg||10|h|v4ncsi.msedge.net||",
	"oneocsp.microsoft.com|ms_bg||6|h|ocsp.edge.digicert.com||",
	"ocsp.digicert.com|akamai||6|h|ocsp.edge.digicert.com||",
	// Google
	"www.google.com|google|gts|60|nqg||www.google.com|",
	"www.gstatic.com|google|gts|30|pq||*.gstatic.com|",
	"fonts.googleapis.com|google|gts|25|pq|googleapis.l.google.com|upload.video.google.com|",
	"fonts.gstatic.com|google|gts|25|pq|gstaticadssl.l.google.com|*.gstatic.com|",
	"accounts.google.com|google|gts|10|nq||accounts.google.com|",
	"mail.google.com|google|gts|8|nq|googlemail.l.google.com|mail.google.com|",
	"docs.google.com|google|gts|8|nq||*.google.com|",
	"drive.google.com|google|gts|5|nq||*.google.com|",
	"www.youtube.com|google|gts|20|nq|youtube-ui.l.google.com|*.google.com|",
	"i.ytimg.com|google|gts|10|pq||*.google.com|",
	"rr3---sn-4g5edns6.googlevideo.com|google|gts|8|q||*.googlevideo.com|",
	"www.googletagmanager.com|google|gts|25|pq|www-googletagmanager.l.google.com|*.google-analytics.com|",
	"www.google-analytics.com|google|gts|20|p|www-google-analytics.l.google.com|*.google-analytics.com|",
	"clients2.google.com|google|gts|6|g|clients.l.google.com|*.google.com|",
	"update.googleapis.com|google|gts|4|g||*.googleapis.com|",
	"safebrowsing.googleapis.com|google|gts|8|g||*.googleapis.com|",
	"content-autofill.googleapis.com|google|gts|8|g||*.googleapis.com|",
	"optimizationguide-pa.googleapis.com|google|gts|4|g||*.googleapis.com|",
	"ocsp.pki.goog|google||5|h|pki-goog.l.google.com||",
	"ajax.googleapis.com|google|gts|6|p||*.googleapis.com|",
	"pagead2.googlesyndication.com|google|gts|10|p||*.googlesyndication.com|",
	"securepubads.g.doubleclick.net|google|gts|10|p|partnerad.l.doubleclick.net|*.g.doubleclick.net|",
	"ipinfo.io|google|gts|1|n||ipinfo.io|",
	// Cloudflare-fronted
	"www.cloudflare.com|cloudflare|gtswe1|3|n||www.cloudflare.com|",
	"cdnjs.cloudflare.com|cloudflare|gtswe1|10|p||cdnjs.cloudflare.com|",
	"static.cloudflareinsights.com|cloudflare|gtswe1|8|p||cloudflareinsights.com|",
	"discord.com|cloudflare|gtswe1|3|n||discord.com|",
	"medium.com|cloudflare|gtswe1|4|n||medium.com|",
	"stackoverflow.com|cloudflare|gtswe1|12|nd||stackoverflow.com|",
	"chatgpt.com|cloudflare|gtswe1|15|n||chatgpt.com|",
	"cdn.oaistatic.com|cloudflare|gtswe1|8|p||oaistatic.com|",
	"claude.ai|cloudflare|gtswe1|6|n||claude.ai|",
	"www.notion.so|cloudflare|gtswe1|4|n||notion.so|",
	"www.canva.com|cloudflare|gtswe1|4|n||canva.com|",
	"registry.npmjs.org|cloudflare|gtswe1|3|d||*.npmjs.org|",
	"production.cloudflare.docker.com|cloudflare|gtswe1|2|d||*.docker.com|",
	// Fastly
	"www.reddit.com|fastly|digicert|10|n|reddit.map.fastly.net|*.reddit.com|REDDIT",
	"www.redditstatic.com|fastly|digicert|5|p|dualstack.reddit.map.fastly.net|*.redditstatic.com|REDDIT",
	"www.theguardian.com|fastly|globalsign|6|n|dualstack.guardian.map.fastly.net|www.theguardian.com|",
	"www.nytimes.com|fastly|digicert|6|n|nytimes.map.fastly.net|*.nytimes.com|NYT",
	"www.bbc.com|fastly|globalsign|5|n|bbc.map.fastly.net|*.bbc.com|",
	"pypi.org|fastly|gts|3|d|dualstack.python.map.fastly.net|pypi.org|",
	"files.pythonhosted.org|fastly|globalsign|3|d|dualstack.python.map.fastly.net|*.pythonhosted.org|",
	"www.python.org|fastly|gts|2|n|dualstack.python.map.fastly.net|www.python.org|",
	"github.githubassets.com|fastly|sectigo|6|p||*.githubassets.com|",
	"avatars.githubusercontent.com|fastly|sectigo|4|p||*.githubusercontent.com|",
	"objects.githubusercontent.com|fastly|sectigo|3|d||*.githubusercontent.com|",
	"raw.githubusercontent.com|fastly|sectigo|3|d||*.githubusercontent.com|",
	"cdn.jsdelivr.net|fastly|gtswe1|6|p|jsdelivr.map.fastly.net|*.jsdelivr.net|",
	"repo.maven.apache.org|fastly|globalsign|1|dj|maven.map.fastly.net|repo.maven.apache.org|",
	"updates.jenkins.io|fastly|le|1|j|updates.jenkins.io.map.fastly.net|updates.jenkins.io|",
	"get.jenkins.io|digitalocean|le|1|j||get.jenkins.io|",
	// GitHub
	"github.com|github|sectigoecc|10|nd||github.com|",
	"api.github.com|github|sectigoecc|5|d||*.github.com|",
	// Akamai
	"www.apple.com|akamai|apple|4|n|edgekey|www.apple.com|APPLE",
	"www.linkedin.com|akamai|digicert|10|n|edgekey|www.linkedin.com|LI",
	"static.licdn.com|akamai|digicert|6|p|edgekey|static.licdn.com|LI",
	"www.adobe.com|akamai|digicert|3|n|edgekey|www.adobe.com|ADOBE",
	"acrobat.adobe.com|akamai|digicert|2|n|edgekey|*.adobe.com|ADOBE",
	"configuration.ls.apple.com|akamai|apple|3|a|edgesuite|configuration.ls.apple.com|APPLE",
	"mesu.apple.com|akamai|apple|2|a|edgesuite|mesu.apple.com|APPLE",
	"gateway.icloud.com|apple|apple|5|a||gateway.icloud.com|APPLE",
	"ocsp2.apple.com|apple||3|ha|ocsp-lb.apple.com.akadns.net||",
	// Amazon / CloudFront
	"www.amazon.com|cloudfront|digicert|8|n|tp.47cf2c8c9-frontier.amazon.com|www.amazon.com|AMZN",
	"m.media-amazon.com|cloudfront|digicert|6|p|cloudfront|m.media-amazon.com|AMZN",
	"images-na.ssl-images-amazon.com|cloudfront|digicert|4|p|cloudfront|*.ssl-images-amazon.com|AMZN",
	"a0.awsstatic.com|cloudfront|amazon|3|p|cloudfront|*.awsstatic.com|",
	"d1.awsstatic.com|cloudfront|amazon|3|p|cloudfront|*.awsstatic.com|",
	"app.slack.com|aws|amazon|8|n||*.slack.com|",
	"a.slack-edge.com|cloudfront|amazon|6|p|cloudfront|*.slack-edge.com|",
	"zoom.us|zoom|digicert|6|n||*.zoom.us|ZOOM",
	"st1.zoom.us|cloudfront|digicert|3|p|cloudfront|*.zoom.us|ZOOM",
	"api.segment.io|cloudfront|amazon|3|p|cloudfront|api.segment.io|",
	"cdn.segment.com|cloudfront|amazon|3|p|cloudfront|cdn.segment.com|",
	"wetransfer.com|cloudfront|amazon|1|n|cloudfront|wetransfer.com|",
	"registry-1.docker.io|aws|amazon|2|d||*.docker.io|",
	"download.docker.com|cloudfront|amazon|1|d|cloudfront|download.docker.com|",
	// Azure CDN / Front Door
	"ajax.aspnetcdn.com|azureedge|ms|3|p|mscomajax.vo.msecnd.net|*.aspnetcdn.com|MS",
	"js.monitor.azure.com|azureedge|ms|3|p|azureedge|js.monitor.azure.com|MS",
	"packages.microsoft.com|azureedge|ms|1|d|azureedge|packages.microsoft.com|MS",
	// others
	"en.wikipedia.org|wikimedia|le|15|n2|dyna.wikimedia.org|*.wikipedia.org|",
	"upload.wikimedia.org|wikimedia|le|8|p2||*.wikipedia.org|",
	"www.facebook.com|meta|digicert|8|nq|star-mini.c10r.facebook.com|*.facebook.com|META",
	"static.xx.fbcdn.net|meta|digicert|6|pq|scontent.xx.fbcdn.net|*.facebook.com|META",
	"connect.facebook.net|meta|digicert|8|p|scontent.xx.fbcdn.net|*.facebook.net|META",
	"www.instagram.com|meta|digicert|4|nq|z-p42-instagram.c10r.instagram.com|*.instagram.com|META",
	"x.com|twitter|digicert|4|n||x.com|",
	"abs.twimg.com|fastly|digicert|3|p|dualstack.twimg.twitter.map.fastly.net|*.twimg.com|",
	"www.dropbox.com|dropbox|digicert|3|n|www-env.dropbox-dns.com|www.dropbox.com|DROP",
	"archive.ubuntu.com|canonical||2|hd|||",
	"security.ubuntu.com|canonical||2|hd|||",
	"proxy.golang.org|google|gts|2|d||*.golang.org|",
	"sum.golang.org|google|gts|1|d||*.golang.org|",
	"lwn.net|linode|le|2|n2l||lwn.net|",
	"www.openstreetmap.org|hetzner|le|2|n2l||openstreetmap.org|",
	"mastodon.social|hetzner|le|2|nl||mastodon.social|",
	"www.thymeandtable.co.uk|netlify|le|1|n2l||www.thymeandtable.co.uk|",
}

// Let's Encrypt sites with a local flavour: partners, local news, SaaS status
// pages. Popular ones are benign look-alikes of the external-proxy case.
var leSiteNames = []string{
	"www.riverside-gazette.com", "portal.brightline-logistics.com", "status.tallyworks.io",
	"www.harborview-bistro.com", "www.peakform-fitness.net", "blog.quietcoder.dev",
	"docs.fluxbeam.io", "www.northgate-dental.com", "wiki.cyclelab.org", "www.metro-parking.info",
	"shop.urbanthreads.co", "www.lakeside-library.org", "events.techmeetup.community",
	"tickets.greenfield-arena.com", "www.alpine-trails.org", "forum.homelabbers.net",
}

// Office names used for the organisation.
var orgNames = []string{"fabrikam", "northwind", "adatum", "litware", "proseware", "tailspin", "wingtip", "woodgrove", "fourthcoffee", "lucerne"}

var firstNames = []string{"james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david", "elizabeth",
	"william", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "chris", "karen", "daniel", "lisa",
	"matthew", "nancy", "anthony", "betty", "mark", "sandra", "paul", "ashley", "steven", "emily", "andrew", "donna",
	"kevin", "michelle", "brian", "carol", "george", "amanda", "timothy", "melissa", "ryan", "deborah", "jason",
	"stephanie", "eric", "rebecca", "jacob", "laura", "nicole", "aisha", "mohammed", "wei", "yuki", "priya", "lukas",
	"sofia", "mateo", "elena", "noah", "olivia", "liam", "emma", "arjun", "fatima", "chen", "hannah", "oscar", "ines"}

var lastNames = []string{"smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez",
	"martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson",
	"martin", "lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson",
	"walker", "young", "allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores", "green", "adams",
	"nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter", "roberts", "mueller", "schmidt", "novak",
	"kowalski", "rossi", "dubois", "jansen", "larsen", "tanaka", "kim", "patel", "singh", "okafor", "haddad", "silva"}

type dept struct {
	name, code string
	share      float64
	proxy      bool // department's PAC sends web traffic via the approved proxies
	tech       bool // engineers / IT: ssh, git, package managers
}

var depts = []dept{
	{"Engineering", "ENG", 0.24, false, true},
	{"Finance", "FIN", 0.10, true, false},
	{"HR", "HR", 0.05, true, false},
	{"Sales", "SAL", 0.15, true, false},
	{"Marketing", "MKT", 0.10, false, false},
	{"IT", "IT", 0.07, false, true},
	{"Legal", "LEG", 0.04, true, false},
	{"Operations", "OPS", 0.14, true, false},
	{"Support", "SUP", 0.11, false, false},
}

type osKind uint8

const (
	osWin osKind = iota
	osMac
	osLinux
)

func (o osKind) String() string {
	switch o {
	case osMac:
		return "macos"
	case osLinux:
		return "linux"
	}
	return "windows"
}

// node is an internal host (workstation, server, printer).
type node struct {
	ip       uint32
	name     string
	fqdn     string
	user     string
	dept     int
	os       osKind
	mac      string
	browser  *tlsClient
	ua       string
	proxy    int // approved proxy index, -1 = direct
	act      float64
	tech     bool
	role     string
	gw       uint32
	nextDHCP int64
	lastAct  int64
	model    string
}

// weighted picks sites by weight.
type weighted struct {
	items []*site
	cum   []float64
}

func (w *weighted) add(s *site, weight float64) {
	t := weight
	if n := len(w.cum); n > 0 {
		t += w.cum[n-1]
	}
	w.items = append(w.items, s)
	w.cum = append(w.cum, t)
}

func (w *weighted) pick(r *rand.Rand) *site {
	if len(w.items) == 0 {
		return nil
	}
	x := r.Float64() * w.cum[len(w.cum)-1]
	i := sort.SearchFloat64s(w.cum, x)
	if i >= len(w.items) {
		i = len(w.items) - 1
	}
	return w.items[i]
}

// world is everything the generator knows: the org, its hosts, and the
// external sites, all derived deterministically from the seed.
type world struct {
	cfg        Config
	org        Org
	startUS    int64
	endUS      int64
	orgName    string
	domain     string // AD DNS domain
	realm      string
	pubDomain  string
	ws         []*node
	printers   []*node
	jump       []*node
	servers    map[string]*node
	proxies    [2]*node
	proxyPorts [2]uint16
	dns        [2]uint32
	dhcp       [2]uint32
	dc         [2]uint32
	fs         [2]uint32
	mail       uint32
	web        [2]uint32
	jenkins    uint32
	apps       []uint32
	sshSrv     []uint32
	ntp        uint32
	monitor    uint32
	backup     uint32
	rp         uint32 // DMZ reverse proxy
	mx         uint32 // DMZ mail gateway
	devWS      *node  // developer workstation serving on 8080 (look-alike)
	vpnGW      *site  // corporate VPN gateway (external)

	sites                                           []*site
	byName                                          map[string]*site
	browse, third, msbg, gbg, abg, plain, dev, jenk weighted
	leSites                                         []*site
	popularLE                                       []*site
}

var (
	netUsers   = parseCIDR("10.10.0.0/16")
	netServers = parseCIDR("10.20.0.0/16")
	netPrint   = parseCIDR("10.30.0.0/24")
	netMgmt    = parseCIDR("10.99.0.0/24")
	netDMZ     = parseCIDR("172.16.0.0/24")
	home10     = parseCIDR("10.0.0.0/8")
	home172    = parseCIDR("172.16.0.0/12")
	home192    = parseCIDR("192.168.0.0/16")
)

func isInternal(ip uint32) bool {
	return home10.contains(ip) || home172.contains(ip) || home192.contains(ip)
}

func buildWorld(cfg Config) *world {
	cfg = cfg.withDefaults()
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6f72672d776f726c))
	w := &world{cfg: cfg, servers: map[string]*node{}, byName: map[string]*site{}}
	w.startUS = cfg.Start.UnixMicro()
	w.endUS = w.startUS + int64(cfg.Hours*3600e6)
	now := cfg.Start.Unix()

	w.orgName = orgNames[r.IntN(len(orgNames))]
	w.domain = "corp." + w.orgName + ".com"
	w.realm = strings.ToUpper(w.domain)
	w.pubDomain = w.orgName + ".com"

	// ---- servers (fixed plan, names vary by org) ----
	addSrv := func(role, name, ip string, os osKind) *node {
		n := &node{ip: parseIP4(ip), name: name, fqdn: name + "." + w.domain, role: role, os: os, proxy: -1, act: 1}
		n.mac = macFor(r, "00:50:56") // VMware
		w.servers[name] = n
		return n
	}
	w.proxies[0] = addSrv("approved_proxy", "proxy01", "10.20.0.10", osLinux)
	w.proxies[1] = addSrv("approved_proxy", "proxy02", "10.20.0.11", osLinux)
	w.proxyPorts = [2]uint16{3128, 8080}
	w.dns = [2]uint32{addSrv("dns", "ns01", "10.20.0.53", osLinux).ip, addSrv("dns", "ns02", "10.20.0.54", osLinux).ip}
	w.dhcp = [2]uint32{addSrv("dhcp", "dhcp01", "10.20.0.67", osWin).ip, addSrv("dhcp", "dhcp02", "10.20.0.68", osWin).ip}
	w.ntp = addSrv("ntp", "ntp01", "10.20.0.123", osLinux).ip
	w.dc = [2]uint32{addSrv("domain_controller", "dc01", "10.20.1.10", osWin).ip, addSrv("domain_controller", "dc02", "10.20.1.11", osWin).ip}
	w.fs = [2]uint32{addSrv("file_server", "fs01", "10.20.2.20", osWin).ip, addSrv("file_server", "fs02", "10.20.2.21", osWin).ip}
	w.mail = addSrv("mail", "mail01", "10.20.3.25", osLinux).ip
	w.web = [2]uint32{addSrv("web", "web01", "10.20.4.80", osLinux).ip, addSrv("web", "web02", "10.20.4.81", osLinux).ip}
	w.jenkins = addSrv("jenkins", "jenkins01", "10.20.4.90", osLinux).ip
	w.apps = []uint32{addSrv("app", "app01", "10.20.5.10", osLinux).ip, addSrv("app", "app02", "10.20.5.11", osLinux).ip,
		addSrv("app", "erp01", "10.20.5.20", osWin).ip, addSrv("app", "crm01", "10.20.5.21", osLinux).ip}
	w.sshSrv = []uint32{addSrv("ssh", "build01", "10.20.6.22", osLinux).ip, addSrv("ssh", "git01", "10.20.6.23", osLinux).ip,
		addSrv("ssh", "db01", "10.20.6.30", osLinux).ip, w.apps[0], w.apps[1]}
	w.backup = addSrv("backup", "backup01", "10.20.7.10", osLinux).ip
	w.rp = addSrv("reverse_proxy", "rp01", "172.16.0.10", osLinux).ip
	w.mx = addSrv("mail_gateway", "mx01", "172.16.0.25", osLinux).ip
	w.monitor = addSrv("monitoring", "mon01", "10.99.0.20", osLinux).ip
	for i := 0; i < 3; i++ {
		j := addSrv("jump_host", fmt.Sprintf("jump%02d", i+1), fmt.Sprintf("10.99.0.%d", 10+i), osWin)
		j.tech = true
		w.jump = append(w.jump, j)
	}

	// ---- workstations ----
	w.buildWorkstations(r)

	// printers
	np := max(3, cfg.Hosts/50)
	models := []string{"HP LaserJet M609", "Canon iR-ADV C5840", "Xerox VersaLink C405", "Brother MFC-L8900CDW", "HP Color LaserJet MFP M480"}
	for i := 0; i < np && i < 200; i++ {
		p := &node{ip: ip4(10, 30, 0, byte(10+i)), name: fmt.Sprintf("PRN-%s-%02d", []string{"F1", "F2", "F3", "F4"}[i%4], i+1), role: "printer", proxy: -1}
		p.fqdn = strings.ToLower(p.name) + "." + w.domain
		p.model = models[r.IntN(len(models))]
		p.mac = macFor(r, "3c:2a:f4")
		w.printers = append(w.printers, p)
	}

	w.buildSites(r, now)
	w.buildOrg()
	return w
}

func macFor(r *rand.Rand, oui string) string {
	return fmt.Sprintf("%s:%02x:%02x:%02x", oui, r.IntN(256), r.IntN(256), r.IntN(256))
}

func (w *world) buildWorkstations(r *rand.Rand) {
	n := w.cfg.Hosts
	counts := make([]int, len(depts))
	tot := 0
	for i, d := range depts {
		counts[i] = int(float64(n) * d.share)
		tot += counts[i]
	}
	for i := 0; tot < n; i = (i + 1) % len(depts) {
		counts[i]++
		tot++
	}
	used := map[string]bool{}
	for di, d := range depts {
		for k := 0; k < counts[di]; k++ {
			sub := k / 230
			if sub >= 24 {
				panic("sim: too many hosts for the Users plan")
			}
			third := byte(di*24 + sub)
			h := &node{ip: ip4(10, 10, third, byte(20+k%230)), dept: di, proxy: -1, tech: d.tech}
			h.gw = ip4(10, 10, third, 1)
			fn := firstNames[r.IntN(len(firstNames))]
			ln := lastNames[r.IntN(len(lastNames))]
			u := fn[:1] + ln
			for i := 2; used[u]; i++ {
				u = fmt.Sprintf("%s%s%d", fn[:1], ln, i)
			}
			used[u] = true
			h.user = u
			x := r.Float64()
			switch {
			case d.tech && x < 0.22:
				h.os = osLinux
			case x < 0.12 || (d.name == "Marketing" && x < 0.45):
				h.os = osMac
			default:
				h.os = osWin
			}
			seq := len(w.ws) + 1
			switch h.os {
			case osWin:
				kind := "WS"
				if r.IntN(3) == 0 {
					kind = "LT"
				}
				h.name = fmt.Sprintf("%s-%s%04d", d.code, kind, 100+seq)
				h.mac = macFor(r, []string{"f8:bc:12", "54:ee:75", "3c:52:82", "d4:81:d7", "a4:bb:6d"}[r.IntN(5)])
				y := r.Float64()
				switch {
				case y < 0.52:
					h.browser, h.ua = tcChrome, uaChromeWin
					if r.IntN(2) == 0 {
						h.ua = uaChromeWin2
					}
				case y < 0.57:
					h.browser, h.ua = tcChromeOld, uaChromeWin
				case y < 0.90:
					h.browser, h.ua = tcChrome, uaEdgeWin
				default:
					h.browser, h.ua = tcFirefox, uaFirefoxWin
				}
			case osMac:
				first := strings.ToUpper(fn[:1]) + fn[1:]
				h.name = fmt.Sprintf("%ss-MacBook-Pro", first)
				if r.IntN(3) == 0 {
					h.name = fmt.Sprintf("%ss-MBP-%d", first, seq)
				}
				h.mac = macFor(r, []string{"a4:83:e7", "f0:18:98", "3c:22:fb", "bc:d0:74"}[r.IntN(4)])
				y := r.Float64()
				switch {
				case y < 0.5:
					h.browser, h.ua = tcSafari, uaSafariMac
				case y < 0.9:
					h.browser, h.ua = tcChrome, uaChromeMac
				default:
					h.browser, h.ua = tcFirefox, strings.Replace(uaFirefoxWin, "Windows NT 10.0; Win64; x64", "Macintosh; Intel Mac OS X 10.15", 1)
				}
			default:
				h.name = fmt.Sprintf("%s-dev-%03d", strings.ToLower(d.code), seq)
				h.mac = macFor(r, []string{"3c:6a:a7", "98:fa:9b", "8c:16:45"}[r.IntN(3)])
				if r.Float64() < 0.6 {
					h.browser, h.ua = tcFirefox, uaFirefoxLin
				} else {
					h.browser, h.ua = tcChrome, uaChromeLin
				}
			}
			h.fqdn = strings.ToLower(h.name) + "." + w.domain
			if d.proxy {
				h.proxy = r.IntN(2)
			}
			// activity: lognormal-ish spread of how busy a user is
			h.act = 0.35 + r.ExpFloat64()*0.65
			if h.act > 3 {
				h.act = 3
			}
			h.role = "workstation"
			w.ws = append(w.ws, h)
		}
	}
}

func (w *world) site(name string) *site { return w.byName[name] }

func (w *world) addSite(s *site) {
	w.sites = append(w.sites, s)
	w.byName[s.name] = s
}

func randLabel(r *rand.Rand, n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
const lower = "abcdefghijklmnopqrstuvwxyz"

func (w *world) cnameChain(r *rand.Rand, name, kw string) []string {
	switch kw {
	case "":
		return nil
	case "edgekey":
		return []string{name + ".edgekey.net", fmt.Sprintf("e%d.dscx.akamaiedge.net", 1000+r.IntN(9000))}
	case "edgesuite":
		return []string{name + ".edgesuite.net", fmt.Sprintf("a%d.dscb.akamai.net", 100+r.IntN(1900))}
	case "cloudfront":
		return []string{"d" + randLabel(r, 13, alnum) + ".cloudfront.net"}
	case "azureedge":
		lbl := strings.ReplaceAll(strings.Split(name, ".")[0], "-", "") + randLabel(r, 3, lower)
		return []string{lbl + ".azureedge.net", lbl + ".afd.azureedge.net", "star-azureedge-prod.trafficmanager.net"}
	}
	return []string{kw}
}

func (w *world) buildSites(r *rand.Rand, now int64) {
	specs := append([]string(nil), siteSpecs...)
	// org-specific SaaS tenants
	specs = append(specs,
		w.orgName+".sharepoint.com|ms365|ms|15|mn|"+w.orgName+".sharepoint.com.spo-0004.spo-msedge.net|*.sharepoint.com|MS",
		w.orgName+"-my.sharepoint.com|ms365|ms|8|mn||*.sharepoint.com|MS",
		w.orgName+".atlassian.net|aws|amazon|8|nd||*.atlassian.net|",
	)
	for _, name := range leSiteNames {
		specs = append(specs, name+"|"+vpsProviders[r.IntN(len(vpsProviders))]+"|le|1|n2l||"+name+"|")
	}
	for _, spec := range specs {
		f := strings.Split(spec, "|")
		for len(f) < 8 {
			f = append(f, "")
		}
		s := &site{name: f[0], prov: providers[f[1]]}
		if s.prov == nil {
			panic("sim: unknown provider " + f[1])
		}
		fmt.Sscan(f[3], &s.w)
		for _, c := range f[4] {
			switch c {
			case 'h':
				s.flags |= fHTTP
			case 'q':
				s.flags |= fQUIC
			case '2':
				s.flags |= fTLS12
			case 'm':
				s.flags |= fBypass
			case 'n':
				s.flags |= fBrowse
			case 'p':
				s.flags |= fThird
			case 'b':
				s.flags |= fMSBG
			case 'g':
				s.flags |= fGBG
			case 'a':
				s.flags |= fABG
			case 'd':
				s.flags |= fDev
			case 'j':
				s.flags |= fJenkins
			case 'l':
				s.flags |= fLE
			}
		}
		if f[2] != "" {
			s.flags |= fHTTPS
			cn := f[6]
			if cn == "" {
				cn = s.name
			}
			var san []string
			if strings.HasPrefix(cn, "*.") {
				san = []string{cn, cn[2:]}
			} else {
				san = []string{cn}
			}
			s.cert = mkCert(r, f[2], cn, ovSubjects[f[7]], san, now)
			// roughly a third of servers still negotiate TLS 1.2 with modern
			// clients, so their certificate is visible to the sensor
			if r.IntN(3) == 0 {
				s.flags |= fTLS12
			}
		}
		s.cname = w.cnameChain(r, s.name, f[5])
		nip := 1 + r.IntN(2)
		switch f[1] {
		case "cloudfront", "akamai", "fastly", "cloudflare", "ms365", "google":
			nip = 2 + r.IntN(3)
		}
		for i := 0; i < nip; i++ {
			s.ips = append(s.ips, s.prov.pick(r))
			if v6 := s.prov.pickV6(r); v6 != "" {
				s.v6 = append(s.v6, v6)
			}
		}
		s.ttl = []int{60, 300, 300, 3600, 20, 120}[r.IntN(6)]
		w.addSite(s)
	}
	// a few generic CDN asset hosts
	for i := 0; i < 6; i++ {
		name := "d" + randLabel(r, 13, alnum) + ".cloudfront.net"
		s := &site{name: name, prov: providers["cloudfront"], flags: fHTTPS | fThird, w: 2}
		s.cert = mkCert(r, "amazon", "*.cloudfront.net", "", []string{"*.cloudfront.net", "cloudfront.net"}, now)
		for j := 0; j < 3; j++ {
			s.ips = append(s.ips, s.prov.pick(r))
		}
		s.ttl = 60
		w.addSite(s)
	}
	for _, s := range w.sites {
		switch {
		case s.has(fBrowse):
			w.browse.add(s, s.w)
		}
		if s.has(fThird) {
			w.third.add(s, s.w)
		}
		if s.has(fMSBG) {
			w.msbg.add(s, s.w)
		}
		if s.has(fGBG) {
			w.gbg.add(s, s.w)
		}
		if s.has(fABG) && s.has(fHTTPS) {
			w.abg.add(s, s.w)
		}
		if s.has(fHTTP) && !s.has(fHTTPS) {
			w.plain.add(s, s.w)
		}
		if s.has(fDev) {
			w.dev.add(s, s.w)
		}
		if s.has(fJenkins) {
			w.jenk.add(s, s.w)
		}
		if s.has(fLE) {
			w.leSites = append(w.leSites, s)
		}
	}
	// Three LE sites get real popularity (many users visit them daily).
	for i, s := range w.leSites {
		if i%5 == 0 && len(w.popularLE) < 3 {
			s.w = 12
			w.popularLE = append(w.popularLE, s)
			w.browse.add(s, 10) // extra weight on top of the base entry
		}
	}
	// the corporate VPN gateway (benign long-lived tunnels)
	vpn := &site{name: "gp." + w.pubDomain, prov: providers["aws"], flags: fHTTPS | fTLS12, w: 0, ttl: 300}
	vpn.ips = []uint32{vpn.prov.pick(r)}
	vpn.cert = mkCert(r, "digicert", "gp."+w.pubDomain, "C=US, ST=Illinois, L=Chicago, O="+titleCase(w.orgName)+" Inc.", []string{"gp." + w.pubDomain}, now)
	w.addSite(vpn)
	w.vpnGW = vpn
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
