package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/browsertest"
	fakefleet "github.com/postern/postern/internal/fakes/fleet"
	"github.com/postern/postern/internal/server"
	"github.com/postern/postern/internal/tailnet"
	"github.com/postern/postern/internal/web"
)

// consoleEnv is a running server with devices, a fake Fleet and a
// signed-in browser.
type consoleEnv struct {
	srv                   *server.Server
	svc                   *tailnet.Service
	fleet                 *fakefleet.Server
	b                     *browsertest.Browser
	laptop, laptop2, host postern.Device
}

const fleetToken = "fleet-api-token"

func newConsoleEnv(t *testing.T) *consoleEnv {
	t.Helper()
	browsertest.Chromium(t)
	ctx := context.Background()
	srv, err := server.Start(ctx, server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("server.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	e := &consoleEnv{srv: srv, svc: srv.Service()}
	tid := srv.Tailnet().ID
	owner, _, err := e.svc.Owner(ctx, audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}, tid)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name, serial string, tags []string) postern.Device {
		d := postern.Device{TailnetID: tid, UserID: owner.ID, Name: name, Hostname: name, MachineKey: "mkey:" + name,
			OS: "macOS", OSVersion: "15.1", ClientVersion: "1.102.5", Tags: tags, Authorized: true, LastSeen: time.Now(),
			PostureIdentity: postern.PostureIdentity{SerialNumbers: []string{serial}, Updated: time.Now()}}
		if err := e.svc.Store().CreateDevice(ctx, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	e.laptop = mk("laptop", "C02TEST0001", nil)
	e.laptop2 = mk("laptop2", "C02TEST0002", nil)
	e.host = mk("server", "VMSERIAL01", []string{"tag:server"})

	e.fleet = fakefleet.NewServer(fleetToken)
	t.Cleanup(e.fleet.Close)
	disk := func(resp string) []fakefleet.Policy {
		return []fakefleet.Policy{{Name: "Disk encryption", Description: "Tailscale: fleetPolicy:diskEncrypted", Response: resp}}
	}
	e.fleet.SetHosts([]fakefleet.Host{
		{HardwareSerial: "C02TEST0001", Hostname: "laptop", Policies: disk("pass")},
		{HardwareSerial: "C02TEST0002", Hostname: "laptop2", Policies: disk("fail")},
		{HardwareSerial: "NOT-IN-TAILNET", Hostname: "stray", Policies: disk("pass")},
	})

	e.b = browsertest.New(t, srv.URL(), "web")
	link, err := web.CreateSignInLink(ctx, e.svc.Store(), srv.URL(), owner, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.b.Do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#signin")))
	e.b.Shoot("signin")
	e.b.Do(chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#stat-devices")))
	if got := e.b.Text("#stat-devices"); got != "3" {
		t.Errorf("overview device count: got %q, want 3", got)
	}
	return e
}

func TestBrowserSignInAndEveryPage(t *testing.T) {
	e := newConsoleEnv(t)
	b := e.b
	b.Shoot("overview")
	for _, p := range []struct{ path, name string }{
		{"/admin/machines", "machines"},
		{"/admin/machines?q=laptop2", "machines-search"},
		{fmt.Sprintf("/admin/machines/%d", e.laptop.ID), "device"},
		{"/admin/integrations", "integrations"},
		{"/admin/policy", "policy"},
		{"/admin/keys", "keys"},
		{"/admin/users", "users"},
		{"/admin/logs?action=CREATE", "logs"},
	} {
		b.Open(p.path)
		b.Shoot(p.name)
	}
	b.Open("/admin/machines?q=laptop2")
	if got := b.Text("table.machines tbody"); !strings.Contains(got, "laptop2") || strings.Contains(got, "server") {
		t.Errorf("search laptop2: got rows %q, want laptop2 only", got)
	}

	b.Open("/admin/")
	b.Submit(".signout button")
	b.Do(chromedp.WaitVisible(chromedp.CSS("pre.cmd")))
	b.Open("/admin/machines")
	if !strings.Contains(b.Text("main"), "postern admin login-link") {
		t.Errorf("after sign-out: machines page did not send the browser to sign in")
	}
	b.CheckErrors("sign-out")
}

func TestBrowserIntegrationSync(t *testing.T) {
	e := newConsoleEnv(t)
	b := e.b
	b.Open("/admin/integrations")
	b.Do(
		chromedp.SetValue(chromedp.CSS("#provider-fleet input[name=cloudId]"), e.fleet.URL()),
		chromedp.SetValue(chromedp.CSS("#provider-fleet input[name=clientSecret]"), fleetToken),
		chromedp.SetValue(chromedp.CSS("#provider-fleet input[name=syncIntervalMinutes]"), "5"),
	)
	b.Submit("#provider-fleet button[type=submit]")
	b.Do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	// Connecting waits for the first sync and says how it went.
	if got, want := b.Text(".flash"), "Connected Fleet: the first sync matched 2 of 3 devices."; got != want {
		t.Errorf("after connecting: got %q, want %q", got, want)
	}
	if b.Eval(`document.querySelector(".flash").classList.contains("warn")`) {
		t.Errorf("the message about a successful first sync is shown as a warning")
	}
	if got := b.Text("#provider-fleet .interval"); got != "every 5 min" {
		t.Errorf("sync interval: got %q, want every 5 min", got)
	}
	if got := b.Text("#provider-fleet .unmatched-devices"); !strings.Contains(got, "server") || !strings.Contains(got, "VMSERIAL01") || strings.Contains(got, "laptop") {
		t.Errorf("devices without a vendor record: got %q, want server (VMSERIAL01) only", got)
	}
	if got := b.Text("#provider-fleet .unmatched-records"); !strings.Contains(got, "NOT-IN-TAILNET") || !strings.Contains(got, "stray") {
		t.Errorf("vendor records without a device: got %q, want stray (NOT-IN-TAILNET)", got)
	}
	ins, err := e.svc.Store().Integrations(context.Background(), e.srv.Tailnet().ID)
	if err != nil || len(ins) != 1 {
		t.Fatalf("integrations: got %d, %v, want 1", len(ins), err)
	}
	if ins[0].ClientSecret != fleetToken || ins[0].CloudID != e.fleet.URL() {
		t.Errorf("stored integration: got cloudId %q, want %q with the token", ins[0].CloudID, e.fleet.URL())
	}

	// Connecting asked the server's sync engine for a sync; "Sync now"
	// asks again. Wait for the status to show the result.
	b.Submit("#provider-fleet .sync-now")
	b.Do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.Text(".flash"); got != "Started a sync of Fleet." {
		t.Errorf("after sync now: got %q, want %q", got, "Started a sync of Fleet.")
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		in, err := e.svc.Store().Integration(context.Background(), ins[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !in.Status.LastSync.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful sync 20s after connecting; status %+v", in.Status)
		}
	}
	b.Open("/admin/integrations")
	if got := b.Text("#provider-fleet .matched"); got != "Matched 2 of 3 devices" {
		t.Errorf("matched devices: got %q, want Matched 2 of 3 devices", got)
	}
	if got := b.Text("#provider-fleet .host-count"); got != "3" {
		t.Errorf("vendor devices: got %q, want 3", got)
	}
	if b.Eval(`document.querySelector("#provider-fleet input[name=clientSecret]").value !== ""`) {
		t.Errorf("the secret field has a value, want it write-only (empty)")
	}
	b.Shoot("integrations-synced")

	b.Open(fmt.Sprintf("/admin/machines/%d", e.laptop.ID))
	sel := fmt.Sprintf(`table[data-source="integration:%s"]`, ins[0].ID)
	got := b.Text(sel)
	if !strings.Contains(got, "fleetPolicy:diskEncrypted") || !strings.Contains(got, "true") || !strings.Contains(got, "fleet:present") {
		t.Errorf("laptop's Fleet attributes: got %q, want fleetPolicy:diskEncrypted true and fleet:present", got)
	}
	if got := b.Text("#identity"); !strings.Contains(got, "C02TEST0001") {
		t.Errorf("posture identity: got %q, want the serial C02TEST0001", got)
	}
	b.Shoot("device-attributes")

	b.Open("/admin/")
	if got := b.Text("#integration-status"); !strings.Contains(got, "Fleet") || !strings.Contains(got, "ok") || !strings.Contains(got, "2 of 3") {
		t.Errorf("overview integration status: got %q, want Fleet ok with 2 of 3 matched", got)
	}
	b.Shoot("overview-integrations")
}

// Connecting with a token Fleet refuses never says "Connected": the page
// says the first sync failed, why syncs are paused and until when, once.
func TestBrowserIntegrationFirstSyncFails(t *testing.T) {
	e := newConsoleEnv(t)
	b := e.b
	b.Open("/admin/integrations")
	b.Do(
		chromedp.SetValue(chromedp.CSS("#provider-fleet input[name=cloudId]"), e.fleet.URL()),
		chromedp.SetValue(chromedp.CSS("#provider-fleet input[name=clientSecret]"), "a-wrong-token"),
	)
	b.Submit("#provider-fleet button[type=submit]")
	b.Do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	const refused = "Fleet refused the credentials: it answered 401 Unauthorized."
	flash := b.Text(".flash")
	if strings.Contains(flash, "Connected") || !strings.HasPrefix(flash, "Added Fleet, but its first sync failed. Paused until ") ||
		!strings.Contains(flash, refused) {
		t.Errorf("after connecting with a refused token: got %q, want the failure and the pause", flash)
	}
	if !b.Eval(`document.querySelector(".flash").classList.contains("warn")`) {
		t.Errorf("the message about a failed first sync is not shown as a warning")
	}
	state := b.Text("#provider-fleet .state")
	if !strings.Contains(state, "paused") || strings.Count(state, refused) != 1 ||
		!strings.Contains(state, "Save a new secret, or use Sync now, to try again before then.") {
		t.Errorf("status: got %q, want paused, the reason once, and how to retry", state)
	}
	if b.Eval(`document.querySelector("#provider-fleet .unmatched") !== null`) {
		t.Errorf("an unmatched report without a successful sync")
	}
	b.Shoot("integrations-first-sync-refused")
}

const badPolicy = `{
  "acls": [
    {"action": "accept", "src": ["*"], "dst": ["*:*"]},
    {"action": "accept", "src": ["group:nope"], "dst": ["*:22"]},
  ],
}
`

const goodPolicy = `{
  "tagOwners": {"tag:server": ["autogroup:admin"]},
  "postures": {
    "posture:encrypted": ["fleetPolicy:diskEncrypted == true"],
  },
  "acls": [
    {"action": "accept", "src": ["autogroup:member"], "dst": ["tag:server:22"], "srcPosture": ["posture:encrypted"]},
  ],
}
`

func TestBrowserPolicyEditor(t *testing.T) {
	e := newConsoleEnv(t)
	b := e.b
	ctx := context.Background()
	tid := e.srv.Tailnet().ID
	// Fleet says laptop's disk is encrypted and laptop2's is not.
	ac := audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}
	if _, err := e.svc.ReplaceAttributes(ctx, ac, tid, postern.IntegrationSource("test"), []int64{e.laptop.ID, e.laptop2.ID},
		map[int64]map[string]postern.Value{
			e.laptop.ID:  {"fleetPolicy:diskEncrypted": postern.Bool(true)},
			e.laptop2.ID: {"fleetPolicy:diskEncrypted": postern.Bool(false)},
		}); err != nil {
		t.Fatal(err)
	}

	t.Run("error at its line, old policy kept", func(t *testing.T) {
		b.Open("/admin/policy")
		b.Do(chromedp.SetValue(chromedp.CSS("textarea[name=policy]"), badPolicy),
			chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#policy-errors")))
		if got := b.Text("#policy-errors"); !strings.Contains(got, "line 4") || !strings.Contains(got, "group:nope") {
			t.Errorf("errors: got %q, want one at line 4 naming group:nope", got)
		}
		if !b.Eval(`document.getElementById("L4").classList.contains("bad")`) {
			t.Errorf("gutter line 4 is not marked, want it marked")
		}
		if got := b.Text("#page-error"); !strings.Contains(got, "was not changed") {
			t.Errorf("page error: got %q, want it to say the policy in force was not changed", got)
		}
		if !b.Eval(`document.querySelector("textarea[name=policy]").value.includes("group:nope")`) {
			t.Errorf("the editor lost the rejected text, want it kept for fixing")
		}
		cur, err := tailnet.CurrentPolicy(ctx, e.svc.Store(), tid)
		if err != nil || cur.Version != 0 || cur.Text != tailnet.DefaultPolicy {
			t.Errorf("policy in force: got version %d, %v, want the default still", cur.Version, err)
		}
		b.Shoot("policy-error")
	})

	t.Run("impact preview", func(t *testing.T) {
		b.Open("/admin/policy")
		b.Do(chromedp.SetValue(chromedp.CSS("textarea[name=policy]"), goodPolicy),
			chromedp.Click(chromedp.CSS("#preview")), chromedp.WaitVisible(chromedp.CSS("#impact")))
		got := b.Text("#impact")
		if !strings.Contains(got, "loses access") || !strings.Contains(got, "laptop2") {
			t.Errorf("impact: got %q, want laptop2 to lose access", got)
		}
		if strings.Contains(got, "gains access") {
			t.Errorf("impact: got %q, want no gains when narrowing allow-all", got)
		}
		cur, _ := tailnet.CurrentPolicy(ctx, e.svc.Store(), tid)
		if cur.Version != 0 {
			t.Errorf("preview saved the policy (version %d), want it unsaved", cur.Version)
		}
		b.Shoot("policy-impact")
	})

	t.Run("save", func(t *testing.T) {
		// The preview kept the text in the editor: save it.
		b.Submit("#save")
		b.Do(chromedp.WaitVisible(chromedp.CSS(".flash")))
		if got := b.Text(".flash"); got != "Saved policy version 1." {
			t.Errorf("after save: got %q, want %q", got, "Saved policy version 1.")
		}
		cur, err := tailnet.CurrentPolicy(ctx, e.svc.Store(), tid)
		if err != nil || cur.Text != goodPolicy {
			t.Errorf("policy in force: got %q, %v, want the saved text", cur.Text, err)
		}
		b.Shoot("policy-saved")
	})

	t.Run("access check", func(t *testing.T) {
		check := func(d postern.Device) string {
			var got string
			// The engine recompiles after the save in the background.
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				b.Open(fmt.Sprintf("/admin/machines/%d?dst=%s&proto=tcp", d.ID, url.QueryEscape("server:22")))
				got = b.Text("#decision")
				if !strings.Contains(got, "every device may reach") && (strings.Contains(got, "line 7") || strings.Contains(got, "Denied")) {
					break
				}
			}
			return got
		}
		if got := check(e.laptop); !strings.Contains(got, "Allowed.") {
			t.Errorf("laptop to server:22: got %q, want Allowed", got)
		}
		got := check(e.laptop2)
		if !strings.Contains(got, "Denied.") || !strings.Contains(got, "fleetPolicy:diskEncrypted == true (actual: false)") {
			t.Errorf("laptop2 to server:22: got %q, want Denied naming the failing condition and its actual value", got)
		}
		b.Shoot("device-access")

		b.Open("/admin/")
		if got := b.Text("main"); !strings.Contains(got, "posture:encrypted") {
			t.Errorf("overview: got %q, want the posture's counts", got)
		}
		if !b.Eval(`document.querySelectorAll("svg.chart circle").length >= 1`) {
			t.Errorf("overview chart has no points, want today's")
		}
		b.Shoot("overview-postures")
	})
}

func TestBrowserCreateAuthKey(t *testing.T) {
	e := newConsoleEnv(t)
	b := e.b
	b.Open("/admin/keys")
	b.Do(
		chromedp.SetValue(chromedp.CSS("#auth-key-form input[name=description]"), "ci runners"),
		chromedp.Click(chromedp.CSS("#auth-key-form input[name=reusable]")),
		chromedp.Click(chromedp.CSS("#auth-key-form input[name=preauthorized]")),
		chromedp.SetValue(chromedp.CSS("#auth-key-form input[name=tags]"), "tag:server"),
		chromedp.SetValue(chromedp.CSS("#auth-key-form input[name=expiryDays]"), "7"),
		chromedp.Click(chromedp.CSS("#auth-key-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#new-key-text")),
	)
	text := strings.TrimSpace(b.Text("#new-key-text"))
	if !strings.HasPrefix(text, "tskey-auth-") {
		t.Fatalf("new key: got %q, want tskey-auth-...", text)
	}
	b.Shoot("key-created")
	up := "tailscale up --login-server=" + e.srv.URL() + " --authkey=" + text + " --advertise-tags=tag:server"
	if got := strings.TrimSpace(b.Text("#new-key-up")); got != up {
		t.Errorf("join line: got %q, want %q", got, up)
	}
	// Headless Chromium may deny clipboard reads, so the copy handler
	// records what it copied in data-copied.
	for _, c := range []struct{ id, want string }{{"new-key-text", text}, {"new-key-up", up}} {
		btn := `button[data-copy="` + c.id + `"]`
		b.Do(chromedp.Click(chromedp.CSS(btn)), chromedp.WaitReady(chromedp.CSS(btn+`[data-copied]`)))
		if got := b.EvalString(`document.querySelector('` + btn + `').dataset.copied`); got != c.want {
			t.Errorf("Copy for %s copied %q, want %q", c.id, got, c.want)
		}
		if got := b.EvalString(`document.querySelector('` + btn + `').textContent`); got != "Copied" {
			t.Errorf("Copy button for %s says %q after a click, want \"Copied\"", c.id, got)
		}
	}
	b.Shoot("key-copied")
	ks, err := e.svc.Store().Keys(context.Background(), e.srv.Tailnet().ID)
	if err != nil || len(ks) != 1 {
		t.Fatalf("keys: got %d, %v, want 1", len(ks), err)
	}
	k := ks[0]
	if !k.Reusable || k.Ephemeral || !k.Preauthorized || len(k.Tags) != 1 || k.Tags[0] != "tag:server" || k.Description != "ci runners" {
		t.Errorf("stored key: got %+v, want reusable, preauthorized, not ephemeral, tag:server, \"ci runners\"", k)
	}
	if d := k.Expires.Sub(k.Created); d != 7*24*time.Hour {
		t.Errorf("key lifetime: got %s, want 168h", d)
	}
	if !strings.HasPrefix(text, "tskey-auth-"+k.ID) {
		t.Errorf("key text %q does not carry id %s", text, k.ID)
	}
	b.Open("/admin/keys")
	if b.Eval(`document.getElementById("new-key") !== null`) || strings.Contains(b.Text("main"), text) {
		t.Errorf("the key is shown again after reload, want it shown once")
	}
	if !strings.Contains(b.Text("main"), k.ID) {
		t.Errorf("keys list does not show key %s", k.ID)
	}
	b.Submit(`form[action$="/revoke"] button`)
	b.Do(chromedp.WaitVisible(chromedp.CSS(".flash")))
	if _, err := e.svc.Store().Key(context.Background(), k.ID); !postern.IsNotFound(err) {
		t.Errorf("after revoke: got %v, want the key gone", err)
	}
	b.Shoot("key-revoked")
}
