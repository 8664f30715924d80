package policy

import (
	"slices"
	"testing"
)

func TestPostureSources(t *testing.T) {
	c := compilePosture(t)
	got := c.PostureSources()
	want := map[string][]int64{
		// alice and bob are sources of both rules; prod and web only
		// destinations, so no posture applies to them.
		"posture:edr":     {1, 2},
		"posture:managed": {1, 2},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for name, ids := range want {
		if !slices.Equal(got[name], ids) {
			t.Errorf("%s: got %v, want %v", name, got[name], ids)
		}
	}
}

func TestPostureSourcesUnusedPosture(t *testing.T) {
	p, err := Parse([]byte(`{
  "postures": {"posture:edr": ["node:os == 'macos'"]},
  "acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}],
}`), testCatalog)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	users, nodes := postureTailnet()
	c, err := Compile(p, users, nodes)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if got := c.PostureSources(); len(got) != 0 {
		t.Errorf("got %v, want no posture applying (no rule requires one)", got)
	}
}
