package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
)

// walker streams a JSON document and hands selected array elements to a
// callback, which decodes them; everything else is skipped token by token.
// Paths look like ".objects[]", ".Event.Object[].Attribute[]", "[]".
// It keeps byte offsets so problems carry line numbers.
type walker struct {
	dec   *json.Decoder
	data  []byte
	lines []int // offsets of '\n'
	// elem is called for every array element; it returns true when it
	// consumed (decoded) the element.
	elem func(path string, line int) (bool, error)
	// enter / leave are called around objects (optional).
	enter, leave func(path string)
	// str is called for string values (optional).
	str func(path, v string)
}

func newWalker(data []byte) *walker {
	w := &walker{dec: json.NewDecoder(bytes.NewReader(data)), data: data}
	for i, c := range data {
		if c == '\n' {
			w.lines = append(w.lines, i)
		}
	}
	return w
}

// lineAt returns the 1-based line of byte offset off, skipping the
// separators json.Decoder leaves before the next value.
func (w *walker) lineAt(off int64) int {
	i := max(int(off), 0)
	for i < len(w.data) {
		switch w.data[i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
			continue
		}
		break
	}
	return sort.SearchInts(w.lines, i) + 1
}

// errLine is the line of a decoding error, or of the decoder's position.
func (w *walker) errLine(err error) int {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return w.lineAt(se.Offset - 1)
	}
	var ue *json.UnmarshalTypeError
	if errors.As(err, &ue) {
		return w.lineAt(ue.Offset - 1)
	}
	return w.lineAt(w.dec.InputOffset())
}

const maxDepth = 64

func (w *walker) run() error { return w.value("", 0) }

func (w *walker) value(path string, depth int) error {
	if depth > maxDepth {
		return errors.New("JSON nested too deeply")
	}
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			if w.enter != nil {
				w.enter(path)
			}
			for w.dec.More() {
				kt, err := w.dec.Token()
				if err != nil {
					return err
				}
				key, _ := kt.(string)
				if err := w.value(path+"."+key, depth+1); err != nil {
					return err
				}
			}
			if _, err := w.dec.Token(); err != nil { // '}'
				return err
			}
			if w.leave != nil {
				w.leave(path)
			}
		case '[':
			p := path + "[]"
			for w.dec.More() {
				line := w.lineAt(w.dec.InputOffset())
				done, err := w.elem(p, line)
				if err != nil {
					return err
				}
				if done {
					continue
				}
				if err := w.value(p, depth+1); err != nil {
					return err
				}
			}
			if _, err := w.dec.Token(); err != nil { // ']'
				return err
			}
		}
	case string:
		if w.str != nil {
			w.str(path, t)
		}
	}
	return nil
}

// decodeElem decodes the current element into v. Type mismatches are
// returned as errors but leave the decoder after the element, so the walk
// continues; syntax errors stop it.
func (w *walker) decodeElem(v any) (fatal bool, err error) {
	err = w.dec.Decode(v)
	if err == nil {
		return false, nil
	}
	var ue *json.UnmarshalTypeError
	if errors.As(err, &ue) {
		return false, err
	}
	return true, err
}
