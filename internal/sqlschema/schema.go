// Package sqlschema maps the field registry onto SQL columns. It is shared by
// the SQL query evaluator and every SQL store so that the columns a query
// names are exactly the columns a store writes.
//
// IP fields are stored three ways: the text (display, equality), and the
// 128-bit address as two unsigned 64-bit halves (IPv4 as IPv4-mapped IPv6)
// so a CIDR filter is an integer range scan, which DuckDB and ClickHouse
// prune by zone maps. 128-bit integer types measured ~20x slower.
package sqlschema

import (
	"database/sql/driver"
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/nethunt/nethunt/internal/fields"
)

// Part says which physical form of a field a column holds.
type Part uint8

const (
	Whole Part = iota // the value itself (IP as text)
	IPHi              // high 64 bits of an IP
	IPLo              // low 64 bits of an IP
)

// Column is one physical column.
type Column struct {
	Name  string
	Type  string // DuckDB type name
	Field *fields.Field
	Part  Part
}

// Extra columns every event table has besides the registry's fields.
const (
	ColRaw     = "raw"     // the original EVE line
	ColWarning = "warning" // why a value had to be coerced, if it was
)

var cols []Column

func init() {
	for _, f := range fields.Columns() {
		switch f.Type {
		case fields.IP:
			cols = append(cols,
				Column{Name: f.Column, Type: "VARCHAR", Field: f, Part: Whole},
				Column{Name: f.Column + "_hi", Type: "UBIGINT", Field: f, Part: IPHi},
				Column{Name: f.Column + "_lo", Type: "UBIGINT", Field: f, Part: IPLo},
			)
		default:
			cols = append(cols, Column{Name: f.Column, Type: duckType(f.Type), Field: f})
		}
	}
}

func duckType(t fields.Type) string {
	switch t {
	case fields.String:
		return "VARCHAR"
	case fields.Int:
		return "BIGINT"
	case fields.Float:
		return "DOUBLE"
	case fields.Bool:
		return "BOOLEAN"
	case fields.Time:
		return "TIMESTAMP"
	case fields.Strings:
		return "VARCHAR[]"
	case fields.Ints:
		return "BIGINT[]"
	}
	panic("sqlschema: no SQL type for " + t.String())
}

// Columns lists the physical columns for registry fields, in order. Stores
// append ColRaw and ColWarning after them.
func Columns() []Column { return cols }

// IPColumns returns the hi and lo column names of an IP field.
func IPColumns(f *fields.Field) (hi, lo string) { return f.Column + "_hi", f.Column + "_lo" }

// Quote quotes an identifier for DuckDB/ClickHouse (column names come from
// the registry, never from users, but some, like "timestamp", are keywords).
func Quote(name string) string { return `"` + name + `"` }

// IPHalves splits an address into the two stored halves.
func IPHalves(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

// PrefixRange returns the inclusive [from, to] range of (hi, lo) pairs
// covered by a prefix, IPv4 prefixes mapped into ::ffff:0:0/96.
func PrefixRange(p netip.Prefix) (fromHi, fromLo, toHi, toLo uint64) {
	p = p.Masked()
	bits := p.Bits()
	a := p.Addr()
	if a.Is4() {
		a = netip.AddrFrom16(a.As16())
		bits += 96
	}
	fromHi, fromLo = IPHalves(a)
	toHi, toLo = fromHi, fromLo
	switch {
	case bits <= 64:
		if bits < 64 {
			toHi |= ^uint64(0) >> uint(bits)
		}
		toLo = ^uint64(0)
	default:
		toLo |= ^uint64(0) >> uint(bits-64)
	}
	return
}

// Values converts a registry row (fields.Row) into driver values for
// Columns(), reusing dst.
func Values(row []any, dst []driver.Value) []driver.Value {
	dst = dst[:0]
	for _, c := range cols {
		v := row[c.Field.Index]
		if c.Field.Type == fields.IP {
			if v == nil {
				dst = append(dst, nil)
				continue
			}
			a := v.(netip.Addr)
			switch c.Part {
			case Whole:
				dst = append(dst, a.String())
			case IPHi:
				hi, _ := IPHalves(a)
				dst = append(dst, hi)
			case IPLo:
				_, lo := IPHalves(a)
				dst = append(dst, lo)
			}
			continue
		}
		if t, ok := v.(time.Time); ok {
			dst = append(dst, t.UTC())
			continue
		}
		dst = append(dst, v)
	}
	return dst
}
