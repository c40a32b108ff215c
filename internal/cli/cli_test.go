package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// run executes the CLI in-process and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := run(t, args...)
	if code != 0 {
		t.Fatalf("nethunt %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// oracle counts events in an EVE file with encoding/json, independently of
// nethunt's decoder and store.
func oracle(t *testing.T, path string, pred func(map[string]any) bool) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var n int64
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("simulator wrote invalid JSON: %v", err)
		}
		if pred(m) {
			n++
		}
	}
	return n
}

func get(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	db := filepath.Join(dir, "t.db")
	mustRun(t, "simulate", "--seed", "3", "--hosts", "30", "--hours", "2", "-o", eve, "--truth", filepath.Join(dir, "truth.json"))
	total := oracle(t, eve, func(map[string]any) bool { return true })
	if total < 1000 {
		t.Fatalf("simulator wrote only %d events", total)
	}
	out := mustRun(t, "--db", db, "ingest", eve)
	if !strings.Contains(out, "ingested "+strconv.FormatInt(total, 10)+" events") {
		t.Fatalf("ingest summary: %s (want %d events)", out, total)
	}
	// Only sensor events: the store also holds what nethunt derives
	// (sightings, findings), which the raw file cannot count.
	count := func(q string, extra ...string) int64 {
		t.Helper()
		q = strings.TrimSpace("NOT event_type:(sighting OR finding) " + q)
		out := mustRun(t, append([]string{"--db", db, "count", q}, extra...)...)
		n, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
		if err != nil {
			t.Fatalf("count output %q", out)
		}
		return n
	}
	if n := count(""); n != total {
		t.Errorf("count all = %d, file has %d", n, total)
	}
	connect := oracle(t, eve, func(m map[string]any) bool { return get(m, "http", "http_method") == "CONNECT" })
	if n := count("http.http_method:CONNECT"); n != connect || connect == 0 {
		t.Errorf("CONNECT count = %d, oracle %d", n, connect)
	}
	notTLS443 := oracle(t, eve, func(m map[string]any) bool {
		return m["event_type"] == "tls" && get(m, "dest_port") != float64(443)
	})
	if n := count("event_type:tls AND NOT dest_port:443"); n != notTLS443 {
		t.Errorf("tls not 443 = %d, oracle %d", n, notTLS443)
	}
	users := oracle(t, eve, func(m map[string]any) bool {
		s, _ := m["src_ip"].(string)
		return strings.HasPrefix(s, "10.10.")
	})
	if n := count("src_ip:10.10.0.0/16"); n != users {
		t.Errorf("CIDR count = %d, oracle %d", n, users)
	}

	// top event_type against the oracle.
	out = mustRun(t, "--db", db, "top", "event_type", "-n", "3", "--format", "json")
	var top []struct {
		Value string
		Count int64
	}
	if err := json.Unmarshal([]byte(out), &top); err != nil || len(top) != 3 {
		t.Fatalf("top json %q: %v", out, err)
	}
	for _, tv := range top {
		want := oracle(t, eve, func(m map[string]any) bool { return m["event_type"] == tv.Value })
		if tv.Count != want {
			t.Errorf("top %s = %d, oracle %d", tv.Value, tv.Count, want)
		}
	}

	// hunt --format json returns original records.
	out = mustRun(t, "--db", db, "hunt", "event_type:dns", "--limit", "5", "--format", "json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("hunt returned %d lines", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["event_type"] != "dns" {
			t.Errorf("hunt json line %q: %v", l, err)
		}
	}
	out = mustRun(t, "--db", db, "hunt", "event_type:tls", "--limit", "3", "--fields", "timestamp,src_ip,tls.sni", "--format", "csv")
	if !strings.HasPrefix(out, "timestamp,src_ip,tls.sni\n") || strings.Count(out, "\n") != 4 {
		t.Errorf("csv output:\n%s", out)
	}

	// Re-ingesting the same file resumes at its checkpoint: nothing doubled.
	out = mustRun(t, "--db", db, "ingest", eve)
	if !strings.Contains(out, "ingested 0 events") {
		t.Errorf("second ingest: %s", out)
	}
	if n := count(""); n != total {
		t.Errorf("after re-ingest count = %d, want %d", n, total)
	}

	// Errors are explained, never crashes or SQL errors.
	for q, want := range map[string]string{
		"tls.sn1:x":               "unknown field",
		"src_ip:10.0.0.0/33":      "CIDR",
		"dest_port:abc":           "number",
		"(event_type:dns":         "parenthes",
		"event_type:dns AND":      "",
		"http.url:*'; DROP TABLE": "",
	} {
		_, errs, code := run(t, "--db", db, "count", q)
		if want == "" {
			if code == 0 {
				continue // a valid (if odd) query is fine
			}
		}
		if code != 1 || !strings.Contains(errs, want) || strings.Contains(strings.ToLower(errs), "binder error") || strings.Contains(errs, "panic") {
			t.Errorf("count %q: exit %d, stderr %q (want %q)", q, code, errs, want)
		}
	}
	if n := count(""); n != total {
		t.Errorf("table damaged? count = %d", n)
	}
}

func TestBadInputIngest(t *testing.T) {
	dir := t.TempDir()
	good := `{"timestamp":"2026-11-20T08:00:00.000000+0000","event_type":"flow","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP","flow":{"bytes_toserver":10}}`
	lines := []string{
		good,
		`{"timestamp":"2026-11-20T08:00:01.000000+0000","event_type":"flow",`,                                  // 2 truncated JSON
		`{"event_type":"flow","src_ip":"10.0.0.1"}`,                                                            // 3 missing timestamp
		"{\"timestamp\":\"2026-11-20T08:00:02Z\",\"event_type\":\"dhcp\",\"dhcp\":{\"hostname\":\"a\xffb\"}}",  // 4 invalid UTF-8: kept
		`{"timestamp":"2026-11-20T08:00:03Z","event_type":"http","http":{"hostname":42,"status":"200"}}`,       // 5 number for string: kept
		`{"timestamp":"2026-11-20T08:00:04Z","event_type":"flow","pad":"` + strings.Repeat("x", 10<<20) + `"}`, // 6 10 MB line
		good,
	}
	plain := filepath.Join(dir, "bad.json")
	os.WriteFile(plain, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	// A truncated gzip: three good lines, then the stream is cut.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	for i := 0; i < 2000; i++ {
		zw.Write([]byte(strings.Replace(good, "10.0.0.1", "10.0.0."+strconv.Itoa(i%250+1), 1) + "\n"))
	}
	zw.Close()
	trunc := filepath.Join(dir, "trunc.json.gz")
	os.WriteFile(trunc, gz.Bytes()[:gz.Len()/2], 0o644)
	db := filepath.Join(dir, "b.db")
	out, errs, code := run(t, "--db", db, "ingest", plain, trunc)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	for _, want := range []string{plain + ":2: rejected: invalid JSON", plain + ":3: rejected: missing timestamp", plain + ":6: rejected: line too long", trunc} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	rej, err := os.ReadFile(db + ".rejects.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(rej), "\n"); n != 4 {
		t.Errorf("rejects file has %d lines, want 4 (3 bad lines + damaged gzip):\n%.2000s", n, rej)
	}
	cnt := strings.TrimSpace(mustRun(t, "--db", db, "count", "NOT event_type:(sighting OR finding)"))
	n, _ := strconv.Atoi(cnt)
	// 4 kept from the plain file, and some (not all) of the 2000 gz lines.
	if n < 4+1 || n >= 4+2000 {
		t.Errorf("stored %d events", n)
	}
	if got := strings.TrimSpace(mustRun(t, "--db", db, "count", "http.hostname:42")); got != "1" {
		t.Errorf("coerced hostname count = %s", got)
	}
}

func TestHelp(t *testing.T) {
	out := mustRun(t, "--help")
	for name := range commands {
		if !strings.Contains(out, name) {
			t.Errorf("--help lacks %s", name)
		}
		o := mustRun(t, name, "--help")
		if !strings.Contains(o, "Usage: nethunt "+name) {
			t.Errorf("%s --help: %s", name, o)
		}
	}
	if _, _, code := run(t, "nosuch"); code != 2 {
		t.Error("unknown command should exit 2")
	}
}

func TestFieldsCommand(t *testing.T) {
	out := mustRun(t, "fields", "--prefix", "tls.")
	if !strings.Contains(out, "tls.sni") || strings.Contains(out, "http.url") {
		t.Errorf("fields output:\n%s", out)
	}
}
