package query

import (
	"strings"
	"unicode/utf8"

	"github.com/nethunt/nethunt/internal/fields"
)

// Options configure ParseWith.
type Options struct {
	// Resolve maps a field name to its registry entry; nil means
	// fields.Lookup. A resolver can add fields (host.* from Host Insights)
	// or restrict them.
	Resolve func(name string) (*fields.Field, bool)
	// Suggest proposes up to n known names close to an unknown one for the
	// "did you mean" hint; nil means fields.Suggest.
	Suggest func(name string, n int) []string
}

// maxDepth bounds nesting (parentheses, NOT chains) so that a hostile query
// cannot exhaust the stack of the parser or of the evaluators.
const maxDepth = 100

// Parse parses a filter with the default field registry. An empty (or
// all-space) query is MatchAll. Errors are *Error.
func Parse(input string) (Expr, error) { return ParseWith(input, Options{}) }

// ParseWith parses a filter with a custom field resolver.
func ParseWith(input string, opt Options) (Expr, error) {
	if opt.Resolve == nil {
		opt.Resolve = fields.Lookup
	}
	if opt.Suggest == nil {
		opt.Suggest = fields.Suggest
	}
	if !utf8.ValidString(input) {
		pos := 0
		for pos < len(input) {
			r, n := utf8.DecodeRuneInString(input[pos:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			pos += n
		}
		return nil, newError(input, pos, "the query is not valid UTF-8")
	}
	p := &parser{lx: lexer{src: input}, opt: opt}
	e, err := p.parse()
	if err != nil {
		return nil, err
	}
	return e, nil
}

type parser struct {
	lx    lexer
	opt   Options
	depth int
}

func (p *parser) errf(pos int, format string, args ...any) *Error {
	return newError(p.lx.src, pos, format, args...)
}

func (p *parser) parse() (Expr, *Error) {
	if k, _ := p.lx.op(); k == tEOF {
		return &MatchAll{}, nil
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	switch k, _ := p.lx.op(); k {
	case tEOF:
		return e, nil
	case tRParen:
		return nil, p.errf(p.lx.pos, "unexpected ')': there is no '(' to close")
	}
	return nil, p.errf(p.lx.pos, "unexpected %q", p.lx.word())
}

// or := and (OR and)*
func (p *parser) or() (Expr, *Error) {
	e, err := p.and()
	if err != nil {
		return nil, err
	}
	args := []Expr{e}
	for {
		k, n := p.lx.op()
		if k != tOr {
			return mkOr(args), nil
		}
		at := p.lx.pos
		p.lx.pos += n
		e, err := p.unary(p.lx.src[at:at+n], at)
		if err != nil {
			return nil, err
		}
		e, err = p.andRest(e)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
}

// and := unary ((AND)? unary)*: adjacent terms are ANDed.
func (p *parser) and() (Expr, *Error) {
	e, err := p.unary("", -1)
	if err != nil {
		return nil, err
	}
	return p.andRest(e)
}

func (p *parser) andRest(first Expr) (Expr, *Error) {
	args := []Expr{first}
	for {
		k, n := p.lx.op()
		var e Expr
		var err *Error
		switch k {
		case tAnd:
			at := p.lx.pos
			p.lx.pos += n
			e, err = p.unary(p.lx.src[at:at+n], at)
		case tLParen, tNot, tPlus, tTerm:
			e, err = p.unary("", -1)
		default:
			return mkAnd(args), nil
		}
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
}

// unary := (NOT | ! | - | +) unary | ( or ) | term. after names the
// operator that requires this operand, for messages.
func (p *parser) unary(after string, afterPos int) (Expr, *Error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errf(p.lx.pos, "the query is nested too deeply (more than %d levels)", maxDepth)
	}
	k, n := p.lx.op()
	switch k {
	case tNot, tPlus:
		at := p.lx.pos
		p.lx.pos += n
		e, err := p.unary(p.lx.src[at:at+n], at)
		if err != nil {
			return nil, err
		}
		if k == tPlus {
			return e, nil
		}
		return &Not{Arg: e}, nil
	case tLParen:
		return p.group()
	case tTerm:
		return p.term()
	}
	// No operand where one is required.
	found := "the end of the query"
	switch k {
	case tRParen:
		found = "')'"
	case tAnd, tOr:
		found = p.lx.src[p.lx.pos : p.lx.pos+n]
	}
	if after != "" {
		if k == tEOF {
			return nil, p.errf(afterPos, "expected a term after %s, found %s", after, found)
		}
		return nil, p.errf(p.lx.pos, "expected a term after %s, found %s", after, found)
	}
	switch k {
	case tAnd, tOr:
		return nil, p.errf(p.lx.pos, "expected a term before %s", found)
	case tRParen:
		return nil, p.errf(p.lx.pos, "unexpected ')': there is no '(' to close")
	}
	return nil, p.errf(p.lx.pos, "expected a term, found %s", found)
}

func (p *parser) group() (Expr, *Error) {
	open := p.lx.pos
	p.lx.pos++
	if k, _ := p.lx.op(); k == tRParen {
		return nil, p.errf(open, "empty parentheses")
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if err := p.closeParen(open); err != nil {
		return nil, err
	}
	return e, nil
}

func (p *parser) closeParen(open int) *Error {
	p.lx.skipSpace()
	if p.lx.eof() {
		return p.errf(open, "unbalanced parenthesis opened at column %d: missing ')'", column(p.lx.src, open))
	}
	if p.lx.src[p.lx.pos] != ')' {
		return p.errf(p.lx.pos, "expected ')' to close the parenthesis opened at column %d, found %q", column(p.lx.src, open), p.lx.word())
	}
	p.lx.pos++
	return nil
}

// term := "*" | "*:*" | name ":" value | name (< | <= | > | >=) value
func (p *parser) term() (Expr, *Error) {
	start := p.lx.pos
	if p.lx.src[start] == '*' {
		switch w := p.lx.word(); {
		case w == "*" || w == "*:*":
			p.lx.pos += len(w)
			return &MatchAll{}, nil
		case strings.HasPrefix(w, "*:"):
			return nil, p.errf(start, "searching every field (*:value) is not supported: name a field, e.g. http.hostname:value (see 'nethunt fields')")
		}
		return nil, p.bareWord(start)
	}
	name := p.fieldName()
	if name == "" {
		r, _ := p.lx.peekRune()
		switch r {
		case ':':
			return nil, p.errf(start, "expected a field name before ':'")
		case '"':
			return nil, p.errf(start, "a quoted value needs a field: write field:\"...\" (there is no free-text search)")
		case '=':
			return nil, p.errf(start, "expected a field name before '='")
		}
		return nil, p.errf(start, "unexpected %q", string(r))
	}
	afterName := p.lx.pos
	p.lx.skipSpace()
	if p.lx.eof() {
		p.lx.pos = start
		return nil, p.bareWord(start)
	}
	switch c := p.lx.src[p.lx.pos]; c {
	case ':', '<', '>':
		f, ok := p.opt.Resolve(name)
		if !ok {
			if c == ':' && p.lx.pos == afterName && looksLikeAddress(p.lx.word2(start)) {
				// fe80::1 or 10.0.0.1:80 typed without a field.
				return nil, p.bareWord(start)
			}
			return nil, p.unknownField(name, start)
		}
		if c == ':' {
			p.lx.pos++
			return p.fieldValue(f, start)
		}
		return p.comparison(f, start)
	case '=':
		if p.lx.pos == afterName {
			return nil, p.errf(p.lx.pos, "use ':' between a field and its value (%s:...), not '='", name)
		}
	}
	p.lx.pos = start
	return nil, p.bareWord(start)
}

// fieldName consumes a field name: anything up to ':', a comparison, space,
// a parenthesis, a quote or '=' (broader than real names so that unknown
// names get a "did you mean").
func (p *parser) fieldName() string {
	l := &p.lx
	start := l.pos
	for l.pos < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[l.pos:])
		if isSpace(r) || strings.ContainsRune(":<>()\"=[]{}", r) {
			break
		}
		l.pos += n
	}
	return l.src[start:l.pos]
}

// word2 is the bare word at pos including colons (an IPv6 address).
func (l *lexer) word2(pos int) string {
	save := l.pos
	l.pos = pos
	w := l.word()
	l.pos = save
	return w
}

func (p *parser) unknownField(name string, pos int) *Error {
	hint := " (see 'nethunt fields')"
	if s := p.opt.Suggest(name, 3); len(s) > 0 {
		hint = " (did you mean " + orList(s) + "?)"
	}
	return p.errf(pos, "unknown field %q%s", name, hint)
}

func orList(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// bareWord explains a word standing where a term should be.
func (p *parser) bareWord(pos int) *Error {
	p.lx.pos = pos
	w := p.lx.word()
	switch strings.ToLower(w) {
	case "and", "or", "not", "to":
		return p.errf(pos, "%q is not an operator: write %s (operators are upper-case); to search for the word, quote it", w, strings.ToUpper(w))
	}
	if looksLikeAddress(w) {
		return p.errf(pos, "an address needs a field: write ip:%s (source or destination), src_ip:%s or dest_ip:%s", quoteIfNeeded(w), quoteIfNeeded(w), quoteIfNeeded(w))
	}
	if f, ok := p.opt.Resolve(w); ok {
		return p.errf(pos+len(w), "expected ':' after field name %s (e.g. %s:value)", f.Name, f.Name)
	}
	return p.errf(pos, "expected field:value, found %q: there is no free-text search, name a field (see 'nethunt fields')", w)
}

func quoteIfNeeded(s string) string {
	if strings.HasPrefix(s, ":") {
		return `"` + s + `"`
	}
	return s
}

// fieldValue parses what follows "field:".
func (p *parser) fieldValue(f *fields.Field, namePos int) (Expr, *Error) {
	colon := p.lx.pos - 1
	p.lx.skipSpace()
	if p.lx.eof() || p.lx.src[p.lx.pos] == ')' {
		return nil, p.errf(colon+1, "expected a value after ':'")
	}
	switch p.lx.src[p.lx.pos] {
	case '(':
		return p.fieldGroup(f, namePos)
	}
	return p.item(f, namePos, ":", true)
}

// item parses one value of a field: a range, a comparison, a quoted or a
// bare value. multi allows a bare value of a text field to go on over
// following words (see more).
func (p *parser) item(f *fields.Field, namePos int, after string, multi bool) (Expr, *Error) {
	switch p.lx.src[p.lx.pos] {
	case '[', '{':
		return p.rangeValue(f, namePos)
	case '<', '>':
		return p.comparison(f, namePos)
	case '"':
		v, err := p.lx.quoted()
		if err != nil {
			return nil, err
		}
		return p.typed(f, namePos, v)
	}
	v, err := p.lx.bare("")
	if err != nil {
		return nil, err
	}
	if v.raw == "" {
		return nil, p.errf(v.pos, "expected a value after '%s'", after)
	}
	if v.keyword() {
		return nil, p.errf(v.pos, "expected a value after '%s', found the operator %s (quote it to search for the word: \"%s\")", after, v.raw, v.raw)
	}
	if multi && (f.Type == fields.String || f.Type == fields.Strings) {
		if v, err = p.more(v); err != nil {
			return nil, err
		}
	}
	return p.typed(f, namePos, v)
}

// more extends a bare text value over the words that follow it, the way
// KQL reads tls.issuerdn:*Let?s Encrypt* as one value: a wildcard cannot be
// quoted, and escaping every space is unkind. The value stops before an
// operator, a parenthesis, a quote, a negation (- ! +) or a word that starts
// a new term (name: name< name>), and a word that is a dotted field name or
// a lower-case operator is an error rather than silently part of the value.
// The whitespace between words is kept as typed.
func (p *parser) more(v valTok) (valTok, *Error) {
	l := &p.lx
	for {
		save := l.pos
		l.skipSpace()
		if l.eof() || l.pos == save {
			l.pos = save
			return v, nil
		}
		gap := l.src[save:l.pos]
		if strings.ContainsRune("()\"-!+", rune(l.src[l.pos])) || l.keywordAt(l.pos) != "" ||
			strings.HasPrefix(l.src[l.pos:], "&&") || strings.HasPrefix(l.src[l.pos:], "||") {
			l.pos = save
			return v, nil
		}
		w := l.word()
		if w == "*" || strings.HasPrefix(w, "*:") || p.startsTerm() || looksLikeAddress(w) {
			l.pos = save
			return v, nil
		}
		switch strings.ToLower(w) {
		case "and", "or", "not":
			return v, p.errf(l.pos, "%q is not an operator: write %s (operators are upper-case); to search for the word inside the value, escape the spaces around it (\\ %s\\ ) or quote the value", w, strings.ToUpper(w), w)
		}
		if strings.ContainsAny(w, "._") {
			// Probably a term without its colon (dest_port 53), not a word
			// of the value; plain words (host, port) may be either.
			if _, ok := p.opt.Resolve(w); ok {
				return v, p.bareWord(l.pos)
			}
		}
		next, err := l.bare("")
		if err != nil {
			return v, err
		}
		v.end, v.raw = next.end, l.src[v.pos:next.end]
		v.lit += gap + next.lit
		v.pattern += gap + next.pattern
		v.wild = v.wild || next.wild
	}
}

// startsTerm reports whether the text at the current position is a term:
// a name directly followed by ':', '<' or '>'.
func (p *parser) startsTerm() bool {
	save := p.lx.pos
	defer func() { p.lx.pos = save }()
	name := p.fieldName()
	if name == "" || p.lx.eof() {
		return false
	}
	c := p.lx.src[p.lx.pos]
	return c == ':' || c == '<' || c == '>'
}

// fieldGroup parses field:( ... ): values separated by OR (or just space,
// which also means OR: an inclusion list), AND, NOT and parentheses, each
// applied to the field.
func (p *parser) fieldGroup(f *fields.Field, namePos int) (Expr, *Error) {
	open := p.lx.pos
	p.lx.pos++
	p.lx.skipSpace()
	if !p.lx.eof() && p.lx.src[p.lx.pos] == ')' {
		return nil, p.errf(open, "empty list: write %s:(a OR b ...)", f.Name)
	}
	e, err := p.gOr(f, namePos, open)
	if err != nil {
		return nil, err
	}
	if err := p.closeParen(open); err != nil {
		return nil, err
	}
	return e, nil
}

// groupOp classifies the token at the current position inside a field
// group: AND, OR, NOT (keywords or && ||), ')' , EOF, or a value (tTerm).
func (p *parser) groupOp() (tokKind, int) {
	l := &p.lx
	l.skipSpace()
	if l.eof() {
		return tEOF, 0
	}
	s := l.src[l.pos:]
	if s[0] == ')' {
		return tRParen, 1
	}
	if len(s) >= 2 && (s[:2] == "&&" || s[:2] == "||") {
		if len(s) == 2 || isSpace(rune(s[2])) || s[2] == '(' || s[2] == ')' {
			if s[0] == '&' {
				return tAnd, 2
			}
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

// gOr := gAnd ((OR)? gAnd)*: inside a field group space means OR.
func (p *parser) gOr(f *fields.Field, namePos, open int) (Expr, *Error) {
	e, err := p.gAnd(f, namePos, open, "", -1)
	if err != nil {
		return nil, err
	}
	args := []Expr{e}
	for {
		k, n := p.groupOp()
		after, at := "", -1
		switch k {
		case tOr:
			after, at = p.lx.src[p.lx.pos:p.lx.pos+n], p.lx.pos
			p.lx.pos += n
		case tTerm, tNot:
		default:
			return mkOr(args), nil
		}
		e, err := p.gAnd(f, namePos, open, after, at)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
}

func (p *parser) gAnd(f *fields.Field, namePos, open int, after string, at int) (Expr, *Error) {
	e, err := p.gUnary(f, namePos, open, after, at)
	if err != nil {
		return nil, err
	}
	args := []Expr{e}
	for {
		k, n := p.groupOp()
		if k != tAnd {
			return mkAnd(args), nil
		}
		at := p.lx.pos
		p.lx.pos += n
		e, err := p.gUnary(f, namePos, open, p.lx.src[at:at+n], at)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
}

func (p *parser) gUnary(f *fields.Field, namePos, open int, after string, at int) (Expr, *Error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errf(p.lx.pos, "the query is nested too deeply (more than %d levels)", maxDepth)
	}
	k, n := p.groupOp()
	switch k {
	case tEOF:
		if after != "" {
			return nil, p.errf(at, "expected a value after %s", after)
		}
		return nil, p.errf(open, "unbalanced parenthesis opened at column %d: missing ')'", column(p.lx.src, open))
	case tRParen:
		if after != "" {
			return nil, p.errf(p.lx.pos, "expected a value after %s, found ')'", after)
		}
		return nil, p.errf(p.lx.pos, "expected a value, found ')'")
	case tAnd, tOr:
		return nil, p.errf(p.lx.pos, "expected a value before %s", p.lx.src[p.lx.pos:p.lx.pos+n])
	case tNot:
		nat := p.lx.pos
		p.lx.pos += n
		e, err := p.gUnary(f, namePos, open, "NOT", nat)
		if err != nil {
			return nil, err
		}
		return &Not{Arg: e}, nil
	}
	if p.lx.src[p.lx.pos] == '(' {
		inner := p.lx.pos
		p.lx.pos++
		p.lx.skipSpace()
		if !p.lx.eof() && p.lx.src[p.lx.pos] == ')' {
			return nil, p.errf(inner, "empty parentheses")
		}
		e, err := p.gOr(f, namePos, inner)
		if err != nil {
			return nil, err
		}
		if err := p.closeParen(inner); err != nil {
			return nil, err
		}
		return e, nil
	}
	if after == "" {
		after = "("
	}
	return p.item(f, namePos, after, false)
}

func mkAnd(args []Expr) Expr {
	if len(args) == 1 {
		return args[0]
	}
	var out []Expr
	for _, a := range args {
		if x, ok := a.(*And); ok {
			out = append(out, x.Args...)
		} else {
			out = append(out, a)
		}
	}
	return &And{Args: out}
}

func mkOr(args []Expr) Expr {
	if len(args) == 1 {
		return args[0]
	}
	var out []Expr
	for _, a := range args {
		if x, ok := a.(*Or); ok {
			out = append(out, x.Args...)
		} else {
			out = append(out, a)
		}
	}
	return &Or{Args: out}
}
