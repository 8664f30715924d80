package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/browsertest"
	"github.com/postern/postern/internal/tsclient"
	"github.com/postern/postern/internal/web"
)

// interactiveUp starts node and runs "tailscale up" without an auth key
// in the background; the channel gets its output and error when it ends.
func interactiveUp(ctx context.Context, t *testing.T, s *stack, name string) (*tsclient.Node, <-chan upResult) {
	t.Helper()
	n, err := tsclient.Start(context.Background(), bins, name, filepath.Join(t.TempDir(), name), tsclient.NodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	done := make(chan upResult, 1)
	go func() {
		out, err := n.CLI(ctx, "up", "--login-server="+s.srv.URL(), "--hostname="+name)
		done <- upResult{out, err}
	}()
	return n, done
}

type upResult struct {
	out string
	err error
}

// waitPending reloads the machines page until the console lists a login
// from hostname, and returns its login ID.
func waitPending(t *testing.T, b *browsertest.Browser, n *tsclient.Node, hostname string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.Open("/admin/machines")
		id := b.EvalString(`(() => {
			for (const el of document.querySelectorAll("[data-login]")) {
				if (el.querySelector(".hostname").textContent === ` + "`" + hostname + "`" + `) return el.dataset.login;
			}
			return "";
		})()`)
		if id != "" {
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("no login from %s appeared in the console within 30s\n%s", hostname, n.Tail(20))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestConsoleApprovesAndRejectsRealLogins: a real tailscaled that ran
// "tailscale up" without an auth key is approved from the console in a
// browser, as another user, and reaches Running; a second one is rejected
// there and its "tailscale up" fails saying so, with no device added.
func TestConsoleApprovesAndRejectsRealLogins(t *testing.T) {
	browsertest.Chromium(t)
	s := startStack(t)
	ctx := context.Background()
	st, tid := s.srv.Service().Store(), s.srv.Tailnet().ID
	alice, err := st.UserByLoginName(ctx, tid, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := s.srv.Service().CreateUser(ctx, audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("e2e")},
		tid, "bob@example.com", "", postern.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, s.srv.URL(), "e2e")
	link, err := web.CreateSignInLink(ctx, st, s.srv.URL(), alice, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#signin")))
	b.Do(chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#stat-devices")))

	upCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	t.Run("approve", func(t *testing.T) {
		n, done := interactiveUp(upCtx, t, s, "laptop")
		id := waitPending(t, b, n, "laptop")
		card := `[data-login="` + id + `"]`
		got := b.Text(card)
		for _, want := range []string{id, "laptop", "claimed by the device", "linux", "127.0.0.1", "mkey:"} {
			if !strings.Contains(got, want) {
				t.Errorf("waiting login: %q missing from %q", want, got)
			}
		}
		b.Shoot("machines-pending")
		b.Open("/admin/")
		if got := b.Text(card + " .fingerprint"); !strings.HasPrefix(got, "mkey:") {
			t.Errorf("overview: fingerprint %q, want mkey:...", got)
		}
		b.Shoot("overview-pending")

		b.Do(chromedp.SetValue(chromedp.CSS(card+" form.approve select"), bob.ID))
		b.Submit(card + " form.approve button")
		if got := b.Text(".flash"); !strings.Contains(got, "Approved laptop") || !strings.Contains(got, "bob@example.com") {
			t.Errorf("flash after approve: got %q, want Approved laptop ... bob@example.com", got)
		}
		b.Shoot("overview-approved")
		select {
		case r := <-done:
			st, err := n.Status(upCtx)
			if r.err != nil || err != nil || st.BackendState != "Running" {
				t.Fatalf("after approval: up %v, state %v, %v; up said %s\n%s", r.err, st.BackendState, err, r.out, n.Tail(20))
			}
			if !strings.Contains(r.out, "/register/"+id) {
				t.Errorf("the login ID the console showed (%s) is not the end of the URL up printed: %s", id, r.out)
			}
		case <-upCtx.Done():
			t.Fatalf("tailscale up did not finish after approval\n%s", n.Tail(20))
		}
		ds, err := st.Devices(ctx, tid)
		if err != nil || len(ds) != 1 || ds[0].UserID != bob.ID || ds[0].Hostname != "laptop" {
			t.Errorf("devices after approval: got %+v, %v; want laptop owned by bob", ds, err)
		}
	})

	t.Run("reject", func(t *testing.T) {
		n, done := interactiveUp(upCtx, t, s, "intruder")
		id := waitPending(t, b, n, "intruder")
		b.Submit(`[data-login="` + id + `"] form.reject button`)
		if got := b.Text(".flash"); !strings.Contains(got, "Rejected the login of intruder ("+id+")") {
			t.Errorf("flash after reject: got %q, want Rejected the login of intruder (%s)", got, id)
		}
		b.Shoot("machines-rejected")
		select {
		case r := <-done:
			if r.err == nil || !strings.Contains(r.out, "an administrator rejected this login") {
				t.Errorf("tailscale up after reject: got %v, %q; want it to fail with 'an administrator rejected this login'", r.err, r.out)
			}
			t.Logf("tailscale up said: %s", strings.TrimSpace(r.out))
		case <-upCtx.Done():
			t.Fatalf("tailscale up did not end after the rejection\n%s", n.Tail(20))
		}
		ds, err := st.Devices(ctx, tid)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Hostname == "intruder" {
				t.Errorf("a device %s was stored for the rejected login", d.Name)
			}
		}
		if len(ds) != 1 {
			t.Errorf("devices after reject: got %d, want 1 (laptop)", len(ds))
		}
	})
}
