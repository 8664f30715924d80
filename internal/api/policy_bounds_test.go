package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern/internal/tailnet"
)

// currentPolicyText is the text of the policy in force.
func currentPolicyText(t *testing.T, e *env) string {
	t.Helper()
	p, err := tailnet.CurrentPolicy(context.Background(), e.srv.Service().Store(), e.srv.Tailnet().ID)
	if err != nil {
		t.Fatal(err)
	}
	return p.Text
}

func TestPolicyBodiesAreBadRequests(t *testing.T) {
	e := newEnv(t)
	before := currentPolicyText(t, e)
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	for _, tc := range []struct {
		name, path, body, want string
	}{
		{"validate deep tests array", "validate", deep, "nests objects and arrays deeper than 64 levels"},
		{"validate deep policy", "validate", `{"acls":` + deep + `}`, "nests objects and arrays deeper than 64 levels"},
		{"validate deep objects", "validate", strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000), "nests objects and arrays deeper than 64 levels"},
		{"preview deep policy", "preview?type=user&previewFor=a@example.com", `{"acls":` + deep + `}`, "nests objects and arrays deeper than 64 levels"},
		{"validate tests that are not an array", "validate", `[1, 2`, "invalid tests array"},
		{"validate too large", "validate", `{"acls": [], "x": "` + strings.Repeat("a", 600<<10) + `"}`, "larger than 524288 bytes"},
		{"set deep policy", "", `{"acls":` + deep + `}`, "nests objects and arrays deeper than 64 levels"},
		{"preview without type", "preview", `{}`, "type must be user or ipport"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/api/v2/tailnet/-/acl"
			if tc.path != "" {
				path += "/" + tc.path
			}
			code, body := e.raw(t, "POST", path, tc.body)
			if len(body) > 300 {
				body = body[:300]
			}
			if code != 400 || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s, want 400 with %q", code, body, tc.want)
			}
			if got := currentPolicyText(t, e); got != before {
				t.Errorf("the policy in force changed")
			}
		})
	}
}

// slowPolicy has n groups and rules, which take the compiler a while.
func slowPolicy(n int) string {
	var b strings.Builder
	b.WriteString(`{"groups": {`)
	for i := range n {
		fmt.Fprintf(&b, `"group:g%d": ["u%d@example.com", "owner@example.com"],`, i, i)
	}
	b.WriteString(`}, "acls": [`)
	for i := range n {
		fmt.Fprintf(&b, `{"action": "accept", "src": ["group:g%d"], "dst": ["*:%d"]},`, i, i%65535+1)
	}
	b.WriteString(`]}`)
	return b.String()
}

// holdCheck starts a policy check for user that runs until release is
// closed, and returns once it holds the user's slot; wait reports when it
// ended.
func holdCheck(t *testing.T, svc *tailnet.Service, userID string) (release func(), wait func()) {
	t.Helper()
	running, stop, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		svc.PolicyCheck(context.Background(), userID, func(context.Context) error {
			close(running)
			<-stop
			return nil
		})
	}()
	<-running
	return func() { close(stop) }, func() { <-ended }
}

func TestPolicyChecksAreBounded(t *testing.T) {
	e := newEnv(t)
	svc := e.srv.Service()
	t.Run("one at a time per user", func(t *testing.T) {
		release, wait := holdCheck(t, svc, e.owner.ID)
		for _, path := range []string{"validate", "preview?type=user&previewFor=owner@example.com"} {
			code, body := e.raw(t, "POST", "/api/v2/tailnet/-/acl/"+path, goodPolicy)
			if code != 429 || !strings.Contains(body, "a policy check of yours is still running") {
				t.Errorf("%s while another check of the user runs: got %d %s, want 429", path, code, body)
			}
		}
		release()
		wait()
		if code, body := e.raw(t, "POST", "/api/v2/tailnet/-/acl/validate", goodPolicy); code != 200 || body != "{}\n" {
			t.Errorf("validate once the other check ended: got %d %q, want 200 {}", code, body)
		}
	})
	t.Run("time limit", func(t *testing.T) {
		svc.SetPolicyCheckTimeout(time.Millisecond)
		defer svc.SetPolicyCheckTimeout(0)
		code, body := e.raw(t, "POST", "/api/v2/tailnet/-/acl/validate", slowPolicy(4000))
		if code != 503 || !strings.Contains(body, "took longer than 1ms and was stopped") {
			t.Errorf("slow validate: got %d %.300s, want 503 naming the time limit", code, body)
		}
		if got := currentPolicyText(t, e); got != tailnet.DefaultPolicy {
			t.Errorf("the policy in force changed")
		}
	})
}
