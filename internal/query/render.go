package query

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Canonical rendering: explicit AND/OR/NOT, parentheses only where
// precedence needs them, values bare when that is unambiguous and quoted
// otherwise, times in RFC 3339 UTC, comparisons for one-sided ranges, and
// field:(a OR b) for an OR of values of one field.

func (*MatchAll) String() string { return "*" }

func (x *And) String() string {
	parts := make([]string, len(x.Args))
	for i, a := range x.Args {
		parts[i] = paren(a, true)
	}
	return strings.Join(parts, " AND ")
}

func (x *Or) String() string {
	if sameField(x) {
		parts := make([]string, len(x.Args))
		for i, a := range x.Args {
			parts[i] = valueText(a)
		}
		return TermField(x.Args[0]).Name + ":(" + strings.Join(parts, " OR ") + ")"
	}
	parts := make([]string, len(x.Args))
	for i, a := range x.Args {
		parts[i] = paren(a, false)
	}
	return strings.Join(parts, " OR ")
}

func (x *Not) String() string { return "NOT " + paren(x.Arg, true) }

func (x *Exists) String() string   { return x.Field.Name + ":*" }
func (x *Equal) String() string    { return x.Field.Name + ":" + valueText(x) }
func (x *Wildcard) String() string { return x.Field.Name + ":" + valueText(x) }
func (x *CIDR) String() string     { return x.Field.Name + ":" + valueText(x) }
func (x *Range) String() string    { return x.Field.Name + ":" + valueText(x) }

// paren renders a child, parenthesized when it binds looser than its
// parent: OR inside AND or NOT, AND inside NOT.
func paren(e Expr, inAnd bool) string {
	switch x := e.(type) {
	case *Or:
		if sameField(x) {
			return e.String() // field:(a OR b) is one term
		}
		return "(" + e.String() + ")"
	case *And:
		if inAnd {
			return "(" + e.String() + ")"
		}
	}
	return e.String()
}

// sameField reports an OR of leaves on one field, rendered field:(a OR b).
func sameField(x *Or) bool {
	f := TermField(x.Args[0])
	if f == nil {
		return false
	}
	for _, a := range x.Args[1:] {
		if TermField(a) != f {
			return false
		}
	}
	return true
}

// valueText renders what follows "field:" for a leaf.
func valueText(e Expr) string {
	switch x := e.(type) {
	case *Exists:
		return "*"
	case *Equal:
		return renderValue(x.Value)
	case *Wildcard:
		return renderPattern(x.Pattern)
	case *CIDR:
		s := x.Prefix.String()
		if strings.HasPrefix(s, ":") {
			return `"` + s + `"`
		}
		return s
	case *Range:
		switch {
		case x.Lo == nil && x.IncHi:
			return "<=" + renderValue(x.Hi)
		case x.Lo == nil:
			return "<" + renderValue(x.Hi)
		case x.Hi == nil && x.IncLo:
			return ">=" + renderValue(x.Lo)
		case x.Hi == nil:
			return ">" + renderValue(x.Lo)
		}
		l, r := "{", "}"
		if x.IncLo {
			l = "["
		}
		if x.IncHi {
			r = "]"
		}
		return l + renderValue(x.Lo) + " TO " + renderValue(x.Hi) + r
	}
	panic(fmt.Sprintf("query: no value text for %T", e))
}

// renderValue renders a typed value so that it reads back as the same
// value in any value position (after ':', in a list, as a range bound).
func renderValue(v any) string {
	switch x := v.(type) {
	case string:
		if bareSafe(x) {
			return x
		}
		return quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case netip.Addr:
		s := x.String()
		if strings.HasPrefix(s, ":") {
			return `"` + s + `"`
		}
		return s
	}
	panic(fmt.Sprintf("query: cannot render %T", v))
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// special are the runes a bare value cannot hold unescaped: delimiters,
// escapes, wildcards, and the characters that start a range, a comparison
// or a group.
const special = `()"\*?[]{}<>`

func bareSafe(s string) bool {
	if s == "" {
		return false
	}
	switch s {
	case "AND", "OR", "NOT", "TO":
		return false
	}
	for _, r := range s {
		if isSpace(r) || !unicode.IsPrint(r) || strings.ContainsRune(special, r) {
			return false
		}
	}
	return s != "&&" && s != "||" // operators inside field:( ... )
}

// renderPattern writes a canonical pattern as a bare value: wildcards as
// they are, literal special characters and spaces escaped with '\'.
func renderPattern(p string) string {
	var b strings.Builder
	for _, part := range Parts(p) {
		switch part.Kind {
		case Star:
			b.WriteByte('*')
		case One:
			b.WriteByte('?')
		case Lit:
			for _, r := range part.Text {
				if isSpace(r) || !unicode.IsPrint(r) || strings.ContainsRune(special, r) {
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}
