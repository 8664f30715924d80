package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/control"
	"github.com/postern/postern/internal/tsclient"
)

// TestInteractiveLogin joins a node without an auth key: it is given a
// login URL, waits, and gets in once an admin approves it.
func TestInteractiveLogin(t *testing.T) {
	e := newEnv(t, postern.DefaultTailnetSettings())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := e.node("india", tsclient.NodeOptions{})
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := n.CLI(ctx, "up", "--login-server="+e.url, "--hostname=india", "--advertise-tags=tag:server", "--timeout=90s")
		done <- result{out, err}
	}()
	var regs []control.Registration
	waitFor(t, 30*time.Second, "a pending login", func() bool {
		regs = e.srv.PendingRegistrations()
		return len(regs) == 1
	})
	if regs[0].Hostname != "india" {
		t.Errorf("pending login hostname: got %q, want india", regs[0].Hostname)
	}
	select {
	case r := <-done:
		t.Fatalf("tailscale up returned before approval: %v: %s", r.err, r.out)
	default:
	}
	d, err := e.srv.ApproveRegistration(ctx, regs[0].ID, e.alice.ID, audit.User(e.alice))
	must(t, err)
	if got := d.Tags; len(got) != 1 || got[0] != "tag:server" {
		t.Errorf("approved device tags: got %v, want [tag:server]", got)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("tailscale up after approval: %v: %s", r.err, r.out)
	}
	if !strings.Contains(r.out, e.url+"/register/") {
		t.Errorf("tailscale up output: got %q, want the login URL", r.out)
	}
	waitFor(t, 20*time.Second, "india to be running", func() bool {
		st, err := n.Status(ctx)
		return err == nil && st.BackendState == "Running"
	})
}

// TestEphemeralOffline deletes an ephemeral node that stays offline past
// the configured timeout.
func TestEphemeralOffline(t *testing.T) {
	e := newEnv(t, postern.DefaultTailnetSettings(), func(c *control.Config) { c.EphemeralTimeout = time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := e.node("yankee", tsclient.NodeOptions{})
	if out, err := n.Up(ctx, e.url, e.authKey(postern.Key{Ephemeral: true})); err != nil {
		t.Fatalf("tailscale up: %v: %s", err, out)
	}
	d := e.device("yankee")
	n.Stop()
	waitFor(t, 20*time.Second, "the offline ephemeral device to be deleted", func() bool {
		_, err := e.st.Device(ctx, d.ID)
		return postern.IsNotFound(err)
	})
	evs, err := e.st.AuditEvents(ctx, postern.AuditFilter{Event: "NODE.DELETE"})
	must(t, err)
	if len(evs) != 1 || !strings.Contains(evs[0].Actor.DisplayName, "offline ephemeral") {
		t.Errorf("NODE.DELETE events: got %+v, want one by the service for an offline ephemeral node", evs)
	}
}
