package policy

import (
	"net/netip"
	"testing"

	"github.com/postern/postern"
)

func TestPreview(t *testing.T) {
	text := `{
	"groups": {"group:eng": ["bob@example.com"]},
	"tagOwners": {"tag:db": []},
	"postures": {"posture:ok": ["custom:ok == true"]},
	"acls": [
		{"action": "accept", "src": ["group:eng"], "dst": ["tag:db:5432"], "srcPosture": ["posture:ok"]},
		{"action": "accept", "src": ["alice@example.com"], "dst": ["*:22,80-90"]},
	],
}`
	users := []User{{LoginName: "alice@example.com", Role: postern.RoleMember}, {LoginName: "bob@example.com", Role: postern.RoleMember}}
	nodes := []Node{
		{ID: 1, Name: "db", IPv4: netip.MustParseAddr("100.64.0.1"), Tags: []string{"tag:db"}},
		{ID: 2, Name: "laptop", IPv4: netip.MustParseAddr("100.64.0.2"), User: "bob@example.com"},
	}
	c, err := Load([]byte(text), testCatalog, users, nodes)
	if err != nil {
		t.Fatal(err)
	}
	got := c.PreviewUser("BOB@example.com")
	if len(got) != 1 || got[0].LineNumber != 6 || got[0].Ports[0] != "tag:db:5432" || got[0].Postures[0] != "posture:ok" {
		t.Errorf("PreviewUser(bob): got %+v, want the group:eng rule at line 6 with posture:ok", got)
	}
	if got := c.PreviewUser("carol@example.com"); len(got) != 0 {
		t.Errorf("PreviewUser(carol): got %+v, want none", got)
	}
	got = c.PreviewIPPort(netip.MustParseAddr("100.64.0.1"), 5432)
	if len(got) != 1 || got[0].Users[0] != "group:eng" {
		t.Errorf("PreviewIPPort(db:5432): got %+v, want the group:eng rule", got)
	}
	got = c.PreviewIPPort(netip.MustParseAddr("100.64.0.1"), 85)
	if len(got) != 1 || got[0].Ports[0] != "*:22,80-90" {
		t.Errorf("PreviewIPPort(db:85): got %+v, want alice's rule with ports *:22,80-90", got)
	}
	if got := c.PreviewIPPort(netip.MustParseAddr("100.64.0.1"), 443); len(got) != 0 {
		t.Errorf("PreviewIPPort(db:443): got %+v, want none", got)
	}
}
