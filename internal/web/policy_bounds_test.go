package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tailnet"
)

func TestPreviewIsBounded(t *testing.T) {
	e := newEnv(t, "http://x")
	owner := e.user("owner@example.com", postern.RoleOwner)
	ck := e.signIn(owner)
	csrf := e.csrf(ck.Value)
	// Devices make the compiler's work grow with the policy.
	for i := range 20 {
		name := fmt.Sprintf("dev%d", i)
		d := postern.Device{TailnetID: e.tn.ID, UserID: owner.ID, Hostname: name, Authorized: true, Created: time.Now(),
			MachineKey: "mkey:" + name, NodeKey: "nodekey:" + name}
		if err := e.svc.Store().CreateDevice(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	b.WriteString(`{"groups": {`)
	for i := range 4000 {
		fmt.Fprintf(&b, `"group:g%d": ["u%d@example.com", "owner@example.com"],`, i, i)
	}
	b.WriteString(`}, "acls": [`)
	for i := range 4000 {
		fmt.Fprintf(&b, `{"action": "accept", "src": ["group:g%d"], "dst": ["*:%d"]},`, i, i+1)
	}
	b.WriteString(`]}`)
	preview := func(text string) string {
		w := e.do("POST", "/admin/policy", ck.Value, url.Values{"csrf": {csrf}, "action": {"preview"}, "policy": {text}})
		return w.Body.String()
	}

	// Another check of the same user (from the API, say) is running.
	running, stop, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		e.svc.PolicyCheck(ctx, owner.ID, func(context.Context) error {
			close(running)
			<-stop
			return nil
		})
	}()
	<-running
	if body := preview(tailnet.DefaultPolicy); !strings.Contains(body, "a policy check of yours is still running") {
		t.Errorf("preview while another check runs: got a page without the busy message:\n%.300s", body)
	}
	close(stop)
	<-ended
	if body := preview(tailnet.DefaultPolicy); strings.Contains(body, "still running") {
		t.Errorf("preview once the other check ended: still refused")
	}

	e.svc.SetPolicyCheckTimeout(time.Millisecond)
	defer e.svc.SetPolicyCheckTimeout(0)
	if body := preview(b.String()); !strings.Contains(body, "took longer than 1ms and was stopped") {
		t.Errorf("slow preview: got a page without the time limit message:\n%.300s", body)
	}
	if cur, _ := tailnet.CurrentPolicy(ctx, e.svc.Store(), e.tn.ID); cur.Version != 0 {
		t.Errorf("policy in force: got version %d, want the default kept", cur.Version)
	}
}
