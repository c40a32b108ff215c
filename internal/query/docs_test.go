package query

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestDocExamples keeps docs/query-language.md honest: every line of a
// ```query block must parse, every line of a ```query-error block must fail.
func TestDocExamples(t *testing.T) {
	f, err := os.Open("../../docs/query-language.md")
	if err != nil {
		t.Skip("docs not found:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	block, n, checked := "", 0, 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			if block == "" {
				block = strings.TrimPrefix(line, "```")
				if block == "" {
					block = "other"
				}
			} else {
				block = ""
			}
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		switch block {
		case "query":
			if _, err := Parse(line); err != nil {
				t.Errorf("docs line %d: %q: %v", n, line, err)
			}
			checked++
		case "query-error":
			if _, err := Parse(line); err == nil {
				t.Errorf("docs line %d: %q parses, the docs say it is an error", n, line)
			}
			checked++
		}
	}
	if checked < 50 {
		t.Errorf("only %d examples checked", checked)
	}
}
