package domain

import (
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/reflist"
)

// Certificate and handshake traits returned by CertTraits.
const (
	TraitFreeCA        = "free-ca:" // + label from reflist, e.g. "free-ca:letsencrypt"
	TraitSelfSigned    = "self-signed"
	TraitShortValidity = "short-validity" // notafter - notbefore < 30 days
	TraitLongValidity  = "long-validity"  // > 398 days + 1 day: beyond what public CAs may issue
	TraitExpired       = "expired"
	TraitNotYetValid   = "not-yet-valid"
	TraitTorLike       = "tor-like"
	TraitIPCert        = "ip-san"       // subject CN or a SAN is an IP literal
	TraitNoSNI         = "no-sni"       // ClientHello without SNI ("domainless")
	TraitSNIMismatch   = "sni-mismatch" // SNI not covered by the logged SANs
)

const (
	shortValidity = 30 * 24 * time.Hour
	longValidity  = 399 * 24 * time.Hour
)

// CertTraits describes the TLS record of an event with reflist.Default():
// see CertTraitsWith.
func CertTraits(tls *event.TLS, eventTime time.Time) []string {
	return CertTraitsWith(reflist.Default(), tls, eventTime)
}

// CertTraitsWith returns the traits of a TLS record (nil when none) in a
// fixed order:
//
//   - "free-ca:<ca>": the issuer DN matches a free / automated CA of lists;
//   - "self-signed": subject DN equals issuer DN;
//   - "short-validity" (< 30 days) / "long-validity" (> 399 days);
//   - "expired" / "not-yet-valid" relative to eventTime (skipped when
//     eventTime is zero);
//   - "tor-like": Tor's link certificate shape, see TorLike;
//   - "ip-san": the subject CN or a SAN is an IP address;
//   - "no-sni": the ClientHello carried no SNI (Suricata logs the field
//     empty); session resumptions included;
//   - "sni-mismatch": SANs are logged (Suricata 8) and none covers the SNI
//     (wildcards honoured). Without SANs nothing is claimed: the subject CN
//     alone is not reliable for multi-name certificates.
//
// Certificate traits need a certificate in the record (subject or issuer);
// resumed sessions carry none.
func CertTraitsWith(lists *reflist.Lists, tls *event.TLS, eventTime time.Time) []string {
	if tls == nil {
		return nil
	}
	var out []string
	if tls.Subject != "" || tls.IssuerDN != "" {
		if ca := freeCATrait(lists, tls.IssuerDN); ca != "" {
			out = append(out, ca)
		}
		if tls.Subject != "" && strings.EqualFold(strings.TrimSpace(tls.Subject), strings.TrimSpace(tls.IssuerDN)) {
			out = append(out, TraitSelfSigned)
		}
		nb, okb := ParseCertTime(tls.NotBefore)
		na, oka := ParseCertTime(tls.NotAfter)
		if okb && oka {
			switch d := na.Sub(nb); {
			case d < shortValidity:
				out = append(out, TraitShortValidity)
			case d > longValidity:
				out = append(out, TraitLongValidity)
			}
		}
		if !eventTime.IsZero() {
			if oka && eventTime.After(na) {
				out = append(out, TraitExpired)
			}
			if okb && eventTime.Before(nb) {
				out = append(out, TraitNotYetValid)
			}
		}
		if TorLike(tls.Subject, tls.IssuerDN) {
			out = append(out, TraitTorLike)
		}
		if ipCert(tls) {
			out = append(out, TraitIPCert)
		}
	}
	if tls.SNI == "" {
		out = append(out, TraitNoSNI)
	} else if len(tls.SubjectAltName) > 0 && !sanCovers(tls.SubjectAltName, tls.SNI) {
		out = append(out, TraitSNIMismatch)
	}
	return out
}

// freeCA caches issuer DN → trait: there are few distinct issuers and the
// DN rules cost a few hundred ns.
var freeCA struct {
	sync.RWMutex
	lists *reflist.Lists
	m     map[string]string
}

func freeCATrait(lists *reflist.Lists, issuer string) string {
	if issuer == "" || lists == nil {
		return ""
	}
	freeCA.RLock()
	if freeCA.lists == lists {
		if v, ok := freeCA.m[issuer]; ok {
			freeCA.RUnlock()
			return v
		}
	}
	freeCA.RUnlock()
	v := ""
	if ca, ok := lists.FreeCA(issuer); ok {
		v = TraitFreeCA + ca
	}
	freeCA.Lock()
	if freeCA.lists != lists || len(freeCA.m) >= 4096 {
		freeCA.lists, freeCA.m = lists, make(map[string]string)
	}
	freeCA.m[issuer] = v
	freeCA.Unlock()
	return v
}

// TorLike reports whether a certificate has the shape of a Tor relay's TLS
// link certificate. Tor (tortls.c) names both ends with
// crypto_random_hostname(8, 20, "www.", ...): the subject "www.<r1>.net" and
// the issuer "www.<r2>.com", where r1, r2 are lower-case base32 strings of
// 8–20 characters, and puts nothing else in either DN. Relays in the corpus
// (ET POLICY "possible TOR SSL traffic") show subject
// "CN=www.rcfcvvesd.net", issuer "CN=www.wlfkimfg.com". The heuristic:
//
//   - subject and issuer each consist of exactly one attribute, CN (no O=,
//     no C=);
//   - each CN is www.<label>.com or www.<label>.net, one of each (either
//     way round), with different labels;
//   - both labels are 8–20 characters of [a-z2-7];
//   - at least one label LooksRandom.
//
// Legitimate certificates almost never have a CN-only subject and issuer
// that differ, so the shape alone is strong; LooksRandom removes hand-made
// test certificates such as www.example.com / www.mytestca.net.
func TorLike(subject, issuer string) bool {
	s, ok1 := onlyCN(subject)
	i, ok2 := onlyCN(issuer)
	if !ok1 || !ok2 {
		return false
	}
	sl, st, ok1 := wwwLabel(s)
	il, it, ok2 := wwwLabel(i)
	if !ok1 || !ok2 || st == it || sl == il {
		return false
	}
	return LooksRandom(sl) || LooksRandom(il)
}

// onlyCN returns the CN of a DN that has no other attribute.
func onlyCN(dn string) (string, bool) {
	cn, n := "", 0
	for a, v := range reflist.DN(dn) {
		n++
		if !strings.EqualFold(a, "CN") || n > 1 {
			return "", false
		}
		cn = v
	}
	return cn, n == 1
}

// wwwLabel splits "www.<label>.<com|net>" with a Tor-style label.
func wwwLabel(cn string) (label, tld string, ok bool) {
	if !strings.HasPrefix(cn, "www.") {
		return "", "", false
	}
	rest := cn[4:]
	dot := strings.IndexByte(rest, '.')
	if dot < 0 {
		return "", "", false
	}
	label, tld = rest[:dot], rest[dot+1:]
	if tld != "com" && tld != "net" || len(label) < 8 || len(label) > 20 {
		return "", "", false
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return "", "", false
		}
	}
	return label, tld, true
}

func ipCert(tls *event.TLS) bool {
	if cn, ok := reflist.DNAttr(tls.Subject, "CN"); ok && isIP(cn) {
		return true
	}
	for _, san := range tls.SubjectAltName {
		san = strings.TrimPrefix(strings.TrimPrefix(san, "IP Address:"), "IP:")
		if isIP(strings.TrimSpace(san)) {
			return true
		}
	}
	return false
}

// isIP parses s as an address only when it could be one, because a failed
// netip.ParseAddr allocates its error.
func isIP(s string) bool {
	if s == "" {
		return false
	}
	if strings.IndexByte(s, ':') < 0 {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c != '.' && (c < '0' || c > '9') {
				return false
			}
		}
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// sanCovers reports whether one of the SANs covers host (RFC 6125: a
// wildcard stands for exactly one left-most label).
func sanCovers(sans []string, host string) bool {
	if n := len(host); n > 0 && host[n-1] == '.' {
		host = host[:n-1]
	}
	for _, san := range sans {
		san = strings.TrimPrefix(strings.TrimSpace(san), "DNS:")
		if strings.EqualFold(san, host) {
			return true
		}
		if strings.HasPrefix(san, "*.") {
			dot := strings.IndexByte(host, '.')
			if dot > 0 && strings.EqualFold(san[2:], host[dot+1:]) {
				return true
			}
		}
	}
	return false
}

// ParseCertTime parses a certificate validity time as EVE logs it
// ("2024-01-02T03:04:05", no zone, meaning UTC) without allocating; other
// shapes fall back to event.ParseTime.
func ParseCertTime(s string) (time.Time, bool) {
	if len(s) == 19 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' ') && s[13] == ':' && s[16] == ':' {
		y, ok1 := atoi(s[0:4])
		mo, ok2 := atoi(s[5:7])
		d, ok3 := atoi(s[8:10])
		h, ok4 := atoi(s[11:13])
		mi, ok5 := atoi(s[14:16])
		se, ok6 := atoi(s[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && se < 61 {
			return time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC), true
		}
		return time.Time{}, false
	}
	if s == "" {
		return time.Time{}, false
	}
	t, err := event.ParseTime(s)
	return t, err == nil
}

func atoi(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
