package query

import (
	"unicode"
	"unicode/utf8"
)

// The lexer is context dependent, as Lucene's is: after "field:" almost any
// character belongs to the value (URLs, IPv6 addresses, paths), while
// between terms only operators, parentheses and field names are expected.
// The parser therefore asks for the kind of token it wants: op() in
// operator position, name() for a field name, value() after a colon.

type tokKind uint8

const (
	tEOF    tokKind = iota
	tLParen         // (
	tRParen         // )
	tAnd            // AND, &&
	tOr             // OR, ||
	tNot            // NOT, !, -
	tPlus           // + (Lucene "must": a no-op under implicit AND)
	tTerm           // anything else: the start of a term
)

type lexer struct {
	src string
	pos int
}

func (l *lexer) eof() bool { return l.pos >= len(l.src) }

// peekRune returns the rune at the current position and its size (0 at EOF).
func (l *lexer) peekRune() (rune, int) {
	if l.pos >= len(l.src) {
		return 0, 0
	}
	return utf8.DecodeRuneInString(l.src[l.pos:])
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || unicode.IsSpace(r)
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.src) {
		r, n := l.peekRune()
		if !isSpace(r) {
			return
		}
		l.pos += n
	}
}

// keywordAt returns the operator keyword (AND, OR, NOT, TO) starting at pos
// if the word there is exactly that, upper-case, and delimited by space,
// a parenthesis or the end. Lower-case and/or/not are ordinary words.
func (l *lexer) keywordAt(pos int) string {
	for _, kw := range [...]string{"AND", "OR", "NOT", "TO"} {
		end := pos + len(kw)
		if end > len(l.src) || l.src[pos:end] != kw {
			continue
		}
		if end == len(l.src) {
			return kw
		}
		r, _ := utf8.DecodeRuneInString(l.src[end:])
		if isSpace(r) || r == '(' || r == ')' {
			return kw
		}
	}
	return ""
}

// op classifies the token at the current position (after skipping space)
// in operator position and returns its length; it does not consume it.
func (l *lexer) op() (tokKind, int) {
	l.skipSpace()
	if l.eof() {
		return tEOF, 0
	}
	s := l.src[l.pos:]
	switch s[0] {
	case '(':
		return tLParen, 1
	case ')':
		return tRParen, 1
	case '!', '-':
		return tNot, 1
	case '+':
		return tPlus, 1
	case '&':
		if len(s) > 1 && s[1] == '&' {
			return tAnd, 2
		}
	case '|':
		if len(s) > 1 && s[1] == '|' {
			return tOr, 2
		}
	}
	switch l.keywordAt(l.pos) {
	case "AND":
		return tAnd, 3
	case "OR":
		return tOr, 2
	case "NOT":
		return tNot, 3
	}
	return tTerm, 0
}

func isNameRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '@')
}

// name consumes a field name (possibly empty).
func (l *lexer) name() string {
	start := l.pos
	for l.pos < len(l.src) && isNameRune(rune(l.src[l.pos])) {
		l.pos++
	}
	return l.src[start:l.pos]
}

// word returns, without consuming, the bare word at the current position
// (up to space or a parenthesis), for error messages.
func (l *lexer) word() string {
	end := l.pos
	for end < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[end:])
		if isSpace(r) || r == '(' || r == ')' {
			break
		}
		end += n
	}
	return l.src[l.pos:end]
}

// valTok is a value as written: quoted or bare, with its literal text and
// its canonical wildcard pattern.
type valTok struct {
	pos, end int
	raw      string // the source text
	quoted   bool
	lit      string // the value with escapes resolved
	pattern  string // canonical wildcard pattern (see Wildcard)
	wild     bool   // bare and contains an unescaped * or ?
}

// anyValue reports a bare value that is only stars: "field:*".
func (v valTok) anyValue() bool { return v.wild && v.pattern == "*" }

// keyword reports a bare value that is exactly an operator keyword.
func (v valTok) keyword() bool {
	switch v.raw {
	case "AND", "OR", "NOT", "TO":
		return true
	}
	return false
}

// quoted consumes a double-quoted value at the current position. Inside
// quotes \" is a quote and \\ a backslash; a backslash before any other
// character is kept (so Windows paths paste as they are), and * and ? are
// literal.
func (l *lexer) quoted() (valTok, *Error) {
	start := l.pos
	l.pos++ // opening quote
	var b []byte
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '"':
			l.pos++
			return valTok{pos: start, end: l.pos, raw: l.src[start:l.pos], quoted: true, lit: string(b)}, nil
		case c == '\\' && l.pos+1 < len(l.src) && (l.src[l.pos+1] == '"' || l.src[l.pos+1] == '\\'):
			b = append(b, l.src[l.pos+1])
			l.pos += 2
		default:
			b = append(b, c)
			l.pos++
		}
	}
	return valTok{}, newError(l.src, start, "unterminated quoted value: the '\"' at column %d has no closing quote", column(l.src, start))
}

// bare consumes an unquoted value: everything up to space, a parenthesis
// or one of the runes in stop. A backslash makes the next character literal
// (\* \? \( \  ...); unescaped * and ? are wildcards.
func (l *lexer) bare(stop string) (valTok, *Error) {
	start := l.pos
	var b patternBuilder
	for l.pos < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[l.pos:])
		if isSpace(r) || r == ')' || containsRune(stop, r) {
			break
		}
		switch r {
		case '(':
			return valTok{}, newError(l.src, l.pos, "unexpected '(' inside a value: quote values that contain parentheses, e.g. \"%s\"", l.src[start:l.pos]+"(...)")
		case '"':
			return valTok{}, newError(l.src, l.pos, "unexpected '\"' inside a value: quote the whole value, or escape the quote as \\\"")
		case '\\':
			if l.pos+1 >= len(l.src) {
				return valTok{}, newError(l.src, l.pos, "a backslash at the end of a value escapes nothing (write \\\\ for a backslash)")
			}
			l.pos++
			r, n = utf8.DecodeRuneInString(l.src[l.pos:])
			b.literal(r)
		case '*', '?':
			b.wildcard(r)
		default:
			b.literal(r)
		}
		l.pos += n
	}
	return valTok{pos: start, end: l.pos, raw: l.src[start:l.pos], lit: b.lit.String(), pattern: b.pat.String(), wild: b.wild}, nil
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}
