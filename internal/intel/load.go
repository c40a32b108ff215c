package intel

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Format is a source file format.
type Format string

// Source formats.
const (
	FormatAuto Format = "auto"
	FormatList Format = "list"
	FormatCSV  Format = "csv"
	FormatSTIX Format = "stix"
	FormatMISP Format = "misp"
)

// ParseFormat accepts "", auto, list (txt), csv, stix (stix2), misp.
func ParseFormat(s string) (Format, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FormatAuto, true
	case "list", "txt", "text", "plain":
		return FormatList, true
	case "csv":
		return FormatCSV, true
	case "stix", "stix2", "stix2.1":
		return FormatSTIX, true
	case "misp":
		return FormatMISP, true
	}
	return "", false
}

// Source is one indicator file, as configured.
type Source struct {
	Path   string
	Format Format // "" or auto: detected from the extension and content
	// Type forces the type of every value of a list (and of CSV rows with
	// an empty type column); "" detects it per value. For user-agent lists
	// each whole line is one value.
	Type Type
	// Name labels hits (Hit.Source); default: the file's base name. A CSV
	// "source" column overrides it per row.
	Name string
	// Allow makes this an allow-list: its entries suppress hits instead of
	// producing them.
	Allow bool
	// IDSOnly loads only MISP attributes flagged to_ids.
	IDSOnly bool
	// NoObservables ignores STIX cyber observables (ipv4-addr, domain-name,
	// ... objects and observed-data) and loads indicator patterns only.
	NoObservables bool
}

func (s Source) name() string {
	if s.Name != "" {
		return s.Name
	}
	return filepath.Base(s.Path)
}

// Problem is a bad line or object in a source, reported and skipped.
type Problem struct {
	File string
	Line int // 1-based; 0 when unknown
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return p.File + ": " + p.Msg
}

// MaxProblems is how many problems are kept per file; the rest are counted.
const MaxProblems = 100

// FileReport says what was loaded from one source.
type FileReport struct {
	Path        string
	Name        string
	Format      Format // as detected
	Allow       bool
	Loaded      int            // indicators accepted (including duplicates)
	Skipped     int            // entries deliberately ignored (MISP to_ids false, deleted, revoked, NOT comparisons...)
	Unsupported map[string]int // unsupported STIX patterns / object paths, MISP attribute types
	Loosened    int            // STIX patterns loaded without some of their constraints (AND, qualifiers)
	Problems    []Problem      // malformed entries, at most MaxProblems
	More        int            // problems beyond MaxProblems
}

func (f *FileReport) problem(line int, format string, args ...any) {
	if len(f.Problems) >= MaxProblems {
		f.More++
		return
	}
	f.Problems = append(f.Problems, Problem{File: f.Path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (f *FileReport) unsupported(what string) {
	if f.Unsupported == nil {
		f.Unsupported = map[string]int{}
	}
	f.Unsupported[what]++
}

// Report summarises a Load.
type Report struct {
	Files      []FileReport
	Indicators int // in the Set, after de-duplication
	Duplicates int
	Allowed    int
	ByType     map[Type]int
}

// Problems returns every problem of every file.
func (r Report) Problems() []Problem {
	var out []Problem
	for _, f := range r.Files {
		out = append(out, f.Problems...)
	}
	return out
}

// String is a one-line summary per file plus a total, for logs.
func (r Report) String() string {
	var b strings.Builder
	for _, f := range r.Files {
		role := ""
		if f.Allow {
			role = " (allow-list)"
		}
		fmt.Fprintf(&b, "intel: %s [%s]%s: %d loaded", f.Path, f.Format, role, f.Loaded)
		if f.Skipped > 0 {
			fmt.Fprintf(&b, ", %d skipped", f.Skipped)
		}
		if f.Loosened > 0 {
			fmt.Fprintf(&b, ", %d loosened", f.Loosened)
		}
		if n := sum(f.Unsupported); n > 0 {
			keys := make([]string, 0, len(f.Unsupported))
			for k := range f.Unsupported {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			fmt.Fprintf(&b, ", %d unsupported (%s)", n, strings.Join(keys, ", "))
		}
		if n := len(f.Problems) + f.More; n > 0 {
			fmt.Fprintf(&b, ", %d problems", n)
		}
		b.WriteByte('\n')
	}
	types := make([]string, 0, len(r.ByType))
	for _, t := range Types {
		if n := r.ByType[t]; n > 0 {
			types = append(types, fmt.Sprintf("%s=%d", t, n))
		}
	}
	fmt.Fprintf(&b, "intel: %d indicators (%s), %d duplicates, %d allow-list entries", r.Indicators, strings.Join(types, " "), r.Duplicates, r.Allowed)
	return b.String()
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Load reads every source and builds a Set. Malformed entries never fail
// the load: they are reported in the Report with file and line. The error
// is for sources that cannot be read at all (missing file, unknown format
// or type option).
func Load(sources []Source) (*Set, Report, error) {
	b := NewBuilder()
	rep := Report{}
	for _, src := range sources {
		fr, err := loadSource(b, src)
		if err != nil {
			return nil, rep, err
		}
		rep.Files = append(rep.Files, fr)
	}
	set := b.Build()
	rep.Indicators = set.Len()
	rep.Duplicates = b.Duplicates()
	rep.Allowed = set.AllowCount()
	rep.ByType = set.Counts()
	return set, rep, nil
}

// sink receives the indicators of one source.
type sink struct {
	b   *Builder
	src Source
	fr  *FileReport
}

// add normalises and stores one indicator; invalid values become problems.
func (k *sink) add(line int, ind Indicator) bool {
	if ind.Source == "" {
		ind.Source = k.src.name()
	}
	var err error
	if k.src.Allow {
		_, err = k.b.Allow(ind)
	} else {
		_, err = k.b.Add(ind)
	}
	if err != nil {
		k.fr.problem(line, "%v", err)
		return false
	}
	k.fr.Loaded++
	return true
}

func loadSource(b *Builder, src Source) (FileReport, error) {
	fr := FileReport{Path: src.Path, Name: src.name(), Allow: src.Allow}
	format := src.Format
	if format == "" {
		format = FormatAuto
	}
	if _, ok := ParseFormat(string(format)); !ok {
		return fr, fmt.Errorf("intel: %s: unknown format %q (auto, list, csv, stix, misp)", src.Path, format)
	}
	if src.Type != "" {
		t, ok := ParseType(string(src.Type))
		if !ok {
			return fr, fmt.Errorf("intel: %s: unknown indicator type %q", src.Path, src.Type)
		}
		src.Type = t
	}
	data, err := os.ReadFile(src.Path)
	if err != nil {
		return fr, fmt.Errorf("intel: %w", err)
	}
	if format == FormatAuto {
		format = sniff(src.Path, data)
	}
	fr.Format = format
	k := &sink{b: b, src: src, fr: &fr}
	switch format {
	case FormatList:
		loadList(k, data)
	case FormatCSV:
		loadCSV(k, data)
	case FormatSTIX:
		loadSTIX(k, data)
	case FormatMISP:
		loadMISP(k, data)
	}
	return fr, nil
}

// sniff picks a format from the extension and the first bytes.
func sniff(path string, data []byte) Format {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".csv" {
		return FormatCSV
	}
	t := bytes.TrimSpace(data)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		head := t
		if len(head) > 64<<10 {
			head = head[:64<<10]
		}
		switch {
		case bytes.Contains(head, []byte(`"Event"`)), bytes.Contains(head, []byte(`"Attribute"`)), bytes.Contains(head, []byte(`"response"`)):
			return FormatMISP
		default:
			return FormatSTIX
		}
	}
	// A CSV with the header this package documents.
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(strings.ToLower(line), ",")
		hasType, hasValue := false, false
		for _, c := range cols {
			switch strings.Trim(strings.TrimSpace(c), `"`) {
			case "type":
				hasType = true
			case "value", "indicator":
				hasValue = true
			}
		}
		if hasType && hasValue {
			return FormatCSV
		}
		break
	}
	return FormatList
}

// loadList reads one indicator per line. '#' starts a comment when it
// begins the line or follows a blank (URLs keep their fragments). The value
// is the first field; the rest of the line, or the comment, becomes the
// description. Hosts-file lines ("0.0.0.0 evil.com") load the name. With
// Type user-agent the whole line is the value.
func loadList(k *sink, data []byte) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Text()
		if n == 1 {
			raw = strings.TrimPrefix(raw, "\ufeff")
		}
		line, comment := cutComment(raw)
		if line == "" {
			continue
		}
		ind := Indicator{Type: k.src.Type, Description: comment}
		if k.src.Type == UserAgent {
			ind.Value = line
			if comment != "" {
				ind.Value = strings.TrimSpace(raw) // a '#' inside a UA is part of it
				ind.Description = ""
			}
			k.add(n, ind)
			continue
		}
		fields := strings.Fields(line)
		ind.Value = fields[0]
		if len(fields) >= 2 && (fields[0] == "0.0.0.0" || fields[0] == "127.0.0.1" || fields[0] == "::") && (k.src.Type == "" || k.src.Type == Domain) {
			ind.Value = fields[1] // hosts-file block list
		} else if len(fields) > 1 && ind.Description == "" {
			ind.Description = strings.TrimSpace(line[len(fields[0]):])
		}
		k.add(n, ind)
	}
	if err := sc.Err(); err != nil {
		k.fr.problem(n+1, "%v", err)
	}
}

func cutComment(s string) (line, comment string) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "#") {
		return "", ""
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
		}
	}
	return s, ""
}

// loadCSV reads a CSV with a header naming at least "type" and "value"
// (alias "indicator"), optionally "source", "description" (aliases
// "desc", "comment") and "confidence" (0–100), in any order. Lines
// starting with '#' are comments. An empty type is detected per value (or
// taken from the source's Type).
func loadCSV(k *sink, data []byte) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return
		}
		k.fr.problem(csvLine(err, 1), "header: %v", err)
		return
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case "indicator":
			h = "value"
		case "desc", "comment":
			h = "description"
		}
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	line, _ := r.FieldPos(0)
	vi, ok := col["value"]
	if !ok {
		k.fr.problem(line, "header %q has no value column", strings.Join(header, ","))
		return
	}
	ti, hasType := col["type"]
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				k.fr.problem(pe.Line, "%v", pe.Err)
				continue
			}
			k.fr.problem(0, "%v", err)
			return
		}
		line, _ := r.FieldPos(0)
		if vi >= len(rec) || strings.TrimSpace(rec[vi]) == "" {
			k.fr.problem(line, "no value (%d fields)", len(rec))
			continue
		}
		ind := Indicator{Type: k.src.Type, Value: rec[vi], Source: get(rec, "source"), Description: get(rec, "description")}
		if hasType && ti < len(rec) && strings.TrimSpace(rec[ti]) != "" {
			t, ok := ParseType(rec[ti])
			if !ok {
				k.fr.problem(line, "unknown type %q", rec[ti])
				continue
			}
			ind.Type = t
		}
		if c := get(rec, "confidence"); c != "" {
			n, err := strconv.Atoi(c)
			if err != nil || n < 0 || n > 100 {
				k.fr.problem(line, "confidence %q is not 0-100 (ignored)", c)
			} else {
				ind.Confidence = n
			}
		}
		k.add(line, ind)
	}
}

func csvLine(err error, def int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return def
}
