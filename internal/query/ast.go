// Package query is nethunt's hunting filter language: a Lucene/Kibana-style
// syntax analysts already know (field:value, wildcards, AND/OR/NOT, ranges,
// CIDRs), parsed into a small typed AST.
//
// The AST is evaluated by two engines that must agree, and are proven to by
// the conformance suite (internal/query/conformance):
//
//   - internal/query/match evaluates a query in memory against a row built
//     by fields.Row, for streams and live alerting;
//   - internal/query/sqlq renders it as a DuckDB boolean expression with
//     bound parameters, for stores.
//
// Every value in the AST is already typed and validated against its field
// (ints are int64, addresses netip.Addr, CIDRs masked netip.Prefix, times UTC
// truncated to microseconds), so evaluators never re-parse user text.
//
// Semantics shared by both evaluators (docs/query-language.md has the
// analyst's version):
//
//   - field:value is an exact, case-sensitive whole-value match; list fields
//     match when any element does.
//   - NOT x matches every event x does not match, including events that lack
//     the field (Lucene/Kibana semantics). Comparisons, ranges, wildcards and
//     CIDRs on an absent field are false.
//   - ip and port are pseudo-fields: ip:X is src_ip:X OR dest_ip:X.
package query

import (
	"net/netip"
	"time"

	"github.com/nethunt/nethunt/internal/fields"
)

// Expr is a node of a parsed query: *MatchAll, *And, *Or, *Not, *Exists,
// *Equal, *Wildcard, *CIDR or *Range.
//
// String renders canonical query text: Parse(e.String()) yields an AST
// Equal to e.
type Expr interface {
	String() string
	expr()
}

// MatchAll matches every event: the empty query, "*" or "*:*".
type MatchAll struct{}

// And matches when every Arg does. Args has at least two elements, none of
// them an *And (the parser flattens).
type And struct{ Args []Expr }

// Or matches when any Arg does. Args has at least two elements, none of
// them an *Or.
type Or struct{ Args []Expr }

// Not matches when Arg does not, including when the fields Arg tests are
// absent.
type Not struct{ Arg Expr }

// Exists matches events that have the field (field:*): non-null, and for
// lists non-empty.
type Exists struct {
	Field *fields.Field
	Pos   int // byte offset of the field name in the query
}

// Equal is an exact match. Value has the Go type of the field's (element)
// type: string, int64, float64, bool, time.Time (UTC) or netip.Addr.
//
// IP equality compares the 128-bit address, so 10.0.0.1 also equals the
// IPv4-mapped ::ffff:10.0.0.1.
type Equal struct {
	Field *fields.Field
	Value any
	Pos   int
}

// Wildcard is a pattern match on a string field. Pattern is canonical: '*'
// matches any run of characters (including none), '?' exactly one
// character, and '\' escapes a literal '\', '*' or '?'; consecutive stars
// are collapsed and the pattern has at least one wildcard and is not just
// "*" (that is an Exists). Use Parts to split it.
type Wildcard struct {
	Field   *fields.Field
	Pattern string
	Pos     int
}

// CIDR matches IP fields inside Prefix (masked). IPv4 prefixes are compared
// as IPv4-mapped IPv6 (::ffff:0:0/96), so an IPv6 prefix that covers that
// range, such as ::/0, also matches IPv4 addresses.
type CIDR struct {
	Field  *fields.Field
	Prefix netip.Prefix
	Pos    int
}

// Range matches values between Lo and Hi; a nil bound is open, IncLo/IncHi
// say whether a bound is included (always false for an open bound). Bounds
// have the Go type of Equal values (never bool). Strings compare byte-wise.
// Comparisons are ranges with one open bound: field:>5 is {5 TO *].
// At least one bound is set (an all-open range is an Exists).
type Range struct {
	Field        *fields.Field
	Lo, Hi       any
	IncLo, IncHi bool
	Pos          int
}

func (*MatchAll) expr() {}
func (*And) expr()      {}
func (*Or) expr()       {}
func (*Not) expr()      {}
func (*Exists) expr()   {}
func (*Equal) expr()    {}
func (*Wildcard) expr() {}
func (*CIDR) expr()     {}
func (*Range) expr()    {}

// TermField returns the field a leaf tests, or nil for MatchAll, And, Or and
// Not.
func TermField(e Expr) *fields.Field {
	switch x := e.(type) {
	case *Exists:
		return x.Field
	case *Equal:
		return x.Field
	case *Wildcard:
		return x.Field
	case *CIDR:
		return x.Field
	case *Range:
		return x.Field
	}
	return nil
}

// Walk calls fn for e and, while fn returns true, for its descendants,
// depth first.
func Walk(e Expr, fn func(Expr) bool) {
	if !fn(e) {
		return
	}
	switch x := e.(type) {
	case *And:
		for _, a := range x.Args {
			Walk(a, fn)
		}
	case *Or:
		for _, a := range x.Args {
			Walk(a, fn)
		}
	case *Not:
		Walk(x.Arg, fn)
	}
}

// Fields returns the stored fields a query reads, in order of first use,
// without duplicates. Pseudo-fields are expanded (ip → src_ip, dest_ip), so
// every returned field has a column.
func Fields(e Expr) []*fields.Field {
	var out []*fields.Field
	seen := map[*fields.Field]bool{}
	addf := func(f *fields.Field) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	Walk(e, func(e Expr) bool {
		f := TermField(e)
		if f == nil {
			return true
		}
		if f.Pseudo() {
			for _, name := range f.Any {
				if c, ok := fields.Lookup(name); ok {
					addf(c)
				}
			}
			return true
		}
		addf(f)
		return true
	})
	return out
}

// Equivalent reports whether two ASTs are the same query, ignoring the
// positions recorded in leaves.
func Equivalent(a, b Expr) bool {
	switch x := a.(type) {
	case *MatchAll:
		_, ok := b.(*MatchAll)
		return ok
	case *And:
		y, ok := b.(*And)
		return ok && sameList(x.Args, y.Args)
	case *Or:
		y, ok := b.(*Or)
		return ok && sameList(x.Args, y.Args)
	case *Not:
		y, ok := b.(*Not)
		return ok && Equivalent(x.Arg, y.Arg)
	case *Exists:
		y, ok := b.(*Exists)
		return ok && x.Field == y.Field
	case *Equal:
		y, ok := b.(*Equal)
		return ok && x.Field == y.Field && sameValue(x.Value, y.Value)
	case *Wildcard:
		y, ok := b.(*Wildcard)
		return ok && x.Field == y.Field && x.Pattern == y.Pattern
	case *CIDR:
		y, ok := b.(*CIDR)
		return ok && x.Field == y.Field && x.Prefix == y.Prefix
	case *Range:
		y, ok := b.(*Range)
		return ok && x.Field == y.Field && x.IncLo == y.IncLo && x.IncHi == y.IncHi &&
			sameValue(x.Lo, y.Lo) && sameValue(x.Hi, y.Hi)
	}
	return false
}

func sameList(a, b []Expr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !Equivalent(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return a == b
}
