package posture

import (
	"errors"
	"strings"
	"testing"

	"github.com/postern/postern"
)

func TestCheckAccepts(t *testing.T) {
	for _, in := range []string{
		"node:os == 'macos'",
		"node:os IN ['macos', 'linux']",
		"node:osVersion >= '13.4.0'",
		"node:tsVersion < '1.60'",
		"node:tsVersion == '1.40.0'",
		"node:tsReleaseTrack != 'unstable'",
		"node:tsAutoUpdate == true",
		"node:tsStateEncrypted",
		"falcon:ztaScore >= 70",
		"falcon:ztaScore IN [10, 20]",
		"sentinelOne:agentVersion >= '23.1.2.9'",
		"sentinelOne:activeThreats == 0",
		"intune:complianceState == 'compliant'",
		"jamfPro:SIPEnabled == 'ENABLED'",
		"fleet:present",
		"fleetPolicy:anything_at_all",
		"fleetPolicy:disk == false",
		"kandji:agentInstalled IS SET",
		"custom:tier != 'prod'",
		"custom:tier",
		"custom:score > 5",
		"custom:agentVersion >= '7.1'", // unknown type: strings order as versions
		"custom:x NOT SET",
		"huntress:defenderStatus == 'Protected'",
		"sentinelOne:infected == false",
		"sentinelOne:infected == 0",
		"sentinelOne:infected IN [1]",
		"sentinelOne:operationalState == 'na'",
		"sentinelOne:isActive",
	} {
		t.Run(in, func(t *testing.T) {
			c, err := ParseCondition(in)
			if err != nil {
				t.Fatalf("ParseCondition: %v", err)
			}
			if err := testCatalog(t).Check(&c); err != nil {
				t.Errorf("Check(%q): got %v, want nil", in, err)
			}
		})
	}
}

func TestCheckRejects(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{"falcon:ztaScore >= 'high'", 19, "falcon:ztaScore is a number, not a string like 'high'"},
		{"falcon:ztaScore >= '70'", 19, "write 70 without quotes"},
		{"falcon:ztaScore == true", 19, "is a number, not a bool"},
		{"falcon:ztaScore IN [1, 'two']", 23, "mixes a number and a string"},
		{"node:tsVersion >= 1.40", 18, "is a version: quote it, as in '1.40'"},
		{"node:os == 5", 11, "node:os is a string: quote it"},
		{"node:tsAutoUpdate == 'true'", 21, "write true without quotes"},
		{"node:tsAutoUpdate == 1", 21, "is a bool, not a number"},
		{"fleet:present IN ['yes']", 18, "is a bool, not a string"},
		{"node:os < 'macos'", 8, "plain string"},
		{"node:tsReleaseTrack >= 'stable'", 20, "plain string"},
		{"ip:country == 'CA'", 0, "ip:country cannot be used: Postern has no GeoIP database"},
		{"fleet:presnt", 0, "unknown attribute fleet:presnt (did you mean fleet:present?)"},
		{"falcon:newSignal == 'x'", 0, "unknown attribute falcon:newSignal"},
		{"sentinelOne:operationalState == 'yes'", 32, "sentinelOne:operationalState takes one of 'na', 'fully_disabled', not 'yes'"},
		{"sentinelOne:isActive == 'yes'", 24, "sentinelOne:isActive is a bool, not a string like 'yes'"},
		{"huntress:defenderStatus == 'Healthy'", 27, "takes one of 'Incompatible'"},
		{"node:os IN ['macos', 'darwin']", 21, "node:os takes one of"},
		{"sentinelOne:infected == 2", 24, "compare it with true or false (or 1 or 0), not 2"},
		{"sentinelOne:infected > 0", 21, "not bools"},
		{"kandji:agentInstalled == 1", 25, "is a bool, not a number"},
		{"custom:flag > true", 12, "not bools"},
		{"node:tsAutoUpdate >= false", 18, "not bools"},
		{"node:hostname == 'x'", 0, "unknown attribute node:hostname"},
		{"ip:city == 'x'", 0, "unknown attribute ip:city"},
		{"falcon:ztaScroe >= 1", 0, "did you mean falcon:ztaScore?"},
		{"  falcon:ztascore >= 70", 2, "did you mean falcon:ztaScore?"},
		{"sentinelone:infected == false", 0, "did you mean sentinelOne:infected?"},
		{"jamfpro:whatever == false", 0, `did you mean "jamfPro"?`},
		{"mdm:enrolled == true", 0, `unknown attribute namespace "mdm"`},
		{"node:os", 0, "bare attribute means node:os == true, but node:os is a string"},
		{"falcon:ztaScore", 0, "is a number"},
		{"custom:x IN ['a', 1]", 18, "mixes a string and a number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCondition(tt.in)
			if err != nil {
				t.Fatalf("ParseCondition: %v", err)
			}
			err = testCatalog(t).Check(&c)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Check(%q): got %v, want a *SyntaxError", tt.in, err)
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

// Conditions built in code (no Text) are checked too; offsets are 0.
func TestCheckBuiltInCode(t *testing.T) {
	tests := []struct {
		name string
		c    Condition
		msg  string // "" means valid
	}{
		{"valid", Condition{Attr: "falcon:ztaScore", Op: OpGe, Values: vals(num(70))}, ""},
		{"bad attr", Condition{Attr: "custom:has space", Op: OpIsSet}, "invalid attribute"},
		{"no namespace", Condition{Attr: "tier", Op: OpIsSet}, "invalid attribute"},
		{"zero op", Condition{Attr: "custom:x", Values: vals(num(1))}, "invalid operator"},
		{"IS SET with value", Condition{Attr: "custom:x", Op: OpIsSet, Values: vals(num(1))}, "takes no value"},
		{"IN without values", Condition{Attr: "custom:x", Op: OpIn}, "at least one value"},
		{"== with two values", Condition{Attr: "custom:x", Op: OpEq, Values: vals(num(1), num(2))}, "exactly one value"},
		{"quote in string", Condition{Attr: "custom:x", Op: OpEq, Values: vals(str("it's"))}, "single quote"},
		{"unset literal", Condition{Attr: "custom:x", Op: OpEq, Values: vals(postern.Value{})}, "not set"},
		{"text of another condition", Condition{Attr: "falcon:ztaScore", Op: OpGe, Values: vals(str("x")), Text: "custom:y == 1"}, "is a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := testCatalog(t).Check(&tt.c)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *SyntaxError containing %q", err, tt.msg)
			}
			if se.Offset != 0 || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("got offset %d %q, want offset 0 and a message containing %q", se.Offset, se.Msg, tt.msg)
			}
		})
	}
}

// TestCheckCompletes: Check marks version attributes and turns 0 and 1
// into bools for a NumericBool attribute, so Eval compares them right.
func TestCheckCompletes(t *testing.T) {
	c := mustCheck(t, "node:osVersion == '13.04'")
	if !c.Version {
		t.Errorf("node:osVersion: Version got false, want true")
	}
	if !c.Eval(Map{"node:osVersion": str("13.4")}) {
		t.Errorf("node:osVersion == '13.04' against 13.4: got false, want true (versions)")
	}
	for _, tt := range []struct {
		cond           string
		infected, want bool
	}{
		{"sentinelOne:infected == 1", true, true},
		{"sentinelOne:infected == 1", false, false},
		{"sentinelOne:infected == 0", false, true},
		{"sentinelOne:infected != 1", false, true},
		{"sentinelOne:infected IN [0]", true, false},
		{"sentinelOne:infected == false", false, true},
	} {
		c := mustCheck(t, tt.cond)
		if got := c.Eval(Map{"sentinelOne:infected": bl(tt.infected)}); got != tt.want {
			t.Errorf("%s with infected=%v: got %v, want %v", tt.cond, tt.infected, got, tt.want)
		}
	}
}
