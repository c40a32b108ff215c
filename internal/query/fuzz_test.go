package query_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/fields"
	"github.com/nethunt/nethunt/internal/query"
	"github.com/nethunt/nethunt/internal/query/match"
	"github.com/nethunt/nethunt/internal/query/sqlq"
)

var fuzzSeeds = []string{
	``, `*`, `event_type:http`, `tls.sni:*.example.com`, `src_ip:10.0.0.0/8`, `http.url:http://x/y`,
	`src_ip:fe80::1`, `src_ip:"2001:db8::/32"`, `http.url:"a*b"`, `http.url:a\*b?c*`,
	`NOT http.http_method:GET`, `-dest_port:53`, `!dest_port:53`, `a:b OR c:d`, `(event_type:dns`,
	`dest_port:(1080 OR 3128 OR 8080)`, `dest_port:(80 443)`, `dns.rrname:(a AND NOT b)`,
	`flow.bytes_toserver:>1000000`, `dest_port:[8000 TO 8999]`, `dest_port:{1 TO *]`,
	`timestamp:[2026-01-01 TO 2026-01-31]`, `timestamp:>=2026-01-15T10:00:00.5+02:00`,
	`vlan:*`, `ip:10.0.0.1 AND NOT port:22`, `flow.alerted:true`, `tls.issuerdn:*Let?s Encrypt*`,
	`http.url:*'; DROP TABLE events; --*`, `http.url:"\"\\"`, `src_ip:[10.0.0.1 TO 10.0.0.9}`,
	`event_type:dns && proto:UDP || !event_type:tls`, `+event_type:dns`, `*:*`, `((a:b)))`,
	`dest_port:(<1024 OR [8000 TO 8999] OR *)`, "event_type:dns\n\tAND tls.sn1:x", `http.hostname:日本*`,
}

// seedsFromConformance adds every query of the conformance suite.
func seedsFromConformance(f *testing.F) {
	paths, _ := filepath.Glob("conformance/testdata/*.test")
	for _, p := range paths {
		fh, err := os.Open(p)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if q, ok := strings.CutPrefix(sc.Text(), "query:"); ok {
				f.Add(strings.TrimSpace(q))
			}
		}
		fh.Close()
	}
}

func sampleRows(t testing.TB) [][]any {
	lines := []string{
		`{"timestamp":"2024-03-12T10:15:02.123456+0100","flow_id":1,"event_type":"http","vlan":[10,20],"src_ip":"10.10.1.15","src_port":51544,"dest_ip":"93.184.216.34","dest_port":80,"proto":"TCP","http":{"hostname":"www.example.com","url":"/a?b=1'%_","http_user_agent":"Mozilla/5.0","http_method":"GET","status":200,"length":10,"request_headers":[{"name":"Host","value":"x"}]}}`,
		`{"timestamp":"2024-03-12T11:00:00Z","event_type":"dns","src_ip":"fe80::1","dest_ip":"ff02::fb","dns":{"version":3,"type":"response","id":7,"rcode":"NXDOMAIN","queries":[{"rrname":"日本.example","rrtype":"A"}],"answers":[{"rrname":"a","rrtype":"A","rdata":"1.2.3.4"}]}}`,
		`{"timestamp":"2024-03-12T11:00:00Z","event_type":"flow","flow":{"bytes_toserver":5,"alerted":true,"start":"2024-03-12T10:00:00Z"},"tls":{"sni":"x","notafter":"2025-01-01T00:00:00"}}`,
	}
	rows := [][]any{make([]any, len(fields.Columns())), nil}
	for _, l := range lines {
		ev, err := decode.Decode([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, fields.Row(ev, nil))
	}
	return rows
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	seedsFromConformance(f)
	rows := sampleRows(f)
	f.Fuzz(func(t *testing.T, in string) {
		e, err := query.Parse(in)
		if err != nil {
			var qe *query.Error
			if !errors.As(err, &qe) {
				t.Fatalf("error %v is not a *query.Error", err)
			}
			if qe.Pos < 0 || qe.Pos > len(in) || qe.Line < 1 || qe.Col < 1 || qe.Msg == "" {
				t.Fatalf("bad error position %+v for %q", qe, in)
			}
			_ = qe.Caret(in)
			return
		}
		text := e.String()
		e2, err := query.Parse(text)
		if err != nil {
			t.Fatalf("canonical text %q of %q does not parse: %v", text, in, err)
		}
		if !query.Equivalent(e, e2) {
			t.Fatalf("canonical text %q of %q parses to a different query %q", text, in, e2.String())
		}
		if text2 := e2.String(); text2 != text {
			t.Fatalf("canonical text not stable: %q then %q", text, text2)
		}
		m, err := match.Compile(e)
		if err != nil {
			t.Fatalf("match.Compile(%q): %v", text, err)
		}
		m2, err := match.Compile(e2)
		if err != nil {
			t.Fatalf("match.Compile(%q): %v", text, err)
		}
		for _, r := range rows {
			if m.Match(r) != m2.Match(r) {
				t.Fatalf("%q and its canonical text disagree", in)
			}
		}
		sql, args, err := sqlq.Where(e)
		if err != nil {
			t.Fatalf("sqlq.Where(%q): %v", text, err)
		}
		if n := strings.Count(sql, "?"); n != len(args) {
			t.Fatalf("sqlq.Where(%q): %d placeholders, %d args: %s", text, n, len(args), sql)
		}
		// No user value in the SQL text: the only quotes are the LIKE escape.
		if strings.Count(sql, "'") != 2*strings.Count(sql, `ESCAPE '\'`) {
			t.Fatalf("sqlq.Where(%q) has a literal in the SQL: %s", text, sql)
		}
	})
}
