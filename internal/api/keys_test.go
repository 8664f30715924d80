package api_test

import (
	"strings"
	"testing"
)

func TestKeyExpiryRange(t *testing.T) {
	e := newEnv(t)
	before := strings.Join(storedKeys(t, e), ",")
	for _, tc := range []struct {
		name, body, want string
	}{
		{"negative", `{"keyType":"api","expirySeconds":-5}`, "expirySeconds must be from 1 to 31536000"},
		{"overflows a duration", `{"keyType":"api","expirySeconds":9223372036854775807}`, "expirySeconds must be from 1 to 31536000"},
		{"auth key past 90 days", `{"capabilities":{"devices":{"create":{}}},"expirySeconds":7776001}`, "expirySeconds must be from 1 to 7776000 (90 days) for auth keys"},
		{"API key past a year", `{"keyType":"api","expirySeconds":31536001}`, "(365 days) for api keys"},
		{"not an integer", `{"keyType":"api","expirySeconds":1e30}`, "invalid JSON body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.raw(t, "POST", "/api/v2/tailnet/-/keys", tc.body)
			if code != 400 || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s, want 400 with %q", code, body, tc.want)
			}
			if after := strings.Join(storedKeys(t, e), ","); after != before {
				t.Errorf("stored keys changed: got %s, want %s", after, before)
			}
		})
	}
	for _, tc := range []struct {
		name, body, want string
	}{
		{"zero is the default", `{"keyType":"api","expirySeconds":0}`, `"expirySeconds":7776000`},
		{"auth key at 90 days", `{"capabilities":{"devices":{"create":{}}},"expirySeconds":7776000}`, `"expirySeconds":7776000`},
		{"API key at a year", `{"keyType":"api","expirySeconds":31536000}`, `"expirySeconds":31536000`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.raw(t, "POST", "/api/v2/tailnet/-/keys", tc.body)
			if code != 200 || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s, want 200 with %s", code, body, tc.want)
			}
		})
	}
}
