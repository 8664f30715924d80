package posture

import "strconv"

// Op is a condition's operator. The zero Op is invalid.
type Op uint8

// The operators of the condition language.
const (
	OpEq     Op = iota + 1 // ==
	OpNe                   // !=
	OpLt                   // <
	OpLe                   // <=
	OpGt                   // >
	OpGe                   // >=
	OpIn                   // IN [list]
	OpNotIn                // NOT IN [list]
	OpIsSet                // IS SET
	OpNotSet               // NOT SET
)

// String returns the operator's canonical spelling, e.g. "==" or "NOT IN".
func (o Op) String() string {
	switch o {
	case OpEq:
		return "=="
	case OpNe:
		return "!="
	case OpLt:
		return "<"
	case OpLe:
		return "<="
	case OpGt:
		return ">"
	case OpGe:
		return ">="
	case OpIn:
		return "IN"
	case OpNotIn:
		return "NOT IN"
	case OpIsSet:
		return "IS SET"
	case OpNotSet:
		return "NOT SET"
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// valid reports whether o is one of the defined operators.
func (o Op) valid() bool { return o >= OpEq && o <= OpNotSet }

// ordering reports whether o is <, <=, > or >=.
func (o Op) ordering() bool { return o >= OpLt && o <= OpGe }

// takesList reports whether o takes a list of values (IN, NOT IN).
func (o Op) takesList() bool { return o == OpIn || o == OpNotIn }

// takesNone reports whether o takes no value (IS SET, NOT SET).
func (o Op) takesNone() bool { return o == OpIsSet || o == OpNotSet }
