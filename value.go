package postern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Kind is the type of a posture attribute value. Attributes keep their
// type: the number 1 and the string "1" are different values.
type Kind uint8

// The kinds of attribute value. KindNone is the zero Value's kind.
const (
	KindNone Kind = iota
	KindString
	KindNumber
	KindBool
)

func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	}
	return "none"
}

// ParseKind parses "string", "number" or "bool" (the names attrConfig
// uses and the store persists).
func ParseKind(s string) (Kind, error) {
	switch s {
	case "string":
		return KindString, nil
	case "number":
		return KindNumber, nil
	case "bool", "boolean":
		return KindBool, nil
	}
	return KindNone, fmt.Errorf("unknown value type %q (want string, number or bool)", s)
}

// Value is a typed posture attribute value. The zero Value is "not set".
// Values are comparable with ==.
type Value struct {
	kind Kind
	str  string
	num  float64
	b    bool
}

// String returns a string Value.
func String(s string) Value { return Value{kind: KindString, str: s} }

// Number returns a number Value.
func Number(n float64) Value { return Value{kind: KindNumber, num: n} }

// Bool returns a bool Value.
func Bool(b bool) Value { return Value{kind: KindBool, b: b} }

// Kind returns v's kind; KindNone for the zero Value.
func (v Value) Kind() Kind { return v.kind }

// IsSet reports whether v holds a value.
func (v Value) IsSet() bool { return v.kind != KindNone }

// Str returns the string held by a KindString value, else "".
func (v Value) Str() string { return v.str }

// Num returns the number held by a KindNumber value, else 0.
func (v Value) Num() float64 { return v.num }

// BoolVal returns the bool held by a KindBool value, else false.
func (v Value) BoolVal() bool { return v.b }

// String formats v the way the policy language writes literals:
// 'text', 42, true. The zero Value formats as "not set".
func (v Value) String() string {
	switch v.kind {
	case KindString:
		return "'" + v.str + "'"
	case KindNumber:
		return strconv.FormatFloat(v.num, 'f', -1, 64)
	case KindBool:
		return strconv.FormatBool(v.b)
	}
	return "not set"
}

// Text is the value's canonical text without quotes, as the store keeps it.
func (v Value) Text() string {
	switch v.kind {
	case KindString:
		return v.str
	case KindNumber:
		return strconv.FormatFloat(v.num, 'f', -1, 64)
	case KindBool:
		return strconv.FormatBool(v.b)
	}
	return ""
}

// ParseValue rebuilds a Value from its kind and Text.
func ParseValue(k Kind, text string) (Value, error) {
	switch k {
	case KindString:
		return String(text), nil
	case KindNumber:
		n, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return Value{}, fmt.Errorf("invalid number %q", text)
		}
		return Number(n), nil
	case KindBool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return Value{}, fmt.Errorf("invalid bool %q", text)
		}
		return Bool(b), nil
	}
	return Value{}, fmt.Errorf("invalid value kind %d", k)
}

// MarshalJSON encodes v as a JSON string, number or bool (null if unset).
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.kind {
	case KindString:
		return json.Marshal(v.str)
	case KindNumber:
		return []byte(strconv.FormatFloat(v.num, 'f', -1, 64)), nil
	case KindBool:
		return json.Marshal(v.b)
	}
	return []byte("null"), nil
}

// UnmarshalJSON decodes a JSON string, number or bool, keeping its type.
// Objects and arrays are rejected; null yields the zero Value.
func (v *Value) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return fmt.Errorf("empty attribute value")
	}
	switch b[0] {
	case 'n':
		*v = Value{}
		return nil
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = String(s)
		return nil
	case 't', 'f':
		var x bool
		if err := json.Unmarshal(b, &x); err != nil {
			return err
		}
		*v = Bool(x)
		return nil
	case '{', '[':
		return fmt.Errorf("attribute value must be a string, number or bool, not %s", map[byte]string{'{': "an object", '[': "a list"}[b[0]])
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("invalid attribute value %s: %w", b, err)
	}
	*v = Number(n)
	return nil
}

// ValueOf converts a decoded JSON value (string, float64, bool, json.Number
// or an integer type) into a Value.
func ValueOf(x any) (Value, error) {
	switch t := x.(type) {
	case string:
		return String(t), nil
	case bool:
		return Bool(t), nil
	case float64:
		return Number(t), nil
	case int:
		return Number(float64(t)), nil
	case int64:
		return Number(float64(t)), nil
	case json.Number:
		n, err := t.Float64()
		if err != nil {
			return Value{}, fmt.Errorf("invalid number %q: %w", t, err)
		}
		return Number(n), nil
	case Value:
		return t, nil
	}
	return Value{}, fmt.Errorf("attribute value must be a string, number or bool, not %T", x)
}
