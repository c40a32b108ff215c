package intel

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/nethunt/nethunt/internal/domain"
)

// Refang undoes the usual defanging of shared indicators: "evil[.]com",
// "evil(.)com", "evil{.}com", "evil[dot]com", "hxxp://", "hxxps://",
// "1.2.3[.]4", "http[:]//".
func Refang(s string) string {
	if !strings.ContainsAny(s, "[({") && !hasPrefixFold(s, "hxxp") {
		return s
	}
	r := strings.NewReplacer("[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".", "[:]", ":", "[://]", "://")
	s = r.Replace(s)
	low := strings.ToLower(s)
	switch {
	case strings.HasPrefix(low, "hxxps"):
		s = "https" + s[5:]
	case strings.HasPrefix(low, "hxxp"):
		s = "http" + s[4:]
	}
	return s
}

func hasPrefixFold(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }

// DetectType guesses the type of a bare value: an address (ip), a prefix
// (cidr), "scheme://..." (url), 32 hex digits (ja3: MD5-sized values are
// read as JA3 here; declare file-md5 explicitly), 40 hex digits with or
// without colons (cert-sha1), 64 hex digits (file-sha256), a JA4 string
// (ja4), a DNS name with a dot (domain), "host/path" (url).
func DetectType(v string) (Type, bool) {
	v = strings.TrimSpace(Refang(v))
	if v == "" {
		return "", false
	}
	if _, err := netip.ParseAddr(v); err == nil {
		return IP, true
	}
	if _, err := netip.ParseAddrPort(v); err == nil {
		return IP, true
	}
	if _, err := netip.ParsePrefix(v); err == nil {
		return CIDR, true
	}
	if strings.Contains(v, "://") {
		return URL, true
	}
	var buf [64]byte
	if h, ok := hexDigits(buf[:0], v); ok {
		switch len(h) {
		case 32:
			if !strings.Contains(v, ":") {
				return JA3, true
			}
		case 40:
			return CertSHA1, true
		case 64:
			if !strings.Contains(v, ":") {
				return FileSHA256, true
			}
		}
	}
	if looksJA4(v) {
		return JA4, true
	}
	if numericTLD(v) {
		return "", false // "300.1.2.3", "1.2.3": a broken address, not a name
	}
	host := strings.TrimPrefix(strings.TrimPrefix(v, "*."), ".")
	if n, ok := domain.Normalize(host); ok && strings.Contains(n, ".") {
		return Domain, true
	}
	if i := strings.IndexByte(v, '/'); i > 0 {
		if n, ok := domain.Normalize(v[:i]); ok && strings.Contains(n, ".") {
			return URL, true
		}
	}
	return "", false
}

// looksJA4 checks the JA4 shape "t13d1516h2_8daaf6152771_b186095e22b6":
// protocol t/q/d, version, d/i, counts, ALPN, then two '_'-separated parts.
func looksJA4(v string) bool {
	a, rest, ok := strings.Cut(v, "_")
	if !ok || len(a) != 10 || !strings.ContainsRune("tqdTQD", rune(a[0])) {
		return false
	}
	b, c, ok := strings.Cut(rest, "_")
	return ok && b != "" && c != "" && !strings.ContainsAny(v, " \t/")
}

// normalize validates v as type t (detected when empty) and returns the
// type, the lookup key and the display value.
func normalize(t Type, v string) (Type, string, string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return t, "", "", errors.New("empty value")
	}
	if t != UserAgent {
		v = Refang(v)
	}
	if t == "" {
		dt, ok := DetectType(v)
		if !ok {
			return t, "", "", fmt.Errorf("cannot detect the indicator type of %q", clip(v))
		}
		t = dt
	}
	switch t {
	case IP, CIDR:
		p, err := parseIPOrPrefix(v)
		if err != nil {
			return t, "", "", err
		}
		if p.IsSingleIP() {
			return IP, p.String(), p.Addr().String(), nil
		}
		return CIDR, p.String(), p.String(), nil
	case Domain:
		h := strings.TrimPrefix(strings.TrimPrefix(v, "*."), ".")
		n, ok := domain.Normalize(h)
		if !ok || !strings.Contains(n, ".") || numericTLD(n) {
			return t, "", "", fmt.Errorf("%q is not a domain name", clip(v))
		}
		if _, err := netip.ParseAddr(n); err == nil {
			return t, "", "", fmt.Errorf("%q is an address, not a domain", v)
		}
		if domain.RegisteredICANN(n) == "" {
			return t, "", "", fmt.Errorf("%q is a public suffix: it would match every name under it", n)
		}
		return Domain, n, n, nil
	case URL:
		k, ok := indicatorURLKey(v)
		if !ok {
			return t, "", "", fmt.Errorf("%q is not a URL with a host", clip(v))
		}
		return URL, k, v, nil
	case JA3, FileMD5:
		return hexOf(t, v, 32)
	case CertSHA1, FileSHA1:
		return hexOf(t, v, 40)
	case FileSHA256:
		return hexOf(t, v, 64)
	case JA4:
		if strings.ContainsAny(v, " \t") || !strings.Contains(v, "_") {
			return t, "", "", fmt.Errorf("%q is not a JA4 fingerprint", clip(v))
		}
		l := strings.ToLower(v)
		return JA4, l, l, nil
	case UserAgent:
		return UserAgent, v, v, nil
	}
	return t, "", "", fmt.Errorf("unknown indicator type %q", string(t))
}

// numericTLD reports whether the last label of a name is all digits (no
// TLD is).
func numericTLD(s string) bool {
	s = strings.TrimSuffix(s, ".")
	last := s[strings.LastIndexByte(s, '.')+1:]
	if last == "" {
		return false
	}
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			return false
		}
	}
	return true
}

func hexOf(t Type, v string, n int) (Type, string, string, error) {
	var buf [64]byte
	h, ok := hexDigits(buf[:0], v)
	if !ok || len(h) != n {
		return t, "", "", fmt.Errorf("%q is not %d hex digits (%s)", clip(v), n, t)
	}
	s := string(h)
	return t, s, s, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func parseIPOrPrefix(v string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(v); err == nil {
		a = a.Unmap().WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	if ap, err := netip.ParseAddrPort(v); err == nil {
		a := ap.Addr().Unmap().WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", clip(v))
	}
	if p.Addr().Is4In6() {
		a := p.Addr().Unmap()
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("%q: IPv4-mapped prefix shorter than /96", v)
		}
		p = netip.PrefixFrom(a, p.Bits()-96)
	}
	return p.Masked(), nil
}

// hexDigits appends the lower-cased hex digits of s, skipping ':' and
// space separators; ok is false for any other character and when dst's
// capacity would be exceeded (so it never allocates).
func hexDigits(dst []byte, s string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			c += 'a' - 'A'
		case c == ':' || c == ' ':
			continue
		default:
			return nil, false
		}
		if len(dst) == cap(dst) {
			return nil, false // longer than the caller's buffer: not a hash we match
		}
		dst = append(dst, c)
	}
	return dst, true
}

// lowerName appends name lower-cased without a trailing dot; false for
// empty or over-long names.
func lowerName(dst []byte, name string) ([]byte, bool) {
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if name == "" || len(name) > 253 {
		return nil, false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

// lowerTrim appends s lower-cased and trimmed; false when too long for the
// stack buffer callers use.
func lowerTrim(dst []byte, s string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 256 {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

// splitHostPort splits "host:port", "[v6]:port" or a bare host.
func splitHostPort(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false
		}
		host = s[1:end]
		if rest := s[end+1:]; strings.HasPrefix(rest, ":") {
			port = rest[1:]
		}
		return host, port, host != ""
	}
	if strings.Count(s, ":") > 1 {
		return s, "", true // bare IPv6
	}
	host, port, _ = strings.Cut(s, ":")
	return host, port, host != ""
}

// indicatorURLKey turns "http://User@Evil.COM:8080/a/b?c=1#frag" into the
// key "evil.com/a/b?c=1": scheme, user info, port and fragment dropped,
// host lower-cased, path and query kept as written, "/" for an empty path.
func indicatorURLKey(v string) (string, bool) {
	rest := v
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	end := strings.IndexAny(rest, "/?#")
	hostport, tail := rest, ""
	if end >= 0 {
		hostport, tail = rest[:end], rest[end:]
	}
	if at := strings.LastIndexByte(hostport, '@'); at >= 0 {
		hostport = hostport[at+1:]
	}
	host, _, ok := splitHostPort(hostport)
	if !ok {
		return "", false
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if _, err := netip.ParseAddr(host); err != nil {
		if n, ok := domain.Normalize(host); !ok || !strings.Contains(n, ".") && n != "localhost" {
			return "", false
		}
	}
	if i := strings.IndexByte(tail, '#'); i >= 0 {
		tail = tail[:i]
	}
	if tail == "" || tail[0] == '?' {
		tail = "/" + tail
	}
	return host + tail, true
}

// observedURLKey builds the same key for an HTTP event: the host from an
// absolute request target, else the Host header (hostname), then the
// target's path and query. qs is the index of '?' in the key, or -1.
func observedURLKey(dst []byte, hostname, target string) (key []byte, qs int, ok bool) {
	path := target
	if i := strings.Index(target, "://"); i >= 0 {
		rest := target[i+3:]
		end := strings.IndexAny(rest, "/?")
		hostport := rest
		path = "/"
		if end >= 0 {
			hostport, path = rest[:end], rest[end:]
			if path[0] == '?' {
				path = "/" + path
			}
		}
		if at := strings.LastIndexByte(hostport, '@'); at >= 0 {
			hostport = hostport[at+1:]
		}
		hostname = hostport
	}
	host, _, ok := splitHostPort(hostname)
	if !ok {
		return nil, -1, false
	}
	if n := len(host); n > 0 && host[n-1] == '.' {
		host = host[:n-1]
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	qs = -1
	if i := strings.IndexByte(path, '?'); i >= 0 {
		qs = len(dst) + i
	}
	dst = append(dst, path...)
	return dst, qs, true
}
