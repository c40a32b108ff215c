package reflist

import (
	"iter"
	"strings"
)

// DN iterates over the attribute=value pairs of a distinguished name as
// Suricata logs it ("C=US, O=Let's Encrypt, CN=R11"), in RFC 4514 form
// ("CN=R11,O=Let's Encrypt,C=US") or in OpenSSL's one-line form
// ("/C=US/O=Let's Encrypt/CN=R11"). A comma only separates attributes when
// an attribute name and '=' follow it, so values such as "cPanel, Inc."
// stay whole; "\," escapes are kept verbatim. Attribute names are returned
// as written; values are trimmed. It does not allocate.
func DN(dn string) iter.Seq2[string, string] {
	return func(yield func(attr, value string) bool) {
		sep := byte(',')
		s := strings.TrimSpace(dn)
		if strings.HasPrefix(s, "/") {
			sep = '/'
			s = s[1:]
		}
		for s != "" {
			end := nextRDN(s, sep)
			part := s[:end]
			if end < len(s) {
				s = s[end+1:]
			} else {
				s = ""
			}
			eq := strings.IndexByte(part, '=')
			if eq <= 0 {
				continue
			}
			attr := strings.TrimSpace(part[:eq])
			val := strings.TrimSpace(part[eq+1:])
			if !yield(attr, val) {
				return
			}
		}
	}
}

// nextRDN returns the index of the separator that ends the first RDN of s,
// or len(s).
func nextRDN(s string, sep byte) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			if looksLikeAttr(s[i+1:]) {
				return i
			}
		}
	}
	return len(s)
}

// looksLikeAttr reports whether s starts with optional spaces, an attribute
// name (letters, digits, '.', '-') and '='.
func looksLikeAttr(s string) bool {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	start := i
	for i < len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_' {
			i++
			continue
		}
		break
	}
	if i == start {
		return false
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i < len(s) && s[i] == '='
}

// DNAttr returns the first value of attr (case-insensitive) in dn.
func DNAttr(dn, attr string) (string, bool) {
	for a, v := range DN(dn) {
		if strings.EqualFold(a, attr) {
			return v, true
		}
	}
	return "", false
}

// caRule matches an issuer DN when every listed attribute is present with
// the listed value (case-insensitive).
type caRule struct {
	label string
	attrs []attrValue
}

type attrValue struct{ attr, value string }

func (r *caRule) match(dn []attrValue) bool {
	for _, want := range r.attrs {
		found := false
		for _, have := range dn {
			if strings.EqualFold(have.attr, want.attr) && strings.EqualFold(have.value, want.value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return len(r.attrs) > 0
}
