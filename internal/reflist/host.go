package reflist

import (
	"bytes"
	"strings"
)

// suffixSet maps lower-case DNS suffixes (no trailing dot) to a label.
type suffixSet map[string]string

// match looks host and each of its parent domains up, longest first, so
// "a.b.ngrok.io" finds "ngrok.io" but "evilngrok.io" does not. It lowercases
// into a stack buffer and does not allocate.
func (s suffixSet) match(host string) (string, bool) {
	if len(s) == 0 {
		return "", false
	}
	var buf [maxHostLen]byte
	h, ok := lowerHost(buf[:0], host)
	if !ok {
		return "", false
	}
	for i := 0; i < len(h); {
		if v, ok := s[string(h[i:])]; ok {
			return v, true
		}
		j := bytes.IndexByte(h[i:], '.')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return "", false
}

// lowerHost appends host, lower-cased and without a trailing dot, to dst.
// It reports false for empty names, names longer than a DNS name can be and
// names with empty labels.
func lowerHost(dst []byte, host string) ([]byte, bool) {
	host = trimDot(host)
	if host == "" || len(host) > maxHostLen || host[0] == '.' {
		return nil, false
	}
	prevDot := false
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c == '.' {
			if prevDot {
				return nil, false
			}
			prevDot = true
		} else {
			prevDot = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

func trimDot(s string) string {
	if n := len(s); n > 0 && s[n-1] == '.' {
		return s[:n-1]
	}
	return s
}

// normSuffix validates and lower-cases a suffix read from a list file.
func normSuffix(s string) (string, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "*.")
	s = strings.TrimPrefix(s, ".")
	s = strings.ToLower(trimDot(s))
	if s == "" || len(s) > maxHostLen {
		return "", false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", false
			}
		}
	}
	return s, true
}
