package sqlq

import (
	"reflect"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/fields"
	"github.com/nethunt/nethunt/internal/query"
)

func TestWhere(t *testing.T) {
	cases := []struct {
		q    string
		sql  string
		args []any
	}{
		{`*`, `true`, nil},
		{`event_type:dns`, `"event_type" = ?`, []any{"dns"}},
		{`NOT event_type:dns`, `NOT coalesce("event_type" = ?, false)`, []any{"dns"}},
		{`NOT vlan:*`, `NOT (("vlan" IS NOT NULL AND len("vlan") > 0))`, nil},
		{`NOT NOT event_type:dns`, `NOT (NOT coalesce("event_type" = ?, false))`, []any{"dns"}},
		{`tls.sni:*.example.com`, `ends_with("tls_sni", ?)`, []any{".example.com"}},
		{`tls.sni:www.*`, `starts_with("tls_sni", ?)`, []any{"www."}},
		{`tls.sni:*evil*`, `contains("tls_sni", ?)`, []any{"evil"}},
		{`http.url:/a*%_\\?`, `"http_url" LIKE ? ESCAPE '\'`, []any{`/a%\%\_\\_`}},
		{`dest_port:(80 OR 443)`, `("dest_port" IN (?, ?))`, []any{int64(80), int64(443)}},
		{`port:(80 OR 443)`, `(("src_port" IN (?, ?) OR "dest_port" IN (?, ?)))`, []any{int64(80), int64(443), int64(80), int64(443)}},
		{`dns.rrname:(a OR b) OR event_type:x`, `(list_has_any("dns_rrname", [?, ?]) OR "event_type" = ?)`, []any{"a", "b", "x"}},
		{`dns.rrname:a`, `list_contains("dns_rrname", ?)`, []any{"a"}},
		{`dns.rrname:*.top`, `len(list_filter("dns_rrname", lambda x: ends_with(x, ?))) > 0`, []any{".top"}},
		{`vlan:[1 TO 5}`, `len(list_filter("vlan", lambda x: (x >= ? AND x < ?))) > 0`, []any{int64(1), int64(5)}},
		{`dest_port:[1 TO 5]`, `"dest_port" BETWEEN ? AND ?`, []any{int64(1), int64(5)}},
		{`dest_port:>5`, `"dest_port" > ?`, []any{int64(5)}},
		{`src_ip:10.0.0.0/8`, `("src_ip_hi" = CAST(? AS UBIGINT) AND "src_ip_lo" BETWEEN CAST(? AS UBIGINT) AND CAST(? AS UBIGINT))`, []any{"0", "281470849515520", "281470866292735"}},
		{`src_ip:2001:db8::/32`, `"src_ip_hi" BETWEEN CAST(? AS UBIGINT) AND CAST(? AS UBIGINT)`, []any{"2306139568115548160", "2306139572410515455"}},
		{`src_ip:"::/0"`, `"src_ip_hi" BETWEEN CAST(? AS UBIGINT) AND CAST(? AS UBIGINT)`, []any{"0", "18446744073709551615"}},
		{`src_ip:10.0.0.1`, `("src_ip_hi" = CAST(? AS UBIGINT) AND "src_ip_lo" = CAST(? AS UBIGINT))`, []any{"0", "281470849515521"}},
		{`src_ip:>10.0.0.1`, `(("src_ip_hi" > CAST(? AS UBIGINT) OR ("src_ip_hi" = CAST(? AS UBIGINT) AND "src_ip_lo" > CAST(? AS UBIGINT))))`, []any{"0", "0", "281470849515521"}},
		{`ip:*`, `("src_ip" IS NOT NULL OR "dest_ip" IS NOT NULL)`, nil},
		{`timestamp:2026-01-15`, `("timestamp" >= ? AND "timestamp" < ?)`, []any{time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC)}},
		{`flow.alerted:true AND event_type:flow`, `("flow_alerted" = ? AND "event_type" = ?)`, []any{true, "flow"}},
		{`http.url:"'; DROP TABLE events; --"`, `"http_url" = ?`, []any{"'; DROP TABLE events; --"}},
	}
	for _, c := range cases {
		e, err := query.Parse(c.q)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.q, err)
			continue
		}
		sql, args, err := Where(e)
		if err != nil {
			t.Errorf("Where(%q): %v", c.q, err)
			continue
		}
		if sql != c.sql || !reflect.DeepEqual(args, c.args) {
			t.Errorf("Where(%q) =\n  %s %#v\nwant\n  %s %#v", c.q, sql, args, c.sql, c.args)
		}
	}
}

func TestWhereErrors(t *testing.T) {
	port, _ := fields.Lookup("dest_port")
	sni, _ := fields.Lookup("tls.sni")
	for _, e := range []query.Expr{
		nil,
		&query.Equal{Field: port, Value: "80"},
		&query.Wildcard{Field: port, Pattern: "8*"},
		&query.Range{Field: sni},
		&query.CIDR{Field: sni},
		&query.Equal{Field: &fields.Field{Name: "host.role", Type: fields.String, Index: -1}, Value: "dc"},
	} {
		if sql, _, err := Where(e); err == nil {
			t.Errorf("Where(%#v) = %s, want an error", e, sql)
		}
	}
}

func TestFloat(t *testing.T) {
	score := &fields.Field{Name: "score", Type: fields.Float, Column: "score", Index: 0}
	sql, args, err := Where(&query.Range{Field: score, Lo: 1.5, IncLo: true})
	if err != nil || sql != `"score" >= ?` || !reflect.DeepEqual(args, []any{1.5}) {
		t.Errorf("Where = %s %v %v", sql, args, err)
	}
}
