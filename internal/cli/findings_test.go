package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalFindingsExplainExport runs the detection workflow end to end on
// simulator data: every planted case found, no benign look-alike
// escalated, and the findings can be explained and exported.
func TestEvalFindingsExplainExport(t *testing.T) {
	dir := t.TempDir()
	eve, truth, cfg := filepath.Join(dir, "eve.json"), filepath.Join(dir, "truth.json"), filepath.Join(dir, "nethunt.yaml")
	mustRun(t, "simulate", "--seed", "7", "--hosts", "150", "--hours", "6", "-o", eve, "--truth", truth, "--config-out", cfg)
	mustRun(t, "--config", cfg, "ingest", "--quiet", eve)

	out := mustRun(t, "--config", cfg, "eval", "--truth", truth)
	for _, want := range []string{"recall over all planted cases: 1.00", "false positives: 0", "benign look-alikes escalated: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval lacks %q:\n%s", want, out)
		}
	}
	list := mustRun(t, "--config", cfg, "findings", "--escalated")
	var id string
	for _, line := range strings.Split(list, "\n") {
		if strings.HasPrefix(line, "nh-") {
			id = strings.Fields(line)[0]
			break
		}
	}
	if id == "" {
		t.Fatalf("no escalated finding:\n%s", list)
	}
	ex := mustRun(t, "--config", cfg, "explain", id)
	if !strings.Contains(ex, "ESCALATE") || !strings.Contains(ex, "reasons:") || !strings.Contains(ex, "evidence") {
		t.Errorf("explain %s:\n%.1500s", id, ex)
	}
	rules := mustRun(t, "--config", cfg, "export", "blocklist", "--format", "suricata")
	if !strings.Contains(rules, "sid:9000000;") {
		t.Errorf("suricata export:\n%.800s", rules)
	}
}
