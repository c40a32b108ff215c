package conformance

import (
	"bufio"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/fields"
	"github.com/nethunt/nethunt/internal/query"
	"github.com/nethunt/nethunt/internal/query/match"
	"github.com/nethunt/nethunt/internal/query/sqlq"
	"github.com/nethunt/nethunt/internal/sqlschema"
)

type testEvent struct {
	id   string
	line int
	row  []any
}

type testCase struct {
	line   int
	query  string
	expect []string // nil with err set for error cases
	err    string
	isErr  bool
}

type testFile struct {
	name   string
	events []testEvent
	cases  []testCase
}

func readFile(t *testing.T, path string) testFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tf := testFile{name: filepath.Base(path)}
	ids := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	var pending *testCase
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(format string, args ...any) {
			t.Fatalf("%s:%d: %s", tf.name, n, fmt.Sprintf(format, args...))
		}
		switch {
		case strings.HasPrefix(line, "event "):
			rest := strings.TrimPrefix(line, "event ")
			id, js, ok := strings.Cut(rest, " ")
			if !ok || id == "" || ids[id] {
				bad("event needs a unique id and a JSON line")
			}
			ids[id] = true
			ev, err := decode.Decode([]byte(strings.TrimSpace(js)))
			if err != nil {
				bad("event %s: %v", id, err)
			}
			tf.events = append(tf.events, testEvent{id: id, line: n, row: fields.Row(ev, nil)})
		case strings.HasPrefix(line, "query:"):
			if pending != nil {
				bad("query without expect: or error: before it")
			}
			pending = &testCase{line: n, query: strings.TrimSpace(strings.TrimPrefix(line, "query:"))}
		case strings.HasPrefix(line, "expect:"), strings.HasPrefix(line, "error:"):
			if pending == nil {
				bad("expect:/error: without a query")
			}
			key, val, _ := strings.Cut(line, ":")
			val = strings.TrimSpace(val)
			if key == "error" {
				pending.isErr, pending.err = true, val
			} else {
				pending.expect = []string{}
				for _, id := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' }) {
					pending.expect = append(pending.expect, id)
				}
			}
			tf.cases = append(tf.cases, *pending)
			pending = nil
		default:
			bad("unknown directive %q", line)
		}
	}
	if pending != nil {
		t.Fatalf("%s: query at line %d has no expect:", tf.name, pending.line)
	}
	for _, c := range tf.cases {
		for _, id := range c.expect {
			if !ids[id] {
				t.Fatalf("%s:%d: unknown event id %q", tf.name, c.line, id)
			}
		}
	}
	return tf
}

func TestConformance(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.test")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	ctx := context.Background()
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	var cols []string
	for _, c := range sqlschema.Columns() {
		cols = append(cols, sqlschema.Quote(c.Name)+" "+c.Type)
	}
	total := 0
	for ti, path := range paths {
		tf := readFile(t, path)
		table := fmt.Sprintf("events_%d", ti)
		t.Run(tf.name, func(t *testing.T) {
			ddl := fmt.Sprintf("CREATE TABLE %s (_n INTEGER, _id VARCHAR, %s)", table, strings.Join(cols, ", "))
			if _, err := conn.ExecContext(ctx, ddl); err != nil {
				t.Fatal(err)
			}
			err := conn.Raw(func(dc any) error {
				app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", table)
				if err != nil {
					return err
				}
				for i, ev := range tf.events {
					vals := append([]driver.Value{int32(i), ev.id}, sqlschema.Values(ev.row, nil)...)
					if err := app.AppendRow(vals...); err != nil {
						return fmt.Errorf("event %s: %w", ev.id, err)
					}
				}
				return app.Close()
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tf.cases {
				total++
				runCase(t, ctx, conn, table, tf, c)
			}
		})
	}
	if total < 80 {
		t.Errorf("only %d conformance cases; the suite promises at least 80", total)
	}
}

func runCase(t *testing.T, ctx context.Context, conn *sql.Conn, table string, tf testFile, c testCase) {
	t.Helper()
	where := fmt.Sprintf("%s:%d: %s", tf.name, c.line, c.query)
	e, err := query.Parse(c.query)
	if c.isErr {
		if err == nil {
			t.Errorf("%s: parsed as %s, want error containing %q", where, e, c.err)
		} else if !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %q does not contain %q", where, err, c.err)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	all := make([]string, len(tf.events))
	for i, ev := range tf.events {
		all[i] = ev.id
	}
	want := sorted(tf, c.expect)
	check := func(label string, e query.Expr, want []string) {
		m, err := match.Compile(e)
		if err != nil {
			t.Errorf("%s: %s: match.Compile: %v", where, label, err)
			return
		}
		var got []string
		for _, ev := range tf.events {
			if m.Match(ev.row) {
				got = append(got, ev.id)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %s: matcher got %v, want %v", where, label, got, want)
		}
		cond, args, err := sqlq.Where(e)
		if err != nil {
			t.Errorf("%s: %s: sqlq.Where: %v", where, label, err)
			return
		}
		rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT _id FROM %s WHERE %s ORDER BY _n", table, cond), args...)
		if err != nil {
			t.Errorf("%s: %s: SQL %s %v: %v", where, label, cond, args, err)
			return
		}
		defer rows.Close()
		got = nil
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %s: %v", where, label, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %s: SQL got %v, want %v\n  SQL: %s\n  args: %#v", where, label, got, want, cond, args)
		}
	}
	check("query", e, want)
	// NOT (q) matches exactly the other events, absent fields included.
	var rest []string
	for _, id := range all {
		if !slices.Contains(want, id) {
			rest = append(rest, id)
		}
	}
	check("negated", &query.Not{Arg: e}, rest)
	// The canonical text means the same query.
	text := e.String()
	e2, err := query.Parse(text)
	if err != nil {
		t.Errorf("%s: canonical text %q does not parse: %v", where, text, err)
		return
	}
	if !query.Equivalent(e, e2) {
		t.Errorf("%s: canonical text %q parses to a different query", where, text)
	}
}

// sorted orders ids as the events appear in the file (and nil becomes the
// empty result the evaluators return as nil).
func sorted(tf testFile, ids []string) []string {
	var out []string
	for _, ev := range tf.events {
		if slices.Contains(ids, ev.id) {
			out = append(out, ev.id)
		}
	}
	return out
}
