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
		"ip:country NOT IN ['RU']",
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
		"falcon:newSignal == 'x'", // a vendor attribute we do not know yet
		"huntress:defenderStatus == 'Healthy'",
	} {
		t.Run(in, func(t *testing.T) {
			c, err := ParseCondition(in)
			if err != nil {
				t.Fatalf("ParseCondition: %v", err)
			}
			if err := c.Check(); err != nil {
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
		{"ip:country >= 'CA'", 11, "plain string"},
		{"custom:flag > true", 12, "not bools"},
		{"node:tsAutoUpdate >= false", 18, "not bools"},
		{"node:hostname == 'x'", 0, "unknown attribute node:hostname"},
		{"ip:city == 'x'", 0, "unknown attribute ip:city"},
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
			err = c.Check()
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
			err := tt.c.Check()
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

func TestKnownKind(t *testing.T) {
	tests := []struct {
		attr      string
		kind      postern.Kind
		isVersion bool
		ok        bool
	}{
		{"node:os", postern.KindString, false, true},
		{"node:osVersion", postern.KindString, true, true},
		{"node:tsVersion", postern.KindString, true, true},
		{"node:tsReleaseTrack", postern.KindString, false, true},
		{"node:tsAutoUpdate", postern.KindBool, false, true},
		{"node:tsStateEncrypted", postern.KindBool, false, true},
		{"ip:country", postern.KindString, false, true},
		{"falcon:ztaScore", postern.KindNumber, false, true},
		{"sentinelOne:agentVersion", postern.KindString, true, true},
		{"sentinelOne:activeThreats", postern.KindNumber, false, true},
		{"sentinelOne:infected", postern.KindBool, false, true},
		{"kandji:mdmEnabled", postern.KindBool, false, true},
		{"fleet:present", postern.KindBool, false, true},
		{"fleetPolicy:anything", postern.KindBool, false, true},
		{"fleetPolicy:", postern.KindNone, false, false},
		{"intune:complianceState", postern.KindString, false, true},
		{"jamfPro:fileVaultStatus", postern.KindString, false, true},
		{"kolide:authState", postern.KindString, false, true},
		{"huntress:firewallStatus", postern.KindString, false, true},
		{"custom:tier", postern.KindNone, false, false},
		{"node:OS", postern.KindNone, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.attr, func(t *testing.T) {
			kind, isVersion, ok := KnownKind(tt.attr)
			if kind != tt.kind || isVersion != tt.isVersion || ok != tt.ok {
				t.Errorf("got %v, %v, %v; want %v, %v, %v", kind, isVersion, ok, tt.kind, tt.isVersion, tt.ok)
			}
		})
	}
}

// TestKnownListsAgree keeps the suggestion list, the namespace list and
// the fast version test in step with KnownKind.
func TestKnownListsAgree(t *testing.T) {
	for _, name := range knownNames() {
		_, isVersion, ok := KnownKind(name)
		if !ok {
			t.Errorf("knownNames has %s, but KnownKind does not know it", name)
		}
		if got := isVersionAttr(name); got != isVersion {
			t.Errorf("isVersionAttr(%s): got %v, want %v (KnownKind)", name, got, isVersion)
		}
		ns, _, _ := strings.Cut(name, ":")
		if _, ok := namespaceClosed(ns); !ok {
			t.Errorf("namespace %q of %s is not known to namespaceClosed", ns, name)
		}
	}
	for _, ns := range knownNamespaces() {
		if _, ok := namespaceClosed(ns); !ok {
			t.Errorf("knownNamespaces has %q, but namespaceClosed does not know it", ns)
		}
	}
}
