package policy

import (
	"errors"
	"testing"
)

// TestParseChecksPosturesAgainstCatalog: posture conditions are checked
// against the providers' catalogue, and each mistake is reported at the
// line:col of the offending part inside the policy string.
func TestParseChecksPosturesAgainstCatalog(t *testing.T) {
	tests := []struct {
		cond      string
		line, col int
		msg       string
	}{
		{"fleet:presnt", 3, 20, `posture:x: "fleet:presnt": unknown attribute fleet:presnt (did you mean fleet:present?)`},
		{"sentinelOne:operationalState == 'yes'", 3, 52, `posture:x: "sentinelOne:operationalState == 'yes'": sentinelOne:operationalState takes one of 'na', 'fully_disabled', 'partially_disabled', 'disabled_error', 'db_corruption', 'auto_fully_disabled', 'auto_partially_disabled', not 'yes'`},
		{"sentinelOne:isActive == 'yes'", 3, 44, `posture:x: "sentinelOne:isActive == 'yes'": sentinelOne:isActive is a bool, not a string like 'yes'`},
		{"ip:country == 'NL'", 3, 20, `posture:x: "ip:country == 'NL'": ip:country cannot be used: Postern has no GeoIP database to find the country of an address, so no device would ever have it and a rule on it would deny everyone`},
		{"kandji:mdmenabled", 3, 20, `posture:x: "kandji:mdmenabled": unknown attribute kandji:mdmenabled (did you mean kandji:mdmEnabled?)`},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			text := "{\n  \"postures\": {\n    \"posture:x\": [\"" + tt.cond + "\"],\n  },\n}"
			_, err := Parse([]byte(text), testCatalog)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse: got %v, want one *Error", err)
			}
			if pe.Line != tt.line || pe.Col != tt.col || pe.Msg != tt.msg {
				t.Errorf("got %d:%d %q,\nwant %d:%d %q", pe.Line, pe.Col, pe.Msg, tt.line, tt.col, tt.msg)
			}
		})
	}
	for _, ok := range []string{"fleetPolicy:anything", "custom:whatever == 'x'", "sentinelOne:infected == 1", "sentinelOne:infected == true", "fleet:present"} {
		text := `{"postures": {"posture:x": ["` + ok + `"]}}`
		if _, err := Parse([]byte(text), testCatalog); err != nil {
			t.Errorf("Parse with %s: got %v, want nil", ok, err)
		}
	}
}
