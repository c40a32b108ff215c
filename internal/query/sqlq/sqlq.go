// Package sqlq renders a query as a DuckDB boolean expression over the
// columns of internal/sqlschema, for WHERE clauses.
//
// User values never reach the SQL text: every value is a bound parameter
// ('?', in order, returned in args) and every identifier comes from the
// field registry through sqlschema.Quote. The only literals in the SQL are
// constants of the renderer (true, false, 0, the LIKE escape character).
//
// Semantics are those of internal/query/match, checked by the conformance
// suite. SQL's three-valued logic is reconciled with Lucene's "NOT field:x
// matches events without the field" by rendering NOT as
// NOT coalesce(x, false): a comparison with a NULL column is unknown, which
// inside a positive context behaves as false already.
package sqlq

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/nethunt/nethunt/internal/fields"
	"github.com/nethunt/nethunt/internal/query"
	"github.com/nethunt/nethunt/internal/sqlschema"
)

// Where renders e as a boolean SQL expression with '?' placeholders and the
// arguments to bind, in order. MatchAll renders as "true". The expression
// is self-contained (ORs are parenthesized), so it can be ANDed with other
// conditions: "WHERE " + sql + " AND timestamp >= ?".
//
// Argument types: string, int64, float64, bool, time.Time (UTC). IP halves
// are bound as decimal strings cast in SQL (CAST(? AS UBIGINT)) because
// database/sql rejects uint64 values above 2^63 and an int64 parameter
// would make DuckDB widen the column and lose zone-map pruning.
func Where(e query.Expr) (sql string, args []any, err error) {
	var w writer
	if err := w.expr(e); err != nil {
		return "", nil, err
	}
	return w.b.String(), w.args, nil
}

type writer struct {
	b    strings.Builder
	args []any
}

func (w *writer) sql(s ...string) {
	for _, x := range s {
		w.b.WriteString(x)
	}
}

func (w *writer) arg(v any) {
	w.b.WriteByte('?')
	w.args = append(w.args, v)
}

// u64 binds an unsigned 64-bit IP half.
func (w *writer) u64(v uint64) {
	w.sql("CAST(")
	w.arg(strconv.FormatUint(v, 10))
	w.sql(" AS UBIGINT)")
}

func (w *writer) expr(e query.Expr) error {
	switch x := e.(type) {
	case *query.MatchAll:
		w.sql("true")
		return nil
	case *query.And:
		return w.list(x.Args, " AND ")
	case *query.Or:
		return w.or(x.Args)
	case *query.Not:
		if nullable(x.Arg) {
			w.sql("NOT coalesce(")
			if err := w.expr(x.Arg); err != nil {
				return err
			}
			w.sql(", false)")
			return nil
		}
		w.sql("NOT (")
		if err := w.expr(x.Arg); err != nil {
			return err
		}
		w.sql(")")
		return nil
	case nil:
		return fmt.Errorf("sqlq: nil expression")
	}
	f := query.TermField(e)
	if f == nil {
		return fmt.Errorf("sqlq: unsupported node %T", e)
	}
	cols, err := concrete(f)
	if err != nil {
		return err
	}
	if len(cols) == 1 {
		return w.leaf(e, cols[0])
	}
	w.sql("(")
	for i, c := range cols {
		if i > 0 {
			w.sql(" OR ")
		}
		if err := w.leaf(e, c); err != nil {
			return err
		}
	}
	w.sql(")")
	return nil
}

func (w *writer) list(es []query.Expr, op string) error {
	w.sql("(")
	for i, a := range es {
		if i > 0 {
			w.sql(op)
		}
		if err := w.expr(a); err != nil {
			return err
		}
	}
	w.sql(")")
	return nil
}

// concrete expands a pseudo-field into the stored fields it stands for.
func concrete(f *fields.Field) ([]*fields.Field, error) {
	if !f.Pseudo() {
		if f.Column == "" {
			return nil, fmt.Errorf("sqlq: field %s has no column", f.Name)
		}
		return []*fields.Field{f}, nil
	}
	var out []*fields.Field
	for _, name := range f.Any {
		c, ok := fields.Lookup(name)
		if !ok || c.Column == "" {
			return nil, fmt.Errorf("sqlq: pseudo-field %s names unknown field %s", f.Name, name)
		}
		out = append(out, c)
	}
	return out, nil
}

// nullable reports whether the rendering of e can be NULL (unknown).
func nullable(e query.Expr) bool {
	switch x := e.(type) {
	case *query.MatchAll, *query.Not, *query.Exists:
		return false
	case *query.And:
		for _, a := range x.Args {
			if nullable(a) {
				return true
			}
		}
		return false
	case *query.Or:
		for _, a := range x.Args {
			if nullable(a) {
				return true
			}
		}
		return false
	}
	return true
}

// leaf renders a predicate on one stored field.
func (w *writer) leaf(e query.Expr, f *fields.Field) error {
	col := sqlschema.Quote(f.Column)
	if _, ok := e.(*query.Exists); ok {
		if f.Type.IsList() {
			w.sql("(", col, " IS NOT NULL AND len(", col, ") > 0)")
		} else {
			w.sql(col, " IS NOT NULL")
		}
		return nil
	}
	if f.Type == fields.IP {
		return w.ip(e, f)
	}
	if f.Type.IsList() {
		if eq, ok := e.(*query.Equal); ok {
			v, err := bindValue(f, eq.Value)
			if err != nil {
				return err
			}
			w.sql("list_contains(", col, ", ")
			w.arg(v)
			w.sql(")")
			return nil
		}
		// Any element matches: filter the list with the scalar predicate.
		w.sql("len(list_filter(", col, ", lambda x: ")
		if err := w.scalar(e, f, "x"); err != nil {
			return err
		}
		w.sql(")) > 0")
		return nil
	}
	return w.scalar(e, f, col)
}

// scalar renders a predicate on a scalar SQL expression (a column, or the
// lambda variable of a list filter).
func (w *writer) scalar(e query.Expr, f *fields.Field, col string) error {
	switch x := e.(type) {
	case *query.Equal:
		v, err := bindValue(f, x.Value)
		if err != nil {
			return err
		}
		w.sql(col, " = ")
		w.arg(v)
		return nil
	case *query.Wildcard:
		if f.Type.Elem() != fields.String {
			return fmt.Errorf("sqlq: wildcard on %s field %s", f.Type, f.Name)
		}
		w.wildcard(x.Pattern, col)
		return nil
	case *query.Range:
		var lo, hi any
		var err error
		if x.Lo != nil {
			if lo, err = bindValue(f, x.Lo); err != nil {
				return err
			}
		}
		if x.Hi != nil {
			if hi, err = bindValue(f, x.Hi); err != nil {
				return err
			}
		}
		switch {
		case lo != nil && hi != nil && x.IncLo && x.IncHi:
			w.sql(col, " BETWEEN ")
			w.arg(lo)
			w.sql(" AND ")
			w.arg(hi)
		case lo != nil && hi != nil:
			w.sql("(")
			w.cmp(col, ">", x.IncLo, lo)
			w.sql(" AND ")
			w.cmp(col, "<", x.IncHi, hi)
			w.sql(")")
		case lo != nil:
			w.cmp(col, ">", x.IncLo, lo)
		case hi != nil:
			w.cmp(col, "<", x.IncHi, hi)
		default:
			return fmt.Errorf("sqlq: range without bounds on %s", f.Name)
		}
		return nil
	}
	return fmt.Errorf("sqlq: %T on %s field %s", e, f.Type, f.Name)
}

func (w *writer) cmp(col, op string, inc bool, v any) {
	if inc {
		op += "="
	}
	w.sql(col, " ", op, " ")
	w.arg(v)
}

// bindValue checks a query value against the field and converts it for
// binding (times in UTC).
func bindValue(f *fields.Field, v any) (any, error) {
	ok := false
	switch x := v.(type) {
	case string:
		ok = f.Type.Elem() == fields.String
	case int64:
		ok = f.Type.Elem() == fields.Int
	case float64:
		ok = f.Type.Elem() == fields.Float
	case bool:
		ok = f.Type.Elem() == fields.Bool
	case time.Time:
		ok = f.Type.Elem() == fields.Time
		v = x.UTC()
	}
	if !ok {
		return nil, fmt.Errorf("sqlq: value %v (%T) does not fit field %s (%s)", v, v, f.Name, f.Type)
	}
	return v, nil
}

// wildcard renders a pattern match: starts_with, ends_with and contains
// for the shapes analysts type most (x*, *x, *x*), LIKE for the rest with
// '\' escaping literal %, _ and \.
func (w *writer) wildcard(pattern, col string) {
	parts := query.Parts(pattern)
	is := func(kinds ...query.PartKind) bool {
		if len(parts) != len(kinds) {
			return false
		}
		for i, k := range kinds {
			if parts[i].Kind != k {
				return false
			}
		}
		return true
	}
	fn, text := "", ""
	switch {
	case is(query.Star):
		w.sql(col, " IS NOT NULL")
		return
	case is(query.Lit, query.Star):
		fn, text = "starts_with", parts[0].Text
	case is(query.Star, query.Lit):
		fn, text = "ends_with", parts[1].Text
	case is(query.Star, query.Lit, query.Star):
		fn, text = "contains", parts[1].Text
	}
	if fn != "" {
		w.sql(fn, "(", col, ", ")
		w.arg(text)
		w.sql(")")
		return
	}
	var like strings.Builder
	for _, p := range parts {
		switch p.Kind {
		case query.Star:
			like.WriteByte('%')
		case query.One:
			like.WriteByte('_')
		case query.Lit:
			for i := 0; i < len(p.Text); i++ {
				if c := p.Text[i]; c == '%' || c == '_' || c == '\\' {
					like.WriteByte('\\')
				}
				like.WriteByte(p.Text[i])
			}
		}
	}
	w.sql(col, " LIKE ")
	w.arg(like.String())
	w.sql(` ESCAPE '\'`)
}

// ip renders a predicate on an IP field through its hi/lo halves, so that
// CIDRs are integer range scans the stores prune by zone maps.
func (w *writer) ip(e query.Expr, f *fields.Field) error {
	hiCol, loCol := sqlschema.IPColumns(f)
	hi, lo := sqlschema.Quote(hiCol), sqlschema.Quote(loCol)
	switch x := e.(type) {
	case *query.Equal:
		a, ok := x.Value.(netip.Addr)
		if !ok {
			return fmt.Errorf("sqlq: value %v (%T) does not fit IP field %s", x.Value, x.Value, f.Name)
		}
		h, l := sqlschema.IPHalves(a)
		w.sql("(", hi, " = ")
		w.u64(h)
		w.sql(" AND ", lo, " = ")
		w.u64(l)
		w.sql(")")
		return nil
	case *query.CIDR:
		fromHi, fromLo, toHi, toLo := sqlschema.PrefixRange(x.Prefix)
		if fromLo == 0 && toLo == ^uint64(0) {
			// Prefix of at most 64 bits: the high half decides.
			w.sql(hi, " BETWEEN ")
			w.u64(fromHi)
			w.sql(" AND ")
			w.u64(toHi)
			return nil
		}
		// Longer prefix (all IPv4 ones): one high half, a low range.
		w.sql("(", hi, " = ")
		w.u64(fromHi)
		w.sql(" AND ", lo, " BETWEEN ")
		w.u64(fromLo)
		w.sql(" AND ")
		w.u64(toLo)
		w.sql(")")
		return nil
	case *query.Range:
		w.sql("(")
		n := 0
		for _, b := range []struct {
			v   any
			inc bool
			op  string
		}{{x.Lo, x.IncLo, ">"}, {x.Hi, x.IncHi, "<"}} {
			if b.v == nil {
				continue
			}
			a, ok := b.v.(netip.Addr)
			if !ok {
				return fmt.Errorf("sqlq: bound %v (%T) does not fit IP field %s", b.v, b.v, f.Name)
			}
			if n > 0 {
				w.sql(" AND ")
			}
			n++
			// (hi, lo) op (H, L) as: hi op' H OR (hi = H AND lo op L)
			h, l := sqlschema.IPHalves(a)
			op := b.op
			if b.inc {
				op += "="
			}
			w.sql("(", hi, " ", b.op, " ")
			w.u64(h)
			w.sql(" OR (", hi, " = ")
			w.u64(h)
			w.sql(" AND ", lo, " ", op, " ")
			w.u64(l)
			w.sql("))")
		}
		if n == 0 {
			return fmt.Errorf("sqlq: range without bounds on %s", f.Name)
		}
		w.sql(")")
		return nil
	}
	return fmt.Errorf("sqlq: %T on IP field %s", e, f.Name)
}

// or renders a disjunction. Exact string or int values of one field
// (an inclusion list, field:(a OR b OR c)) become a single
// col IN (...), or list_has_any(col, [...]) for list fields.
func (w *writer) or(args []query.Expr) error {
	groups := map[*fields.Field][]any{}
	for _, a := range args {
		if f, v, ok := listable(a); ok {
			groups[f] = append(groups[f], v)
		}
	}
	done := map[*fields.Field]bool{}
	w.sql("(")
	n := 0
	for _, a := range args {
		f, _, ok := listable(a)
		if ok && len(groups[f]) < 2 {
			ok = false
		}
		if ok && done[f] {
			continue // already written with the first value of its list
		}
		if n > 0 {
			w.sql(" OR ")
		}
		n++
		if !ok {
			if err := w.expr(a); err != nil {
				return err
			}
			continue
		}
		if err := w.inList(f, groups[f]); err != nil {
			return err
		}
		done[f] = true
	}
	w.sql(")")
	return nil
}

// listable reports an exact string or int value that fits its field.
func listable(e query.Expr) (*fields.Field, any, bool) {
	eq, ok := e.(*query.Equal)
	if !ok {
		return nil, nil, false
	}
	switch eq.Value.(type) {
	case string, int64:
		if v, err := bindValue(eq.Field, eq.Value); err == nil {
			return eq.Field, v, true
		}
	}
	return nil, nil, false
}

func (w *writer) inList(f *fields.Field, vals []any) error {
	cols, err := concrete(f)
	if err != nil {
		return err
	}
	if len(cols) > 1 {
		w.sql("(")
	}
	for i, c := range cols {
		if i > 0 {
			w.sql(" OR ")
		}
		col := sqlschema.Quote(c.Column)
		open, close := col+" IN (", ")"
		if c.Type.IsList() {
			open, close = "list_has_any("+col+", [", "])"
		}
		w.sql(open)
		for j, v := range vals {
			if j > 0 {
				w.sql(", ")
			}
			w.arg(v)
		}
		w.sql(close)
	}
	if len(cols) > 1 {
		w.sql(")")
	}
	return nil
}
