package posture

import (
	"testing"

	"github.com/postern/postern"
)

// TestReferenceExamples runs every condition quoted in the reference notes
// (Tailscale's docs, blog and integration pages) through Parse, Check and
// Eval against a device that meets it and one that does not.
func TestReferenceExamples(t *testing.T) {
	tests := []struct {
		cond       string
		meets, not Map
	}{
		{"node:os IN ['macos', 'linux']", Map{"node:os": str("linux")}, Map{"node:os": str("windows")}},
		{"node:os IN ['macos','linux']", Map{"node:os": str("macos")}, Map{"node:os": str("ios")}},
		{"node:tsReleaseTrack == 'stable'", Map{"node:tsReleaseTrack": str("stable")}, Map{"node:tsReleaseTrack": str("unstable")}},
		{"node:tsVersion >= '1.40'", Map{"node:tsVersion": str("1.40.0")}, Map{"node:tsVersion": str("1.38.4")}},
		{"node:tsVersion >= '1.60'", Map{"node:tsVersion": str("1.102.5")}, Map{"node:tsVersion": str("1.58.2")}},
		{"node:tsVersion >= '1.42.2'", Map{"node:tsVersion": str("1.42.10")}, Map{"node:tsVersion": str("1.42.1")}},
		{"node:osVersion == '13.4.0'", Map{"node:osVersion": str("13.4.0")}, Map{"node:osVersion": str("13.4")}},
		{"node:os == 'macos'", Map{"node:os": str("macos")}, Map{"node:os": str("linux")}},
		{"node:os == 'js'", Map{"node:os": str("js")}, Map{}},
		{"node:tsAutoUpdate == true", Map{"node:tsAutoUpdate": bl(true)}, Map{"node:tsAutoUpdate": bl(false)}},
		{"custom:prodAccess == true", Map{"custom:prodAccess": bl(true)}, Map{}},
		{"custom:attr IS SET", Map{"custom:attr": str("x")}, Map{}},
		{"custom:attr NOT SET", Map{}, Map{"custom:attr": num(0)}},
		{"custom:edrScore >= 70", Map{"custom:edrScore": num(70)}, Map{"custom:edrScore": num(69)}},
		{"custom:tier != 'prod'", Map{"custom:tier": str("dev")}, Map{}}, // unset fails even !=
		{"falcon:ztaScore >= 70", Map{"falcon:ztaScore": num(100)}, Map{"falcon:ztaScore": num(42)}},
		{"fleet:present == true", Map{"fleet:present": bl(true)}, Map{"fleet:present": bl(false)}},
		{"fleet:present", Map{"fleet:present": bl(true)}, Map{}},
		{"intune:isSupervised == true", Map{"intune:isSupervised": bl(true)}, Map{"intune:isSupervised": bl(false)}},
		{"sentinelOne:activeThreats == 0", Map{"sentinelOne:activeThreats": num(0)}, Map{"sentinelOne:activeThreats": num(2)}},
		// Huntress's own docs compare with 'Healthy', outside its
		// documented values; Check refuses that (TestCheckRejects).
		{"huntress:defenderStatus == 'Protected'", Map{"huntress:defenderStatus": str("Protected")}, Map{"huntress:defenderStatus": str("Unhealthy")}},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			c, err := ParseCondition(tt.cond)
			if err != nil {
				t.Fatalf("ParseCondition: got %v, want nil", err)
			}
			if err := testCatalog(t).Check(&c); err != nil {
				t.Fatalf("Check: got %v, want nil", err)
			}
			if !c.Eval(tt.meets) {
				t.Errorf("Eval(%v): got false, want true", tt.meets)
			}
			if c.Eval(tt.not) {
				t.Errorf("Eval(%v): got true, want false", tt.not)
			}
		})
	}
}

// TestReferencePosture evaluates the posture the Tailscale docs open with.
func TestReferencePosture(t *testing.T) {
	p := mustPosture(t, "posture:latestMac",
		"node:os IN ['macos', 'linux']",
		"node:tsReleaseTrack == 'stable'",
		"node:tsVersion >= '1.40'",
	)
	attrs := Map{"node:os": str("macos"), "node:tsReleaseTrack": str("stable"), "node:tsVersion": str("1.40.0")}
	if ok, fails := p.Eval(attrs); !ok {
		t.Errorf("got failures %v, want the posture to hold", fails)
	}
	attrs["node:tsVersion"] = postern.String("1.39.9")
	ok, fails := p.Eval(attrs)
	if ok || len(fails) != 1 || fails[0].String() != "node:tsVersion >= '1.40' (actual: '1.39.9')" {
		t.Errorf("got %v %v, want one failure: node:tsVersion >= '1.40' (actual: '1.39.9')", ok, fails)
	}
}
