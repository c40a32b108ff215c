// Package match evaluates a query in memory, against the row fields.Row
// builds from an event, for streams (live hunting, alerting, sightings)
// where a round trip to a store is too slow.
//
// Its semantics are those of internal/query/sqlq, and the conformance suite
// (internal/query/conformance) runs both on the same events to prove it.
// Compile does all the work that does not depend on the event (typed
// values, wildcard shapes, CIDR bounds), so Match allocates nothing.
package match

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/nethunt/nethunt/internal/fields"
	"github.com/nethunt/nethunt/internal/query"
)

// Matcher is a compiled query. It is immutable and safe for concurrent use.
type Matcher struct {
	root pred
	expr query.Expr
}

// pred tests one row (fields.Row order; nil = absent).
type pred func(row []any) bool

// Compile prepares e for matching. It fails only on ASTs the parser does
// not produce (a field without a row index, a value of the wrong type).
func Compile(e query.Expr) (*Matcher, error) {
	p, err := compile(e)
	if err != nil {
		return nil, err
	}
	return &Matcher{root: p, expr: e}, nil
}

// Match reports whether the row (from fields.Row) matches the query.
func (m *Matcher) Match(row []any) bool { return m.root(row) }

// Expr returns the compiled query.
func (m *Matcher) Expr() query.Expr { return m.expr }

func compile(e query.Expr) (pred, error) {
	switch x := e.(type) {
	case *query.MatchAll:
		return func([]any) bool { return true }, nil
	case *query.Not:
		p, err := compile(x.Arg)
		if err != nil {
			return nil, err
		}
		return func(row []any) bool { return !p(row) }, nil
	case *query.And:
		ps, err := compileAll(x.Args)
		if err != nil {
			return nil, err
		}
		return and(ps), nil
	case *query.Or:
		return compileOr(x.Args)
	case nil:
		return nil, fmt.Errorf("match: nil expression")
	}
	f := query.TermField(e)
	if f == nil {
		return nil, fmt.Errorf("match: unsupported node %T", e)
	}
	// A pseudo-field matches when any of its fields does.
	if f.Pseudo() {
		var ps []pred
		for _, name := range f.Any {
			c, ok := fields.Lookup(name)
			if !ok {
				return nil, fmt.Errorf("match: pseudo-field %s names unknown field %s", f.Name, name)
			}
			p, err := leaf(e, c)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
		return or(ps), nil
	}
	return leaf(e, f)
}

func compileAll(es []query.Expr) ([]pred, error) {
	ps := make([]pred, len(es))
	for i, e := range es {
		p, err := compile(e)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

func and(ps []pred) pred {
	switch len(ps) {
	case 1:
		return ps[0]
	case 2:
		a, b := ps[0], ps[1]
		return func(row []any) bool { return a(row) && b(row) }
	case 3:
		a, b, c := ps[0], ps[1], ps[2]
		return func(row []any) bool { return a(row) && b(row) && c(row) }
	}
	return func(row []any) bool {
		for _, p := range ps {
			if !p(row) {
				return false
			}
		}
		return true
	}
}

func or(ps []pred) pred {
	switch len(ps) {
	case 1:
		return ps[0]
	case 2:
		a, b := ps[0], ps[1]
		return func(row []any) bool { return a(row) || b(row) }
	}
	return func(row []any) bool {
		for _, p := range ps {
			if p(row) {
				return true
			}
		}
		return false
	}
}

// leaf compiles a predicate on one concrete field.
func leaf(e query.Expr, f *fields.Field) (pred, error) {
	if f.Index < 0 {
		return nil, fmt.Errorf("match: field %s has no column in event rows", f.Name)
	}
	idx := f.Index
	list := f.Type.IsList()
	if _, ok := e.(*query.Exists); ok {
		return func(row []any) bool {
			if idx >= len(row) {
				return false
			}
			switch v := row[idx].(type) {
			case nil:
				return false
			case []string:
				return len(v) > 0
			case []int64:
				return len(v) > 0
			}
			return true
		}, nil
	}
	switch f.Type.Elem() {
	case fields.String:
		t, err := stringTest(e)
		if err != nil {
			return nil, err
		}
		return on(idx, list, t), nil
	case fields.Int:
		t, err := orderedTest[int64](e)
		if err != nil {
			return nil, err
		}
		return on(idx, list, t), nil
	case fields.Float:
		t, err := orderedTest[float64](e)
		if err != nil {
			return nil, err
		}
		return on(idx, false, t), nil
	case fields.Bool:
		eq, ok := e.(*query.Equal)
		if !ok {
			return nil, fmt.Errorf("match: %T on bool field %s", e, f.Name)
		}
		want, ok := eq.Value.(bool)
		if !ok {
			return nil, badValue(f, eq.Value)
		}
		return on(idx, false, func(v bool) bool { return v == want }), nil
	case fields.Time:
		t, err := timeTest(e)
		if err != nil {
			return nil, err
		}
		return on(idx, false, t), nil
	case fields.IP:
		t, err := ipTest(e)
		if err != nil {
			return nil, err
		}
		return on(idx, false, t), nil
	}
	return nil, fmt.Errorf("match: field %s has unsupported type %s", f.Name, f.Type)
}

func badValue(f *fields.Field, v any) error {
	return fmt.Errorf("match: value %v (%T) does not fit field %s (%s)", v, v, f.Name, f.Type)
}

// on applies an element test to a scalar column, or to any element of a
// list column. Values of another type than expected count as absent.
func on[T any](idx int, list bool, test func(T) bool) pred {
	if list {
		return func(row []any) bool {
			if idx >= len(row) {
				return false
			}
			vs, _ := row[idx].([]T)
			for _, v := range vs {
				if test(v) {
					return true
				}
			}
			return false
		}
	}
	return func(row []any) bool {
		if idx >= len(row) {
			return false
		}
		v, ok := row[idx].(T)
		return ok && test(v)
	}
}

func stringTest(e query.Expr) (func(string) bool, error) {
	switch x := e.(type) {
	case *query.Equal:
		s, ok := x.Value.(string)
		if !ok {
			return nil, badValue(x.Field, x.Value)
		}
		return func(v string) bool { return v == s }, nil
	case *query.Wildcard:
		return compileGlob(x.Pattern), nil
	case *query.Range:
		return rangeTest(x, strings.Compare)
	}
	return nil, fmt.Errorf("match: %T on string field %s", e, query.TermField(e).Name)
}

type number interface{ int64 | float64 }

func cmpNum[T number](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func orderedTest[T number](e query.Expr) (func(T) bool, error) {
	switch x := e.(type) {
	case *query.Equal:
		n, ok := x.Value.(T)
		if !ok {
			return nil, badValue(x.Field, x.Value)
		}
		return func(v T) bool { return v == n }, nil
	case *query.Range:
		return rangeTest(x, cmpNum[T])
	}
	return nil, fmt.Errorf("match: %T on numeric field %s", e, query.TermField(e).Name)
}

// timeTest compares event times at the precision of EVE and of the stores,
// the microsecond: a row time with nanoseconds (a converter's RFC 3339Nano)
// is truncated as a TIMESTAMP column truncates it, and as query times are.
func timeTest(e query.Expr) (func(time.Time) bool, error) {
	switch x := e.(type) {
	case *query.Equal:
		t, ok := x.Value.(time.Time)
		if !ok {
			return nil, badValue(x.Field, x.Value)
		}
		return func(v time.Time) bool { return v.Truncate(time.Microsecond).Equal(t) }, nil
	case *query.Range:
		t, err := rangeTest(x, time.Time.Compare)
		if err != nil {
			return nil, err
		}
		return func(v time.Time) bool { return t(v.Truncate(time.Microsecond)) }, nil
	}
	return nil, fmt.Errorf("match: %T on time field %s", e, query.TermField(e).Name)
}

// rangeTest builds lo <(=) v <(=) hi from a Range whose bounds are T.
func rangeTest[T any](r *query.Range, cmp func(a, b T) int) (func(T) bool, error) {
	var lo, hi T
	hasLo, hasHi := r.Lo != nil, r.Hi != nil
	var ok bool
	if hasLo {
		if lo, ok = r.Lo.(T); !ok {
			return nil, badValue(r.Field, r.Lo)
		}
	}
	if hasHi {
		if hi, ok = r.Hi.(T); !ok {
			return nil, badValue(r.Field, r.Hi)
		}
	}
	incLo, incHi := r.IncLo, r.IncHi
	return func(v T) bool {
		if hasLo {
			c := cmp(v, lo)
			if c < 0 || c == 0 && !incLo {
				return false
			}
		}
		if hasHi {
			c := cmp(v, hi)
			if c > 0 || c == 0 && !incHi {
				return false
			}
		}
		return true
	}, nil
}

// ip128 is an address as the 128-bit number the stores index (IPv4 mapped
// into ::ffff:0:0/96), so that equality, CIDRs and ranges agree with SQL.
type ip128 struct{ hi, lo uint64 }

func key(a netip.Addr) ip128 {
	hi, lo := query.AddrHalves(a)
	return ip128{hi, lo}
}

func (a ip128) cmp(b ip128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

func ipTest(e query.Expr) (func(netip.Addr) bool, error) {
	switch x := e.(type) {
	case *query.Equal:
		a, ok := x.Value.(netip.Addr)
		if !ok {
			return nil, badValue(x.Field, x.Value)
		}
		k := key(a)
		return func(v netip.Addr) bool { return key(v) == k }, nil
	case *query.CIDR:
		from, to := prefixRange(x.Prefix)
		return func(v netip.Addr) bool {
			k := key(v)
			return k.cmp(from) >= 0 && k.cmp(to) <= 0
		}, nil
	case *query.Range:
		r := *x
		if r.Lo != nil {
			a, ok := r.Lo.(netip.Addr)
			if !ok {
				return nil, badValue(x.Field, r.Lo)
			}
			r.Lo = key(a)
		}
		if r.Hi != nil {
			a, ok := r.Hi.(netip.Addr)
			if !ok {
				return nil, badValue(x.Field, r.Hi)
			}
			r.Hi = key(a)
		}
		t, err := rangeTest(&r, ip128.cmp)
		if err != nil {
			return nil, err
		}
		return func(v netip.Addr) bool { return t(key(v)) }, nil
	}
	return nil, fmt.Errorf("match: %T on IP field %s", e, query.TermField(e).Name)
}

// prefixRange is the first and last 128-bit address of a prefix, IPv4
// prefixes mapped into ::ffff:0:0/96 (as sqlschema.PrefixRange).
func prefixRange(p netip.Prefix) (from, to ip128) {
	p = p.Masked()
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	from = key(p.Addr())
	to = from
	switch {
	case bits <= 64:
		if bits < 64 {
			to.hi |= ^uint64(0) >> uint(bits)
		}
		to.lo = ^uint64(0)
	default:
		to.lo |= ^uint64(0) >> uint(bits-64)
	}
	return from, to
}

// compileOr compiles a disjunction. Exact string or int values of one
// field (an inclusion list, field:(a OR b OR c)) are tested in one scan.
func compileOr(args []query.Expr) (pred, error) {
	groups := map[*fields.Field][]any{}
	for _, a := range args {
		if f, v, ok := listable(a); ok {
			groups[f] = append(groups[f], v)
		}
	}
	done := map[*fields.Field]bool{}
	var ps []pred
	for _, a := range args {
		f, _, ok := listable(a)
		if ok && len(groups[f]) < 2 {
			ok = false
		}
		if ok && done[f] {
			continue
		}
		var p pred
		var err error
		if ok {
			p, err = inList(f, groups[f])
			done[f] = true
		} else {
			p, err = compile(a)
		}
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return or(ps), nil
}

// listable reports an exact string or int value that fits its field.
func listable(e query.Expr) (*fields.Field, any, bool) {
	eq, ok := e.(*query.Equal)
	if !ok {
		return nil, nil, false
	}
	switch eq.Value.(type) {
	case string:
		return eq.Field, eq.Value, eq.Field.Type.Elem() == fields.String
	case int64:
		return eq.Field, eq.Value, eq.Field.Type.Elem() == fields.Int
	}
	return nil, nil, false
}

// inList tests a field (any of a pseudo-field's) against a set of values.
func inList(f *fields.Field, vals []any) (pred, error) {
	if f.Pseudo() {
		var ps []pred
		for _, name := range f.Any {
			c, ok := fields.Lookup(name)
			if !ok {
				return nil, fmt.Errorf("match: pseudo-field %s names unknown field %s", f.Name, name)
			}
			p, err := inList(c, vals)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
		return or(ps), nil
	}
	if f.Index < 0 {
		return nil, fmt.Errorf("match: field %s has no column in event rows", f.Name)
	}
	list := f.Type.IsList()
	if f.Type.Elem() == fields.Int {
		ints := make([]int64, len(vals))
		for i, v := range vals {
			ints[i] = v.(int64)
		}
		return on(f.Index, list, func(v int64) bool {
			for _, n := range ints {
				if v == n {
					return true
				}
			}
			return false
		}), nil
	}
	strs := make([]string, len(vals))
	for i, v := range vals {
		strs[i] = v.(string)
	}
	if len(strs) > 8 {
		set := make(map[string]struct{}, len(strs))
		for _, s := range strs {
			set[s] = struct{}{}
		}
		return on(f.Index, list, func(v string) bool { _, ok := set[v]; return ok }), nil
	}
	return on(f.Index, list, func(v string) bool {
		for _, s := range strs {
			if v == s {
				return true
			}
		}
		return false
	}), nil
}
