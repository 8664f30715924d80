package posture

import (
	"testing"

	"github.com/postern/postern"
)

// device is the attribute set most Eval cases run against.
var device = Map{
	"node:os":           str("macos"),
	"node:tsVersion":    str("1.40.0"),
	"node:osVersion":    str("14.2.1"),
	"falcon:ztaScore":   num(42),
	"fleet:present":     bl(true),
	"kandji:mdmEnabled": bl(false),
	"custom:tier":       str("dev"),
	"custom:n":          num(3),
	"custom:ver":        str("2.10"),
	"custom:empty":      postern.Value{}, // present in the map but not set
}

func TestEval(t *testing.T) {
	tests := []struct {
		cond string
		want bool
	}{
		// == and !=
		{"node:os == 'macos'", true},
		{"node:os == 'linux'", false},
		{"node:os == 'MacOS'", false}, // strings compare exactly
		{"node:os != 'linux'", true},
		{"node:os != 'macos'", false},
		{"falcon:ztaScore == 42", true},
		{"falcon:ztaScore == 42.0", true},
		{"falcon:ztaScore != 42", false},
		{"fleet:present == true", true},
		{"fleet:present != true", false},
		{"kandji:mdmEnabled == false", true},
		{"fleet:present", true},
		{"kandji:mdmEnabled", false},

		// <, <=, >, >= on numbers
		{"falcon:ztaScore >= 70", false},
		{"falcon:ztaScore >= 42", true},
		{"falcon:ztaScore > 42", false},
		{"falcon:ztaScore > 41.5", true},
		{"falcon:ztaScore <= 42", true},
		{"falcon:ztaScore < 42", false},
		{"falcon:ztaScore < 100", true},
		{"custom:n > -1", true},

		// versions
		{"node:tsVersion >= '1.40'", true},  // "1.40.0" > "1.40"
		{"node:tsVersion == '1.40'", false}, // cmpver: "1.40" < "1.40.0"
		{"node:tsVersion != '1.40'", true},
		{"node:tsVersion == '1.40.0'", true},
		{"node:tsVersion == '1.040.0'", true}, // numeric fields compare as numbers
		{"node:tsVersion IN ['1.040.0']", true},
		{"node:tsVersion NOT IN ['1.040.0']", false},
		{"node:tsVersion > '1.9'", true}, // 40 > 9, not "4" < "9"
		{"node:tsVersion < '1.9'", false},
		{"node:tsVersion >= '1.40.1'", false},
		{"node:tsVersion < '1.100'", true},
		{"node:osVersion >= '14'", true},
		{"node:osVersion < '14.2.1a'", true},
		{"custom:ver > '2.9'", true},     // unknown string attributes order as versions
		{"custom:ver == '2.010'", false}, // but equality stays exact off version attributes

		// IN and NOT IN
		{"node:os IN ['linux', 'macos']", true},
		{"node:os IN ['linux', 'windows']", false},
		{"node:os NOT IN ['linux', 'windows']", true},
		{"node:os NOT IN ['macos']", false},
		{"falcon:ztaScore IN [41, 42]", true},
		{"falcon:ztaScore NOT IN [41, 43]", true},

		// IS SET, NOT SET
		{"node:os IS SET", true},
		{"node:os NOT SET", false},
		{"custom:missing IS SET", false},
		{"custom:missing NOT SET", true},
		{"custom:empty IS SET", false},
		{"custom:empty NOT SET", true},

		// A missing attribute fails everything but NOT SET.
		{"custom:missing == 'prod'", false},
		{"custom:missing != 'prod'", false},
		{"custom:missing < 1", false},
		{"custom:missing <= 1", false},
		{"custom:missing > 1", false},
		{"custom:missing >= 1", false},
		{"custom:missing IN ['prod']", false},
		{"custom:missing NOT IN ['prod']", false},
		{"custom:missing", false},
		{"custom:empty != 'prod'", false},

		// A kind mismatch fails every operator, even != and NOT IN.
		{"custom:n == '3'", false},
		{"custom:n != '3'", false},
		{"custom:n > '1'", false},
		{"custom:n IN ['3']", false},
		{"custom:n NOT IN ['4']", false},
		{"custom:tier == 1", false},
		{"custom:tier != 1", false},
		{"custom:tier", false}, // bare means == true; a string is not true
		{"fleet:present > false", false},
		{"custom:n NOT IN ['x', 4]", true}, // the number element decides
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			c, err := ParseCondition(tt.cond)
			if err != nil {
				t.Fatalf("ParseCondition: %v", err)
			}
			// Not every case checks (some mix types on purpose); take
			// only what Check would set from the catalogue.
			a, _ := testCatalog(t).Attr(c.Attr)
			c.Version = a.Version
			if got := c.Eval(device); got != tt.want {
				t.Errorf("Eval(%q): got %v, want %v", tt.cond, got, tt.want)
			}
		})
	}
}

// Conditions built in code may be malformed; Eval must say false, not panic.
func TestEvalMalformed(t *testing.T) {
	for _, c := range []Condition{
		{Attr: "custom:n", Op: 0, Values: vals(num(3))},
		{Attr: "custom:n", Op: 200, Values: vals(num(3))},
		{Attr: "custom:n", Op: OpEq},
		{Attr: "custom:n", Op: OpGe},
		{Attr: "custom:n", Op: OpIn},
		{Attr: "custom:n", Op: OpEq, Values: vals(postern.Value{})},
	} {
		t.Run(c.String(), func(t *testing.T) {
			if c.Eval(device) {
				t.Errorf("Eval: got true, want false")
			}
		})
	}
}

func TestMapGet(t *testing.T) {
	var m Map
	if _, ok := m.Get("custom:x"); ok {
		t.Errorf("nil Map: got set, want not set")
	}
	if v, ok := device.Get("custom:n"); !ok || v != num(3) {
		t.Errorf("got %v, %v; want 3, true", v, ok)
	}
	if _, ok := device.Get("custom:empty"); ok {
		t.Errorf("zero Value: got set, want not set")
	}
}
