package posture

import (
	"strconv"
	"strings"

	"github.com/postern/postern"
)

// Check validates c against what is known of attribute types (KnownKind).
// It rejects: a malformed attribute key or an unknown namespace; an
// unknown node: or ip: attribute, or a known attribute spelt with the
// wrong case (falcon:ztascore); a literal whose type differs from the
// attribute's (falcon:ztaScore >= 'high'); a list mixing types; ordering
// operators on bools or on known non-version strings (node:os < 'm'); a
// bare attribute that is not a bool; and a wrong number of values for the
// operator. Attributes of unknown type (custom:*, a vendor's new
// attribute) are not type-checked: Eval then treats a type mismatch as
// false, and ordering on strings as a version comparison.
//
// Errors are *SyntaxError. When c.Text parses to c, Offset points at the
// offending attribute, operator or literal within c.Text; otherwise it is 0.
func (c Condition) Check() error {
	lay := c.layout()
	if !validAttr(c.Attr) {
		return errAt(lay.attr, "invalid attribute %q: want namespace:name using letters, digits, _, ., - and :", c.Attr)
	}
	if err := c.checkShape(lay); err != nil {
		return err
	}
	kind, isVersion, known, err := c.checkAttr(lay)
	if err != nil {
		return err
	}
	if strings.TrimSpace(c.Text) == c.Attr && known && kind != postern.KindBool {
		return errAt(lay.attr, "a bare attribute means %s == true, but %s is a %s: write a comparison", c.Attr, c.Attr, kind)
	}
	for i, v := range c.Values {
		if v.Kind() != c.Values[0].Kind() {
			return errAt(lay.val(i), "the list mixes a %s and a %s", c.Values[0].Kind(), v.Kind())
		}
		if known && v.Kind() != kind {
			return errAt(lay.val(i), "%s", c.kindMismatch(v, kind, isVersion, lay.text(c.Text, i)))
		}
	}
	if c.Op.ordering() {
		v := c.Values[0]
		switch {
		case v.Kind() == postern.KindBool:
			return errAt(lay.op, "%s compares only numbers and versions, not bools", c.Op)
		case known && kind == postern.KindString && !isVersion:
			return errAt(lay.op, "%s compares only numbers and versions; %s is a plain string (use == or IN)", c.Op, c.Attr)
		}
	}
	return nil
}

// checkShape checks the operator and how many values it has.
func (c Condition) checkShape(lay layout) error {
	switch {
	case !c.Op.valid():
		return errAt(lay.op, "invalid operator %s", c.Op)
	case c.Op.takesNone() && len(c.Values) != 0:
		return errAt(lay.op, "%s takes no value", c.Op)
	case c.Op.takesList() && len(c.Values) == 0:
		return errAt(lay.op, "%s needs at least one value", c.Op)
	case !c.Op.takesNone() && !c.Op.takesList() && len(c.Values) != 1:
		return errAt(lay.op, "%s takes exactly one value, not %d", c.Op, len(c.Values))
	}
	for i, v := range c.Values {
		if !v.IsSet() {
			return errAt(lay.val(i), "value %d is not set", i+1)
		}
		if v.Kind() == postern.KindString && strings.Contains(v.Str(), "'") {
			return errAt(lay.val(i), "string %q holds a single quote, which the language cannot write", v.Str())
		}
	}
	return nil
}

// checkAttr checks the attribute's namespace and name and returns its type
// if known.
func (c Condition) checkAttr(lay layout) (kind postern.Kind, isVersion, known bool, err error) {
	if kind, isVersion, known = KnownKind(c.Attr); known {
		return kind, isVersion, true, nil
	}
	ns, _, _ := strings.Cut(c.Attr, ":")
	closed, nsOK := namespaceClosed(ns)
	if s := suggest(c.Attr, knownNames()); s != "" {
		return 0, false, false, errAt(lay.attr, "unknown attribute %s (did you mean %s?)", c.Attr, s)
	}
	if !nsOK {
		if s := suggest(ns, knownNamespaces()); s != "" {
			return 0, false, false, errAt(lay.attr, "unknown attribute namespace %q (did you mean %q?)", ns, s)
		}
		return 0, false, false, errAt(lay.attr, "unknown attribute namespace %q (want one of %s)",
			ns, strings.Join(knownNamespaces(), ", "))
	}
	if closed {
		return 0, false, false, errAt(lay.attr, "unknown attribute %s", c.Attr)
	}
	return 0, false, false, nil
}

// kindMismatch explains a literal v whose kind is not the attribute's.
func (c Condition) kindMismatch(v postern.Value, want postern.Kind, isVersion bool, src string) string {
	if src == "" {
		src = v.String()
	}
	switch {
	case want == postern.KindNumber && v.Kind() == postern.KindString:
		if _, err := strconv.ParseFloat(v.Str(), 64); err == nil {
			return c.Attr + " is a number: write " + v.Str() + " without quotes"
		}
	case want == postern.KindBool && v.Kind() == postern.KindString:
		if v.Str() == "true" || v.Str() == "false" {
			return c.Attr + " is a bool: write " + v.Str() + " without quotes"
		}
	case want == postern.KindString && v.Kind() == postern.KindNumber:
		if isVersion {
			return c.Attr + " is a version: quote it, as in '" + src + "'"
		}
		return c.Attr + " is a string: quote it, as in '" + src + "'"
	}
	kind := want.String()
	if isVersion {
		kind = "version string"
	}
	return c.Attr + " is a " + kind + ", not a " + v.Kind().String() + " like " + src
}

// layout finds where c's parts sit in c.Text, if c.Text parses to c.
func (c Condition) layout() layout {
	pc, lay, err := parse(c.Text)
	if err != nil || pc.Attr != c.Attr || pc.Op != c.Op || len(pc.Values) != len(c.Values) {
		return layout{}
	}
	for i := range pc.Values {
		if pc.Values[i] != c.Values[i] {
			return layout{}
		}
	}
	return lay
}

// val returns the offset of literal i, or of the operator if unknown.
func (l layout) val(i int) int {
	if i < len(l.vals) {
		return l.vals[i].start
	}
	return l.op
}

// text returns literal i as written in s, or "" if unknown.
func (l layout) text(s string, i int) string {
	if i < len(l.vals) {
		return s[l.vals[i].start:l.vals[i].end]
	}
	return ""
}
