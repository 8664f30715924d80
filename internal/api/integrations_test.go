package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tsclient "tailscale.com/client/tailscale/v2"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
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

	// PATCH without clientSecret keeps it (on the same host); the raw view
	// shows status but never the secret.
	cloud := "https://FLEET.example.com:443/api/v1/fleet"
	if _, err := dp.UpdateIntegration(ctx, in.ID, tsclient.UpdatePostureIntegrationRequest{CloudID: cloud}); err != nil {
		t.Fatalf("UpdateIntegration: %v", err)
	}
	code, body := e.raw(t, "GET", "/api/v2/posture/integrations/"+in.ID, "")
	if code != 200 || !strings.Contains(body, cloud) || !strings.Contains(body, `"status":{`) || strings.Contains(body, secret) {
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
		_, body := e.raw(t, "GET", "/api/v2/tailnet/-/logging/configuration?start=2000-01-01T00:00:00Z&end=2100-01-01T00:00:00Z&event=POSTURE_INTEGRATION.CREATE", "")
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

// integrationRow is every column of an integration's row as the server
// stored it: the sealed secret and the status included.
func integrationRow(t *testing.T, e *env, id string) []any {
	t.Helper()
	return storetest.Row(t, storetest.OpenSQL(t, store.Options{DataDir: e.srv.DataDir()}), "integrations", id)
}

// A PATCH that moves an integration to another host must carry the
// secret again, and no cloudId may point at link-local or metadata
// addresses; a refused PATCH stores nothing.
func TestPatchIntegrationHost(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dp := e.client.DevicePosture()
	// A vendor that holds the sync creating the integration starts until
	// the test ends, so that no status is written while it compares rows.
	release := make(chan struct{})
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.NotFound(w, r)
	}))
	defer vendor.Close()
	defer close(release)
	in, err := dp.CreateIntegration(ctx, tsclient.CreatePostureIntegrationRequest{
		Provider: tsclient.PostureIntegrationProviderFleet, CloudID: vendor.URL, ClientSecret: "fleet-token-1"})
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"another host without the secret", `{"cloudId":"https://evil.example.net"}`,
			"clientSecret is required when cloudId changes the host (from " + vendor.URL + " to https://evil.example.net): the stored secret is only sent to the host it was given for"},
		{"another port without the secret", `{"cloudId":"http://127.0.0.1:1","tenantId":"t2"}`,
			"clientSecret is required when cloudId changes the host (from " + vendor.URL + " to http://127.0.0.1:1)"},
		{"another scheme without the secret", `{"cloudId":"` + strings.Replace(vendor.URL, "http:", "https:", 1) + `"}`,
			"clientSecret is required when cloudId changes the host (from " + vendor.URL + " to https://127.0.0.1:"},
		{"metadata address", `{"cloudId":"https://169.254.169.254","clientSecret":"x"}`,
			`invalid cloudId "https://169.254.169.254" for fleet: 169.254.169.254 is a link-local address`},
		{"metadata name", `{"cloudId":"metadata.google.internal","clientSecret":"x"}`, "the name of a cloud metadata service"},
		{"aws v6 metadata", `{"cloudId":"https://[fd00:ec2::254]","clientSecret":"x"}`, "a cloud metadata address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			beforeRow := integrationRow(t, e, in.ID)
			_, beforeBody := e.raw(t, "GET", "/api/v2/posture/integrations/"+in.ID, "")
			code, body := e.raw(t, "PATCH", "/api/v2/posture/integrations/"+in.ID, tc.body)
			var msg struct{ Message string }
			json.Unmarshal([]byte(body), &msg)
			if code != 400 || !strings.Contains(msg.Message, tc.want) {
				t.Fatalf("PATCH %s: got %d %s, want 400 with a message containing %q", tc.body, code, body, tc.want)
			}
			if got := integrationRow(t, e, in.ID); !reflect.DeepEqual(got, beforeRow) {
				t.Errorf("stored row after a refused PATCH: got %v, want unchanged %v", got, beforeRow)
			}
			if _, got := e.raw(t, "GET", "/api/v2/posture/integrations/"+in.ID, ""); got != beforeBody {
				t.Errorf("integration after a refused PATCH: got %s, want unchanged %s", got, beforeBody)
			}
		})
	}
	t.Run("metadata address on create", func(t *testing.T) {
		code, body := e.raw(t, "POST", "/api/v2/tailnet/-/posture/integrations", `{"provider":"kandji","cloudId":"169.254.169.254","clientSecret":"x"}`)
		if code != 400 || !strings.Contains(body, "link-local") {
			t.Errorf("create: got %d %s, want 400 naming the link-local address", code, body)
		}
		if list, err := dp.ListIntegrations(ctx); err != nil || len(list) != 1 {
			t.Errorf("integrations after a refused create: got %d, %v; want 1", len(list), err)
		}
	})
	t.Run("another host with the secret", func(t *testing.T) {
		code, body := e.raw(t, "PATCH", "/api/v2/posture/integrations/"+in.ID, `{"cloudId":"https://fleet2.example.com","clientSecret":"fleet-token-2"}`)
		if code != 200 {
			t.Fatalf("PATCH: got %d %s, want 200", code, body)
		}
		got, err := e.srv.Service().Store().Integration(ctx, in.ID)
		if err != nil || got.CloudID != "https://fleet2.example.com" || got.ClientSecret != "fleet-token-2" {
			t.Errorf("after PATCH: got cloudId %q and the new secret %v (%v), want both changed", got.CloudID, got.ClientSecret == "fleet-token-2", err)
		}
	})
}

// A failed sync's status, which read-only roles see, is a short sentence:
// never the vendor's response body.
func TestIntegrationStatusHidesVendorBody(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const vendorBody = `{"message":"db password=hunter2 at 10.0.0.7"}`
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(vendorBody))
	}))
	defer vendor.Close()
	in, err := e.client.DevicePosture().CreateIntegration(ctx, tsclient.CreatePostureIntegrationRequest{
		Provider: tsclient.PostureIntegrationProviderFleet, CloudID: vendor.URL, ClientSecret: "fleet-token"})
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	svc := e.srv.Service()
	auditor, err := svc.CreateUser(ctx, cli, e.srv.Tailnet().ID, "auditor@example.com", "", postern.RoleAuditor)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := svc.CreateKey(ctx, cli, e.srv.Tailnet().ID, tailnet.KeyRequest{Type: postern.KeyTypeAPI, UserID: auditor.ID})
	if err != nil {
		t.Fatal(err)
	}
	asAuditor := &env{srv: e.srv, key: key}
	clientID, clientSecret := createClient(t, e, "feature_settings:read")
	resp, err := http.PostForm(e.srv.URL()+"/api/v2/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {clientID}, "client_secret": {clientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.AccessToken == "" {
		t.Fatalf("OAuth token: got status %d and no access_token", resp.StatusCode)
	}
	asReadScope := &env{srv: e.srv, key: tok.AccessToken}

	const want = `"error":"Fleet answered 400 Bad Request."`
	if st := waitForStatus(t, e, in.ID); st.Error != "Fleet answered 400 Bad Request." {
		t.Fatalf("status error: got %q, want the short sentence", st.Error)
	}
	for _, path := range []string{"/api/v2/posture/integrations/" + in.ID, "/api/v2/tailnet/-/posture/integrations"} {
		for name, who := range map[string]*env{"owner": e, "auditor": asAuditor, "feature_settings:read token": asReadScope} {
			code, body := who.raw(t, "GET", path, "")
			if code != 200 || !strings.Contains(body, want) || strings.Contains(body, "hunter2") {
				t.Errorf("GET %s as %s: got %d %s, want the short status without the vendor's body", path, name, code, body)
			}
		}
	}
}

// waitForStatus waits for the sync the server starts on create to record
// its attempt, and returns the status.
func waitForStatus(t *testing.T, e *env, id string) postern.IntegrationStatus {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		in, err := e.srv.Service().Store().Integration(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !in.Status.LastAttempt.IsZero() {
			return in.Status
		}
		if time.Now().After(deadline) {
			t.Fatalf("integration %s: no sync attempt recorded after 15s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
