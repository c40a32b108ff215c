package intel

import (
	"bytes"
	"encoding/json"
	"strings"
)

// mispAttribute holds the fields of a MISP attribute that matter here.
type mispAttribute struct {
	Type     string   `json:"type"`
	Category string   `json:"category"`
	Value    string   `json:"value"`
	Comment  string   `json:"comment"`
	ToIDS    flexBool `json:"to_ids"`
	Deleted  flexBool `json:"deleted"`
}

// flexBool accepts true/false, "1"/"0", "true"/"false" and 1/0, as MISP
// versions and exporters differ.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(data)), `"`)
	*b = flexBool(s == "true" || s == "1" || strings.EqualFold(s, "true"))
	return nil
}

// mispTypes maps MISP attribute types to indicator types. For composite
// types ("ip-dst|port") the part index says which part is the value; -1
// marks the domain|ip pair that yields two indicators.
var mispTypes = map[string]struct {
	t    Type
	part int
}{
	"ip-dst": {IP, 0}, "ip-src": {IP, 0}, "ip": {IP, 0},
	"ip-dst|port": {IP, 0}, "ip-src|port": {IP, 0},
	"domain": {Domain, 0}, "hostname": {Domain, 0},
	"hostname|port": {Domain, 0}, "domain|ip": {Domain, -1},
	"url":                   {URL, 0},
	"ja3-fingerprint-md5":   {JA3, 0},
	"ja4-fingerprint":       {JA4, 0},
	"ja4":                   {JA4, 0},
	"x509-fingerprint-sha1": {CertSHA1, 0},
	"user-agent":            {UserAgent, 0},
	"md5":                   {FileMD5, 0}, "sha1": {FileSHA1, 0}, "sha256": {FileSHA256, 0},
	"filename|md5": {FileMD5, 1}, "filename|sha1": {FileSHA1, 1}, "filename|sha256": {FileSHA256, 1},
}

// loadMISP reads MISP JSON: one event ({"Event": {...}}), a REST search
// result ({"response": [{"Event": ...}, ...]}) or an array of events. It
// loads Event.Attribute[] and Event.Object[].Attribute[]; deleted
// attributes are skipped, and with Source.IDSOnly those without to_ids.
// The attribute comment, else the event info, becomes the description.
// Unsupported attribute types are counted per type.
func loadMISP(k *sink, data []byte) {
	w := newWalker(data)
	type pending struct {
		ind  Indicator
		line int
	}
	var (
		eventInfo string
		queue     []pending // attributes of the current event, added at its end
		found     bool
	)
	flush := func() {
		for _, p := range queue {
			if p.ind.Description == "" {
				p.ind.Description = eventInfo
			}
			k.add(p.line, p.ind)
		}
		queue, eventInfo = queue[:0], ""
	}
	w.str = func(path, v string) {
		if strings.HasSuffix(path, "Event.info") {
			eventInfo = v
		}
	}
	w.leave = func(path string) {
		if strings.HasSuffix(path, ".Event") {
			flush()
		}
	}
	w.elem = func(path string, line int) (bool, error) {
		if !strings.HasSuffix(path, ".Attribute[]") || !strings.Contains(path, "Event") {
			return false, nil
		}
		found = true
		var a mispAttribute
		fatal, err := w.decodeElem(&a)
		if err != nil {
			if fatal {
				return true, err
			}
			k.fr.problem(line, "attribute: %v", err)
			return true, nil
		}
		if bool(a.Deleted) {
			k.fr.Skipped++
			return true, nil
		}
		if k.src.IDSOnly && !bool(a.ToIDS) {
			k.fr.Skipped++
			return true, nil
		}
		m, ok := mispTypes[strings.ToLower(a.Type)]
		if !ok {
			k.fr.unsupported("misp type " + a.Type)
			return true, nil
		}
		parts := strings.Split(a.Value, "|")
		if m.part == -1 { // domain|ip
			if len(parts) != 2 {
				k.fr.problem(line, "%s value %q is not domain|ip", a.Type, a.Value)
				return true, nil
			}
			queue = append(queue,
				pending{Indicator{Type: Domain, Value: parts[0], Description: a.Comment}, line},
				pending{Indicator{Type: IP, Value: parts[1], Description: a.Comment}, line})
			return true, nil
		}
		if m.part >= len(parts) {
			k.fr.problem(line, "%s value %q lacks part %d", a.Type, a.Value, m.part+1)
			return true, nil
		}
		v := parts[m.part]
		if strings.HasSuffix(a.Type, "|port") && len(parts) == 1 {
			v = a.Value
		}
		queue = append(queue, pending{Indicator{Type: m.t, Value: v, Description: a.Comment}, line})
		return true, nil
	}
	if err := w.run(); err != nil {
		k.fr.problem(w.errLine(err), "JSON: %v", err)
	}
	flush()
	if !found && len(k.fr.Problems) == 0 {
		var probe map[string]json.RawMessage
		if json.Unmarshal(data, &probe) == nil {
			if _, ok := probe["Event"]; !ok {
				k.fr.problem(1, "no MISP Event found (want {\"Event\": {\"Attribute\": [...]}})")
			}
		}
	}
}
