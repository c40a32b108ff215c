package jsonw

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// The oracle is encoding/json: what AppendString writes must decode to the
// input, each invalid UTF-8 byte replaced by U+FFFD.
func check(t *testing.T, s string) {
	t.Helper()
	b := AppendString([]byte("x"), s)
	if b[0] != 'x' {
		t.Fatalf("prefix lost")
	}
	out := b[1:]
	if !utf8.Valid(out) {
		t.Fatalf("%q: output not valid UTF-8: %q", s, out)
	}
	var back string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("%q: output %q is not a JSON string: %v", s, out, err)
	}
	if want := perByte(s); back != want {
		t.Fatalf("%q: decodes to %q, want %q", s, back, want)
	}
	if strings.ContainsAny(string(out), "\u2028\u2029") {
		t.Fatalf("%q: U+2028/2029 left unescaped", s)
	}
}

func perByte(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `a"b\c`, "tab\tnl\ncr\r", "\x00\x01\x1f\x7f", "é ü 日本", "\u2028\u2029", "bad \xff\xfe utf8", "\xc3", "Let's Encrypt"} {
		check(t, s)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "\u2028", "日本\x00"} {
		f.Add(s)
	}
	f.Fuzz(check)
}
