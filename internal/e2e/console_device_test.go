package e2e

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/postern/postern/internal/browsertest"
	"github.com/postern/postern/internal/web"
)

// jitPolicy lets tag:client reach tag:server only while the client has
// custom:jit set to true.
const jitPolicy = `{
	"tagOwners": {"tag:client": ["alice@example.com"], "tag:server": ["alice@example.com"]},
	"postures": {"posture:jit": ["custom:jit == true"]},
	"acls": [{"action": "accept", "src": ["tag:client"], "dst": ["tag:server:*"], "srcPosture": ["posture:jit"]}],
}`

// TestConsoleGrantsJustInTimeAccess: an admin sets custom:jit with an
// expiry on a real client's device page in a browser, and the client
// reaches a server its posture guards; removing the attribute on the same
// page takes the access away.
func TestConsoleGrantsJustInTimeAccess(t *testing.T) {
	browsertest.Chromium(t)
	s := startStack(t)
	s.api("POST", "/tailnet/-/acl", jitPolicy, nil)
	client := startNode(t, s, "client", "", "tag:client")
	startNode(t, s, "server", "", "tag:server")
	cd := s.device("client", nil)
	sd := s.device("server", func(d device) bool { return d.ConnectedToControl })
	target := net.JoinHostPort(sd.Addresses[0], fmt.Sprint(echoListener(t)))
	if reach(client, target) {
		t.Fatalf("client reached the server without custom:jit")
	}

	ctx := context.Background()
	st := s.srv.Service().Store()
	alice, err := st.UserByLoginName(ctx, s.srv.Tailnet().ID, "alice@example.com")
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

	b.Open("/admin/machines/" + cd.NodeID)
	b.Do(chromedp.SetValue(chromedp.CSS(`#attr-form input[name=key]`), "custom:jit"),
		chromedp.SetValue(chromedp.CSS(`#attr-form input[name=value]`), "true"),
		chromedp.SetValue(chromedp.CSS(`#attr-form input[name=expiry]`), "2h"))
	b.Submit("#set-attr")
	if got := b.Text(".flash"); !strings.Contains(got, "Set custom:jit = true on client until") {
		t.Errorf("flash after setting: got %q, want Set custom:jit = true on client until ...", got)
	}
	row := b.Text(`table[data-source="custom"]`)
	if !strings.Contains(row, "custom:jit") || strings.Contains(row, "never") {
		t.Errorf("custom attributes table: got %q, want custom:jit with its expiry", row)
	}
	b.Shoot("device-jit-set")
	grant := waitReach(t, client, target, true, "after custom:jit=true from the console")

	b.Submit(`[data-remove="custom:jit"]`)
	if got := b.Text(".flash"); !strings.Contains(got, "Removed custom:jit from client") {
		t.Errorf("flash after removing: got %q, want Removed custom:jit from client", got)
	}
	b.Shoot("device-jit-removed")
	revoke := waitReach(t, client, target, false, "after removing custom:jit in the console")
	t.Logf("console to packets: grant seen in %v, revoke in %v", grant, revoke)
}
