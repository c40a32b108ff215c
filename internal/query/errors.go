package query

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a query syntax or type error with its position, for messages
// such as
//
//	1:1: unknown field "tls.sn1" (did you mean tls.sni?)
type Error struct {
	Pos  int    // 0-based byte offset in the query
	Line int    // 1-based line (queries read from files may span lines)
	Col  int    // 1-based column in characters within Line
	Msg  string // what is wrong and, when possible, how to fix it
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Caret returns the query line the error is on and, below it, a '^' under
// the error's column, for terminals:
//
//	tls.sn1:x AND dest_port:443
//	^
func (e *Error) Caret(input string) string {
	pos := min(max(e.Pos, 0), len(input))
	start := strings.LastIndexByte(input[:pos], '\n') + 1
	end := len(input)
	if i := strings.IndexByte(input[start:], '\n'); i >= 0 {
		end = start + i
	}
	line := input[start:end]
	var pad strings.Builder
	for _, r := range input[start:pos] {
		if r == '\t' {
			pad.WriteByte('\t') // keep tabs so the caret lines up
		} else {
			pad.WriteByte(' ')
		}
	}
	return strings.TrimRight(line, "\r") + "\n" + pad.String() + "^"
}

// newError builds an Error at byte offset pos of src.
func newError(src string, pos int, format string, args ...any) *Error {
	if pos > len(src) {
		pos = len(src)
	}
	if pos < 0 {
		pos = 0
	}
	line := 1 + strings.Count(src[:pos], "\n")
	start := strings.LastIndexByte(src[:pos], '\n') + 1
	col := 1 + utf8.RuneCountInString(src[start:pos])
	return &Error{Pos: pos, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// column is the 1-based character column of byte offset pos (for messages
// that refer to another position, like an unclosed parenthesis).
func column(src string, pos int) int {
	start := strings.LastIndexByte(src[:pos], '\n') + 1
	return 1 + utf8.RuneCountInString(src[start:pos])
}
