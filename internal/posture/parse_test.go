package posture

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/postern/postern"
)

var (
	str = postern.String
	num = postern.Number
	bl  = postern.Bool
)

func vals(v ...postern.Value) []postern.Value { return v }

func TestParseConditionGood(t *testing.T) {
	tests := []struct {
		in     string
		attr   string
		op     Op
		values []postern.Value
		canon  string
	}{
		{"node:os == 'macos'", "node:os", OpEq, vals(str("macos")), "node:os == 'macos'"},
		{"node:os=='macos'", "node:os", OpEq, vals(str("macos")), "node:os == 'macos'"},
		{"  custom:tier   !=   'prod'  ", "custom:tier", OpNe, vals(str("prod")), "custom:tier != 'prod'"},
		{"falcon:ztaScore >= 70", "falcon:ztaScore", OpGe, vals(num(70)), "falcon:ztaScore >= 70"},
		{"falcon:ztaScore>70", "falcon:ztaScore", OpGt, vals(num(70)), "falcon:ztaScore > 70"},
		{"custom:n < -3", "custom:n", OpLt, vals(num(-3)), "custom:n < -3"},
		{"custom:n <= 2.5", "custom:n", OpLe, vals(num(2.5)), "custom:n <= 2.5"},
		{"custom:n == 007", "custom:n", OpEq, vals(num(7)), "custom:n == 7"},
		{"custom:n == -0", "custom:n", OpEq, vals(num(0)), "custom:n == 0"},
		{"custom:n == 9007199254740993", "custom:n", OpEq, vals(num(9007199254740992)), "custom:n == 9007199254740992"},
		{"node:tsAutoUpdate == true", "node:tsAutoUpdate", OpEq, vals(bl(true)), "node:tsAutoUpdate == true"},
		{"custom:b != FALSE", "custom:b", OpNe, vals(bl(false)), "custom:b != false"},
		{"node:os IN ['macos', 'linux']", "node:os", OpIn, vals(str("macos"), str("linux")), "node:os IN ['macos', 'linux']"},
		{"node:os IN ['macos','linux']", "node:os", OpIn, vals(str("macos"), str("linux")), "node:os IN ['macos', 'linux']"},
		{"ip:country in ['CA', 'US', 'GB', 'NL']", "ip:country", OpIn, vals(str("CA"), str("US"), str("GB"), str("NL")), "ip:country IN ['CA', 'US', 'GB', 'NL']"},
		{"node:os In['js']", "node:os", OpIn, vals(str("js")), "node:os IN ['js']"},
		{"custom:n IN [1, 2, 3,]", "custom:n", OpIn, vals(num(1), num(2), num(3)), "custom:n IN [1, 2, 3]"},
		{"node:os NOT IN ['windows']", "node:os", OpNotIn, vals(str("windows")), "node:os NOT IN ['windows']"},
		{"node:os not\tin [ 'windows' ]", "node:os", OpNotIn, vals(str("windows")), "node:os NOT IN ['windows']"},
		{"custom:attr IS SET", "custom:attr", OpIsSet, nil, "custom:attr IS SET"},
		{"custom:attr is  set", "custom:attr", OpIsSet, nil, "custom:attr IS SET"},
		{"custom:attr NOT SET", "custom:attr", OpNotSet, nil, "custom:attr NOT SET"},
		{"custom:attr Not Set ", "custom:attr", OpNotSet, nil, "custom:attr NOT SET"},
		{"fleet:present", "fleet:present", OpEq, vals(bl(true)), "fleet:present == true"},
		{" fleetPolicy:disk_encryption.v2 ", "fleetPolicy:disk_encryption.v2", OpEq, vals(bl(true)), "fleetPolicy:disk_encryption.v2 == true"},
		{"custom:a-b:c.d_e == 'x'", "custom:a-b:c.d_e", OpEq, vals(str("x")), "custom:a-b:c.d_e == 'x'"},
		{"kolide:authState == 'Will Block'", "kolide:authState", OpEq, vals(str("Will Block")), "kolide:authState == 'Will Block'"},
		{"custom:s == ''", "custom:s", OpEq, vals(str("")), "custom:s == ''"},
		{`custom:s == 'a"b\c'`, "custom:s", OpEq, vals(str(`a"b\c`)), `custom:s == 'a"b\c'`},
		{"custom:s == '=='", "custom:s", OpEq, vals(str("==")), "custom:s == '=='"},
		{"node:tsVersion >= '1.40'", "node:tsVersion", OpGe, vals(str("1.40")), "node:tsVersion >= '1.40'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCondition(tt.in)
			if err != nil {
				t.Fatalf("ParseCondition(%q): got error %v, want nil", tt.in, err)
			}
			if c.Attr != tt.attr || c.Op != tt.op || !reflect.DeepEqual(c.Values, tt.values) {
				t.Errorf("got %q %v %v, want %q %v %v", c.Attr, c.Op, c.Values, tt.attr, tt.op, tt.values)
			}
			if c.Text != tt.in {
				t.Errorf("Text: got %q, want %q", c.Text, tt.in)
			}
			if got := c.String(); got != tt.canon {
				t.Errorf("String(): got %q, want %q", got, tt.canon)
			}
		})
	}
}

func TestParseConditionBad(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string // a substring of the message
	}{
		{"", 0, "empty condition"},
		{"   ", 3, "empty condition"},
		{"os == 'macos'", 0, "no namespace"},
		{"node: == 'macos'", 5, "no name"},
		{"node:", 5, "no name"},
		{"1node:os == 'x'", 0, "expected an attribute"},
		{":os == 'x'", 0, "expected an attribute"},
		{"node:os = 'macos'", 8, "use =="},
		{"node:os === 'macos'", 10, "expected a value"},
		{"node:os 'macos'", 8, "expected an operator"},
		{"node:os ~= 'macos'", 8, "expected an operator"},
		{"node:os LIKE 'mac%'", 8, "expected an operator"},
		{"node:os == macos", 11, "single-quoted"},
		{`node:os == "macos"`, 11, "single-quoted"},
		{"node:os == 'macos", 11, "unterminated string"},
		{"node:os == 'macos' 'linux'", 19, "after the value"},
		{"node:os == 'macos' extra", 19, "after the value"},
		{"node:os ==", 10, "expected a value"},
		{"node:os == ", 11, "expected a value"},
		{"node:os == ['macos']", 11, "needs IN or NOT IN"},
		{"node:os IN 'macos'", 11, "needs a list"},
		{"node:os IN", 10, "needs a list"},
		{"node:os IN []", 11, "empty list"},
		{"node:os IN [ ]", 11, "empty list"},
		{"node:os IN ['a' 'b']", 16, "expected , or ]"},
		{"node:os IN ['a',", 11, "unclosed list"},
		{"node:os IN ['a'", 11, "unclosed list"},
		{"node:os IN ['a', ['b']]", 17, "nested"},
		{"node:os IN ['a',,'b']", 16, "expected a value"},
		{"node:os NOT 'a'", 12, "expected IN or SET after NOT"},
		{"node:os NOT", 11, "expected IN or SET after NOT"},
		{"node:os IS 'a'", 11, "expected SET after IS"},
		{"node:os IS NOT SET", 11, "expected SET after IS"},
		{"custom:a IS SET 'x'", 16, "after IS SET"},
		{"custom:a NOT SET true", 17, "after NOT SET"},
		{"custom:n == 1.", 12, "malformed number"},
		{"custom:n == -", 12, "malformed number"},
		{"custom:n == 70abc", 12, "malformed number"},
		{"node:tsVersion >= 1.40.0", 18, "versions are quoted"},
		{"custom:n == 1e999", 12, "malformed number"},
		{"custom:n == " + strings.Repeat("9", 400), 12, "out of range"},
		{"custom:b == yes", 12, "single-quoted"},
		{"custom:b == truex", 12, "single-quoted"},
		{"custom:a b == 1", 9, "expected an operator"},
		{"node:os == 'a' AND node:os == 'b'", 15, "after the value"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseCondition(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseCondition(%q): got error %v, want a *SyntaxError", tt.in, err)
			}
			if se.Offset != tt.offset {
				t.Errorf("offset: got %d, want %d (%s)", se.Offset, tt.offset, se.Msg)
			}
			if !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("message: got %q, want it to contain %q", se.Msg, tt.msg)
			}
		})
	}
}

func TestSyntaxErrorString(t *testing.T) {
	err := &SyntaxError{Offset: 8, Msg: "use == to compare, not ="}
	if got, want := err.Error(), "offset 8: use == to compare, not ="; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestOpString(t *testing.T) {
	want := map[Op]string{
		OpEq: "==", OpNe: "!=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=",
		OpIn: "IN", OpNotIn: "NOT IN", OpIsSet: "IS SET", OpNotSet: "NOT SET", 0: "Op(0)", 99: "Op(99)",
	}
	for op, w := range want {
		if got := op.String(); got != w {
			t.Errorf("Op(%d).String(): got %q, want %q", op, got, w)
		}
	}
}

func TestConditionStringBuiltInCode(t *testing.T) {
	c := Condition{Attr: "custom:n", Op: OpNotIn, Values: vals(num(1), num(2.5))}
	if got, want := c.String(), "custom:n NOT IN [1, 2.5]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
