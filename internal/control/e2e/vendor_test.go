package e2e

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	fleetfake "github.com/postern/postern/internal/fakes/fleet"
	"github.com/postern/postern/internal/server"
	"github.com/postern/postern/internal/tailnet"
	"github.com/postern/postern/internal/tsclient"
)

// vendorFile lets tag:client reach tag:server only from a device whose
// Fleet policy "disk encryption" passes.
const vendorFile = `{
	"tagOwners": {"tag:client": ["OWNER"], "tag:server": ["OWNER"]},
	"postures": {"posture:managed": ["fleetPolicy:diskEncrypted == true"]},
	"acls": [
		{"action": "accept", "src": ["tag:client"], "dst": ["tag:server:*"], "srcPosture": ["posture:managed"]},
	],
}`

// TestVendorPostureThroughServer is the whole chain with real clients and
// a vendor fake: alpha's serial number, read from its own SMBIOS tables,
// reaches postureIdentity over c2n; the Fleet sync matches it with the
// Fleet host of that serial; the host's policy result becomes alpha's
// posture, which opens and closes alpha's access to bravo.
func TestVendorPostureThroughServer(t *testing.T) {
	if buildErr != nil {
		t.Skipf("cannot build tailscaled from the module: %v", buildErr)
	}
	e := &env{t: t}
	const serial = "PN-ALPHA-0042"
	optA, ok := e.serialOptions("alpha", serial)
	if !ok {
		t.Skip("needs root (unshare -m) to give the node its own SMBIOS serial")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const token = "fleet-token"
	fleet := fleetfake.NewServer(token)
	t.Cleanup(fleet.Close)
	host := fleet.PutHost(fleetfake.Host{Hostname: "alpha", Platform: "ubuntu", HardwareSerial: serial,
		Policies: []fleetfake.Policy{{Name: "disk encryption", Description: "Tailscale: fleetPolicy:diskEncrypted", Response: "pass"}}})

	logw := &testWriter{t: t}
	srv, err := server.Start(ctx, server.Config{
		Listen:       "127.0.0.1:0",
		DataDir:      t.TempDir(),
		SyncInterval: time.Second,
		Logger:       slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	must(t, err)
	t.Cleanup(func() { srv.Close(); logw.stop() })
	svc, tn := srv.Service(), srv.Tailnet()
	ac := audit.Context{Origin: audit.OriginAPI, Actor: audit.Service("e2e test")}
	owner, _, err := svc.Owner(ctx, ac, tn.ID)
	must(t, err)
	_, err = svc.UpdateSettings(ctx, ac, tn.ID, func(s *postern.TailnetSettings) { s.PostureIdentityCollectionOn = true })
	must(t, err)
	_, err = svc.SetPolicy(ctx, ac, tn.ID, strings.ReplaceAll(vendorFile, "OWNER", owner.LoginName), "")
	must(t, err)
	base, secret := fleet.URL(), token
	_, err = svc.CreateIntegration(ctx, ac, tn.ID, postern.ProviderFleet, tailnet.IntegrationConfig{CloudID: &base, ClientSecret: &secret})
	must(t, err)
	keyA, _, err := svc.CreateKey(ctx, ac, tn.ID, tailnet.KeyRequest{Type: postern.KeyTypeAuth, UserID: owner.ID, Tags: []string{"tag:client"}})
	must(t, err)
	keyB, _, err := svc.CreateKey(ctx, ac, tn.ID, tailnet.KeyRequest{Type: postern.KeyTypeAuth, UserID: owner.ID, Tags: []string{"tag:server"}})
	must(t, err)

	a, b := e.node("alpha", optA), e.node("bravo", tsclient.NodeOptions{})
	if out, err := a.Up(ctx, srv.URL(), keyA, "--report-posture"); err != nil {
		t.Fatalf("tailscale up on alpha: %v: %s", err, out)
	}
	if out, err := b.Up(ctx, srv.URL(), keyB); err != nil {
		t.Fatalf("tailscale up on bravo: %v: %s", err, out)
	}
	dst := net.JoinHostPort(tailscaleIP(t, ctx, b).String(), echoServer(t))

	t0 := time.Now()
	waitFor(t, 60*time.Second, "alpha to reach bravo once Fleet vouches for it", func() bool { return echoes(ctx, a, dst) })
	t.Logf("join to access through serial match and Fleet policy: %v", time.Since(t0))
	devs, err := svc.Store().Devices(ctx, tn.ID)
	must(t, err)
	for _, d := range devs {
		if d.Hostname == "alpha" && (len(d.PostureIdentity.SerialNumbers) != 1 || d.PostureIdentity.SerialNumbers[0] != serial) {
			t.Errorf("alpha postureIdentity serials: got %v, want [%s]", d.PostureIdentity.SerialNumbers, serial)
		}
	}

	for _, resp := range []string{"fail", "pass"} {
		before := filterUpdates(ctx, b)
		if !fleet.SetPolicyResponse(host.ID, "disk encryption", resp) {
			t.Fatal("fleet fake: no such host or policy")
		}
		t0 := time.Now()
		waitFor(t, 30*time.Second, "bravo to install a new filter", func() bool { return filterUpdates(ctx, b) > before })
		t.Logf("Fleet policy %s: vendor change to bravo's new filter (sync interval 1s): %v", resp, time.Since(t0))
		if resp == "fail" {
			if echoes(ctx, a, dst) {
				t.Errorf("alpha reached bravo after its Fleet policy failed")
			}
		} else {
			waitFor(t, 10*time.Second, "alpha to reach bravo again", func() bool { return echoes(ctx, a, dst) })
		}
	}
}
