package duckdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/query"
	"github.com/nethunt/nethunt/internal/query/sqlq"
	"github.com/nethunt/nethunt/internal/store"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// line builds a small EVE record; i varies addresses and ports.
func line(i int, typ string) string {
	ts := t0.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000000-0700")
	base := fmt.Sprintf(`"timestamp":%q,"flow_id":%d,"event_type":%q,"src_ip":"10.1.%d.%d","src_port":%d,"dest_ip":"192.0.2.%d","dest_port":%d,"proto":"TCP"`,
		ts, 1000+i, typ, i/250, i%250+1, 40000+i%1000, i%7, []int{80, 443, 3128, 8080, 53, 1080, 9001}[i%7])
	switch typ {
	case "http":
		return fmt.Sprintf(`{%s,"app_proto":"http","http":{"hostname":"h%d.example.com","url":"/x","http_method":%q,"status":%d}}`, base, i%5, []string{"GET", "CONNECT"}[i%2], 200)
	case "tls":
		return fmt.Sprintf(`{%s,"app_proto":"tls","tls":{"sni":"s%d.example.org","issuerdn":"C=US, O=Let's Encrypt, CN=R3","version":"TLS 1.3"}}`, base, i%3)
	case "flow":
		return fmt.Sprintf(`{%s,"flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":%d,"bytes_toclient":100,"start":%q,"end":%q,"state":"closed"}}`, base, i*10, ts, ts)
	}
	return "{" + base + "}"
}

func decodeAll(t testing.TB, lines []string) []*event.Event {
	var out []*event.Event
	for _, l := range lines {
		ev, err := decode.Decode([]byte(l))
		if err != nil {
			t.Fatalf("decode %s: %v", l, err)
		}
		out = append(out, ev)
	}
	return out
}

func openRW(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{KeepRaw: true, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func filter(t testing.TB, text string) store.Query {
	t.Helper()
	e, err := query.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	w, args, err := sqlq.Where(e)
	if err != nil {
		t.Fatal(err)
	}
	return store.Query{Where: w, Args: args}
}

func TestAppendQueryRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	s := openRW(t, path)
	types := []string{"flow", "http", "tls", "dns", "stats"}
	var lines []string
	for i := range 1000 {
		lines = append(lines, line(i, types[i%len(types)]))
	}
	// Two batches, the second brings a new event type and new fields.
	if _, err := s.Append(ctx, decodeAll(t, lines[:400]), nil); err != nil {
		t.Fatal(err)
	}
	lines = append(lines, `{"timestamp":"2026-11-20T12:00:00.000000+0000","event_type":"smb","src_ip":"10.9.9.9","dest_ip":"10.9.9.10","smb":{"command":"SMB2_COMMAND_NEGOTIATE"}}`)
	if seq, err := s.Append(ctx, decodeAll(t, lines[400:]), nil); err != nil || seq != 2 {
		t.Fatalf("seq %d err %v", seq, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Read-only, as the CLI does.
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	// Oracle: count with encoding/json over the raw lines.
	oracle := func(pred func(m map[string]any) bool) int64 {
		var n int64
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			if pred(m) {
				n++
			}
		}
		return n
	}
	get := func(m map[string]any, a, b string) any {
		if sub, ok := m[a].(map[string]any); ok {
			return sub[b]
		}
		return nil
	}
	cases := []struct {
		q    string
		pred func(map[string]any) bool
	}{
		{"", func(map[string]any) bool { return true }},
		{"event_type:http AND http.http_method:CONNECT", func(m map[string]any) bool { return get(m, "http", "http_method") == "CONNECT" }},
		{"NOT http.http_method:CONNECT", func(m map[string]any) bool { return get(m, "http", "http_method") != "CONNECT" }},
		{"tls.issuerdn:*Let?s Encrypt*", func(m map[string]any) bool { return get(m, "tls", "issuerdn") != nil }},
		{"src_ip:10.1.2.0/24", func(m map[string]any) bool { return strings.HasPrefix(fmt.Sprint(m["src_ip"]), "10.1.2.") }},
		{"dest_port:(3128 OR 1080)", func(m map[string]any) bool { p := m["dest_port"]; return p == 3128.0 || p == 1080.0 }},
		{"flow.bytes_toserver:>5000", func(m map[string]any) bool {
			b, ok := get(m, "flow", "bytes_toserver").(float64)
			return ok && b > 5000
		}},
		{"smb.command:*NEGOTIATE", func(m map[string]any) bool { return get(m, "smb", "command") != nil }},
	}
	for _, c := range cases {
		n, err := ro.Count(ctx, filter(t, c.q))
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if want := oracle(c.pred); n != want {
			t.Errorf("count %q = %d, oracle %d", c.q, n, want)
		}
	}

	// Search returns the original lines, newest first, with fields.
	q := filter(t, "event_type:tls")
	q.Limit, q.Raw, q.Fields = 5, true, []string{"tls.sni", "src_ip"}
	var got []store.Row
	if err := ro.Search(ctx, q, func(r store.Row) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("got %d rows", len(got))
	}
	for i, r := range got {
		if i > 0 && r.Time.After(got[i-1].Time) {
			t.Errorf("not newest first: %v after %v", r.Time, got[i-1].Time)
		}
		if !strings.Contains(r.Raw, `"tls"`) || !strings.Contains(r.Raw, r.Values["tls.sni"].(string)) {
			t.Errorf("raw %q does not match row %v", r.Raw, r.Values)
		}
		if !slicesContains(lines, r.Raw) {
			t.Errorf("raw line not one of the input lines: %q", r.Raw)
		}
	}

	// Top matches a Go count.
	top, err := ro.Top(ctx, "tls.sni", store.Query{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for _, l := range lines {
		var m map[string]any
		json.Unmarshal([]byte(l), &m)
		if v, ok := get(m, "tls", "sni").(string); ok {
			want[v]++
		}
	}
	if len(top) != 3 {
		t.Fatalf("top: %v", top)
	}
	for _, tv := range top {
		if want[tv.Value] != tv.Count {
			t.Errorf("top %s = %d, want %d", tv.Value, tv.Count, want[tv.Value])
		}
	}
	// Pseudo-field top counts both sides.
	if tp, err := ro.Top(ctx, "ip", filter(t, "event_type:smb"), 5); err != nil || len(tp) != 2 {
		t.Errorf("top ip of smb = %v, %v", tp, err)
	}

	st, err := ro.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != int64(len(lines)) || st.ByType["stats"] != 200 || st.Seq != 2 {
		t.Errorf("stats %+v", st)
	}
}

func slicesContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestCheckpointsAndReplay(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	s := openRW(t, path)
	id := store.FileIDKey{Dev: 1, Ino: 2, Head: 1 << 63} // high bit set on purpose
	var all []string
	for b := range 3 {
		var lines []string
		for i := range 50 {
			lines = append(lines, line(b*50+i, "flow"))
		}
		all = append(all, lines...)
		if _, err := s.Append(ctx, decodeAll(t, lines), []store.Checkpoint{{Source: "/var/log/eve.json", ID: id, Offset: int64(1000 * (b + 1))}}); err != nil {
			t.Fatal(err)
		}
	}
	if off, err := s.Checkpoint(ctx, "/var/log/eve.json", id); err != nil || off != 3000 {
		t.Fatalf("checkpoint %d %v", off, err)
	}
	if off, _ := s.Checkpoint(ctx, "/var/log/eve.json", store.FileIDKey{Dev: 1, Ino: 3}); off != 0 {
		t.Fatalf("rotated file must start over, got %d", off)
	}
	var got []string
	var seqs []int64
	if err := s.Replay(ctx, 1, func(seq int64, raw string) error {
		got = append(got, raw)
		seqs = append(seqs, seq)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 || got[0] != all[50] || got[99] != all[149] || seqs[0] != 2 || seqs[99] != 3 {
		t.Fatalf("replay: %d lines, seqs %v..%v", len(got), seqs[0], seqs[len(seqs)-1])
	}
	s.Close()
}

// TestReconcile simulates a crash after the table commits but before the
// batch's metadata commit: the orphan rows must not survive a reopen.
func TestReconcile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	s := openRW(t, path)
	if _, err := s.Append(ctx, decodeAll(t, []string{line(1, "flow"), line(2, "flow")}), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`INSERT INTO ev_flow ("timestamp", event_type, ingest_seq) VALUES (?, 'flow', 2)`, t0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openRW(t, path)
	defer s.Close()
	if n, _ := s.Count(ctx, store.Query{}); n != 2 {
		t.Fatalf("after reconcile %d events, want 2", n)
	}
}

func TestRetain(t *testing.T) {
	ctx := context.Background()
	s := openRW(t, filepath.Join(t.TempDir(), "x.db"))
	defer s.Close()
	var lines []string
	for i := range 100 {
		lines = append(lines, line(i*60, "flow")) // one per minute
	}
	if _, err := s.Append(ctx, decodeAll(t, lines), nil); err != nil {
		t.Fatal(err)
	}
	n, err := s.Retain(ctx, t0.Add(30*time.Minute))
	if err != nil || n != 30 {
		t.Fatalf("retain deleted %d, %v", n, err)
	}
	if c, _ := s.Count(ctx, store.Query{}); c != 70 {
		t.Fatalf("%d left", c)
	}
}

// TestHostileEventType: event_type is attacker-controlled and names tables.
func TestHostileEventType(t *testing.T) {
	ctx := context.Background()
	s := openRW(t, filepath.Join(t.TempDir(), "x.db"))
	defer s.Close()
	var evs []*event.Event
	for i, typ := range []string{`x"; DROP TABLE ev_flow; --`, "Ünïcode", strings.Repeat("a", 200), "flow", "ok_type"} {
		ev, err := decode.Decode([]byte(fmt.Sprintf(`{"timestamp":"2026-11-20T10:00:0%d.000000+0000","event_type":%q}`, i, typ)))
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	if _, err := s.Append(ctx, evs, nil); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Stats(ctx)
	if st.Total != 5 || st.ByType[`x"; DROP TABLE ev_flow; --`] != 1 {
		t.Fatalf("%+v", st)
	}
}

// TestLockedByOtherProcess runs a child that holds the database and checks
// the message names it.
func TestLockedByOtherProcess(t *testing.T) {
	if p := os.Getenv("NETHUNT_TEST_HOLD_DB"); p != "" {
		s, err := Open(p, Options{})
		if err != nil {
			fmt.Println("child:", err)
			os.Exit(1)
		}
		fmt.Println("holding")
		time.Sleep(20 * time.Second)
		s.Close()
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "x.db")
	s := openRW(t, path)
	s.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockedByOtherProcess$")
	cmd.Env = append(os.Environ(), "NETHUNT_TEST_HOLD_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "holding") {
		t.Fatalf("child: %q", buf[:n])
	}
	for _, ro := range []bool{false, true} {
		_, err = Open(path, Options{ReadOnly: ro})
		if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), fmt.Sprint(cmd.Process.Pid)) {
			t.Errorf("readOnly=%v: want ErrLocked naming PID %d, got %v", ro, cmd.Process.Pid, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.db"), Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing: %v", err)
	}
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("this is not a database, it is a text file that is long enough"), 0o644)
	if _, err := Open(junk, Options{}); err == nil {
		t.Errorf("junk file opened")
	}
}
