package control

import (
	"reflect"
	"slices"
	"testing"

	"tailscale.com/tailcfg"
)

// TestDeltaMergeKeepsEveryField fails when delta gains a field that merge
// and empty do not know about: the field list below must be extended, and
// with it the merge it checks.
func TestDeltaMergeKeepsEveryField(t *testing.T) {
	var names []string
	for f := range reflect.TypeFor[delta]().Fields() {
		names = append(names, f.Name)
	}
	want := []string{"self", "filter", "peers", "changed", "patched", "removed", "online", "pings", "dns"}
	if !slices.Equal(names, want) {
		t.Fatalf("delta's fields are %v, this test knows %v: teach merge, empty and this test the new field", names, want)
	}
	full := delta{
		self: true, filter: true, peers: true,
		changed: map[int64]bool{1: true}, patched: map[int64]bool{2: true},
		removed: map[int64]bool{3: true}, online: map[int64]bool{4: false},
		pings: []*tailcfg.PingRequest{{URL: "x"}}, dns: true,
	}
	var d delta
	d.merge(full)
	if !reflect.DeepEqual(d, full) {
		t.Errorf("merge into an empty delta: got %+v, want %+v", d, full)
	}
	// Unexported fields cannot be set by reflection: set each by name.
	for _, name := range names {
		var one delta
		switch name {
		case "self":
			one.self = true
		case "filter":
			one.filter = true
		case "peers":
			one.peers = true
		case "changed":
			one.changed = full.changed
		case "patched":
			one.patched = full.patched
		case "removed":
			one.removed = full.removed
		case "online":
			one.online = full.online
		case "pings":
			one.pings = full.pings
		case "dns":
			one.dns = true
		}
		if one.empty() {
			t.Errorf("a delta with only %s set is empty", name)
		}
	}
}
