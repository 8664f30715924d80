package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// fuzzEndpoints are the API's POST and PATCH endpoints that take a body,
// with ids filled in from the env. Integrations are left out: a fuzzed
// body could point a sync at any host.
func fuzzEndpoints(e *env) []struct{ method, path, contentType string } {
	a := e.devA.NodeID
	return []struct{ method, path, contentType string }{
		{"POST", "/api/v2/tailnet/-/keys", "application/json"},
		{"POST", "/api/v2/device/" + a + "/authorized", "application/json"},
		{"POST", "/api/v2/device/" + a + "/tags", "application/json"},
		{"POST", "/api/v2/device/" + a + "/expire", "application/json"},
		{"POST", "/api/v2/device/" + a + "/attributes/custom:fuzz", "application/json"},
		{"PATCH", "/api/v2/tailnet/-/device-attributes", "application/json"},
		{"PATCH", "/api/v2/tailnet/-/settings", "application/json"},
		{"POST", "/api/v2/tailnet/-/acl", "application/hujson"},
		{"POST", "/api/v2/tailnet/-/acl/validate", "application/json"},
		{"POST", "/api/v2/tailnet/-/acl/preview?type=user&previewFor=owner@example.com", "application/hujson"},
		{"POST", "/api/v2/registrations/nFUZZ/approve", "application/json"},
		{"POST", "/api/v2/oauth/token", "application/x-www-form-urlencoded"},
	}
}

// FuzzAPIBodies sends arbitrary bytes as the body of each endpoint,
// through the real server with an owner's API key: nothing may answer 500
// or drop the connection (a panic), and every error is {"message": ...}
// (or, for the token endpoint, RFC 6749's {"error": ...}).
func FuzzAPIBodies(f *testing.F) {
	f.Add(uint8(0), []byte(`{"capabilities":{"devices":{"create":{"reusable":true,"tags":["tag:x"]}}},"expirySeconds":3600}`))
	f.Add(uint8(2), []byte(`{"tags":["tag:server"]}`))
	f.Add(uint8(5), []byte(`{"nodes":{"x":{"custom:a":{"value":1}}}}`))
	f.Add(uint8(8), []byte(`[{"src":"owner@example.com","accept":["100.64.0.1:22"]}]`))
	e := newEnv(f)
	eps := fuzzEndpoints(e)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		ep := eps[int(which)%len(eps)]
		req, err := http.NewRequest(ep.method, e.srv.URL()+ep.path, strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ep.contentType)
		req.SetBasicAuth(e.key, "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v (a handler panicked?)", ep.method, ep.path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s with %q: got %d %s", ep.method, ep.path, body, resp.StatusCode, b)
		}
		if resp.StatusCode >= 400 {
			var msg struct{ Message, Error string }
			if err := json.Unmarshal(b, &msg); err != nil || (msg.Message == "" && msg.Error == "") {
				t.Fatalf("%s %s with %q: got %d %s, want a JSON error with a message", ep.method, ep.path, body, resp.StatusCode, b)
			}
		}
	})
}
