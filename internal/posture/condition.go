package posture

import (
	"strings"

	"github.com/postern/postern"
)

// Condition is one assertion of a posture, such as falcon:ztaScore >= 70.
type Condition struct {
	Attr string // "namespace:name"
	Op   Op
	// Values holds the literal: one for ==, !=, <, <=, >, >=; one or more
	// for IN and NOT IN; none for IS SET and NOT SET.
	Values []postern.Value
	Text   string // the condition as written; empty if built in code

	// Version says the attribute holds versions, so == and IN compare
	// with CompareVersions; Catalog.Check sets it from the catalogue.
	Version bool
}

// String formats c canonically: single spaces, upper-case keywords,
// literals as postern.Value.String writes them, lists as ['a', 'b'].
// A bare attribute formats as "attr == true". ParseCondition(c.String())
// gives back c's Attr, Op and Values whenever c passes Check (a string
// holding a single quote cannot be written).
func (c Condition) String() string {
	var b strings.Builder
	b.WriteString(c.Attr)
	b.WriteByte(' ')
	b.WriteString(c.Op.String())
	switch {
	case c.Op.takesNone():
	case c.Op.takesList():
		b.WriteString(" [")
		for i, v := range c.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(v.String())
		}
		b.WriteByte(']')
	case len(c.Values) > 0:
		b.WriteByte(' ')
		b.WriteString(c.Values[0].String())
	}
	return b.String()
}

// Eval reports whether the condition holds for a device with attributes a.
//
// A missing attribute fails every operator except NOT SET, even != and
// NOT IN (Tailscale's rule). A value of another kind than the literal
// (a number attribute against a string literal) fails every operator too.
// Ordering compares numbers numerically and strings as versions; equality
// on a version attribute (Version) compares as versions too.
func (c Condition) Eval(a Attrs) bool {
	ok, _, _ := c.eval(a)
	return ok
}

// eval is Eval that also returns the attribute's value and whether it is
// set, for Failure.
func (c *Condition) eval(a Attrs) (ok bool, actual postern.Value, set bool) {
	actual, set = a.Get(c.Attr)
	if set = set && actual.IsSet(); !set {
		actual = postern.Value{}
	}
	switch {
	case c.Op == OpNotSet:
		return !set, actual, set
	case !set:
		return false, actual, set
	case c.Op == OpIsSet:
		return true, actual, set
	}
	version := actual.Kind() == postern.KindString && c.Version
	switch c.Op {
	case OpEq, OpNe:
		if len(c.Values) != 1 || c.Values[0].Kind() != actual.Kind() {
			return false, actual, set
		}
		return equal(actual, c.Values[0], version) == (c.Op == OpEq), actual, set
	case OpIn, OpNotIn:
		sameKind, found := false, false
		for _, v := range c.Values {
			if v.Kind() != actual.Kind() {
				continue
			}
			sameKind = true
			if equal(actual, v, version) {
				found = true
				break
			}
		}
		if !sameKind {
			return false, actual, set
		}
		return found == (c.Op == OpIn), actual, set
	case OpLt, OpLe, OpGt, OpGe:
		if len(c.Values) != 1 {
			return false, actual, set
		}
		cmp, comparable := order(actual, c.Values[0])
		if !comparable {
			return false, actual, set
		}
		switch c.Op {
		case OpLt:
			return cmp < 0, actual, set
		case OpLe:
			return cmp <= 0, actual, set
		case OpGt:
			return cmp > 0, actual, set
		default:
			return cmp >= 0, actual, set
		}
	}
	return false, actual, set
}

// equal compares two values of the same kind; version strings compare
// with CompareVersions.
func equal(a, b postern.Value, version bool) bool {
	if version {
		return CompareVersions(a.Str(), b.Str()) == 0
	}
	return a == b
}

// order compares a to b: numbers numerically, strings as versions. It
// reports false for bools and for values of different kinds.
func order(a, b postern.Value) (cmp int, ok bool) {
	if a.Kind() != b.Kind() {
		return 0, false
	}
	switch a.Kind() {
	case postern.KindNumber:
		switch x, y := a.Num(), b.Num(); {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case postern.KindString:
		return CompareVersions(a.Str(), b.Str()), true
	}
	return 0, false
}
