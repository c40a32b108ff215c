// Package fields is nethunt's single field registry: every huntable field's
// name (the dotted EVE name analysts already type), type, description and
// how to read it from an event. The decoder's output, the query language,
// the store schema, `nethunt fields` and the docs are all driven from here,
// so a field added once is queryable everywhere.
package fields

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/nethunt/nethunt/internal/event"
)

// Type is the value type of a field. List types match when any element does,
// which is how analysts expect multi-valued EVE fields (DNS answers) to behave.
type Type uint8

const (
	String Type = iota
	Int
	Float
	Bool
	Time
	IP
	Strings
	Ints
)

var typeNames = [...]string{"string", "int", "float", "bool", "time", "ip", "string[]", "int[]"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// IsList reports whether values of t are slices.
func (t Type) IsList() bool { return t == Strings || t == Ints }

// Elem is the element type of a list type, or t itself.
func (t Type) Elem() Type {
	switch t {
	case Strings:
		return String
	case Ints:
		return Int
	}
	return t
}

// Field describes one huntable field.
//
// Get returns nil when the event lacks the field; otherwise a value of the
// Go type matching Type: string, int64, float64, bool, time.Time,
// netip.Addr, []string or []int64. Empty strings and empty lists are
// reported as absent, because EVE omits what it does not know.
type Field struct {
	Name   string
	Type   Type
	Desc   string
	Column string // column name in stores: Name with '.' → '_'
	Get    func(*event.Event) any
	// Any lists the concrete fields a pseudo-field stands for (ip → src_ip,
	// dest_ip); a pseudo-field has no column and no getter of its own.
	Any []string
	// Index is the field's position in Columns (-1 for pseudo-fields).
	Index int
}

// Pseudo reports whether f expands to other fields.
func (f *Field) Pseudo() bool { return len(f.Any) > 0 }

var (
	byName  = map[string]*Field{}
	columns []*Field
	all     []*Field
)

func add(name string, t Type, desc string, get func(*event.Event) any) {
	f := &Field{Name: name, Type: t, Desc: desc, Get: get, Column: ColumnName(name), Index: len(columns)}
	if _, dup := byName[name]; dup {
		panic("fields: duplicate field " + name)
	}
	byName[name] = f
	columns = append(columns, f)
	all = append(all, f)
}

func pseudo(name string, t Type, desc string, any ...string) {
	f := &Field{Name: name, Type: t, Desc: desc, Any: any, Index: -1}
	byName[name] = f
	all = append(all, f)
}

// ColumnName maps a dotted field name to a SQL identifier.
func ColumnName(name string) string { return strings.ReplaceAll(name, ".", "_") }

// Lookup finds a field by name; names are case-sensitive like EVE keys, but a
// case-insensitive match is offered as a suggestion by Suggest.
func Lookup(name string) (*Field, bool) {
	f, ok := byName[name]
	return f, ok
}

// Columns are the stored fields in column order.
func Columns() []*Field { return columns }

// All returns every field including pseudo-fields, sorted by name.
func All() []*Field {
	out := append([]*Field(nil), all...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Suggest returns up to n known field names close to an unknown one, for
// error messages ("unknown field tls.sn1; did you mean tls.sni?").
func Suggest(name string, n int) []string {
	names := make([]string, len(all))
	for i, f := range all {
		names[i] = f.Name
	}
	return SuggestFrom(names, name, name, n)
}

// SuggestFrom ranks candidate names by edit distance to name (case
// insensitive); a candidate ending in "."+suffix ranks first. Other field
// spaces (host.* of Host Insights) share it.
func SuggestFrom(names []string, name, suffix string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	lname := strings.ToLower(name)
	for _, c := range names {
		d := levenshtein(lname, strings.ToLower(c))
		if strings.HasSuffix(c, "."+suffix) || strings.EqualFold(c, name) {
			d = 0
		}
		if d <= 3 || (len(name) > 3 && strings.Contains(c, strings.ToLower(name))) {
			cs = append(cs, cand{c, d})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Row extracts every stored field of e, in Columns order, into dst (reused
// when large enough). Store appenders and the in-memory matcher read the same
// row, which is what keeps the two query evaluators honest.
func Row(e *event.Event, dst []any) []any {
	if cap(dst) < len(columns) {
		dst = make([]any, len(columns))
	}
	dst = dst[:len(columns)]
	for i, f := range columns {
		dst[i] = f.Get(e)
	}
	return dst
}

// value helpers: absent values are nil so that stores write NULL.

func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func strs(s []string) any {
	if len(s) == 0 {
		return nil
	}
	return s
}

func ip(a netip.Addr) any {
	if !a.IsValid() {
		return nil
	}
	return a
}

func tm(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func i64p(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// ParseIP parses an EVE address string, tolerating IPv6 zones and brackets.
func ParseIP(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.WithZone("")
}
