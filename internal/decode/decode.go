// Package decode turns one EVE JSON line into an event.Event.
//
// The fast path is a typed goccy/go-json decode (about 5x encoding/json on
// EVE; see ../shared/reference/libraries.md). Sensor data is attacker
// controlled, so a line whose JSON is valid but whose values have unexpected
// types (a number where a string belongs) is not thrown away: it is decoded
// again leniently, the offending values are coerced or dropped, and the event
// carries a warning. Only lines that are not JSON objects, or lack the
// timestamp and event_type that make them events, are rejected.
package decode

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/fields"
)

// Error explains why a line was rejected. Reason is short and stable so
// rejects can be counted per reason.
type Error struct {
	Reason string
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Reason
	}
	return e.Reason + ": " + e.Detail
}

// Reasons for rejecting a line.
const (
	ReasonInvalidJSON      = "invalid JSON"
	ReasonNotObject        = "not a JSON object"
	ReasonMissingTimestamp = "missing timestamp"
	ReasonBadTimestamp     = "unparseable timestamp"
	ReasonMissingType      = "missing event_type"
)

// Decode parses line into a new Event. The event keeps its own copy of line
// in Raw, so the caller may reuse its buffer.
func Decode(line []byte) (*event.Event, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return nil, &Error{Reason: ReasonNotObject}
	}
	ev := new(event.Event)
	if err := json.Unmarshal(line, ev); err != nil {
		var serr *json.SyntaxError
		if errors.As(err, &serr) || !json.Valid(line) {
			return nil, &Error{Reason: ReasonInvalidJSON, Detail: shortErr(err)}
		}
		// Valid JSON with surprising types: decode leniently.
		ev = new(event.Event)
		warn, lerr := lenient(line, ev)
		if lerr != nil {
			return nil, &Error{Reason: ReasonInvalidJSON, Detail: shortErr(lerr)}
		}
		ev.Warning = warn
	}
	if err := finish(ev); err != nil {
		return nil, err
	}
	ev.Raw = append([]byte(nil), line...)
	if !utf8.Valid(ev.Raw) {
		// Keep the line as close to the original as storage allows: stores
		// want valid UTF-8 text, so invalid bytes become U+FFFD.
		ev.Raw = bytes.ToValidUTF8(ev.Raw, []byte("\uFFFD"))
		if ev.Warning == "" {
			ev.Warning = "invalid UTF-8 replaced"
		}
	}
	return ev, nil
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// finish derives the normalized values the rest of nethunt relies on.
func finish(ev *event.Event) error {
	if ev.Timestamp == "" {
		return &Error{Reason: ReasonMissingTimestamp}
	}
	t, err := event.ParseTime(ev.Timestamp)
	if err != nil {
		return &Error{Reason: ReasonBadTimestamp, Detail: strconv.Quote(truncate(ev.Timestamp, 64))}
	}
	ev.Time = t
	if ev.EventType == "" {
		return &Error{Reason: ReasonMissingType}
	}
	ev.SrcIP = fields.ParseIP(ev.SrcIPStr)
	ev.DestIP = fields.ParseIP(ev.DestIPStr)
	if ev.DNS != nil {
		normalizeDNS(ev.DNS)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// normalizeDNS folds the v1, v2 and v3 layouts into one list of queried
// names and one list of answers, so `dns.rrname:x` works on any sensor.
func normalizeDNS(d *event.DNS) {
	add := func(name, typ string) {
		if name == "" {
			return
		}
		for _, n := range d.Names {
			if n == name {
				return
			}
		}
		d.Names = append(d.Names, name)
		if typ != "" {
			d.QTypes = append(d.QTypes, typ)
		}
	}
	isV1Answer := d.Version == 0 && (d.Type == "answer") && d.RData != ""
	if !isV1Answer {
		add(d.RRName, d.RRType)
	} else {
		add(d.RRName, "")
	}
	for _, q := range d.Queries {
		add(q.RRName, q.RRType)
	}
	for _, q := range d.Query {
		add(q.RRName, q.RRType)
	}
	if isV1Answer {
		d.AnswerData = append(d.AnswerData, d.RData)
		d.AnswerType = append(d.AnswerType, d.RRType)
	}
	for _, a := range d.Answers {
		if a.RData != "" {
			d.AnswerData = append(d.AnswerData, a.RData)
		}
		if a.RRType != "" {
			d.AnswerType = append(d.AnswerType, a.RRType)
		}
	}
	if len(d.Answers) == 0 {
		// Record types in order: a map's order is random, and the same
		// line must always give the same answers (stored columns, sighting
		// order, rebuilt state).
		for _, typ := range slices.Sorted(maps.Keys(d.Grouped)) {
			if vs, ok := d.Grouped[typ].([]any); ok {
				for _, x := range vs {
					if s, ok := x.(string); ok {
						d.AnswerData = append(d.AnswerData, s)
						d.AnswerType = append(d.AnswerType, typ)
					}
				}
			}
		}
	}
}

// lenient decodes line into a generic tree, coerces every value to the type
// the Event struct expects (dropping what cannot be coerced), and decodes the
// result. It reports which paths it had to change.
func lenient(line []byte, ev *event.Event) (string, error) {
	var tree any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return "", err
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return "", errors.New("not an object")
	}
	var changed []string
	fixed := coerce(m, reflect.TypeOf(event.Event{}), "", &changed)
	buf, err := json.Marshal(fixed)
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(buf, ev); err != nil {
		return "", err
	}
	if len(changed) > 5 {
		changed = append(changed[:5], "...")
	}
	return "coerced " + strings.Join(changed, ", "), nil
}

func coerce(v any, t reflect.Type, path string, changed *[]string) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return nil
	}
	note := func() { *changed = append(*changed, strings.TrimPrefix(path, ".")) }
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			note()
			return nil
		}
		out := make(map[string]any, len(m))
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			if x, ok := m[name]; ok {
				out[name] = coerce(x, f.Type, path+"."+name, changed)
			}
		}
		return out
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			note()
			return nil
		}
		out := make(map[string]any, len(m))
		for k, x := range m {
			out[k] = coerce(x, t.Elem(), path+"."+k, changed)
		}
		return out
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return v
		}
		arr, ok := v.([]any)
		if !ok {
			// A scalar where a list belongs: keep it as a one-element list.
			note()
			arr = []any{v}
		}
		out := make([]any, 0, len(arr))
		for i, x := range arr {
			if c := coerce(x, t.Elem(), fmt.Sprintf("%s[%d]", path, i), changed); c != nil {
				out = append(out, c)
			}
		}
		return out
	case reflect.String:
		switch x := v.(type) {
		case string:
			return x
		case json.Number:
			note()
			return x.String()
		case bool:
			note()
			return strconv.FormatBool(x)
		}
		note()
		return nil
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint64, reflect.Uint32, reflect.Uint16:
		switch x := v.(type) {
		case json.Number:
			if _, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
				if t.Kind() == reflect.Uint64 || t.Kind() == reflect.Uint32 || t.Kind() == reflect.Uint16 {
					if strings.HasPrefix(x.String(), "-") {
						note()
						return nil
					}
				}
				return x
			}
			if f, err := strconv.ParseFloat(x.String(), 64); err == nil && f >= -9e18 && f <= 9e18 {
				note()
				return int64(f)
			}
		case string:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				note()
				return n
			}
		case bool:
			note()
			if x {
				return 1
			}
			return 0
		}
		note()
		return nil
	case reflect.Bool:
		switch x := v.(type) {
		case bool:
			return x
		case string:
			if b, err := strconv.ParseBool(x); err == nil {
				note()
				return b
			}
		case json.Number:
			note()
			return x.String() != "0"
		}
		note()
		return nil
	case reflect.Interface:
		return v
	}
	return v
}
