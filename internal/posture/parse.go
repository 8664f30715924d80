package posture

import (
	"math"
	"strconv"
	"strings"

	"github.com/postern/postern"
)

// layout records where a parsed condition's parts sit in its text, so
// Check can point at the offending part.
type layout struct {
	attr int    // start of the attribute
	op   int    // start of the operator (end of text for a bare attribute)
	vals []span // each literal, in order
}

// span is a half-open byte range [start, end).
type span struct{ start, end int }

// ParseCondition parses one condition of a posture, such as
// "node:os IN ['macos', 'linux']" or "falcon:ztaScore >= 70". A bare
// attribute ("fleet:present") means "fleet:present == true". Errors are
// *SyntaxError with the byte Offset into s where the problem is. The
// grammar is in the package documentation; ParseCondition does not look
// at attribute types (Check does).
func ParseCondition(s string) (Condition, error) {
	c, _, err := parse(s)
	return c, err
}

// parse is ParseCondition that also reports where each part sits.
func parse(s string) (Condition, layout, error) {
	p := parser{s: s}
	c, err := p.condition()
	if err != nil {
		return Condition{}, layout{}, err
	}
	c.Text = s
	return c, p.lay, nil
}

// parser is a cursor over one condition's text.
type parser struct {
	s   string
	i   int
	lay layout
}

func (p *parser) condition() (Condition, error) {
	var c Condition
	p.skipSpace()
	p.lay.attr = p.i
	attr, err := p.attribute()
	if err != nil {
		return c, err
	}
	c.Attr = attr
	p.skipSpace()
	p.lay.op = p.i
	if p.eof() {
		// A bare attribute: "fleet:present" means "fleet:present == true".
		c.Op = OpEq
		c.Values = []postern.Value{postern.Bool(true)}
		return c, nil
	}
	if c.Op, err = p.operator(); err != nil {
		return c, err
	}
	p.skipSpace()
	switch {
	case c.Op.takesNone():
		if !p.eof() {
			return c, errAt(p.i, "unexpected %s after %s", p.near(), c.Op)
		}
		return c, nil
	case c.Op.takesList():
		if c.Values, err = p.list(c.Op); err != nil {
			return c, err
		}
	default:
		if p.peek() == '[' {
			return c, errAt(p.i, "a list needs IN or NOT IN, not %s", c.Op)
		}
		v, err := p.scalar()
		if err != nil {
			return c, err
		}
		c.Values = []postern.Value{v}
	}
	p.skipSpace()
	if !p.eof() {
		return c, errAt(p.i, "unexpected %s after the value", p.near())
	}
	return c, nil
}

// attribute reads "namespace:name".
func (p *parser) attribute() (string, error) {
	start := p.i
	if p.eof() {
		return "", errAt(p.i, "empty condition: want an attribute such as custom:tier")
	}
	if !isLetter(p.peek()) {
		return "", errAt(p.i, "expected an attribute such as custom:tier, found %s", p.near())
	}
	for !p.eof() && isNamespaceChar(p.peek()) {
		p.i++
	}
	if p.peek() != ':' {
		return "", errAt(start, "attribute %q has no namespace: write namespace:name, such as custom:%s", p.s[start:p.i], p.s[start:p.i])
	}
	p.i++
	if p.eof() || !isNameStart(p.peek()) {
		return "", errAt(p.i, "attribute %q has no name after the colon", p.s[start:p.i])
	}
	for !p.eof() && isNameChar(p.peek()) {
		p.i++
	}
	return p.s[start:p.i], nil
}

// operator reads one of the operators; keywords are case-insensitive.
func (p *parser) operator() (Op, error) {
	start := p.i
	rest := p.s[p.i:]
	for _, sym := range [...]struct {
		text string
		op   Op
	}{{"==", OpEq}, {"!=", OpNe}, {"<=", OpLe}, {">=", OpGe}, {"<", OpLt}, {">", OpGt}} {
		if strings.HasPrefix(rest, sym.text) {
			p.i += len(sym.text)
			return sym.op, nil
		}
	}
	if strings.HasPrefix(rest, "=") {
		return 0, errAt(start, "use == to compare, not =")
	}
	word := p.word()
	switch strings.ToUpper(word) {
	case "IN":
		return OpIn, nil
	case "NOT":
		p.skipSpace()
		at := p.i
		switch strings.ToUpper(p.word()) {
		case "IN":
			return OpNotIn, nil
		case "SET":
			return OpNotSet, nil
		}
		p.i = at
		return 0, errAt(at, "expected IN or SET after NOT, found %s", p.near())
	case "IS":
		p.skipSpace()
		at := p.i
		if strings.EqualFold(p.word(), "SET") {
			return OpIsSet, nil
		}
		p.i = at
		return 0, errAt(at, "expected SET after IS, found %s", p.near())
	}
	p.i = start
	return 0, errAt(start, "expected an operator (==, !=, <, <=, >, >=, IN, NOT IN, IS SET, NOT SET), found %s", p.near())
}

// list reads "[v, v, ...]" with an optional trailing comma.
func (p *parser) list(op Op) ([]postern.Value, error) {
	if p.peek() != '[' {
		return nil, errAt(p.i, "%s needs a list such as ['a', 'b'], found %s", op, p.near())
	}
	open := p.i
	p.i++
	p.skipSpace()
	if p.peek() == ']' {
		return nil, errAt(open, "empty list: %s needs at least one value", op)
	}
	var vals []postern.Value
	for {
		if p.eof() {
			return nil, errAt(open, "unclosed list: missing ]")
		}
		if p.peek() == '[' {
			return nil, errAt(p.i, "lists cannot be nested")
		}
		v, err := p.scalar()
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.i++
			p.skipSpace()
			if p.peek() == ']' { // trailing comma
				p.i++
				return vals, nil
			}
		case ']':
			p.i++
			return vals, nil
		default:
			if p.eof() {
				return nil, errAt(open, "unclosed list: missing ]")
			}
			return nil, errAt(p.i, "expected , or ] in the list, found %s", p.near())
		}
	}
}

// scalar reads one literal: 'string', a number, true or false.
func (p *parser) scalar() (postern.Value, error) {
	start := p.i
	switch c := p.peek(); {
	case p.eof():
		return postern.Value{}, errAt(p.i, "expected a value")
	case c == '\'':
		end := strings.IndexByte(p.s[p.i+1:], '\'')
		if end < 0 {
			return postern.Value{}, errAt(start, "unterminated string: missing closing '")
		}
		p.i += end + 2
		p.lay.vals = append(p.lay.vals, span{start, p.i})
		return postern.String(p.s[start+1 : p.i-1]), nil
	case c == '"':
		return postern.Value{}, errAt(start, "strings are single-quoted: write '...', not \"...\"")
	case c == '-' || isDigit(c):
		return p.number()
	case isLetter(c):
		switch strings.ToLower(p.word()) {
		case "true":
			p.lay.vals = append(p.lay.vals, span{start, p.i})
			return postern.Bool(true), nil
		case "false":
			p.lay.vals = append(p.lay.vals, span{start, p.i})
			return postern.Bool(false), nil
		}
		tok := p.s[start:p.nameEnd(start)]
		p.i = start
		return postern.Value{}, errAt(start, "unexpected %q: strings are single-quoted, as in '%s'", tok, tok)
	}
	return postern.Value{}, errAt(start, "expected a value ('string', number, true or false), found %s", p.near())
}

// number reads -?digits(.digits)?.
func (p *parser) number() (postern.Value, error) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	if !p.digits() {
		return postern.Value{}, errAt(start, "malformed number %s", p.nearFrom(start))
	}
	if p.peek() == '.' {
		p.i++
		if !p.digits() {
			return postern.Value{}, errAt(start, "malformed number %s", p.nearFrom(start))
		}
	}
	if c := p.peek(); !p.eof() && (isNameChar(c) || c == '\'') {
		tok := p.s[start:p.nameEnd(start)]
		if c == '.' {
			return postern.Value{}, errAt(start, "malformed number %q: versions are quoted strings, as in '%s'", tok, tok)
		}
		return postern.Value{}, errAt(start, "malformed number %q", tok)
	}
	n, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil || math.IsInf(n, 0) {
		return postern.Value{}, errAt(start, "number %s is out of range", p.s[start:p.i])
	}
	if n == 0 {
		n = 0 // no negative zero: "-0" is 0
	}
	p.lay.vals = append(p.lay.vals, span{start, p.i})
	return postern.Number(n), nil
}

// nameEnd returns the end of the run of name bytes starting at off.
func (p *parser) nameEnd(off int) int {
	end := off
	for end < len(p.s) && isNameChar(p.s[end]) {
		end++
	}
	return end
}

// digits consumes a run of digits and reports whether there was one.
func (p *parser) digits() bool {
	start := p.i
	for !p.eof() && isDigit(p.peek()) {
		p.i++
	}
	return p.i > start
}

// word consumes a run of letters.
func (p *parser) word() string {
	start := p.i
	for !p.eof() && isLetter(p.peek()) {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *parser) skipSpace() {
	for !p.eof() && isSpace(p.peek()) {
		p.i++
	}
}

func (p *parser) eof() bool { return p.i >= len(p.s) }

// peek returns the byte at the cursor, or 0 at the end.
func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}

// near quotes the text at the cursor for an error message.
func (p *parser) near() string { return p.nearFrom(p.i) }

// nearFrom quotes the token starting at off (up to the next space, at
// most 20 bytes), or says "end of condition".
func (p *parser) nearFrom(off int) string {
	if off >= len(p.s) {
		return "end of condition"
	}
	end := off
	for end < len(p.s) && end-off < 20 && !isSpace(p.s[end]) {
		end++
	}
	if end == off {
		end++
	}
	return strconv.Quote(p.s[off:end])
}
