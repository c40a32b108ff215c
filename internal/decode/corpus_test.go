package decode

import (
	"bufio"
	"bytes"
	encjson "encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/nethunt/nethunt/internal/fields"
)

const corpusDir = "../../../shared/data/corpus/eve"

// knownBroken lists corpus files whose lines are deliberately broken (fever's
// parser tests); every other line of the real corpus must decode.
var knownBroken = map[string]bool{
	"jsonparse_eve_broken1.json": true,
}

// TestCorpus decodes every line of the real Suricata samples and checks the
// decoded values against encoding/json as an independent oracle.
func TestCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*"))
	if len(files) == 0 {
		t.Skip("shared corpus not present")
	}
	var total, rejected int
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		line := 0
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			total++
			ev, err := Decode(b)
			var oracle map[string]any
			oerr := encjson.Unmarshal(b, &oracle)
			if err != nil {
				rejected++
				if !knownBroken[filepath.Base(path)] {
					t.Errorf("%s:%d: %v", path, line, err)
				}
				if oerr == nil && oracle["timestamp"] != nil && oracle["event_type"] != nil {
					t.Errorf("%s:%d: rejected but encoding/json accepts it with timestamp and event_type", path, line)
				}
				continue
			}
			if oerr != nil {
				t.Errorf("%s:%d: accepted but encoding/json rejects: %v", path, line, oerr)
				continue
			}
			if ev.EventType != oracle["event_type"] {
				t.Errorf("%s:%d: event_type %q, oracle %v", path, line, ev.EventType, oracle["event_type"])
			}
			if s, _ := oracle["src_ip"].(string); s != ev.SrcIPStr {
				t.Errorf("%s:%d: src_ip %q, oracle %q", path, line, ev.SrcIPStr, s)
			}
			if s, ok := oracle["src_ip"].(string); ok && s != "" && !ev.SrcIP.IsValid() {
				t.Errorf("%s:%d: src_ip %q not parsed", path, line, s)
			}
			if f, ok := oracle["flow_id"].(float64); ok && uint64(f) != ev.FlowID && f < 1<<53 {
				t.Errorf("%s:%d: flow_id %d, oracle %v", path, line, ev.FlowID, f)
			}
			if tl, ok := oracle["tls"].(map[string]any); ok {
				if sni, _ := tl["sni"].(string); sni != "" && (ev.TLS == nil || ev.TLS.SNI != sni) {
					t.Errorf("%s:%d: tls.sni lost", path, line)
				}
			}
			row := fields.Row(ev, nil)
			if row[0] == nil {
				t.Errorf("%s:%d: no timestamp column", path, line)
			}
		}
	}
	t.Logf("%d lines, %d rejected", total, rejected)
	if total < 600 {
		t.Errorf("only %d corpus lines read", total)
	}
}
