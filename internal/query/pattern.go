package query

import "strings"

// PartKind is the kind of one element of a wildcard pattern.
type PartKind uint8

const (
	Lit  PartKind = iota // literal text
	Star                 // '*': any run of characters, including none
	One                  // '?': exactly one character (Unicode code point)
)

// Part is one element of a wildcard pattern; Text is set for Lit.
type Part struct {
	Kind PartKind
	Text string
}

// Parts splits a canonical wildcard pattern into literal runs and
// wildcards. Literal runs are maximal (never two Lit in a row) and stars
// are never adjacent.
func Parts(pattern string) []Part {
	var out []Part
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, Part{Kind: Lit, Text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '\\':
			if i+1 < len(pattern) {
				i++
				lit.WriteByte(pattern[i])
			} else {
				lit.WriteByte(c)
			}
		case '*':
			flush()
			if len(out) == 0 || out[len(out)-1].Kind != Star {
				out = append(out, Part{Kind: Star})
			}
		case '?':
			flush()
			out = append(out, Part{Kind: One})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out
}

// patternBuilder accumulates a canonical pattern and the literal text of a
// value at the same time (the lexer does not know yet which one it needs).
type patternBuilder struct {
	pat  strings.Builder
	lit  strings.Builder
	wild bool
	star bool // last pattern element is a star
}

func (b *patternBuilder) literal(r rune) {
	if r == '\\' || r == '*' || r == '?' {
		b.pat.WriteByte('\\')
	}
	b.pat.WriteRune(r)
	b.lit.WriteRune(r)
	b.star = false
}

func (b *patternBuilder) wildcard(r rune) {
	b.wild = true
	if r == '*' {
		if b.star {
			return
		}
		b.star = true
	} else {
		b.star = false
	}
	b.pat.WriteRune(r)
}
