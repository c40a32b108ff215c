package sim

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strconv"

	"github.com/nethunt/nethunt/internal/jsonw"
)

// This file holds the byte-appending helpers used to build EVE lines without
// encoding/json: string escaping, Suricata timestamps, IPv4 text and hex.

const hexLower = "0123456789abcdef"
const hexUpper = "0123456789ABCDEF"

// appStr appends s as a JSON string literal (jsonw.AppendString: control
// bytes, quotes and backslashes escaped, invalid UTF-8 as U+FFFD).
func appStr(b []byte, s string) []byte { return jsonw.AppendString(b, s) }

// kStr appends `,"key":"value"`; k must be the literal `,"key":` prefix.
func kStr(b []byte, k, v string) []byte {
	b = append(b, k...)
	return appStr(b, v)
}

func kInt(b []byte, k string, v int64) []byte {
	b = append(b, k...)
	return strconv.AppendInt(b, v, 10)
}

func kBool(b []byte, k string, v bool) []byte {
	b = append(b, k...)
	return strconv.AppendBool(b, v)
}

// appStrArr appends a JSON array of strings.
func appStrArr(b []byte, vs []string) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appStr(b, v)
	}
	return append(b, ']')
}

// appIP appends the dotted-quad text of an IPv4 address held in a uint32.
func appIP(b []byte, ip uint32) []byte {
	b = strconv.AppendUint(b, uint64(ip>>24), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(ip>>16&0xff), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(ip>>8&0xff), 10)
	b = append(b, '.')
	return strconv.AppendUint(b, uint64(ip&0xff), 10)
}

func ipStr(ip uint32) string { return string(appIP(nil, ip)) }

func ipPort(ip uint32, port uint16) string {
	b := appIP(nil, ip)
	b = append(b, ':')
	return string(strconv.AppendUint(b, uint64(port), 10))
}

func ip4(a, b, c, d byte) uint32 {
	return uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d)
}

// parseIP4 parses a dotted quad; it panics on malformed input because it is
// only used on constants.
func parseIP4(s string) uint32 {
	var v, part uint32
	n := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			v = v<<8 | part
			part = 0
			n++
			continue
		}
		part = part*10 + uint32(s[i]-'0')
	}
	if n != 4 {
		panic("sim: bad IPv4 constant " + s)
	}
	return v
}

// cidr is an IPv4 prefix.
type cidr struct {
	base uint32
	bits uint8
}

func parseCIDR(s string) cidr {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			n, _ := strconv.Atoi(s[i+1:])
			return cidr{base: parseIP4(s[:i]), bits: uint8(n)}
		}
	}
	return cidr{base: parseIP4(s), bits: 32}
}

func (c cidr) mask() uint32 {
	if c.bits == 0 {
		return 0
	}
	return ^uint32(0) << (32 - c.bits)
}

func (c cidr) contains(ip uint32) bool { return ip&c.mask() == c.base&c.mask() }
func (c cidr) size() uint32            { return ^c.mask() + 1 }

// ---- time ------------------------------------------------------------------

// tsCache remembers the formatted "YYYY-MM-DDTHH:MM:SS" of the last second,
// which makes timestamp formatting nearly free for dense output.
type tsCache struct {
	sec int64
	buf [19]byte
	ok  bool
}

func civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return
}

func put2(b []byte, v int64) { b[0] = byte('0' + v/10); b[1] = byte('0' + v%10) }

func fillDateTime(dst *[19]byte, sec int64) {
	days := sec / 86400
	rem := sec % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	y, m, d := civil(days)
	dst[0] = byte('0' + y/1000)
	dst[1] = byte('0' + y/100%10)
	dst[2] = byte('0' + y/10%10)
	dst[3] = byte('0' + y%10)
	dst[4] = '-'
	put2(dst[5:], m)
	dst[7] = '-'
	put2(dst[8:], d)
	dst[10] = 'T'
	put2(dst[11:], rem/3600)
	dst[13] = ':'
	put2(dst[14:], rem/60%60)
	dst[16] = ':'
	put2(dst[17:], rem%60)
}

// appTS appends a Suricata timestamp for us (microseconds since the epoch),
// e.g. 2026-11-20T08:15:02.123456+0000.
func (c *tsCache) appTS(b []byte, us int64) []byte {
	sec := us / 1e6
	frac := us % 1e6
	if frac < 0 {
		frac += 1e6
		sec--
	}
	if !c.ok || c.sec != sec {
		fillDateTime(&c.buf, sec)
		c.sec = sec
		c.ok = true
	}
	b = append(b, c.buf[:]...)
	var f [7]byte
	f[0] = '.'
	for i := 6; i >= 1; i-- {
		f[i] = byte('0' + frac%10)
		frac /= 10
	}
	b = append(b, f[:]...)
	return append(b, "+0000"...)
}

// appDateTime appends "YYYY-MM-DDTHH:MM:SS" (the TLS notbefore/notafter form).
func appDateTime(b []byte, sec int64) []byte {
	var buf [19]byte
	fillDateTime(&buf, sec)
	return append(b, buf[:]...)
}

// isoTime formats microseconds as RFC 3339 UTC with microseconds (truth file).
func isoTime(us int64) string {
	var buf [19]byte
	sec := us / 1e6
	fillDateTime(&buf, sec)
	b := append([]byte(nil), buf[:]...)
	b = append(b, '.')
	frac := us % 1e6
	var f [6]byte
	for i := 5; i >= 0; i-- {
		f[i] = byte('0' + frac%10)
		frac /= 10
	}
	b = append(b, f[:]...)
	b = append(b, 'Z')
	return string(b)
}

// ---- hashing helpers -------------------------------------------------------

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func sha1hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// colonHex renders bytes as "aa:bb:..." (lower) or "AA:BB:..." (upper).
func colonHex(p []byte, upper bool) string {
	digits := hexLower
	if upper {
		digits = hexUpper
	}
	b := make([]byte, 0, len(p)*3)
	for i, c := range p {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[c>>4], digits[c&0xf])
	}
	return string(b)
}

// communityID computes the Community ID v1 flow hash (seed 0) as Suricata
// writes it: "1:" + base64(SHA1(seed, saddr, daddr, proto, 0, sport, dport))
// with the endpoints ordered so that both directions hash alike.
func communityID(src, dst uint32, sp, dp uint16, proto uint8) string {
	if src > dst || (src == dst && sp > dp) {
		src, dst = dst, src
		sp, dp = dp, sp
	}
	var buf [16]byte
	binary.BigEndian.PutUint32(buf[2:], src)
	binary.BigEndian.PutUint32(buf[6:], dst)
	buf[10] = proto
	binary.BigEndian.PutUint16(buf[12:], sp)
	binary.BigEndian.PutUint16(buf[14:], dp)
	h := sha1.Sum(buf[:])
	return "1:" + base64.StdEncoding.EncodeToString(h[:])
}
