package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/postern/postern/internal/tsclient"
)

// TestApproveInteractiveLogin: a client without an auth key waits at
// its login URL until an admin approves it through the API.
func TestApproveInteractiveLogin(t *testing.T) {
	s := startStack(t)
	n, err := tsclient.Start(context.Background(), bins, "laptop", filepath.Join(t.TempDir(), "laptop"), tsclient.NodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	upDone := make(chan string, 1)
	go func() {
		out, _ := n.CLI(ctx, "up", "--login-server="+s.srv.URL(), "--hostname=laptop")
		upDone <- out
	}()

	type reg struct{ ID, Hostname string }
	var pending struct{ Registrations []reg }
	deadline := time.Now().Add(30 * time.Second)
	for len(pending.Registrations) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no pending registration appeared\n%s", n.Tail(20))
		}
		time.Sleep(200 * time.Millisecond)
		s.api("GET", "/tailnet/-/registrations", nil, &pending)
	}
	if got := pending.Registrations[0].Hostname; got != "laptop" {
		t.Errorf("pending hostname: got %q, want laptop", got)
	}
	var d device
	s.api("POST", "/registrations/"+pending.Registrations[0].ID+"/approve", `{"user": "alice@example.com"}`, &d)
	if d.Hostname != "laptop" || len(d.Addresses) != 2 {
		t.Errorf("approved device: got %+v, want laptop with two addresses", d)
	}
	select {
	case out := <-upDone:
		st, err := n.Status(ctx)
		if err != nil || st.BackendState != "Running" {
			t.Errorf("after approval: state %v, %v; up said %s", st.BackendState, err, out)
		}
	case <-ctx.Done():
		t.Fatalf("tailscale up did not finish after approval\n%s", n.Tail(20))
	}
	s.api("GET", "/tailnet/-/registrations", nil, &pending)
	if len(pending.Registrations) != 0 {
		t.Errorf("still pending after approval: %+v", pending.Registrations)
	}
}
