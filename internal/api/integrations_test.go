package api_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tsclient "tailscale.com/client/tailscale/v2"
)

func TestPostureIntegrations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dp := e.client.DevicePosture()
	const secret = "fleet-token-SUPERSECRET-1234"
	in, err := dp.CreateIntegration(ctx, tsclient.CreatePostureIntegrationRequest{
		Provider: tsclient.PostureIntegrationProviderFleet, CloudID: "https://fleet.example.com", ClientSecret: secret})
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	if in.ID == "" || in.Provider != tsclient.PostureIntegrationProviderFleet || in.CloudID != "https://fleet.example.com" {
		t.Fatalf("got %+v", in)
	}
	_, err = dp.CreateIntegration(ctx, tsclient.CreatePostureIntegrationRequest{
		Provider: tsclient.PostureIntegrationProviderFleet, CloudID: "https://other.example.com", ClientSecret: "x"})
	if apiStatus(err) != 409 {
		t.Errorf("second fleet integration: got %v, want 409", err)
	}
	for name, req := range map[string]tsclient.CreatePostureIntegrationRequest{
		"unknown provider":       {Provider: "nosuch", ClientSecret: "x", CloudID: "a.example.com"},
		"no secret":              {Provider: tsclient.PostureIntegrationProviderKandji, CloudID: "acme.api.kandji.io"},
		"http not loopback":      {Provider: tsclient.PostureIntegrationProviderKandji, CloudID: "http://acme.example.com", ClientSecret: "x"},
		"falcon needs client id": {Provider: tsclient.PostureIntegrationProviderFalcon, CloudID: "us-1", ClientSecret: "x"},
	} {
		if _, err := dp.CreateIntegration(ctx, req); apiStatus(err) != 400 {
			t.Errorf("%s: got %v, want 400", name, err)
		}
	}
	list, err := dp.ListIntegrations(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("list after rejected creates: got %d, %v; want 1", len(list), err)
	}

	// PATCH without clientSecret keeps it; the raw view shows status but never the secret.
	cloud := "https://fleet2.example.com"
	if _, err := dp.UpdateIntegration(ctx, in.ID, tsclient.UpdatePostureIntegrationRequest{CloudID: cloud}); err != nil {
		t.Fatalf("UpdateIntegration: %v", err)
	}
	code, body := e.raw(t, "GET", "/api/v2/posture/integrations/"+in.ID, "")
	if code != 200 || !strings.Contains(body, "fleet2.example.com") || !strings.Contains(body, `"status":{`) || strings.Contains(body, secret) {
		t.Errorf("get: got %d %s; want the new cloudId, a status, no secret", code, body)
	}
	code, body = e.raw(t, "GET", "/api/v2/tailnet/-/posture/integrations", "")
	if code != 200 || strings.Contains(body, secret) || strings.Contains(body, "clientSecret") {
		t.Errorf("list leaks the secret: %s", body)
	}

	t.Run("secret not in the database file", func(t *testing.T) {
		dir := e.srv.DataDir()
		for _, f := range []string{"postern.db", "postern.db-wal"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				continue
			}
			if strings.Contains(string(b), secret) {
				t.Errorf("%s holds the integration secret in plain text", f)
			}
		}
	})
	t.Run("audited without the secret", func(t *testing.T) {
		_, body := e.raw(t, "GET", "/api/v2/tailnet/-/logging/configuration?start=2000-01-01T00:00:00Z&end=2100-01-01T00:00:00Z&event=TAILNET.CREATE.POSTURE_INTEGRATION", "")
		if !strings.Contains(body, `"provider":"fleet"`) || strings.Contains(body, secret) {
			t.Errorf("got %s, want a create event without the secret", body)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		resp, err := http.Get(e.srv.URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `postern_integration_matched_devices{provider="fleet"}`) {
			t.Errorf("/metrics has no fleet integration gauge")
		}
	})
	if err := dp.DeleteIntegration(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := dp.GetIntegration(ctx, in.ID); apiStatus(err) != 404 {
		t.Errorf("after delete: got %v, want 404", err)
	}
}
