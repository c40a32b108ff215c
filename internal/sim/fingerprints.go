package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// TLS client stacks. JA4 strings for the browsers are the published values
// (FoxIO JA4 DB / browserleaks measurements); for the other stacks JA4 is
// computed from the cipher/extension/signature lists below with the JA4
// algorithm, so JA3 and JA4 of one stack always describe the same hello.

type tlsClient struct {
	name    string
	ciphers []uint16
	exts    []uint16 // wire order, GREASE removed, includes SNI (0) and ALPN (16) when sent
	curves  string   // JA3 "elliptic curves" part
	pf      string   // JA3 point formats part
	sigs    []uint16
	alpn    []string
	maxTLS  int  // 12 or 13
	permute bool // Chrome-style extension order randomisation (JA3 changes per hello)
	ja4     string
	ja4NoSN string // JA4 when no SNI is sent
	ja3str  string // fixed JA3 string (when !permute)
	ja3     string
	cipherS string // JA3 cipher part
}

func u16list(s string) []uint16 {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, "-")
	out := make([]uint16, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil {
			panic("sim: bad list " + s)
		}
		out[i] = uint16(v)
	}
	return out
}

func hexlist(s string) []uint16 {
	parts := strings.Split(s, ",")
	out := make([]uint16, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 16, 16)
		if err != nil {
			panic("sim: bad hex list " + s)
		}
		out[i] = uint16(v)
	}
	return out
}

func joinDec(v []uint16) string {
	b := make([]byte, 0, len(v)*6)
	for i, x := range v {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, uint64(x), 10)
	}
	return string(b)
}

func hex4(v uint16) string {
	return string([]byte{hexLower[v>>12], hexLower[v>>8&0xf], hexLower[v>>4&0xf], hexLower[v&0xf]})
}

func trunc12(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:12]
}

// computeJA4 implements the JA4 client fingerprint (FoxIO technical details).
func computeJA4(proto byte, ver int, sni bool, ciphers, exts []uint16, alpn string, sigs []uint16) string {
	var b []byte
	b = append(b, proto)
	b = strconv.AppendInt(b, int64(ver), 10)
	if sni {
		b = append(b, 'd')
	} else {
		b = append(b, 'i')
	}
	nc, ne := len(ciphers), len(exts)
	if !sni {
		// the SNI extension is simply absent from the hello
		for _, e := range exts {
			if e == 0 {
				ne--
			}
		}
	}
	b = append(b, byte('0'+min(nc, 99)/10), byte('0'+min(nc, 99)%10))
	b = append(b, byte('0'+min(ne, 99)/10), byte('0'+min(ne, 99)%10))
	if alpn == "" {
		b = append(b, '0', '0')
	} else {
		b = append(b, alpn[0], alpn[len(alpn)-1])
	}
	b = append(b, '_')
	sc := slices.Clone(ciphers)
	slices.Sort(sc)
	cs := make([]string, len(sc))
	for i, c := range sc {
		cs[i] = hex4(c)
	}
	if len(cs) == 0 {
		b = append(b, "000000000000"...)
	} else {
		b = append(b, trunc12(strings.Join(cs, ","))...)
	}
	b = append(b, '_')
	var es []string
	se := slices.Clone(exts)
	slices.Sort(se)
	for _, e := range se {
		if e == 0 || e == 16 {
			continue
		}
		es = append(es, hex4(e))
	}
	s := strings.Join(es, ",")
	if len(sigs) > 0 {
		ss := make([]string, len(sigs))
		for i, g := range sigs {
			ss[i] = hex4(g)
		}
		s += "_" + strings.Join(ss, ",")
	}
	if s == "" {
		b = append(b, "000000000000"...)
	} else {
		b = append(b, trunc12(s)...)
	}
	return string(b)
}

func newTLSClient(name, ja3 string, sigsHex string, alpn []string, maxTLS int, permute bool, knownJA4 string) *tlsClient {
	p := strings.Split(ja3, ",")
	c := &tlsClient{
		name:    name,
		ciphers: u16list(p[1]),
		exts:    u16list(p[2]),
		curves:  p[3],
		pf:      p[4],
		alpn:    alpn,
		maxTLS:  maxTLS,
		permute: permute,
		cipherS: p[1],
	}
	if sigsHex != "" {
		c.sigs = hexlist(sigsHex)
	}
	a := ""
	if len(alpn) > 0 {
		a = alpn[0]
	}
	ver := maxTLS
	c.ja4 = computeJA4('t', ver, true, c.ciphers, c.exts, a, c.sigs)
	c.ja4NoSN = computeJA4('t', ver, false, c.ciphers, c.exts, a, c.sigs)
	if knownJA4 != "" {
		c.ja4 = knownJA4
		c.ja4NoSN = "t" + knownJA4[1:3] + "i" + knownJA4[4:]
	}
	c.ja3str = ja3
	c.ja3 = md5hex(ja3)
	return c
}

// ja3For returns the JA3 string and hash for one hello; Chrome permutes its
// extensions per connection, everyone else is stable.
func (c *tlsClient) ja3For(r *rand.Rand, sni bool) (string, string) {
	if !c.permute && sni {
		return c.ja3str, c.ja3
	}
	exts := make([]uint16, 0, len(c.exts))
	for _, e := range c.exts {
		if e == 0 && !sni {
			continue
		}
		exts = append(exts, e)
	}
	if c.permute {
		r.Shuffle(len(exts), func(i, j int) { exts[i], exts[j] = exts[j], exts[i] })
	}
	s := "771," + c.cipherS + "," + joinDec(exts) + "," + c.curves + "," + c.pf
	return s, md5hex(s)
}

var chromeSigs = "0403,0804,0401,0503,0805,0501,0806,0601"

var (
	tcChrome = newTLSClient("chrome",
		"771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0",
		chromeSigs, []string{"h2", "http/1.1"}, 13, true, "")
	tcChromeOld = newTLSClient("chrome131",
		"771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-65037,4588-29-23-24,0",
		chromeSigs, []string{"h2", "http/1.1"}, 13, true, "")
	tcFirefox = newTLSClient("firefox",
		"771,4865-4867-4866-49195-49199-52393-52392-49196-49200-49162-49161-49171-49172-156-157-47-53,0-23-65281-10-11-16-5-34-18-51-43-13-45-28-27-65037-41,4588-29-23-24-25-256-257,0",
		"0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201", []string{"h2", "http/1.1"}, 13, false,
		"t13d1717h2_5b57614c22b0_3cbfd9057e0d")
	tcSafari = newTLSClient("safari",
		"771,4865-4866-4867-49196-49195-52393-49200-49199-52392-49162-49161-49172-49171-157-156-53-47-49160-49170-10,0-23-65281-10-11-16-5-13-18-51-45-43-27-21,29-23-24-25,0",
		"0403,0804,0401,0503,0203,0805,0501,0806,0601,0201", []string{"h2", "http/1.1"}, 13, false,
		"t13d2014h2_a09f3c656075_14788d8d241b")
	// Windows SChannel (WinHTTP/WinINet: Windows Update, Defender, Office, OneDrive).
	tcSchannel = newTLSClient("schannel",
		"771,4866-4865-4867-49196-49195-49200-49199-49188-49187-49192-49191-49162-49161-49172-49171-157-156-61-60-53-47-10,0-5-10-11-13-35-16-23-24-43-45-51-65281,29-23-24,0",
		"0804,0805,0806,0401,0501,0201,0403,0503,0203,0202,0601,0603", []string{"h2", "http/1.1"}, 13, false, "")
	// Older SChannel (TLS 1.2 only; the classic Windows 10 JA3).
	tcSchannel12 = newTLSClient("schannel12",
		"771,49196-49195-49200-49199-159-158-49188-49187-49192-49191-49162-49161-49172-49171-157-156-61-60-53-47-10,0-10-11-13-35-23-65281,29-23-24,0",
		"0804,0805,0806,0401,0501,0201,0403,0503,0203,0202,0601,0603", nil, 12, false, "")
	tcCurl = newTLSClient("curl",
		"771,4866-4867-4865-49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-13172-16-22-23-49-13-43-45-51,29-23-30-25-24-256-257-258-259-260,0-1-2",
		"0403,0503,0603,0807,0808,081a,081b,081c,0809,080a,080b,0804,0805,0806,0401,0501,0601", []string{"h2", "http/1.1"}, 13, false, "")
	tcPython = newTLSClient("python",
		"771,4866-4867-4865-49196-49200-49195-49199-52393-52392-159-158-52394-49327-49325-49326-49324-49188-49192-49187-49191-49162-49172-49161-49171-49315-49311-49314-49310-107-103-57-51-157-156-49313-49309-49312-49308-61-60-53-47-255,0-11-10-16-22-23-49-13-43-45-51-21,29-23-30-25-24,0-1-2",
		"0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,0302,0402,0502,0602", []string{"http/1.1"}, 13, false, "")
	tcGo = newTLSClient("go",
		"771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49161-49171-49162-49172-156-157-47-53-49170-10,0-5-10-11-13-65281-18-43-51,29-23-24-25,0",
		"0804,0403,0807,0805,0503,0806,0603,0401,0501,0601,0203,0201", nil, 13, false,
		"t13d190900_9dc949149365_97f8aa674fd9")
	tcJava = newTLSClient("java",
		"771,4866-4865-4867-49196-49195-52393-49200-52392-49199-159-52394-163-158-162-49188-49192-49187-49191-107-106-103-64-49198-49202-49197-49201-49190-49194-49189-49193-49162-49172-49161-49171-57-56-51-50-49157-49167-49156-49166-157-156-61-60-53-47-255,0-5-10-11-13-50-16-17-23-43-45-51,29-23-24-25-30-256-257-258-259-260,0",
		"0403,0503,0603,0804,0805,0806,0809,080a,080b,0401,0501,0601,0402,0303,0301,0302,0203,0201,0202", []string{"h2", "http/1.1"}, 13, false, "")
	// Tor (OpenSSL, no ALPN; the SNI is a random www.<x>.com name).
	tcTor = newTLSClient("tor",
		"771,4866-4867-4865-49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-35-22-23-13-43-45-51,29-23-30-25-24,0-1-2",
		"0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0203,0301,0201,0302,0202,0402,0502,0602", nil, 13, false, "")
)

// server hello fingerprints (JA3S)
type ja3sDef struct{ str, hash string }

func mkJA3S(s string) ja3sDef { return ja3sDef{s, md5hex(s)} }

var (
	ja3s13 = []ja3sDef{mkJA3S("771,4865,43-51"), mkJA3S("771,4866,43-51"), mkJA3S("771,4867,43-51")}
	ja3s12 = []ja3sDef{mkJA3S("771,49199,65281-0-11-35-16-23"), mkJA3S("771,49200,65281-0-11-16-23"),
		mkJA3S("771,49195,65281-0-11-35-16"), mkJA3S("771,52392,0-65281-11-35-16"), mkJA3S("771,49199,0-65281-11-16-23")}
	ja3sResumed = mkJA3S("771,4865,41-43-51")
)

// ---- SSH -------------------------------------------------------------------

type sshSoft struct {
	version string
	hassh   string
	str     string
}

func mkSSH(version, s string) sshSoft { return sshSoft{version, md5hex(s), s} }

const sshMacs = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"
const sshCiphers = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"

var (
	sshClients = []sshSoft{
		mkSSH("OpenSSH_for_Windows_9.5", "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com;"+sshCiphers+";"+sshMacs+";none,zlib@openssh.com,zlib"),
		mkSSH("OpenSSH_9.6p1 Ubuntu-3ubuntu13.5", "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com;"+sshCiphers+";"+sshMacs+";none,zlib@openssh.com,zlib"),
		mkSSH("OpenSSH_9.8", "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,mlkem768x25519-sha256,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com;"+sshCiphers+";"+sshMacs+";none,zlib@openssh.com"),
		mkSSH("PuTTY_Release_0.81", "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group18-sha512,diffie-hellman-group17-sha512,diffie-hellman-group16-sha512,diffie-hellman-group15-sha512,diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com;aes256-ctr,aes256-cbc,rijndael-cbc@lysator.liu.se,aes192-ctr,aes192-cbc,aes128-ctr,aes128-cbc,chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,3des-ctr,3des-cbc;hmac-sha2-256,hmac-sha1,hmac-sha1-96,hmac-md5,hmac-sha2-256-etm@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,hmac-md5-etm@openssh.com;none,zlib,zlib@openssh.com"),
	}
	sshServers = []sshSoft{
		mkSSH("OpenSSH_8.9p1 Ubuntu-3ubuntu0.13", "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com;"+sshCiphers+";"+sshMacs+";none,zlib@openssh.com"),
		mkSSH("OpenSSH_9.6p1 Ubuntu-3ubuntu13.5", "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,ext-info-s,kex-strict-s-v00@openssh.com;"+sshCiphers+";"+sshMacs+";none,zlib@openssh.com"),
		mkSSH("OpenSSH_9.2p1 Debian-2+deb12u3", "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com;"+sshCiphers+";"+sshMacs+";none,zlib@openssh.com"),
	}
)

// ---- user agents -----------------------------------------------------------

const (
	uaChromeWin  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
	uaChromeWin2 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/157.0.0.0 Safari/537.36"
	uaEdgeWin    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 Edg/156.0.0.0"
	uaFirefoxWin = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:159.0) Gecko/20100101 Firefox/159.0"
	uaChromeMac  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/157.0.0.0 Safari/537.36"
	uaSafariMac  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Safari/605.1.15"
	uaFirefoxLin = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:159.0) Gecko/20100101 Firefox/159.0"
	uaChromeLin  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/157.0.0.0 Safari/537.36"

	uaCryptoAPI = "Microsoft-CryptoAPI/10.0"
	uaNCSI      = "Microsoft NCSI"
	uaWUA       = "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.71"
	uaDO        = "Microsoft-Delivery-Optimization/10.0"
	uaCurl      = "curl/8.11.1"
	uaPython    = "python-requests/2.32.3"
	uaGo        = "Go-http-client/1.1"
	uaGit       = "git/2.47.1"
	uaAPT       = "Debian APT-HTTP/1.3 (2.7.14)"
	uaJava      = "Java-http-client/17.0.13"
	uaJenkins   = "Jenkins/2.479.3 (+https://www.jenkins.io/)"
	uaMacOCSP   = "com.apple.trustd/3.0"
)
