package policy

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/posture"
)

// TestSetAttrsReportsExactly flips each node between attribute sets and
// compares SetAttrs's answer with a full recompute: every node whose
// Filter or Peers changed must be reported, and the state must equal a
// fresh Compile with the new attributes.
func TestSetAttrsReportsExactly(t *testing.T) {
	users, nodes := exampleTailnet()
	text := "{" + exampleDefs + `
	  "postures": {"posture:mac": ["node:os == 'macos'"], "posture:managed": ["fleet:present"]},
	  "defaultSrcPosture": ["posture:managed"],
	  "acls": [
	    {"action": "accept", "src": ["*"], "dst": ["tag:server:22"], "srcPosture": ["posture:mac"]},
	    {"action": "accept", "src": ["group:eng"], "dst": ["192.168.1.0/24:*"]},
	    {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"], "srcPosture": ["posture:mac", "posture:managed"]},
	    {"action": "accept", "src": ["tag:server"], "dst": ["alice@example.com:80"]},
	  ]}`
	p, err := Parse([]byte(text), testCatalog)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p, users, nodes)
	if err != nil {
		t.Fatal(err)
	}
	attrSets := []posture.Map{
		{"node:os": postern.String("macos"), "fleet:present": postern.Bool(true)},
		{"node:os": postern.String("windows"), "fleet:present": postern.Bool(true)},
		{"node:os": postern.String("macos")},
		{},
	}
	snapshot := func(c *Compiled) map[int64]string {
		out := map[int64]string{}
		for _, n := range nodes {
			b, _ := json.Marshal(struct {
				F any
				P []int64
			}{c.Filter(n.ID), c.Peers(n.ID)})
			out[n.ID] = string(b)
		}
		return out
	}
	current := append([]Node(nil), nodes...)
	for round, as := range attrSets {
		for k := range current {
			before := snapshot(c)
			changed := c.SetAttrs(current[k].ID, as)
			current[k].Attrs = as
			after := snapshot(c)
			var really []int64
			for _, n := range nodes {
				if before[n.ID] != after[n.ID] {
					really = append(really, n.ID)
				}
			}
			for _, id := range really {
				if !slices.Contains(changed, id) {
					t.Errorf("round %d, node %d: node %d changed but SetAttrs reported %v", round, current[k].ID, id, changed)
				}
			}
			fresh, err := Compile(p, users, current)
			if err != nil {
				t.Fatal(err)
			}
			if want := snapshot(fresh); !mapsEqual(after, want) {
				t.Errorf("round %d, node %d: state after SetAttrs differs from a fresh Compile", round, current[k].ID)
			}
		}
	}
}

func mapsEqual(a, b map[int64]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
