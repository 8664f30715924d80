package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	tsclient "tailscale.com/client/tailscale/v2"
)

// createClient makes an OAuth client with scopes through the API.
func createClient(t *testing.T, e *env, scopes ...string) (id, secret string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"keyType": "client", "scopes": scopes})
	code, body := e.raw(t, "POST", "/api/v2/tailnet/-/keys", string(b))
	if code != 200 {
		t.Fatalf("creating OAuth client: got %d %s", code, body)
	}
	var k struct{ ID, Key string }
	json.Unmarshal([]byte(body), &k)
	if !strings.HasPrefix(k.Key, "tskey-client-") {
		t.Fatalf("got key %q, want tskey-client-", k.Key)
	}
	return k.ID, k.Key
}

func TestOAuthScopes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, secret := createClient(t, e, "devices:core:read", "devices:posture_attributes")
	base, _ := url.Parse(e.srv.URL())
	c := &tsclient.Client{BaseURL: base, Tailnet: "-", Auth: &tsclient.OAuth{ClientID: id, ClientSecret: secret}}

	devs, err := c.Devices().List(ctx)
	if err != nil || len(devs) != 2 {
		t.Fatalf("list devices with devices:core:read: got %d, %v", len(devs), err)
	}
	if err := c.Devices().SetPostureAttribute(ctx, e.devA.NodeID, "custom:jit", tsclient.DevicePostureAttributeRequest{Value: true, Comment: "approved"}); err != nil {
		t.Errorf("set attribute with devices:posture_attributes: %v", err)
	}
	if err := c.Devices().Delete(ctx, e.devA.NodeID); apiStatus(err) != 403 {
		t.Errorf("delete device without devices:core: got %v, want 403", err)
	}
	if _, err := c.PolicyFile().Raw(ctx); apiStatus(err) != 403 {
		t.Errorf("read policy without policy_file:read: got %v, want 403", err)
	}
	if _, err := e.client.Devices().Get(ctx, e.devA.NodeID); err != nil {
		t.Errorf("device gone after a refused delete: %v", err)
	}

	t.Run("tokens are not listed as keys", func(t *testing.T) {
		keys, err := e.client.Keys().List(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if strings.HasPrefix(k.Description, "oauth:") {
				t.Errorf("keys list shows access token %s", k.ID)
			}
		}
		if len(keys) != 2 { // the admin's API key and the OAuth client
			t.Errorf("got %d keys, want 2", len(keys))
		}
	})
	t.Run("narrower scope on request", func(t *testing.T) {
		c := &tsclient.Client{BaseURL: base, Tailnet: "-", Auth: &tsclient.OAuth{ClientID: id, ClientSecret: secret, Scopes: []string{"devices:core:read"}}}
		if err := c.Devices().SetPostureAttribute(ctx, e.devA.NodeID, "custom:jit", tsclient.DevicePostureAttributeRequest{Value: false}); apiStatus(err) != 403 {
			t.Errorf("write with a read-only token: got %v, want 403", err)
		}
	})
	t.Run("token endpoint errors", func(t *testing.T) {
		for name, form := range map[string]url.Values{
			"bad secret":     {"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret + "x"}},
			"wrong id":       {"grant_type": {"client_credentials"}, "client_id": {"kOther"}, "client_secret": {secret}},
			"scope too wide": {"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {"policy_file"}},
			"bad grant":      {"grant_type": {"password"}, "client_id": {id}, "client_secret": {secret}},
		} {
			resp, err := http.PostForm(e.srv.URL()+"/api/v2/oauth/token", form)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 && resp.StatusCode != 401 {
				t.Errorf("%s: got %d, want 400 or 401", name, resp.StatusCode)
			}
		}
	})
	t.Run("unknown scope at creation", func(t *testing.T) {
		code, _ := e.raw(t, "POST", "/api/v2/tailnet/-/keys", `{"keyType":"client","scopes":["everything"]}`)
		if code != 400 {
			t.Errorf("got %d, want 400", code)
		}
	})
}
