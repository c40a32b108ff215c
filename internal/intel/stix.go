package intel

import (
	"encoding/json"
	"fmt"
	"strings"
)

// stixObject holds the fields of STIX 2.x objects that matter here.
type stixObject struct {
	Type        string            `json:"type"`
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Pattern     string            `json:"pattern"`
	PatternType string            `json:"pattern_type"`
	Confidence  *int              `json:"confidence"`
	Revoked     bool              `json:"revoked"`
	Value       json.RawMessage   `json:"value"`
	Hashes      map[string]string `json:"hashes"`
	// observed-data (STIX 2.0 style): embedded observables.
	Objects map[string]stixObject `json:"objects"`
}

// loadSTIX reads a STIX 2.1 bundle ({"type":"bundle","objects":[...]}), a
// TAXII envelope ({"objects":[...]}), a bare array of objects or a single
// object. Indicators with pattern_type "stix" (or none) are parsed with
// ParsePattern; cyber observables (ipv4-addr, ipv6-addr, domain-name, url,
// x509-certificate, file hashes) and observed-data objects are loaded as
// indicators unless Source.NoObservables is set. Unsupported patterns and
// objects are counted; syntax errors are problems with a line number.
func loadSTIX(k *sink, data []byte) {
	w := newWalker(data)
	found := false
	w.elem = func(path string, line int) (bool, error) {
		if path != ".objects[]" && path != "[]" {
			return false, nil
		}
		found = true
		var o stixObject
		fatal, err := w.decodeElem(&o)
		if err != nil {
			if fatal {
				return true, err
			}
			k.fr.problem(line, "object: %v", err)
			return true, nil
		}
		stixObjectIndicators(k, &o, line)
		return true, nil
	}
	if err := w.run(); err != nil {
		k.fr.problem(w.errLine(err), "JSON: %v", err)
		return
	}
	if !found {
		var o stixObject
		if err := json.Unmarshal(data, &o); err == nil && o.Type != "" {
			stixObjectIndicators(k, &o, 1)
		} else if err == nil {
			k.fr.problem(1, "no STIX objects (want a bundle with \"objects\")")
		}
	}
}

func stixObjectIndicators(k *sink, o *stixObject, line int) {
	desc := o.Name
	if o.Description != "" {
		if desc != "" {
			desc += ": "
		}
		desc += o.Description
	}
	conf := 0
	if o.Confidence != nil && *o.Confidence >= 0 && *o.Confidence <= 100 {
		conf = *o.Confidence
	}
	ref := o.ID
	if ref == "" {
		ref = o.Type
	}
	switch o.Type {
	case "indicator":
		if o.Revoked {
			k.fr.Skipped++
			return
		}
		if o.PatternType != "" && !strings.EqualFold(o.PatternType, "stix") {
			k.fr.unsupported("pattern_type " + o.PatternType)
			return
		}
		if o.Pattern == "" {
			k.fr.problem(line, "%s: indicator without a pattern", ref)
			return
		}
		res, err := ParsePattern(o.Pattern)
		if err != nil {
			k.fr.problem(line, "%s: %v", ref, err)
			return
		}
		if len(res.Values) == 0 {
			what := "pattern without supported comparisons"
			if len(res.Unsupported) > 0 {
				what = res.Unsupported[0]
			}
			k.fr.unsupported(what)
			return
		}
		if res.Loosened {
			k.fr.Loosened++
		}
		for _, v := range res.Values {
			k.add(line, Indicator{Type: v.Type, Value: v.Value, Description: desc, Confidence: conf})
		}
	case "observed-data":
		if k.src.NoObservables {
			k.fr.Skipped++
			return
		}
		for _, sub := range o.Objects {
			sub := sub
			if sub.Name == "" && sub.Description == "" {
				sub.Name = desc
			}
			stixObjectIndicators(k, &sub, line)
		}
	case "ipv4-addr", "ipv6-addr", "domain-name", "url":
		if k.src.NoObservables {
			k.fr.Skipped++
			return
		}
		var v string
		if err := json.Unmarshal(o.Value, &v); err != nil || v == "" {
			k.fr.problem(line, "%s: observable without a string value", ref)
			return
		}
		t := IP
		switch o.Type {
		case "domain-name":
			t = Domain
		case "url":
			t = URL
		}
		k.add(line, Indicator{Type: t, Value: v, Description: desc, Confidence: conf})
	case "x509-certificate", "file":
		if k.src.NoObservables {
			k.fr.Skipped++
			return
		}
		n := 0
		for alg, h := range o.Hashes {
			t, ok := hashType(o.Type, alg)
			if !ok {
				continue
			}
			k.add(line, Indicator{Type: t, Value: h, Description: desc, Confidence: conf})
			n++
		}
		if n == 0 {
			k.fr.unsupported(o.Type + " without MD5/SHA-1/SHA-256")
		}
	case "bundle", "identity", "marking-definition", "relationship", "sighting", "report",
		"malware", "threat-actor", "intrusion-set", "campaign", "attack-pattern", "tool",
		"vulnerability", "course-of-action", "note", "opinion", "grouping", "location",
		"infrastructure", "malware-analysis", "incident", "language-content", "extension-definition":
		// Context objects: nothing to match.
	case "":
		k.fr.problem(line, "object without a type")
	default:
		k.fr.unsupported(fmt.Sprintf("object %s", o.Type))
	}
}

func hashType(objType, alg string) (Type, bool) {
	a := strings.ToUpper(strings.ReplaceAll(alg, "-", ""))
	if objType == "x509-certificate" {
		return CertSHA1, a == "SHA1"
	}
	switch a {
	case "MD5":
		return FileMD5, true
	case "SHA1":
		return FileSHA1, true
	case "SHA256":
		return FileSHA256, true
	}
	return "", false
}
