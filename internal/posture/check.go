package posture

import (
	"slices"
	"strconv"
	"strings"

	"github.com/postern/postern"
)

// Check validates cond against the catalogue c (a nil c holds the
// built-in namespaces only). It rejects: a malformed attribute key, an
// unknown namespace, an unknown name in a closed namespace (with the
// nearest known name as a suggestion), an attribute the catalogue marks
// unavailable (ip:country); a literal whose type differs from the
// attribute's (falcon:ztaScore >= 'high') or a string outside its
// declared values (sentinelOne:operationalState == 'yes'); a list mixing
// types; ordering operators on bools or on non-version strings
// (node:os < 'm'); a bare attribute that is not a bool; and a wrong
// number of values for the operator. Attributes of an open namespace
// without a kind (custom:*) are not type-checked: Eval then treats a type
// mismatch as false, and ordering on strings as a version comparison.
//
// Check completes cond for Eval: it sets Version for a version attribute
// and, for an attribute marked NumericBool, turns the literals 0 and 1
// into false and true.
//
// Errors are *SyntaxError. When cond.Text parses to cond, Offset points at
// the offending attribute, operator or literal within cond.Text;
// otherwise it is 0.
func (c *Catalog) Check(cond *Condition) error {
	c = c.orBuiltin()
	lay := cond.layout()
	if !validAttr(cond.Attr) {
		return errAt(lay.attr, "invalid attribute %q: want namespace:name using letters, digits, _, ., - and :", cond.Attr)
	}
	if err := cond.checkShape(lay); err != nil {
		return err
	}
	attr, err := c.checkAttr(cond.Attr, lay)
	if err != nil {
		return err
	}
	kind, known := attr.Kind, attr.Kind != postern.KindNone
	if known && kind == postern.KindBool && attr.NumericBool {
		if err := cond.numericBool(lay); err != nil {
			return err
		}
	}
	if strings.TrimSpace(cond.Text) == cond.Attr && known && kind != postern.KindBool {
		return errAt(lay.attr, "a bare attribute means %s == true, but %s is a %s: write a comparison", cond.Attr, cond.Attr, kind)
	}
	for i, v := range cond.Values {
		if v.Kind() != cond.Values[0].Kind() {
			return errAt(lay.val(i), "the list mixes a %s and a %s", cond.Values[0].Kind(), v.Kind())
		}
		if known && v.Kind() != kind {
			return errAt(lay.val(i), "%s", cond.kindMismatch(v, kind, attr.Version, lay.text(cond.Text, i)))
		}
		if known && kind == postern.KindString && len(attr.Values) > 0 && !c.lenient && !slices.Contains(attr.Values, v.Str()) {
			return errAt(lay.val(i), "%s takes one of %s, not %s", cond.Attr, quoteAll(attr.Values), v)
		}
	}
	if cond.Op.ordering() {
		v := cond.Values[0]
		switch {
		case v.Kind() == postern.KindBool:
			return errAt(lay.op, "%s compares only numbers and versions, not bools", cond.Op)
		case known && kind == postern.KindString && !attr.Version:
			return errAt(lay.op, "%s compares only numbers and versions; %s is a plain string (use == or IN)", cond.Op, cond.Attr)
		}
	}
	cond.Version = attr.Version
	return nil
}

// numericBool turns the literals 0 and 1 of a condition on a NumericBool
// attribute into false and true; any other number is an error.
func (cond *Condition) numericBool(lay layout) error {
	var vals []postern.Value
	for i, v := range cond.Values {
		if v.Kind() != postern.KindNumber {
			continue
		}
		if v.Num() != 0 && v.Num() != 1 {
			return errAt(lay.val(i), "%s is a bool: compare it with true or false (or 1 or 0), not %s", cond.Attr, v)
		}
		if vals == nil {
			vals = slices.Clone(cond.Values)
		}
		vals[i] = postern.Bool(v.Num() == 1)
	}
	if vals != nil {
		// Keep where the literals sat: layout compares Values with Text.
		cond.Values = vals
	}
	return nil
}

// quoteAll formats vals as 'a', 'b', 'c'.
func quoteAll(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = "'" + v + "'"
	}
	return strings.Join(q, ", ")
}

// checkShape checks the operator and how many values it has.
func (c *Condition) checkShape(lay layout) error {
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

// checkAttr checks the attribute's namespace and name against the
// catalogue and returns what it declares (Kind is KindNone for a name in
// an open namespace of any kind).
func (c *Catalog) checkAttr(name string, lay layout) (Attr, error) {
	a, ok := c.Attr(name)
	if c.lenient && (!ok || a.Unavailable != "") {
		return Attr{Name: name}, nil
	}
	if ok {
		if a.Unavailable != "" {
			return a, errAt(lay.attr, "%s cannot be used: %s", name, a.Unavailable)
		}
		return a, nil
	}
	ns, _, _ := strings.Cut(name, ":")
	if _, ok := c.ns[ns]; !ok {
		if s := closest(name, c.names()); s != "" {
			return Attr{}, errAt(lay.attr, "unknown attribute %s (did you mean %s?)", name, s)
		}
		if s := closest(ns, c.namespaceNames()); s != "" {
			return Attr{}, errAt(lay.attr, "unknown attribute namespace %q (did you mean %q?)", ns, s)
		}
		return Attr{}, errAt(lay.attr, "unknown attribute namespace %q (want one of %s)", ns, strings.Join(c.namespaceNames(), ", "))
	}
	if s := closest(name, c.names()); s != "" {
		return Attr{}, errAt(lay.attr, "unknown attribute %s (did you mean %s?)", name, s)
	}
	return Attr{}, errAt(lay.attr, "unknown attribute %s", name)
}

// kindMismatch explains a literal v whose kind is not the attribute's.
func (c *Condition) kindMismatch(v postern.Value, want postern.Kind, isVersion bool, src string) string {
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
