package policy

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/posture"
)

const posturePolicy = `{
  "tagOwners": {"tag:prod": [], "tag:web": []},
  "groups": {"group:eng": ["alice@example.com", "bob@example.com"]},
  "postures": {
    "posture:edr": ["falcon:ztaScore >= 70", "node:os IN ['macos', 'linux']"],
    "posture:managed": ["fleet:present"],
  },
  "defaultSrcPosture": ["posture:managed"],
  "acls": [
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:prod:22"], "srcPosture": ["posture:edr"]},
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:443"]},
  ],
}`

// postureTailnet: alice (1) meets edr, bob (2) meets managed only, prod (3), web (4).
func postureTailnet() ([]User, []Node) {
	users := []User{{LoginName: "alice@example.com", Role: postern.RoleMember}, {LoginName: "bob@example.com", Role: postern.RoleMember}}
	nodes := []Node{
		{ID: 1, Name: "alice", IPv4: mustAddr("100.64.0.1"), IPv6: mustAddr("fd7a:115c:a1e0::1"), User: "alice@example.com",
			Attrs: posture.Map{"falcon:ztaScore": postern.Number(80), "node:os": postern.String("macos")}},
		{ID: 2, Name: "bob", IPv4: mustAddr("100.64.0.2"), IPv6: mustAddr("fd7a:115c:a1e0::2"), User: "bob@example.com",
			Attrs: posture.Map{"fleet:present": postern.Bool(true), "node:os": postern.String("windows")}},
		{ID: 3, Name: "prod", IPv4: mustAddr("100.64.0.3"), Tags: []string{"tag:prod"}},
		{ID: 4, Name: "web", IPv4: mustAddr("100.64.0.4"), Tags: []string{"tag:web"}},
	}
	return users, nodes
}

func compilePosture(t *testing.T) *Compiled {
	t.Helper()
	p, err := Parse([]byte(posturePolicy), testCatalog)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	users, nodes := postureTailnet()
	c, err := Compile(p, users, nodes)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

func srcIPs(c *Compiled, id int64) []string {
	var out []string
	for _, r := range c.Filter(id) {
		out = append(out, r.SrcIPs...)
	}
	slices.Sort(out)
	return out
}

func TestPostureNarrowsSources(t *testing.T) {
	c := compilePosture(t)
	t.Run("own srcPosture", func(t *testing.T) {
		got, want := srcIPs(c, 3), []string{"100.64.0.1", "fd7a:115c:a1e0::1"}
		if !slices.Equal(got, want) {
			t.Errorf("prod filter sources: got %v, want %v", got, want)
		}
	})
	t.Run("default posture applies without own", func(t *testing.T) {
		got, want := srcIPs(c, 4), []string{"100.64.0.2", "fd7a:115c:a1e0::2"}
		if !slices.Equal(got, want) {
			t.Errorf("web filter sources: got %v, want %v", got, want)
		}
	})
	t.Run("peers", func(t *testing.T) {
		if got, want := c.Peers(3), []int64{1}; !slices.Equal(got, want) {
			t.Errorf("prod peers: got %v, want %v", got, want)
		}
		if got, want := c.Peers(1), []int64{3}; !slices.Equal(got, want) {
			t.Errorf("alice peers: got %v, want %v", got, want)
		}
	})
}

func TestCheckExplains(t *testing.T) {
	c := compilePosture(t)
	t.Run("allowed names rule and line", func(t *testing.T) {
		d := c.Check(1, mustAddr("100.64.0.3"), 6, 22)
		if !d.Allowed || d.Rule == nil || d.Rule.Line != 10 || d.Rule.Section != "acls" || d.Rule.Index != 0 {
			t.Errorf("Check: got %+v, want allowed by acls[0] at line 10", d)
		}
	})
	t.Run("denied lists failed conditions", func(t *testing.T) {
		d := c.Check(2, mustAddr("100.64.0.3"), 6, 22)
		if d.Allowed || len(d.Candidates) != 1 {
			t.Fatalf("Check: got %+v, want denied with one candidate", d)
		}
		pr := d.Candidates[0].Postures
		if len(pr) != 1 || pr[0].Name != "posture:edr" || len(pr[0].Failed) != 2 {
			t.Fatalf("postures: got %+v, want posture:edr with 2 failures", pr)
		}
		if f := pr[0].Failed[0]; f.Actual != "not set" || f.Set || !strings.Contains(f.Condition, "falcon:ztaScore") {
			t.Errorf("first failure: got %+v, want falcon:ztaScore not set", f)
		}
		if f := pr[0].Failed[1]; f.Actual != "'windows'" {
			t.Errorf("second failure: got %+v, want actual 'windows'", f)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("json.Marshal(Decision): %v", err)
		}
		want := `{"allowed":false,"reason":"rules match but the source meets none of their postures",` +
			`"candidates":[{"rule":{"section":"acls","index":0,"line":10,"col":5},"postures":[{"name":"posture:edr","failed":[` +
			`{"condition":"falcon:ztaScore \u003e= 70","actual":"not set","set":false},` +
			`{"condition":"node:os IN ['macos', 'linux']","actual":"'windows'","set":true}]}]}]}`
		if string(b) != want {
			t.Errorf("Decision JSON:\n got  %s\n want %s", b, want)
		}
	})
	t.Run("no rule", func(t *testing.T) {
		d := c.Check(1, mustAddr("100.64.0.3"), 6, 80)
		if d.Allowed || len(d.Candidates) != 0 {
			t.Errorf("Check port 80: got %+v, want denied without candidates", d)
		}
	})
	t.Run("icmp follows default protocols", func(t *testing.T) {
		if d := c.Check(2, mustAddr("100.64.0.4"), 1, 0); !d.Allowed {
			t.Errorf("Check icmp to web: got %+v, want allowed", d)
		}
	})
}

func TestSetAttrsIncremental(t *testing.T) {
	c := compilePosture(t)
	changed := c.SetAttrs(2, posture.Map{"falcon:ztaScore": postern.Number(90), "node:os": postern.String("linux")})
	// bob now meets edr (prod's filter changes) and loses managed (web's).
	if want := []int64{2, 3, 4}; !slices.Equal(changed, want) {
		t.Errorf("SetAttrs changed: got %v, want %v", changed, want)
	}
	if got, want := srcIPs(c, 3), []string{"100.64.0.1", "100.64.0.2", "fd7a:115c:a1e0::1", "fd7a:115c:a1e0::2"}; !slices.Equal(got, want) {
		t.Errorf("prod sources after flip: got %v, want %v", got, want)
	}
	if got := srcIPs(c, 4); len(got) != 0 {
		t.Errorf("web sources after flip: got %v, want none", got)
	}
	if got := c.SetAttrs(2, posture.Map{"falcon:ztaScore": postern.Number(95), "node:os": postern.String("linux")}); got != nil {
		t.Errorf("SetAttrs without verdict change: got %v, want nil", got)
	}
	if got := c.SetAttrs(4, posture.Map{"custom:x": postern.Bool(true)}); got != nil {
		t.Errorf("SetAttrs on a node no posture rule selects: got %v, want nil", got)
	}
}

func TestTestsWithPostureAttrs(t *testing.T) {
	users, nodes := postureTailnet()
	for _, tt := range []struct {
		name, tests string
		wantErr     string
	}{
		{"attrs meet posture", `[{"src": "alice@example.com", "srcPostureAttrs": {"falcon:ztaScore": 75, "node:os": "linux"}, "accept": ["tag:prod:22"]}]`, ""},
		{"no attrs drop", `[{"src": "alice@example.com", "accept": ["tag:prod:22"]}]`, `address "100.64.0.3:22": want: Accept, got: Drop`},
		{"deny holds", `[{"src": "bob@example.com", "srcPostureAttrs": {"fleet:present": true}, "deny": ["tag:prod:22"], "accept": ["tag:web:443"]}]`, ""},
		{"proto shown", `[{"src": "bob@example.com", "proto": "tcp", "srcPostureAttrs": {"fleet:present": true}, "deny": ["tag:web:443"]}]`, `address "100.64.0.4:443" (protocol "tcp"): want: Drop, got: Accept`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(posturePolicy, `"acls": [`, `"tests": `+tt.tests+`, "acls": [`, 1)
			_, err := Load([]byte(text), testCatalog, users, nodes)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("load: got %v, want nil", err)
				}
				return
			}
			var te *TestsError
			if !errors.As(err, &te) || te.Message != "test(s) failed" {
				t.Fatalf("load: got %v, want a TestsError", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("load: got %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
