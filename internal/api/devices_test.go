package api_test

import (
	"context"
	"strings"
	"testing"
)

func TestDeviceTagRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	policy := `{"tagOwners": {"tag:server": [], "tag:db": ["owner@example.com"]}, "acls": []}`
	if err := e.client.PolicyFile().Set(ctx, policy, ""); err != nil {
		t.Fatal(err)
	}
	path := "/api/v2/device/" + e.devB.NodeID + "/tags"
	tagsOfB := func() string {
		d, err := e.srv.Service().Store().Device(ctx, e.devB.ID)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(d.Tags, ",")
	}
	for _, tc := range []struct {
		name, body, want string
	}{
		{"unknown field", `{"tag":["tag:db"]}`, `unknown field \"tag\"`},
		{"missing field", `{}`, `missing field \"tags\"`},
		{"null", `{"tags":null}`, `missing field \"tags\"`},
		{"undefined tag", `{"tags":["tag:server","tag:nope"]}`, "tags tag:nope are not defined in the policy's tagOwners"},
		{"bad syntax", `{"tags":["tag:has space"]}`, "must be tag: followed by a letter"},
		{"no prefix", `{"tags":["server"]}`, "must be tag: followed by a letter"},
		{"too long", `{"tags":["tag:` + strings.Repeat("a", 200) + `"]}`, "longer than 128 characters"},
		{"trailing data", `{"tags":[]} {"tags":[]}`, "data after the JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.raw(t, "POST", path, tc.body)
			if code != 400 || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s, want 400 with %q", code, body, tc.want)
			}
			if got := tagsOfB(); got != "tag:server" {
				t.Errorf("tags after a refused request: got %q, want tag:server", got)
			}
		})
	}
	t.Run("defined tags", func(t *testing.T) {
		if code, body := e.raw(t, "POST", path, `{"tags":["tag:db","tag:server"]}`); code != 200 {
			t.Fatalf("got %d %s, want 200", code, body)
		}
		if got := tagsOfB(); got != "tag:db,tag:server" {
			t.Errorf("got tags %q, want tag:db,tag:server", got)
		}
	})
	t.Run("empty list removes every tag", func(t *testing.T) {
		if code, body := e.raw(t, "POST", path, `{"tags":[]}`); code != 200 {
			t.Fatalf("got %d %s, want 200", code, body)
		}
		if got := tagsOfB(); got != "" {
			t.Errorf("got tags %q, want none", got)
		}
	})
}

func TestStrictBodies(t *testing.T) {
	e := newEnv(t)
	before := strings.Join(storedKeys(t, e), ",")
	for _, tc := range []struct {
		name, method, path, body string
	}{
		{"authorized", "POST", "/api/v2/device/" + e.devA.NodeID + "/authorized", `{"authorized":false,"authorised":false}`},
		{"attribute", "POST", "/api/v2/device/" + e.devA.NodeID + "/attributes/custom:x", `{"value":1,"expires":"2030-01-01T00:00:00Z"}`},
		{"batch attribute", "PATCH", "/api/v2/tailnet/-/device-attributes", `{"nodes":{"` + e.devA.NodeID + `":{"custom:x":{"value":1,"extra":2}}}}`},
		{"key", "POST", "/api/v2/tailnet/-/keys", `{"keyType":"api","expiry":5}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.raw(t, tc.method, tc.path, tc.body)
			if code != 400 || !strings.Contains(body, "unknown field") {
				t.Errorf("got %d %s, want 400 naming the unknown field", code, body)
			}
		})
	}
	d, _ := e.srv.Service().Store().Device(context.Background(), e.devA.ID)
	attrs, _ := e.srv.Service().Store().Attributes(context.Background(), e.devA.ID)
	for _, a := range attrs {
		if a.Key == "custom:x" {
			t.Errorf("a refused body set custom:x")
		}
	}
	if !d.Authorized || strings.Join(storedKeys(t, e), ",") != before {
		t.Errorf("a refused body changed state: authorized %v, keys %v", d.Authorized, storedKeys(t, e))
	}
}

// TestDeviceRename: the official client's SetName renames a device; a
// name that is not one DNS label, one another device has, an unknown
// field or a missing name is 400 or 409 and changes nothing.
func TestDeviceRename(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	nameOf := func(id int64) string {
		d, err := e.srv.Service().Store().Device(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Name
	}
	if err := e.client.Devices().SetName(ctx, e.devB.NodeID, "Build-Box"); err != nil {
		t.Fatalf("SetName: %v", err)
	}
	if got := nameOf(e.devB.ID); got != "build-box" {
		t.Errorf("name after SetName: got %q, want build-box", got)
	}
	path := "/api/v2/device/" + e.devB.NodeID + "/name"
	taken := nameOf(e.devA.ID)
	for _, tc := range []struct {
		name, body string
		code       int
		want       string
	}{
		{"not a label", `{"name":"a.b"}`, 400, ""},
		{"taken", `{"name":"` + taken + `"}`, 409, ""},
		{"unknown field", `{"nam":"x"}`, 400, `unknown field \"nam\"`},
		{"missing", `{}`, 400, `missing field \"name\"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.raw(t, "POST", path, tc.body)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s, want %d with %q", code, body, tc.code, tc.want)
			}
			if got := nameOf(e.devB.ID); got != "build-box" {
				t.Errorf("name after the refusal: got %q, want build-box", got)
			}
		})
	}
}
