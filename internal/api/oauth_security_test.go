package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tailnet"
)

// token gets an access token for an OAuth client with the client
// credentials grant, failing the test unless it is issued.
func token(t *testing.T, e *env, id, secret string) string {
	t.Helper()
	code, body := tokenRequest(t, e, id, secret)
	if code != 200 {
		t.Fatalf("token request: got %d %s, want 200", code, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal([]byte(body), &tok)
	return tok.AccessToken
}

func tokenRequest(t *testing.T, e *env, id, secret string) (int, string) {
	t.Helper()
	resp, err := http.PostForm(e.srv.URL()+"/api/v2/oauth/token",
		url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// as sends a request with key as the bearer token.
func (e *env) as(t *testing.T, key, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// storedKeys is every key of the tailnet, tokens included, by id.
func storedKeys(t *testing.T, e *env) []string {
	t.Helper()
	ks, err := e.srv.Service().Store().Keys(context.Background(), e.srv.Tailnet().ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range ks {
		ids = append(ids, k.ID)
	}
	sort.Strings(ids)
	return ids
}

func TestOAuthTokenCannotEscalate(t *testing.T) {
	e := newEnv(t)
	id, secret := createClient(t, e, "auth_keys")
	tok := token(t, e, id, secret)
	admin, _ := e.srv.Service().Store().Keys(context.Background(), e.srv.Tailnet().ID)
	adminKeyID := admin[0].ID
	before := strings.Join(storedKeys(t, e), ",")

	for _, tc := range []struct {
		name, method, path, body, want string
	}{
		{"mint an API key", "POST", "/api/v2/tailnet/-/keys", `{"keyType":"api"}`, `creating an API key needs the \"all\" scope`},
		{"mint an OAuth client", "POST", "/api/v2/tailnet/-/keys", `{"keyType":"client","scopes":["all"]}`, `creating an OAuth client needs the \"all\" scope`},
		{"delete the admin's API key", "DELETE", "/api/v2/tailnet/-/keys/" + adminKeyID, "", `deleting an API key or OAuth client needs the \"all\" scope`},
		{"delete its own client", "DELETE", "/api/v2/tailnet/-/keys/" + id, "", `deleting an API key or OAuth client needs the \"all\" scope`},
		{"read the admin's API key", "GET", "/api/v2/tailnet/-/keys/" + adminKeyID, "", `reading an API key or OAuth client needs the \"all:read\" scope`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.as(t, tok, tc.method, tc.path, tc.body)
			if code != 403 || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s, want 403 with %q", code, body, tc.want)
			}
			if after := strings.Join(storedKeys(t, e), ","); after != before {
				t.Errorf("stored keys changed: got %s, want %s", after, before)
			}
		})
	}
	t.Run("lists auth keys only", func(t *testing.T) {
		code, body := e.as(t, tok, "GET", "/api/v2/tailnet/-/keys?all=true", "")
		if code != 200 || strings.Contains(body, `"keyType":"api"`) || strings.Contains(body, `"keyType":"client"`) {
			t.Errorf("got %d %s, want 200 without API keys or clients", code, body)
		}
	})

	t.Run("keys and tokens die with their client", func(t *testing.T) {
		code, body := e.as(t, tok, "POST", "/api/v2/tailnet/-/keys", `{"capabilities":{"devices":{"create":{"reusable":true}}}}`)
		if code != 200 {
			t.Fatalf("creating an auth key with auth_keys: got %d %s", code, body)
		}
		var ak struct{ ID string }
		json.Unmarshal([]byte(body), &ak)
		if code, body := e.raw(t, "DELETE", "/api/v2/tailnet/-/keys/"+id, ""); code != 200 {
			t.Fatalf("deleting the client: got %d %s", code, body)
		}
		if code, _ := e.raw(t, "GET", "/api/v2/tailnet/-/keys/"+ak.ID, ""); code != 404 {
			t.Errorf("auth key minted by the deleted client: got %d, want 404", code)
		}
		code, body = e.as(t, tok, "GET", "/api/v2/tailnet/-/keys", "")
		if code != 401 || !strings.Contains(body, "invalid key") {
			t.Errorf("token of the deleted client: got %d %s, want 401", code, body)
		}
		if got := storedKeys(t, e); len(got) != 1 || got[0] != adminKeyID {
			t.Errorf("stored keys: got %v, want only the admin's API key %s", got, adminKeyID)
		}
	})
}

func TestOAuthFollowsItsUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	svc, tn := e.srv.Service(), e.srv.Tailnet()
	ops, err := svc.CreateUser(ctx, cli, tn.ID, "ops@example.com", "", postern.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	opsKey, _, err := svc.CreateKey(ctx, cli, tn.ID, tailnet.KeyRequest{Type: postern.KeyTypeAPI, UserID: ops.ID})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"keyType": "client", "scopes": []string{"devices:core"}})
	code, body := e.as(t, opsKey, "POST", "/api/v2/tailnet/-/keys", string(b))
	if code != 200 {
		t.Fatalf("creating a client as ops: got %d %s", code, body)
	}
	var c struct{ ID, Key string }
	json.Unmarshal([]byte(body), &c)
	tok := token(t, e, c.ID, c.Key)

	ops.Role = postern.RoleMember
	if err := svc.Store().UpdateUser(ctx, &ops); err != nil {
		t.Fatal(err)
	}
	before := storedKeys(t, e)
	code, body = e.as(t, tok, "POST", "/api/v2/device/"+e.devA.NodeID+"/authorized", `{"authorized":false}`)
	if code != 401 || !strings.Contains(body, `may no longer grant the \"devices:core\" scope`) {
		t.Errorf("token of a demoted user's client: got %d %s, want 401", code, body)
	}
	if d, _ := svc.Store().Device(ctx, e.devA.ID); !d.Authorized {
		t.Errorf("device deauthorized by a refused token")
	}
	code, body = tokenRequest(t, e, c.ID, c.Key)
	if code != 400 || !strings.Contains(body, "may no longer grant scope devices:core") {
		t.Errorf("new token for a demoted user's client: got %d %s, want 400 invalid_scope", code, body)
	}
	if after := storedKeys(t, e); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("a refused token request stored a key: got %v, want %v", after, before)
	}
}

func TestAccessTokensMarkedByType(t *testing.T) {
	e := newEnv(t)
	code, body := e.raw(t, "POST", "/api/v2/tailnet/-/keys", `{"keyType":"api","description":"oauth:looks like a token"}`)
	if code != 200 {
		t.Fatalf("got %d %s", code, body)
	}
	id, secret := createClient(t, e, "devices:core:read")
	token(t, e, id, secret)
	_, body = e.raw(t, "GET", "/api/v2/tailnet/-/keys?all=true", "")
	var list struct {
		Keys []struct{ ID, Description string }
	}
	json.Unmarshal([]byte(body), &list)
	if len(list.Keys) != 3 || !strings.Contains(body, "oauth:looks like a token") {
		t.Errorf("got %s, want the admin key, the client and the key described oauth:..., no token", body)
	}
}
