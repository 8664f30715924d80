package policy

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
)

// FuzzParse feeds arbitrary text to the HuJSON loader, and whatever parses
// to the compiler, tests, filters and Check. Nothing may panic, and every
// rejection must carry a position.
func FuzzParse(f *testing.F) {
	for _, raw := range loadVectors(f) {
		var v vector
		if err := json.Unmarshal(raw, &v); err == nil {
			f.Add([]byte(v.Policy))
		}
	}
	f.Add([]byte(posturePolicy))
	f.Add([]byte("{\n// c\n\"acls\": [,]}"))
	users, nodes := exampleTailnet()
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := Parse(text, testCatalog)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Line < 1 || pe.Col < 1 {
				t.Fatalf("Parse: got %T %v, want a positioned error", err, err)
			}
			return
		}
		c, err := Compile(p, users, nodes)
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		_ = c.RunTests()
		for _, n := range nodes {
			c.Filter(n.ID)
			c.Peers(n.ID)
			c.Check(1, n.IPv4, 6, 22)
		}
	})
}

// FuzzPostureCondition puts arbitrary condition text into a policy's
// postures section: the condition parser must not panic, and its errors
// must land inside the policy at a valid line:col.
func FuzzPostureCondition(f *testing.F) {
	for _, s := range []string{
		"node:os IN ['macos', 'linux']", "node:tsVersion >= '1.40'", "fleet:present", "custom:tier NOT SET",
		"custom:attr IS SET", "falcon:ztaScore >= 'high'", "ip:country in ['CA']", "x", "'", "node:os ==", "a:b NOT IN [1, 2,]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cond string) {
		text := `{"postures": {"posture:p": [` + strconv.Quote(cond) + `]}}`
		_, err := Parse([]byte(text), testCatalog)
		if err == nil {
			return
		}
		var pe *Error
		if !errors.As(err, &pe) || pe.Line < 1 || pe.Col < 1 {
			t.Fatalf("Parse: got %T %v, want a positioned error", err, err)
		}
	})
}
