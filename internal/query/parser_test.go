package query

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/fields"
)

// Each query and its canonical text.
var canonical = []struct{ in, out string }{
	{``, `*`},
	{`  `, `*`},
	{`*`, `*`},
	{`*:*`, `*`},
	{`event_type:http`, `event_type:http`},
	{`event_type: http`, `event_type:http`},
	{`event_type:"http"`, `event_type:http`},
	{`tls.sni:*.example.com`, `tls.sni:*.example.com`},
	{`http.url:http://x/y?a=1`, `http.url:http://x/y?a=1`},
	{`http.url:"http://x/y?a=1"`, `http.url:"http://x/y?a=1"`},
	{`http.url:"a*b"`, `http.url:"a*b"`},
	{`http.url:a\*b`, `http.url:"a*b"`},
	{`http.url:a\*b*`, `http.url:a\*b*`},
	{`http.url:a**b***`, `http.url:a*b*`},
	{`http.url:**`, `http.url:*`},
	{`http.url:"C:\Windows\x"`, `http.url:"C:\\Windows\\x"`},
	{`http.url:"say \"hi\""`, `http.url:"say \"hi\""`},
	{`http.hostname:"AND"`, `http.hostname:"AND"`},
	{`http.hostname:"with space"`, `http.hostname:"with space"`},
	{`tls.issuerdn:*Let?s Encrypt*`, `tls.issuerdn:*Let?s\ Encrypt*`},
	{`tls.version:TLS 1.3 dest_port:443`, `tls.version:"TLS 1.3" AND dest_port:443`},
	{`src_ip:fe80::1`, `src_ip:fe80::1`},
	{`src_ip:"2001:db8::/32"`, `src_ip:2001:db8::/32`},
	{`src_ip:10.1.2.3/8`, `src_ip:10.0.0.0/8`},
	{`src_ip:"::"`, `src_ip:"::"`},
	{`src_ip:::1`, `src_ip:"::1"`},
	{`src_ip:fe80::1%eth0`, `src_ip:fe80::1`},
	{`dest_port:80`, `dest_port:80`},
	{`dest_port:"80"`, `dest_port:80`},
	{`dest_port:+80`, `dest_port:80`},
	{`dest_port:>1000`, `dest_port:>1000`},
	{`dest_port:> 1000`, `dest_port:>1000`},
	{`dest_port>1000`, `dest_port:>1000`},
	{`dest_port >= 1000`, `dest_port:>=1000`},
	{`dest_port:[8000 TO 8999]`, `dest_port:[8000 TO 8999]`},
	{`dest_port:{8000 TO 8999]`, `dest_port:{8000 TO 8999]`},
	{`dest_port:[10 TO *]`, `dest_port:>=10`},
	{`dest_port:{10 TO *]`, `dest_port:>10`},
	{`dest_port:[* TO 10}`, `dest_port:<10`},
	{`dest_port:[* TO *]`, `dest_port:*`},
	{`dest_port:(1080 OR 3128 OR 8080)`, `dest_port:(1080 OR 3128 OR 8080)`},
	{`dest_port:(1080 3128 8080)`, `dest_port:(1080 OR 3128 OR 8080)`},
	{`dest_port:(1080 || 3128)`, `dest_port:(1080 OR 3128)`},
	{`dest_port:(<1024 OR [8000 TO 8999] OR *)`, `dest_port:(<1024 OR [8000 TO 8999] OR *)`},
	{`dns.rrname:(a AND b)`, `dns.rrname:a AND dns.rrname:b`},
	{`dns.rrname:(a && (b OR c))`, `dns.rrname:a AND dns.rrname:(b OR c)`},
	{`dns.rrname:(NOT a)`, `NOT dns.rrname:a`},
	{`dns.rrname:(a OR NOT b)`, `dns.rrname:a OR NOT dns.rrname:b`},
	{`dns.rrname:(-a)`, `dns.rrname:-a`},
	{`flow.alerted:TRUE`, `flow.alerted:true`},
	{`flow.alerted:false`, `flow.alerted:false`},
	{`timestamp:2026-01-15`, `timestamp:[2026-01-15T00:00:00Z TO 2026-01-16T00:00:00Z}`},
	{`timestamp:>2026-01-15`, `timestamp:>=2026-01-16T00:00:00Z`},
	{`timestamp:<=2026-01-15`, `timestamp:<2026-01-16T00:00:00Z`},
	{`timestamp:[2026-01-01 TO 2026-01-31]`, `timestamp:[2026-01-01T00:00:00Z TO 2026-02-01T00:00:00Z}`},
	{`timestamp:{2026-01-01 TO 2026-01-31}`, `timestamp:[2026-01-02T00:00:00Z TO 2026-01-31T00:00:00Z}`},
	{`timestamp:"2026-01-15T10:00:00+02:00"`, `timestamp:2026-01-15T08:00:00Z`},
	{`timestamp:2026-01-15T10:00:00.1234567Z`, `timestamp:2026-01-15T10:00:00.123456Z`},
	{`timestamp:>=2026-01-15T10:00`, `timestamp:>=2026-01-15T10:00:00Z`},
	{`vlan:*`, `vlan:*`},
	{`ip:10.0.0.1 OR port:53`, `ip:10.0.0.1 OR port:53`},
	{`a:1`[:0] + `event_type:dns dest_port:53`, `event_type:dns AND dest_port:53`},
	{`event_type:dns AND dest_port:53 OR event_type:tls`, `event_type:dns AND dest_port:53 OR event_type:tls`},
	{`event_type:dns AND (dest_port:53 OR event_type:tls)`, `event_type:dns AND (dest_port:53 OR event_type:tls)`},
	{`(event_type:dns AND dest_port:53) AND proto:UDP`, `event_type:dns AND dest_port:53 AND proto:UDP`},
	{`((event_type:dns))`, `event_type:dns`},
	{`NOT event_type:dns`, `NOT event_type:dns`},
	{`-event_type:dns`, `NOT event_type:dns`},
	{`!event_type:dns`, `NOT event_type:dns`},
	{`+event_type:dns`, `event_type:dns`},
	{`NOT NOT event_type:dns`, `NOT NOT event_type:dns`},
	{`NOT (event_type:dns OR event_type:tls)`, `NOT event_type:(dns OR tls)`},
	{`NOT (event_type:dns AND proto:UDP)`, `NOT (event_type:dns AND proto:UDP)`},
	{`NOT(event_type:dns)`, `NOT event_type:dns`},
	{`event_type:dns && proto:UDP || event_type:tls`, `event_type:dns AND proto:UDP OR event_type:tls`},
	{`event_type:dns OR proto:UDP event_type:tls`, `event_type:dns OR proto:UDP AND event_type:tls`},
	{`event_type:(dns OR tls) proto:UDP`, `event_type:(dns OR tls) AND proto:UDP`},
	{"event_type:dns\n\tAND proto:UDP", `event_type:dns AND proto:UDP`},
	{`http.http_user_agent:-`, `http.http_user_agent:-`},
	{`http.url:&&x`, `http.url:&&x`},
	{`http.url:("&&" OR "||" OR &&x)`, `http.url:("&&" OR "||" OR &&x)`},
	{`alert.metadata:mitre_technique_id:T1090`, `alert.metadata:mitre_technique_id:T1090`},
	{`http.url:\(x\)`, `http.url:"(x)"`},
	{`http.url:\(x\)*`, `http.url:\(x\)*`},
	{`http.hostname:日本*`, `http.hostname:日本*`},
}

func TestCanonical(t *testing.T) {
	for _, c := range canonical {
		e, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := e.String(); got != c.out {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.out)
		}
		e2, err := Parse(e.String())
		if err != nil {
			t.Errorf("reparse %q: %v", e.String(), err)
			continue
		}
		if !Equivalent(e, e2) {
			t.Errorf("reparse of %q differs", e.String())
		}
	}
}

func lookup(t *testing.T, name string) *fields.Field {
	t.Helper()
	f, ok := fields.Lookup(name)
	if !ok {
		t.Fatalf("no field %s", name)
	}
	return f
}

func TestTypedValues(t *testing.T) {
	mustParse := func(q string) Expr {
		t.Helper()
		e, err := Parse(q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", q, err)
		}
		return e
	}
	e := mustParse(`dest_port:443`).(*Equal)
	if e.Field != lookup(t, "dest_port") || e.Value != int64(443) || e.Pos != 0 {
		t.Errorf("dest_port:443 = %#v", e)
	}
	c := mustParse(`src_ip:10.1.2.3/8`).(*CIDR)
	if c.Prefix != netip.MustParsePrefix("10.0.0.0/8") {
		t.Errorf("CIDR not masked: %v", c.Prefix)
	}
	a := mustParse(`src_ip:fe80::1%eth0`).(*Equal)
	if a.Value != netip.MustParseAddr("fe80::1") {
		t.Errorf("zone kept: %v", a.Value)
	}
	r := mustParse(`timestamp:"2026-01-15T10:00:00.1234567+02:00"`).(*Equal)
	want := time.Date(2026, 1, 15, 8, 0, 0, 123456000, time.UTC)
	if tv := r.Value.(time.Time); !tv.Equal(want) || tv.Location() != time.UTC {
		t.Errorf("time = %v, want %v UTC", tv, want)
	}
	w := mustParse(`http.url:a\*b?c**`).(*Wildcard)
	if w.Pattern != `a\*b?c*` {
		t.Errorf("pattern = %q", w.Pattern)
	}
	parts := Parts(w.Pattern)
	if len(parts) != 4 || parts[0] != (Part{Lit, "a*b"}) || parts[1].Kind != One || parts[2] != (Part{Lit, "c"}) || parts[3].Kind != Star {
		t.Errorf("Parts = %#v", parts)
	}
	and := mustParse(`event_type:dns AND dest_port:53`).(*And)
	if and.Args[1].(*Equal).Pos != 19 {
		t.Errorf("Pos of second term = %d, want 19", and.Args[1].(*Equal).Pos)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		in   string
		pos  int
		msg  string
		line int
		col  int
	}{
		{`tls.sn1:x`, 0, `unknown field "tls.sn1" (did you mean tls.sni`, 1, 1},
		{`event_type:dns AND tls.sn1:x`, 19, `unknown field "tls.sn1"`, 1, 20},
		{`(event_type:dns`, 0, `unbalanced parenthesis opened at column 1: missing ')'`, 1, 1},
		{`a:b`[:0] + `event_type:dns AND (dest_port:1`, 19, `unbalanced parenthesis opened at column 20`, 1, 20},
		{`event_type:dns)`, 14, `unexpected ')'`, 1, 15},
		{`event_type:`, 11, `expected a value after ':'`, 1, 12},
		{`event_type:dns AND`, 15, `expected a term after AND`, 1, 16},
		{`dest_port:abc`, 10, `field dest_port is an int; "abc" is not a number`, 1, 11},
		{`src_ip:10.0.0.0/33`, 7, `bad CIDR 10.0.0.0/33: prefix length out of range`, 1, 8},
		{`flow.bytes_toserver:abc`, 20, `field flow.bytes_toserver is an int; "abc" is not a number`, 1, 21},
		{"event_type:dns\nAND tls.sn1:x", 19, `unknown field`, 2, 5},
		{`http.hostname:ü AND tls.sn1:x`, 21, `unknown field`, 1, 21},
		{"event_type:\xff", 11, `not valid UTF-8`, 1, 12},
		{`http.url:"abc`, 9, `unterminated quoted value: the '"' at column 10 has no closing quote`, 1, 10},
		{strings.Repeat("(", 200) + "event_type:dns" + strings.Repeat(")", 200), 100, `nested too deeply`, 1, 101},
		{strings.Repeat("NOT ", 200) + "event_type:dns", 399, `nested too deeply`, 1, 400},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		var qe *Error
		if !errors.As(err, &qe) {
			t.Errorf("Parse(%q) = %v, want *Error", c.in, err)
			continue
		}
		if qe.Pos != c.pos || qe.Line != c.line || qe.Col != c.col || !strings.Contains(qe.Msg, c.msg) {
			t.Errorf("Parse(%q) error = %+v, want pos %d %d:%d %q", c.in, qe, c.pos, c.line, c.col, c.msg)
		}
	}
}

func TestCaret(t *testing.T) {
	in := "event_type:dns\n\tAND tls.sn1:x"
	_, err := Parse(in)
	qe := err.(*Error)
	if got, want := qe.Error(), `2:6: unknown field "tls.sn1" (did you mean tls.sni or tls.ja4?)`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := qe.Caret(in), "\tAND tls.sn1:x\n\t    ^"; got != want {
		t.Errorf("Caret = %q, want %q", got, want)
	}
	in = "http.hostname:日本 AND tls.sn1:x"
	qe = mustErr(t, in)
	if got, want := qe.Caret(in), in+"\n"+strings.Repeat(" ", 21)+"^"; got != want {
		t.Errorf("Caret = %q, want %q", got, want)
	}
	if qe.Col != 22 {
		t.Errorf("Col = %d, want 22 (characters, not bytes)", qe.Col)
	}
}

func mustErr(t *testing.T, in string) *Error {
	t.Helper()
	_, err := Parse(in)
	var qe *Error
	if !errors.As(err, &qe) {
		t.Fatalf("Parse(%q) = %v, want *Error", in, err)
	}
	return qe
}

func TestFields(t *testing.T) {
	e, err := Parse(`ip:10.0.0.1 AND NOT (dest_ip:10.0.0.2 OR dns.rrname:x) AND port:53 AND src_port:1`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range Fields(e) {
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, ","), "src_ip,dest_ip,dns.rrname,src_port,dest_port"; got != want {
		t.Errorf("Fields = %s, want %s", got, want)
	}
}

func TestResolver(t *testing.T) {
	host := &fields.Field{Name: "host.role", Type: fields.String, Column: "host_role", Index: -1}
	opt := Options{
		Resolve: func(name string) (*fields.Field, bool) {
			if name == "host.role" {
				return host, true
			}
			return fields.Lookup(name)
		},
		Suggest: func(name string, n int) []string { return []string{"host.role"} },
	}
	e, err := ParseWith(`host.role:dc AND dest_port:88`, opt)
	if err != nil {
		t.Fatal(err)
	}
	if e.(*And).Args[0].(*Equal).Field != host {
		t.Errorf("resolver not used: %s", e)
	}
	_, err = ParseWith(`host.rol:dc`, opt)
	if err == nil || !strings.Contains(err.Error(), "did you mean host.role?") {
		t.Errorf("suggester not used: %v", err)
	}
	if _, err := Parse(`host.role:dc`); err == nil {
		t.Error("default resolver knows host.role")
	}
}

func TestCompare(t *testing.T) {
	v4 := netip.MustParseAddr("10.0.0.1")
	v6 := netip.MustParseAddr("2001:db8::1")
	mapped := netip.MustParseAddr("::ffff:10.0.0.1")
	if Compare(v4, v6) >= 0 || Compare(v4, mapped) != 0 || Compare(netip.MustParseAddr("fe80::1"), v6) <= 0 {
		t.Error("address order is not the 128-bit order")
	}
	if Compare("b", "a") != 1 || Compare(int64(1), int64(2)) != -1 || Compare(false, true) != -1 {
		t.Error("Compare")
	}
}
