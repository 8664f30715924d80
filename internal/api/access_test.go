package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	tsclient "tailscale.com/client/tailscale/v2"
)

type accessAnswer struct {
	Allowed    bool
	Reason     string
	Rule       *struct{ Line int }
	Candidates []struct {
		Postures []struct {
			Name   string
			Failed []struct{ Condition, Actual string }
		}
	}
}

// accessEventually polls the access endpoint until allowed is want (the
// engine applies changes asynchronously), and returns the last answer.
func accessEventually(t *testing.T, e *env, want bool) accessAnswer {
	t.Helper()
	var ans accessAnswer
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, body := e.raw(t, "GET", "/api/v2/device/"+e.devA.NodeID+"/access?dst=bravo:22&proto=tcp", "")
		if code != 200 {
			t.Fatalf("access: got %d %s", code, body)
		}
		ans = accessAnswer{}
		if err := json.Unmarshal([]byte(body), &ans); err != nil {
			t.Fatalf("access body %s: %v", body, err)
		}
		// Until the engine has applied the device, every answer is a
		// denial for an unknown source: not yet the denial we wait for.
		settled := !strings.HasPrefix(ans.Reason, "unknown source node")
		if (ans.Allowed == want && settled) || time.Now().After(deadline) {
			return ans
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAccessFollowsPosture(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.client.PolicyFile().Set(ctx, goodPolicy, ""); err != nil {
		t.Fatal(err)
	}
	ans := accessEventually(t, e, false)
	if ans.Allowed || len(ans.Candidates) != 1 || ans.Candidates[0].Postures[0].Name != "posture:managed" {
		t.Fatalf("before: got %+v, want denied with posture:managed as the failing candidate", ans)
	}
	if f := ans.Candidates[0].Postures[0].Failed; len(f) != 1 || f[0].Actual != "not set" {
		t.Errorf("failed conditions: got %+v, want custom:managed not set", f)
	}

	if err := e.client.Devices().SetPostureAttribute(ctx, e.devA.NodeID, "custom:managed", tsclient.DevicePostureAttributeRequest{Value: true}); err != nil {
		t.Fatal(err)
	}
	ans = accessEventually(t, e, true)
	if !ans.Allowed || ans.Rule == nil || ans.Rule.Line != 6 {
		t.Fatalf("after setting custom:managed: got %+v, want allowed by the rule at line 6", ans)
	}

	if err := e.client.Devices().SetPostureAttribute(ctx, e.devA.NodeID, "custom:managed", tsclient.DevicePostureAttributeRequest{Value: false}); err != nil {
		t.Fatal(err)
	}
	ans = accessEventually(t, e, false)
	if ans.Allowed || ans.Candidates[0].Postures[0].Failed[0].Actual != "false" {
		t.Errorf("after clearing it: got %+v, want denied with actual false", ans)
	}

	t.Run("bad requests", func(t *testing.T) {
		for _, q := range []string{"dst=bravo", "dst=bravo:99999", "dst=bravo:22&proto=carrier-pigeon", "dst=nosuchhost:22"} {
			code, _ := e.raw(t, "GET", "/api/v2/device/"+e.devA.NodeID+"/access?"+q, "")
			if code != 400 && code != 404 {
				t.Errorf("%s: got %d, want 400 or 404", q, code)
			}
		}
	})
}
