package query

import (
	"encoding/binary"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/fields"
)

// typeDesc names a field's type in messages: "an int", "a list of strings".
func typeDesc(t fields.Type) string {
	switch t {
	case fields.String:
		return "a string"
	case fields.Int:
		return "an int"
	case fields.Float:
		return "a float"
	case fields.Bool:
		return "a bool"
	case fields.Time:
		return "a time"
	case fields.IP:
		return "an IP address"
	case fields.Strings:
		return "a list of strings"
	case fields.Ints:
		return "a list of ints"
	}
	return t.String()
}

// typed turns a value written after "field:" into a leaf.
func (p *parser) typed(f *fields.Field, pos int, v valTok) (Expr, *Error) {
	if v.anyValue() {
		return &Exists{Field: f, Pos: pos}, nil
	}
	switch et := f.Type.Elem(); et {
	case fields.String:
		if v.wild {
			return &Wildcard{Field: f, Pattern: v.pattern, Pos: pos}, nil
		}
		if v.lit == "" {
			return nil, p.errf(v.pos, "empty value: EVE omits empty strings, so no event has %s:\"\" (use NOT %s:* for events without the field)", f.Name, f.Name)
		}
		return &Equal{Field: f, Value: v.lit, Pos: pos}, nil
	case fields.IP:
		if v.wild {
			return nil, p.errf(v.pos, "wildcards do not work on IP field %s: use CIDR notation, e.g. %s:10.0.0.0/8 or %s:\"2001:db8::/32\"", f.Name, f.Name, f.Name)
		}
		if strings.Contains(v.lit, "/") {
			pr, err := netip.ParsePrefix(v.lit)
			if err != nil {
				return nil, p.errf(v.pos, "bad CIDR %s: %s", v.lit, netipReason(err))
			}
			return &CIDR{Field: f, Prefix: pr.Masked(), Pos: pos}, nil
		}
	default:
		if v.wild {
			hint := "use a range, e.g. " + f.Name + ":[8000 TO 8999]"
			switch et {
			case fields.Bool:
				hint = "use " + f.Name + ":true or " + f.Name + ":false"
			case fields.Time:
				hint = "use a range, e.g. " + f.Name + ":[2026-01-15 TO 2026-01-16]"
			}
			return nil, p.errf(v.pos, "wildcards only work on text fields; %s is %s (%s)", f.Name, typeDesc(f.Type), hint)
		}
	}
	val, date, err := p.scalar(f, v)
	if err != nil {
		return nil, err
	}
	if date {
		// A date alone means the whole day (UTC).
		d := val.(time.Time)
		return &Range{Field: f, Lo: d, IncLo: true, Hi: d.AddDate(0, 0, 1), Pos: pos}, nil
	}
	return &Equal{Field: f, Value: val, Pos: pos}, nil
}

// scalar converts a literal to the Go type of the field's element type.
// date reports a date without a time of day (a Time value at midnight UTC).
func (p *parser) scalar(f *fields.Field, v valTok) (val any, date bool, err *Error) {
	s := v.lit
	switch f.Type.Elem() {
	case fields.String:
		return s, false, nil
	case fields.Int:
		n, e := strconv.ParseInt(s, 10, 64)
		if e != nil {
			if ne, ok := e.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, false, p.errf(v.pos, "field %s is %s; %q is out of range", f.Name, typeDesc(f.Type), s)
			}
			return nil, false, p.errf(v.pos, "field %s is %s; %q is not a number", f.Name, typeDesc(f.Type), s)
		}
		return n, false, nil
	case fields.Float:
		x, e := strconv.ParseFloat(s, 64)
		if e != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false, p.errf(v.pos, "field %s is %s; %q is not a number", f.Name, typeDesc(f.Type), s)
		}
		return x, false, nil
	case fields.Bool:
		switch strings.ToLower(s) {
		case "true":
			return true, false, nil
		case "false":
			return false, false, nil
		}
		return nil, false, p.errf(v.pos, "field %s is a bool; use true or false, not %q", f.Name, s)
	case fields.Time:
		t, date, ok := parseTime(s)
		if !ok {
			return nil, false, p.errf(v.pos, "field %s is a time; %q is not a date or time (use RFC 3339, e.g. 2026-01-15T08:00:00Z, or a date, 2026-01-15)", f.Name, s)
		}
		return t, date, nil
	case fields.IP:
		a, e := netip.ParseAddr(s)
		if e != nil {
			return nil, false, p.errf(v.pos, "bad IP address %q: %s", s, netipReason(e))
		}
		return a.WithZone(""), false, nil
	}
	return nil, false, p.errf(v.pos, "field %s has type %s, which the query language does not support", f.Name, f.Type)
}

// netipReason strips the `netip.ParsePrefix("..."): ` prefix of net/netip
// errors; the message already quotes the value.
func netipReason(err error) string {
	s := err.Error()
	if i := strings.Index(s, "): "); i >= 0 {
		s = s[i+3:]
	}
	return s
}

func looksLikeAddress(w string) bool {
	if _, err := netip.ParseAddr(w); err == nil {
		return true
	}
	if _, err := netip.ParsePrefix(w); err == nil {
		return true
	}
	_, err := netip.ParseAddrPort(w)
	return err == nil
}

var extraTimeLayouts = []string{
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04",
}

// parseTime reads RFC 3339 and the shapes EVE uses (event.ParseTime), plus
// minutes without seconds and a bare date (UTC midnight, date=true). A time
// without a zone is UTC. Times are truncated to microseconds, the precision
// of EVE and of the stores.
func parseTime(s string) (t time.Time, date bool, ok bool) {
	if len(s) == 10 {
		d, err := time.Parse("2006-01-02", s)
		return d, err == nil, err == nil
	}
	t, err := event.ParseTime(s)
	if err != nil {
		for _, l := range extraTimeLayouts {
			if t, err = time.Parse(l, s); err == nil {
				break
			}
		}
		if err != nil {
			return time.Time{}, false, false
		}
	}
	return t.UTC().Truncate(time.Microsecond), false, true
}

// comparison parses (< | <= | > | >=) value after a field.
func (p *parser) comparison(f *fields.Field, pos int) (Expr, *Error) {
	l := &p.lx
	opPos := l.pos
	op := l.src[l.pos : l.pos+1]
	l.pos++
	if !l.eof() && l.src[l.pos] == '=' {
		op += "="
		l.pos++
	}
	l.skipSpace()
	if l.eof() || l.src[l.pos] == ')' {
		return nil, p.errf(l.pos, "expected a value after '%s'", op)
	}
	v, err := p.bound(f, "")
	if err != nil {
		return nil, err
	}
	if v.anyValue() {
		return nil, p.errf(v.pos, "expected a value after '%s', not '*'", op)
	}
	if f.Type.Elem() == fields.Bool {
		return nil, p.errf(opPos, "comparisons do not work on bool field %s; use %s:true or %s:false", f.Name, f.Name, f.Name)
	}
	val, date, err := p.boundValue(f, v)
	if err != nil {
		return nil, err
	}
	r := &Range{Field: f, Pos: pos}
	switch op {
	case ">":
		r.Lo = val
		if date { // after that day
			r.Lo, r.IncLo = val.(time.Time).AddDate(0, 0, 1), true
		}
	case ">=":
		r.Lo, r.IncLo = val, true
	case "<":
		r.Hi = val
	case "<=":
		r.Hi, r.IncHi = val, true
		if date { // through the end of that day
			r.Hi, r.IncHi = val.(time.Time).AddDate(0, 0, 1), false
		}
	}
	return r, nil
}

// bound reads one value of a comparison or range (stop: extra delimiters).
func (p *parser) bound(f *fields.Field, stop string) (valTok, *Error) {
	l := &p.lx
	if !l.eof() && l.src[l.pos] == '"' {
		return l.quoted()
	}
	v, err := l.bare(stop)
	if err != nil {
		return v, err
	}
	if v.raw == "" {
		return v, p.errf(v.pos, "expected a value")
	}
	if v.wild && !v.anyValue() {
		return v, p.errf(v.pos, "wildcards are not allowed in ranges and comparisons (a lone * is an open bound)")
	}
	return v, nil
}

func (p *parser) boundValue(f *fields.Field, v valTok) (any, bool, *Error) {
	if f.Type.Elem() == fields.IP && strings.Contains(v.lit, "/") {
		return nil, false, p.errf(v.pos, "a range of addresses takes addresses, not CIDRs (%s:%s alone matches the network)", f.Name, v.lit)
	}
	return p.scalar(f, v)
}

// rangeValue parses [lo TO hi] with [ ] inclusive and { } exclusive bounds
// and * for an open bound.
func (p *parser) rangeValue(f *fields.Field, pos int) (Expr, *Error) {
	l := &p.lx
	open := l.pos
	incLo := l.src[open] == '['
	l.pos++
	if f.Type.Elem() == fields.Bool {
		return nil, p.errf(open, "ranges do not work on bool field %s; use %s:true or %s:false", f.Name, f.Name, f.Name)
	}
	unclosed := func() *Error {
		return p.errf(open, "unclosed range opened at column %d: write %s:[low TO high]", column(l.src, open), f.Name)
	}
	l.skipSpace()
	if l.eof() {
		return nil, unclosed()
	}
	if l.keywordAt(l.pos) == "TO" {
		return nil, p.errf(l.pos, "missing lower bound before TO (use * for an open bound)")
	}
	lo, err := p.bound(f, "]}")
	if err != nil {
		return nil, err
	}
	l.skipSpace()
	if l.eof() {
		return nil, unclosed()
	}
	if l.keywordAt(l.pos) != "TO" {
		return nil, p.errf(l.pos, "expected TO in the range opened at column %d (write %s:[low TO high])", column(l.src, open), f.Name)
	}
	l.pos += 2
	l.skipSpace()
	if l.eof() {
		return nil, unclosed()
	}
	if c := l.src[l.pos]; c == ']' || c == '}' {
		return nil, p.errf(l.pos, "missing upper bound after TO (use * for an open bound)")
	}
	hi, err := p.bound(f, "]}")
	if err != nil {
		return nil, err
	}
	l.skipSpace()
	if l.eof() {
		return nil, unclosed()
	}
	var incHi bool
	switch l.src[l.pos] {
	case ']':
		incHi = true
	case '}':
	default:
		return nil, p.errf(l.pos, "expected ']' or '}' to close the range opened at column %d", column(l.src, open))
	}
	l.pos++
	r := &Range{Field: f, Pos: pos}
	if !lo.anyValue() {
		val, date, err := p.boundValue(f, lo)
		if err != nil {
			return nil, err
		}
		r.Lo, r.IncLo = val, incLo
		if date && !incLo { // {2026-01-15 TO: after that day
			r.Lo, r.IncLo = val.(time.Time).AddDate(0, 0, 1), true
		}
	}
	if !hi.anyValue() {
		val, date, err := p.boundValue(f, hi)
		if err != nil {
			return nil, err
		}
		r.Hi, r.IncHi = val, incHi
		if date && incHi { // TO 2026-01-31]: through the end of that day
			r.Hi, r.IncHi = val.(time.Time).AddDate(0, 0, 1), false
		}
	}
	if r.Lo == nil && r.Hi == nil {
		return &Exists{Field: f, Pos: pos}, nil
	}
	if r.Lo != nil && r.Hi != nil {
		c := Compare(r.Lo, r.Hi)
		if c > 0 || c == 0 && !(r.IncLo && r.IncHi) {
			return nil, p.errf(open, "empty range: the lower bound %s is not below the upper bound %s", renderValue(r.Lo), renderValue(r.Hi))
		}
	}
	return r, nil
}

// Compare orders two values of the same query type (as found in Equal and
// Range): -1, 0 or +1. Strings compare byte-wise; addresses as 128-bit
// numbers with IPv4 mapped into ::ffff:0:0/96 (the order of the stored
// hi/lo halves); false < true.
func Compare(a, b any) int {
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case int64:
		y := b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case time.Time:
		return x.Compare(b.(time.Time))
	case netip.Addr:
		xh, xl := AddrHalves(x)
		yh, yl := AddrHalves(b.(netip.Addr))
		switch {
		case xh != yh:
			if xh < yh {
				return -1
			}
			return 1
		case xl < yl:
			return -1
		case xl > yl:
			return 1
		}
		return 0
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	panic("query: Compare of unsupported type")
}

// AddrHalves splits an address into its 128-bit big-endian halves, IPv4 as
// IPv4-mapped IPv6: the same numbers sqlschema stores in col_hi/col_lo.
func AddrHalves(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}
