package match

import (
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/fields"
	"github.com/nethunt/nethunt/internal/query"
	"github.com/nethunt/nethunt/internal/sqlschema"
)

// globRef is the obvious regexp translation, as a reference.
func globRef(pattern, v string) bool {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for _, p := range query.Parts(pattern) {
		switch p.Kind {
		case query.Star:
			b.WriteString(`.*`)
		case query.One:
			b.WriteString(`.`)
		case query.Lit:
			b.WriteString(regexp.QuoteMeta(p.Text))
		}
	}
	b.WriteString(`)$`)
	return regexp.MustCompile(b.String()).MatchString(v)
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, v string
		want       bool
	}{
		{`*.example.com`, "www.example.com", true},
		{`*.example.com`, "example.com", false},
		{`www.*`, "www.x", true},
		{`*evil*`, "evil", true},
		{`a*b`, "ab", true},
		{`a*b`, "a", false},
		{`a*b`, "aXbXb", true},
		{`a*b*c`, "abbbc", true},
		{`a*b*c`, "acb", false},
		{`?`, "é", true},
		{`??`, "é", false},
		{`b?cher`, "bücher", true},
		{`*a?b\\c`, `x=a_b\c`, true},
		{`*\*.top*`, "a *.top b", true},
		{`*\*.top*`, "a x.top b", false},
		{`**`, "", true},
		{`*?`, "", false},
		{`?*?`, "ab", true},
		{`*aab`, "aaab", true},
		{`*ab*ab*`, "abab", true},
		{`*ab*ab*`, "aba", false},
	}
	for _, c := range cases {
		if got := compileGlob(c.pattern)(c.v); got != c.want {
			t.Errorf("glob %q on %q = %v, want %v", c.pattern, c.v, got, c.want)
		}
		if got := globRef(c.pattern, c.v); got != c.want {
			t.Errorf("reference glob %q on %q = %v, want %v (bad test)", c.pattern, c.v, got, c.want)
		}
	}
	// Random patterns over a small alphabet against the reference.
	r := rand.New(rand.NewPCG(1, 2))
	alpha := []string{"a", "b", "é", "*", "?"}
	for i := 0; i < 20000; i++ {
		var p, v strings.Builder
		for j := r.IntN(6); j > 0; j-- {
			p.WriteString(alpha[r.IntN(len(alpha))])
		}
		for j := r.IntN(8); j > 0; j-- {
			v.WriteString(alpha[r.IntN(3)])
		}
		ps, vs := p.String(), v.String()
		if got, want := compileGlob(ps)(vs), globRef(ps, vs); got != want {
			t.Fatalf("glob %q on %q = %v, reference %v", ps, vs, got, want)
		}
	}
	if !utf8.ValidString("é") {
		t.Fatal("test file encoding")
	}
}

func TestPrefixRangeMatchesSchema(t *testing.T) {
	for _, s := range []string{"0.0.0.0/0", "10.0.0.0/8", "10.1.2.3/32", "10.0.0.0/31", "::/0", "2001:db8::/32", "2001:db8::/64", "2001:db8::/65", "fe80::/10", "::1/128", "2001:db8::/127", "::ffff:10.0.0.0/104"} {
		p := netip.MustParsePrefix(s)
		from, to := prefixRange(p)
		fh, fl, th, tl := sqlschema.PrefixRange(p)
		if from != (ip128{fh, fl}) || to != (ip128{th, tl}) {
			t.Errorf("%s: match %v-%v, sqlschema %x:%x-%x:%x", s, from, to, fh, fl, th, tl)
		}
	}
	for _, s := range []string{"10.0.0.1", "::ffff:10.0.0.1", "fe80::1", "::", "255.255.255.255"} {
		a := netip.MustParseAddr(s)
		hi, lo := sqlschema.IPHalves(a)
		if key(a) != (ip128{hi, lo}) {
			t.Errorf("%s: halves differ from sqlschema", s)
		}
	}
}

func row(t testing.TB, line string) []any {
	t.Helper()
	ev, err := decode.Decode([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return fields.Row(ev, nil)
}

func TestRobustRows(t *testing.T) {
	e, err := query.Parse(`NOT (http.hostname:*x* OR dest_port:[1 TO 5] OR src_ip:10.0.0.0/8 OR vlan:3 OR timestamp:>2020-01-01 OR flow.alerted:true)`)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(e)
	if err != nil {
		t.Fatal(err)
	}
	// Short rows and values of unexpected types count as absent.
	if !m.Match(nil) {
		t.Error("nil row")
	}
	bad := make([]any, len(fields.Columns()))
	for i := range bad {
		bad[i] = struct{}{}
	}
	if !m.Match(bad) {
		t.Error("row of wrong types")
	}
}

func TestCompileErrors(t *testing.T) {
	host := &fields.Field{Name: "host.role", Type: fields.String, Index: -1}
	if _, err := Compile(&query.Equal{Field: host, Value: "dc"}); err == nil {
		t.Error("field without row index compiled")
	}
	f, _ := fields.Lookup("dest_port")
	if _, err := Compile(&query.Equal{Field: f, Value: "x"}); err == nil {
		t.Error("string value on int field compiled")
	}
	if _, err := Compile(nil); err == nil {
		t.Error("nil compiled")
	}
}

const benchQuery = `event_type:http AND http.http_method:CONNECT AND NOT dest_port:(3128 OR 8080) AND src_ip:10.0.0.0/8 OR tls.sni:*.example.com OR dns.rrname:*.top`

var benchEvents = []string{
	`{"timestamp":"2024-03-12T10:15:02.123456+0100","flow_id":1115350612345678,"in_iface":"eth0","event_type":"http","src_ip":"10.10.1.15","src_port":51544,"dest_ip":"93.184.216.34","dest_port":80,"proto":"TCP","tx_id":0,"http":{"hostname":"www.example.com","url":"/index.html","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":1256}}`,
	`{"timestamp":"2024-03-12T10:16:40.000100+0100","flow_id":1398712377000001,"event_type":"http","src_ip":"10.10.2.20","src_port":50000,"dest_ip":"10.20.0.66","dest_port":8888,"proto":"TCP","tx_id":0,"http":{"hostname":"evil.example.net","url":"evil.example.net:443","http_method":"CONNECT","protocol":"HTTP/1.1","status":200,"length":0}}`,
	`{"timestamp":"2024-01-16T00:00:00.000000+0000","flow_id":4002,"event_type":"tls","src_ip":"10.10.1.16","src_port":50002,"dest_ip":"198.51.100.7","dest_port":443,"proto":"TCP","tls":{"subject":"CN=www.example.com","issuerdn":"CN=R3","sni":"www.example.com","version":"TLS 1.3","ja4":"t13d1516h2_8daaf6152771_02713d6af862"}}`,
	`{"timestamp":"2024-03-12T11:02:00.020000+0000","flow_id":3003,"event_type":"dns","src_ip":"10.20.0.53","src_port":53,"dest_ip":"10.10.1.17","dest_port":40001,"proto":"UDP","dns":{"version":3,"type":"response","id":51000,"rcode":"NOERROR","queries":[{"rrname":"xn--bcher-kva.example","rrtype":"AAAA"}],"answers":[{"rrname":"xn--bcher-kva.example","rrtype":"AAAA","ttl":60,"rdata":"2001:db8::53"}]}}`,
	`{"timestamp":"2024-03-12T10:20:00.000000+0100","flow_id":1398712377000001,"event_type":"flow","src_ip":"10.10.2.20","src_port":50000,"dest_ip":"10.20.0.10","dest_port":3128,"proto":"TCP","app_proto":"http","flow":{"pkts_toserver":1200,"pkts_toclient":900,"bytes_toserver":1500000,"bytes_toclient":80000,"start":"2024-03-12T10:16:39.990000+0100","end":"2024-03-12T10:19:59.000000+0100","age":200,"state":"closed","reason":"timeout","alerted":true}}`,
	`{"timestamp":"2024-03-12T11:01:00.000100+0000","flow_id":3002,"event_type":"alert","src_ip":"10.10.3.33","src_port":40000,"dest_ip":"10.20.0.53","dest_port":53,"proto":"UDP","alert":{"action":"allowed","gid":1,"signature_id":2027863,"rev":2,"signature":"ET DNS Query to a *.top domain - Likely Hostile","category":"Potentially Bad Traffic","severity":2},"dns":{"version":3,"type":"request","id":99,"queries":[{"rrname":"evil-c2.top","rrtype":"TXT"}]}}`,
}

func benchRows(b testing.TB) [][]any {
	rows := make([][]any, len(benchEvents))
	for i, l := range benchEvents {
		rows[i] = row(b, l)
	}
	return rows
}

func TestBenchQuery(t *testing.T) {
	e, err := query.Parse(benchQuery)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(e)
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	rows := benchRows(t)
	for _, r := range rows {
		got = append(got, m.Match(r))
	}
	want := []bool{false, true, true, false, false, true}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %v, want %v", i, got[i], want[i])
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, r := range rows {
			m.Match(r)
		}
	}); n != 0 {
		t.Errorf("Match allocates: %v allocs per run", n)
	}
}

// BenchmarkMatch measures one event per op (ns/op = ns/event) over a mix of
// http, tls, dns, flow and alert rows.
func BenchmarkMatch(b *testing.B) {
	for _, q := range []struct{ name, q string }{
		{"proxy-hunt", benchQuery},
		{"exact", `event_type:dns`},
		{"cidr-not", `src_ip:10.0.0.0/8 AND NOT dest_ip:10.0.0.0/8`},
		{"glob", `http.http_user_agent:*Windows?NT*Win64*`},
	} {
		b.Run(q.name, func(b *testing.B) {
			e, err := query.Parse(q.q)
			if err != nil {
				b.Fatal(err)
			}
			m, err := Compile(e)
			if err != nil {
				b.Fatal(err)
			}
			rows := benchRows(b)
			b.ReportAllocs()
			n := 0
			for i := 0; b.Loop(); i++ {
				if m.Match(rows[i%len(rows)]) {
					n++
				}
			}
			_ = n
		})
	}
}

func TestFloat(t *testing.T) {
	score := &fields.Field{Name: "score", Type: fields.Float, Column: "score", Index: 0}
	for _, c := range []struct {
		e    query.Expr
		v    any
		want bool
	}{
		{&query.Equal{Field: score, Value: 1.5}, 1.5, true},
		{&query.Equal{Field: score, Value: 1.5}, 2.5, false},
		{&query.Range{Field: score, Lo: 1.0, IncLo: true, Hi: 2.0}, 1.0, true},
		{&query.Range{Field: score, Lo: 1.0, IncLo: true, Hi: 2.0}, 2.0, false},
		{&query.Range{Field: score, Lo: 1.0}, nil, false},
		{&query.Not{Arg: &query.Range{Field: score, Lo: 1.0}}, nil, true},
	} {
		m, err := Compile(c.e)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Match([]any{c.v}); got != c.want {
			t.Errorf("%s on %v = %v, want %v", c.e, c.v, got, c.want)
		}
	}
}

// Stores keep microseconds (a TIMESTAMP column truncates), so the matcher
// must not see the nanoseconds a converter may write.
func TestTimeMicroseconds(t *testing.T) {
	r := row(t, `{"timestamp":"2026-01-15T08:00:00.000000900Z","event_type":"dns"}`)
	for q, want := range map[string]bool{
		`timestamp:2026-01-15T08:00:00Z`:   true,
		`timestamp:>2026-01-15T08:00:00Z`:  false,
		`timestamp:<=2026-01-15T08:00:00Z`: true,
		`timestamp:2026-01-15`:             true,
	} {
		e, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Match(r); got != want {
			t.Errorf("%s = %v, want %v", q, got, want)
		}
	}
}
