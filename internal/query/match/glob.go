package match

import (
	"strings"
	"unicode/utf8"

	"github.com/nethunt/nethunt/internal/query"
)

// compileGlob turns a canonical wildcard pattern into a string test. The
// common shapes analysts type get a single strings call; the rest run a
// small backtracking matcher, O(len(pattern)·len(value)) at worst and
// never exponential (only the last star is retried). '?' is one Unicode code point, as in DuckDB's
// LIKE '_'.
func compileGlob(pattern string) func(string) bool {
	parts := query.Parts(pattern)
	is := func(kinds ...query.PartKind) bool {
		if len(parts) != len(kinds) {
			return false
		}
		for i, k := range kinds {
			if parts[i].Kind != k {
				return false
			}
		}
		return true
	}
	const (
		lit  = query.Lit
		star = query.Star
	)
	switch {
	case is(star):
		return func(string) bool { return true }
	case is(star, lit, star):
		s := parts[1].Text
		return func(v string) bool { return strings.Contains(v, s) }
	case is(lit, star):
		s := parts[0].Text
		return func(v string) bool { return strings.HasPrefix(v, s) }
	case is(star, lit):
		s := parts[1].Text
		return func(v string) bool { return strings.HasSuffix(v, s) }
	case is(lit, star, lit):
		a, b := parts[0].Text, parts[2].Text
		return func(v string) bool {
			return len(v) >= len(a)+len(b) && strings.HasPrefix(v, a) && strings.HasSuffix(v, b)
		}
	}
	return func(v string) bool { return globMatch(parts, v) }
}

// globMatch matches v against pattern parts with star backtracking.
func globMatch(parts []query.Part, v string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for {
		if pi < len(parts) {
			switch p := parts[pi]; p.Kind {
			case query.Star:
				starP, starS = pi, si
				pi++
				continue
			case query.One:
				if si < len(v) {
					_, n := utf8.DecodeRuneInString(v[si:])
					si += n
					pi++
					continue
				}
			case query.Lit:
				if strings.HasPrefix(v[si:], p.Text) {
					si += len(p.Text)
					pi++
					continue
				}
			}
		} else if si == len(v) || len(parts) > 0 && parts[pi-1].Kind == query.Star {
			return true // all consumed, or a trailing star takes the rest
		}
		// Mismatch: let the last star swallow one more character.
		if starP < 0 || starS >= len(v) {
			return false
		}
		_, n := utf8.DecodeRuneInString(v[starS:])
		starS += n
		pi, si = starP+1, starS
	}
}
