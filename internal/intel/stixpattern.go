package intel

import (
	"errors"
	"fmt"
	"strings"
)

// PatternValue is one indicator extracted from a STIX pattern.
type PatternValue struct {
	Type  Type
	Value string
}

// PatternResult is what ParsePattern extracts from a STIX pattern.
type PatternResult struct {
	// Values are the indicators the pattern names through positive
	// comparisons (=, IN, ISSUBSET) on supported object paths.
	Values []PatternValue
	// Loosened is set when constraints could not be kept: AND / FOLLOWEDBY
	// between comparisons, qualifiers (WITHIN, REPEATS, START/STOP),
	// negated or other comparisons next to a supported one. The values
	// then match more than the pattern does.
	Loosened bool
	// Unsupported lists the object paths of comparisons this package
	// cannot turn into indicators (e.g. "email-addr:value", "file:name").
	Unsupported []string
}

// ParsePattern parses a STIX 2.1 pattern and extracts the indicator values
// nethunt can match:
//
//	ipv4-addr:value, ipv6-addr:value            → ip / cidr
//	network-traffic:dst_ref.value, src_ref.value → ip / cidr
//	domain-name:value                           → domain
//	url:value                                   → url
//	x509-certificate:hashes.'SHA-1'             → cert-sha1
//	file:hashes.'SHA-1' / MD5 / 'SHA-256'       → file-sha1 / file-md5 / file-sha256
//	network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' → user-agent
//
// Comparisons joined by OR give several indicators. The whole grammar is
// parsed (comparison and observation operators, qualifiers, set literals,
// typed literals t”, h”, b”); syntax errors are returned.
func ParsePattern(p string) (PatternResult, error) {
	ps := &patParser{lex: lexer{src: p}}
	ps.next()
	if err := ps.observations(0); err != nil {
		return PatternResult{}, err
	}
	if ps.tok.kind != tEOF {
		return PatternResult{}, ps.errorf("unexpected %s after the pattern", ps.tok)
	}
	r := ps.res
	if len(r.Values) > 0 && (ps.constraints || len(r.Unsupported) > 0 || ps.dropped) {
		r.Loosened = true
	}
	return r, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tLBrack
	tRBrack
	tLParen
	tRParen
	tColon
	tDot
	tComma
	tOp     // = != < <= > >=
	tIdent  // identifiers and keywords
	tString // 'quoted'
	tTyped  // t'..' h'..' b'..'
	tNumber
	tStar
	tMinus
	tBad
)

type token struct {
	kind tokKind
	text string // identifier, operator, number, or the unescaped string
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of pattern"
	case tString:
		return fmt.Sprintf("'%s'", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

type lexer struct {
	src string
	pos int
}

func (l *lexer) next() token {
	for l.pos < len(l.src) && (l.src[l.pos] == ' ' || l.src[l.pos] == '\t' || l.src[l.pos] == '\n' || l.src[l.pos] == '\r') {
		l.pos++
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tEOF, pos: start}
	}
	c := l.src[l.pos]
	one := func(k tokKind) token { l.pos++; return token{kind: k, text: string(c), pos: start} }
	switch c {
	case '[':
		return one(tLBrack)
	case ']':
		return one(tRBrack)
	case '(':
		return one(tLParen)
	case ')':
		return one(tRParen)
	case ':':
		return one(tColon)
	case '.':
		return one(tDot)
	case ',':
		return one(tComma)
	case '*':
		return one(tStar)
	case '=':
		return one(tOp)
	case '!':
		if strings.HasPrefix(l.src[l.pos:], "!=") {
			l.pos += 2
			return token{kind: tOp, text: "!=", pos: start}
		}
	case '<', '>':
		l.pos++
		if l.pos < len(l.src) && l.src[l.pos] == '=' {
			l.pos++
		}
		return token{kind: tOp, text: l.src[start:l.pos], pos: start}
	case '\'':
		s, ok := l.quoted()
		if !ok {
			return token{kind: tBad, text: "unterminated string", pos: start}
		}
		return token{kind: tString, text: s, pos: start}
	case '-':
		if l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1]) {
			break // a negative number
		}
		return one(tMinus)
	}
	if (c == 't' || c == 'h' || c == 'b') && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\'' {
		l.pos++
		s, ok := l.quoted()
		if !ok {
			return token{kind: tBad, text: "unterminated string", pos: start}
		}
		return token{kind: tTyped, text: s, pos: start}
	}
	if isDigit(c) || c == '-' || c == '+' {
		l.pos++
		for l.pos < len(l.src) && (isDigit(l.src[l.pos]) || l.src[l.pos] == '.' || l.src[l.pos] == 'e' || l.src[l.pos] == 'E') {
			l.pos++
		}
		return token{kind: tNumber, text: l.src[start:l.pos], pos: start}
	}
	if isIdentStart(c) {
		l.pos++
		for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
			l.pos++
		}
		return token{kind: tIdent, text: l.src[start:l.pos], pos: start}
	}
	l.pos++
	return token{kind: tBad, text: string(c), pos: start}
}

// quoted reads a '...' string at l.pos with \' and \\ escapes.
func (l *lexer) quoted() (string, bool) {
	l.pos++ // opening quote
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch c {
		case '\\':
			if l.pos+1 < len(l.src) {
				b.WriteByte(l.src[l.pos+1])
				l.pos += 2
				continue
			}
			return "", false
		case '\'':
			l.pos++
			return b.String(), true
		}
		b.WriteByte(c)
		l.pos++
	}
	return "", false
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '-' }

type patParser struct {
	lex lexer
	tok token
	res PatternResult
	// constraints: AND / FOLLOWEDBY / qualifiers were seen.
	constraints bool
	// dropped: a negated or non-equality comparison was ignored.
	dropped bool
}

var errDepth = errors.New("pattern nested too deeply")

const maxPatternDepth = 100

func (p *patParser) next() { p.tok = p.lex.next() }

func (p *patParser) errorf(format string, args ...any) error {
	return fmt.Errorf("pattern offset %d: %s", p.tok.pos, fmt.Sprintf(format, args...))
}

func (p *patParser) keyword(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *patParser) expect(k tokKind, what string) error {
	if p.tok.kind != k {
		if p.tok.kind == tBad {
			return p.errorf("%s", p.tok.text)
		}
		return p.errorf("expected %s, found %s", what, p.tok)
	}
	p.next()
	return nil
}

// observations: obsOr { FOLLOWEDBY obsOr }, where obsOr and obsAnd chain
// observation expressions with OR / AND.
func (p *patParser) observations(depth int) error {
	if depth > maxPatternDepth {
		return errDepth
	}
	for {
		if err := p.observation(depth); err != nil {
			return err
		}
		switch {
		case p.keyword("OR"):
			p.next()
		case p.keyword("AND"), p.keyword("FOLLOWEDBY"):
			p.constraints = true
			p.next()
		default:
			return nil
		}
	}
}

// observation: '[' comparison ']' qualifiers | '(' observations ')' qualifiers
func (p *patParser) observation(depth int) error {
	switch p.tok.kind {
	case tLBrack:
		p.next()
		if err := p.comparisons(depth + 1); err != nil {
			return err
		}
		if err := p.expect(tRBrack, "']'"); err != nil {
			return err
		}
	case tLParen:
		p.next()
		if err := p.observations(depth + 1); err != nil {
			return err
		}
		if err := p.expect(tRParen, "')'"); err != nil {
			return err
		}
	default:
		if p.tok.kind == tBad {
			return p.errorf("%s", p.tok.text)
		}
		return p.errorf("expected '[' or '(', found %s", p.tok)
	}
	return p.qualifiers()
}

func (p *patParser) qualifiers() error {
	for {
		switch {
		case p.keyword("START"):
			p.constraints = true
			p.next()
			if err := p.expect(tTyped, "t'timestamp'"); err != nil {
				return err
			}
			if !p.keyword("STOP") {
				return p.errorf("expected STOP, found %s", p.tok)
			}
			p.next()
			if err := p.expect(tTyped, "t'timestamp'"); err != nil {
				return err
			}
		case p.keyword("WITHIN"):
			p.constraints = true
			p.next()
			if err := p.expect(tNumber, "a number"); err != nil {
				return err
			}
			if !p.keyword("SECONDS") {
				return p.errorf("expected SECONDS, found %s", p.tok)
			}
			p.next()
		case p.keyword("REPEATS"):
			p.constraints = true
			p.next()
			if err := p.expect(tNumber, "a number"); err != nil {
				return err
			}
			if !p.keyword("TIMES") {
				return p.errorf("expected TIMES, found %s", p.tok)
			}
			p.next()
		default:
			return nil
		}
	}
}

// comparisons: term { (OR | AND) term }
func (p *patParser) comparisons(depth int) error {
	if depth > maxPatternDepth {
		return errDepth
	}
	for {
		if err := p.comparison(depth); err != nil {
			return err
		}
		switch {
		case p.keyword("OR"):
			p.next()
		case p.keyword("AND"):
			p.constraints = true
			p.next()
		default:
			return nil
		}
	}
}

// comparison: '(' comparisons ')' | EXISTS path | path [NOT] op value
func (p *patParser) comparison(depth int) error {
	if p.tok.kind == tLParen {
		p.next()
		if err := p.comparisons(depth + 1); err != nil {
			return err
		}
		return p.expect(tRParen, "')'")
	}
	if p.keyword("EXISTS") {
		p.next()
		_, err := p.objectPath()
		p.dropped = true
		return err
	}
	path, err := p.objectPath()
	if err != nil {
		return err
	}
	negated := false
	if p.keyword("NOT") {
		negated = true
		p.next()
	}
	var op string
	switch {
	case p.tok.kind == tOp:
		op = p.tok.text
	case p.keyword("IN"), p.keyword("LIKE"), p.keyword("MATCHES"), p.keyword("ISSUBSET"), p.keyword("ISSUPERSET"):
		op = strings.ToUpper(p.tok.text)
	default:
		if p.tok.kind == tBad {
			return p.errorf("%s", p.tok.text)
		}
		return p.errorf("expected a comparison operator after %s, found %s", path, p.tok)
	}
	p.next()
	var values []string
	var isString bool
	if op == "IN" {
		if values, err = p.setLiteral(); err != nil {
			return err
		}
		isString = true
	} else {
		switch p.tok.kind {
		case tString:
			values, isString = []string{p.tok.text}, true
		case tNumber, tTyped:
			values = []string{p.tok.text}
		case tIdent:
			if !p.keyword("true") && !p.keyword("false") {
				return p.errorf("expected a literal, found %s", p.tok)
			}
			values = []string{p.tok.text}
		default:
			if p.tok.kind == tBad {
				return p.errorf("%s", p.tok.text)
			}
			return p.errorf("expected a literal, found %s", p.tok)
		}
		p.next()
	}
	p.record(path, op, negated, isString, values)
	return nil
}

func (p *patParser) setLiteral() ([]string, error) {
	if err := p.expect(tLParen, "'('"); err != nil {
		return nil, err
	}
	var out []string
	for {
		switch p.tok.kind {
		case tString, tNumber, tTyped:
			out = append(out, p.tok.text)
			p.next()
		default:
			return nil, p.errorf("expected a literal in the set, found %s", p.tok)
		}
		if p.tok.kind == tComma {
			p.next()
			continue
		}
		return out, p.expect(tRParen, "')'")
	}
}

// objectPath reads "type:prop('.'prop | '[' n ']')*" and returns it in a
// canonical form: lower-case type, quoted keys unquoted, indexes as "[*]".
func (p *patParser) objectPath() (string, error) {
	if p.tok.kind != tIdent {
		if p.tok.kind == tBad {
			return "", p.errorf("%s", p.tok.text)
		}
		return "", p.errorf("expected an object type, found %s", p.tok)
	}
	var b strings.Builder
	b.WriteString(strings.ToLower(p.tok.text))
	p.next()
	if err := p.expect(tColon, "':'"); err != nil {
		return "", err
	}
	b.WriteByte(':')
	first := true
	for {
		switch {
		case first && (p.tok.kind == tIdent || p.tok.kind == tString):
			b.WriteString(p.tok.text)
			p.next()
			first = false
		case !first && p.tok.kind == tDot:
			p.next()
			if p.tok.kind != tIdent && p.tok.kind != tString {
				return "", p.errorf("expected a property name, found %s", p.tok)
			}
			b.WriteByte('.')
			b.WriteString(p.tok.text)
			p.next()
		case !first && p.tok.kind == tLBrack:
			p.next()
			if p.tok.kind != tNumber && p.tok.kind != tStar {
				return "", p.errorf("expected an index or '*', found %s", p.tok)
			}
			p.next()
			if err := p.expect(tRBrack, "']'"); err != nil {
				return "", err
			}
			b.WriteString("[*]")
		case first:
			return "", p.errorf("expected a property name, found %s", p.tok)
		default:
			return b.String(), nil
		}
	}
}

// pathTypes maps canonical object paths (lower-cased) to indicator types.
var pathTypes = map[string]Type{
	"ipv4-addr:value":               IP,
	"ipv6-addr:value":               IP,
	"network-traffic:dst_ref.value": IP,
	"network-traffic:src_ref.value": IP,
	"domain-name:value":             Domain,
	"url:value":                     URL,
	"x509-certificate:hashes.sha-1": CertSHA1,
	"x509-certificate:hashes.sha1":  CertSHA1,
	"file:hashes.sha-1":             FileSHA1,
	"file:hashes.sha1":              FileSHA1,
	"file:hashes.md5":               FileMD5,
	"file:hashes.sha-256":           FileSHA256,
	"file:hashes.sha256":            FileSHA256,
	"network-traffic:extensions.http-request-ext.request_header.user-agent": UserAgent,
}

// record turns one comparison into indicator values or bookkeeping.
func (p *patParser) record(path, op string, negated, isString bool, values []string) {
	t, ok := pathTypes[strings.ToLower(path)]
	if !ok {
		if strings.HasSuffix(path, ".type") || strings.HasSuffix(path, "_port") || strings.HasSuffix(path, ":protocols[*]") {
			// dst_ref.type = 'ipv4-addr', dst_port = 443: constraints that
			// accompany a supported value.
			p.dropped = true
			return
		}
		p.res.Unsupported = append(p.res.Unsupported, path)
		return
	}
	positive := !negated && (op == "=" || op == "IN" || op == "ISSUBSET" && (t == IP))
	if !positive || !isString {
		p.dropped = true
		return
	}
	for _, v := range values {
		p.res.Values = append(p.res.Values, PatternValue{Type: t, Value: v})
	}
}
