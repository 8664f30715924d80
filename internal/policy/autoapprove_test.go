package policy

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"testing"
)

// TestAutoApproveMatchesVectors checks that the policy's autoApprovers,
// applied to each node's advertised routes, approve exactly the routes
// Tailscale had approved in every accepted vector.
func TestAutoApproveMatchesVectors(t *testing.T) {
	vecs := loadVectors(t)
	checked := 0
	for id, raw := range vecs {
		var v vector
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		if v.ExpectError {
			continue
		}
		users, nodes, err := LoadTopology(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse([]byte(v.Policy), testCatalog)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		for _, n := range nodes {
			got := p.AutoApprove(users, n)
			sortPrefixes(got)
			want := append([]netip.Prefix(nil), n.ApprovedRoutes...)
			sortPrefixes(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: node %s: got approved %v, want %v", id, n.Name, got, want)
			}
			checked++
		}
	}
	t.Logf("auto-approval matched Tailscale on %d nodes", checked)
}

func sortPrefixes(p []netip.Prefix) {
	slices.SortFunc(p, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
}
