package api_test

import (
	"context"
	"strings"
	"testing"

	tsclient "tailscale.com/client/tailscale/v2"
)

const goodPolicy = `// Servers are for admins with managed devices.
{
	"tagOwners": {"tag:server": ["owner@example.com"]},
	"postures": {"posture:managed": ["custom:managed == true"]},
	"acls": [
		{"action": "accept", "src": ["owner@example.com"], "dst": ["tag:server:22"], "srcPosture": ["posture:managed"]},
	],
}
`

func TestPolicyFile(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pf := e.client.PolicyFile()

	raw, err := pf.Raw(ctx)
	if err != nil {
		t.Fatalf("Raw: %v", err)
	}
	if !strings.Contains(raw.HuJSON, `"acls"`) || raw.ETag == "" {
		t.Fatalf("default policy: got %q etag %q, want the default acls with an ETag", raw.HuJSON, raw.ETag)
	}
	if err := pf.Set(ctx, goodPolicy, raw.ETag); err != nil {
		t.Fatalf("Set: %v", err)
	}
	after, err := pf.Raw(ctx)
	if err != nil || after.HuJSON != goodPolicy {
		t.Fatalf("Raw after Set: got %q, %v; want the exact text saved, comments included", after.HuJSON, err)
	}
	acl, err := pf.Get(ctx)
	if err != nil || len(acl.ACLs) != 1 || acl.ACLs[0].SourcePosture[0] != "posture:managed" {
		t.Fatalf("Get as JSON: got %+v, %v", acl, err)
	}

	t.Run("stale ETag", func(t *testing.T) {
		err := pf.Set(ctx, strings.Replace(goodPolicy, ":22", ":23", 1), raw.ETag)
		if apiStatus(err) != 412 {
			t.Fatalf("got %v, want 412", err)
		}
		if cur, _ := pf.Raw(ctx); cur.HuJSON != goodPolicy {
			t.Errorf("policy changed by a rejected save")
		}
	})
	t.Run("invalid policy", func(t *testing.T) {
		bad := strings.Replace(goodPolicy, "tag:server:22", "tag:nope:22", 1)
		err := pf.Set(ctx, bad, "")
		if apiStatus(err) != 400 || !strings.Contains(err.Error(), `tag not found: "tag:nope"`) {
			t.Fatalf("got %v, want 400 naming the unknown tag", err)
		}
		if !strings.Contains(err.Error(), "6:62:") {
			t.Errorf("got %v, want the position (6:62) of the bad value", err)
		}
		if cur, _ := pf.Raw(ctx); cur.HuJSON != goodPolicy {
			t.Errorf("policy changed by a rejected save")
		}
	})
	t.Run("validate", func(t *testing.T) {
		if err := pf.Validate(ctx, goodPolicy); err != nil {
			t.Errorf("valid policy: got %v", err)
		}
		if err := pf.Validate(ctx, `{"acls": [{"action": "deny", "src": ["*"], "dst": ["*:*"]}]}`); err == nil || !strings.Contains(err.Error(), `action="deny" is not supported`) {
			t.Errorf("deny: got %v, want Tailscale's message", err)
		}
	})
	t.Run("failing tests", func(t *testing.T) {
		failing := strings.Replace(goodPolicy, "\"acls\": [", `"tests": [{"src": "owner@example.com", "accept": ["tag:server:23"]}],
	"acls": [`, 1)
		code, body := e.raw(t, "POST", "/api/v2/tailnet/-/acl/validate", failing)
		if code != 200 || !strings.Contains(body, `"message":"test(s) failed"`) || !strings.Contains(body, `"user":"owner@example.com"`) {
			t.Errorf("validate: got %d %s, want 200 with test(s) failed and the test's user", code, body)
		}
		code, body = e.raw(t, "POST", "/api/v2/tailnet/-/acl", failing)
		if code != 400 || !strings.Contains(body, "want: Accept, got: Drop") {
			t.Errorf("save: got %d %s, want 400 with the failing address", code, body)
		}
		if cur, _ := pf.Raw(ctx); cur.HuJSON != goodPolicy {
			t.Errorf("policy changed by a save whose tests failed")
		}
	})
	t.Run("audited", func(t *testing.T) {
		_, body := e.raw(t, "GET", "/api/v2/tailnet/-/logging/configuration?start=2000-01-01T00:00:00Z&end=2100-01-01T00:00:00Z&event=TAILNET.UPDATE.ACL", "")
		if strings.Count(body, `"property":"ACL"`) != 1 {
			t.Errorf("got %s, want exactly one ACL update event", body)
		}
	})
}

var _ = tsclient.ACL{}

func TestPolicyPreview(t *testing.T) {
	e := newEnv(t)
	code, body := e.raw(t, "POST", "/api/v2/tailnet/-/acl/preview?type=user&previewFor=owner@example.com", goodPolicy)
	if code != 200 || !strings.Contains(body, `"lineNumber":6`) || !strings.Contains(body, `"posture:managed":["custom:managed == true"]`) {
		t.Errorf("user preview: got %d %s", code, body)
	}
	ip := e.devB.IPv4.String()
	code, body = e.raw(t, "POST", "/api/v2/tailnet/-/acl/preview?type=ipport&previewFor="+ip+":22", goodPolicy)
	if code != 200 || !strings.Contains(body, `"users":["owner@example.com"]`) {
		t.Errorf("ipport preview: got %d %s", code, body)
	}
	if code, _ := e.raw(t, "POST", "/api/v2/tailnet/-/acl/preview?type=ipport&previewFor="+ip+":22", `{"acls": [`); code != 400 {
		t.Errorf("bad policy: got %d, want 400", code)
	}
	if code, _ := e.raw(t, "POST", "/api/v2/tailnet/-/acl/preview?type=nope&previewFor=x", goodPolicy); code != 400 {
		t.Errorf("bad type: got %d, want 400", code)
	}
}
