package netmap

import (
	"context"
	"log/slog"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store/storetest"
)

// A policy in force that was saved under older, looser rules (a
// condition on ip:country, which is now refused on save) still loads at
// start-up: the server never refuses the policy it is running, and the
// condition matches no device, as before.
func TestPolicyInForceSavedUnderOlderRulesLoads(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	tn := storetest.NewTailnet(t, st)
	old := `{"postures": {"posture:geo": ["ip:country IN ['NL']", "falcon:retired == 1"]},
		"acls": [{"action": "accept", "src": ["*"], "dst": ["*:22"], "srcPosture": ["posture:geo"]}]}`
	// Straight into the store, as an older release saved it.
	if err := st.SavePolicy(ctx, &postern.PolicyFile{TailnetID: tn.ID, Text: old}); err != nil {
		t.Fatal(err)
	}
	eng, err := New(ctx, st, tn.ID, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New with the old policy in force: got %v, want it loaded", err)
	}
	if _, ok := eng.Compiled().Policy().Postures["posture:geo"]; !ok {
		t.Errorf("posture:geo: not in the compiled policy")
	}
}
