package api_test

import (
	"context"
	"encoding/json"
	"testing"
)

// TestCreateDeclaredNamespaceCollision: a custom feed whose attribute
// namespace is a provider's is refused with 400 and one sentence, and
// nothing is stored.
func TestCreateDeclaredNamespaceCollision(t *testing.T) {
	e := newEnv(t)
	code, body := e.raw(t, "POST", "/api/v2/tailnet/-/posture/integrations",
		`{"provider":"feed","cloudId":"https://inventory.example.com","tenantId":"fleet","clientSecret":"tok"}`)
	var msg struct{ Message string }
	json.Unmarshal([]byte(body), &msg)
	const want = `tenantId: the attribute namespace "fleet" is already Postern's or another provider's; choose another`
	if code != 400 || msg.Message != want {
		t.Errorf("create: got %d %s, want 400 with message %q", code, body, want)
	}
	if list, err := e.client.DevicePosture().ListIntegrations(context.Background()); err != nil || len(list) != 0 {
		t.Errorf("integrations after a refused create: got %d, %v; want none", len(list), err)
	}
}
