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
	"github.com/postern/postern/internal/server"
	"github.com/postern/postern/internal/tailnet"
	"github.com/postern/postern/internal/tsclient"
)

// postureFile lets tag:client reach tag:server only with a trusted
// posture, decided by the custom attribute custom:trusted.
const postureFile = `{
	"tagOwners": {
		"tag:client": ["OWNER"],
		"tag:server": ["OWNER"],
	},
	"postures": {
		"posture:trusted": ["custom:trusted == true"],
	},
	"acls": [
		{"action": "accept", "src": ["tag:client"], "dst": ["tag:server:*"], "srcPosture": ["posture:trusted"]},
	],
}`

// TestPostureThroughServer runs the whole Postern server (store, single
// writer, policy engine, control server) with real clients: alpha reaches
// bravo only while alpha's posture holds, and the time from the attribute
// commit to bravo's new filter is logged.
func TestPostureThroughServer(t *testing.T) {
	if buildErr != nil {
		t.Skipf("cannot build tailscaled from the module: %v", buildErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	logw := &testWriter{t: t}
	srv, err := server.Start(ctx, server.Config{
		Listen:  "127.0.0.1:0",
		DataDir: t.TempDir(),
		Logger:  slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	must(t, err)
	t.Cleanup(func() { srv.Close(); logw.stop() })
	svc, tn := srv.Service(), srv.Tailnet()
	ac := audit.Context{Origin: audit.OriginAPI, Actor: audit.Service("e2e test")}
	owner, _, err := svc.Owner(ctx, ac, tn.ID)
	must(t, err)
	_, err = svc.SetPolicy(ctx, ac, tn.ID, strings.ReplaceAll(postureFile, "OWNER", owner.LoginName), "")
	must(t, err)
	keyA, _, err := svc.CreateKey(ctx, ac, tn.ID, tailnet.KeyRequest{Type: postern.KeyTypeAuth, UserID: owner.ID, Tags: []string{"tag:client"}})
	must(t, err)
	keyB, _, err := svc.CreateKey(ctx, ac, tn.ID, tailnet.KeyRequest{Type: postern.KeyTypeAuth, UserID: owner.ID, Tags: []string{"tag:server"}})
	must(t, err)

	e := &env{t: t}
	a, b := e.node("alpha", tsclient.NodeOptions{}), e.node("bravo", tsclient.NodeOptions{})
	for _, x := range []struct {
		n   *tsclient.Node
		key string
	}{{a, keyA}, {b, keyB}} {
		if out, err := x.n.Up(ctx, srv.URL(), x.key); err != nil {
			t.Fatalf("tailscale up on %s: %v: %s", x.n.Name, err, out)
		}
	}
	// Without the posture alpha may not reach bravo, so neither is the
	// other's peer yet; wait for both to run.
	waitFor(t, 30*time.Second, "alpha and bravo to run", func() bool {
		sa, errA := a.Status(ctx)
		sb, errB := b.Status(ctx)
		return errA == nil && errB == nil && sa.BackendState == "Running" && sb.BackendState == "Running"
	})
	var alphaID int64
	devs, err := svc.Store().Devices(ctx, tn.ID)
	must(t, err)
	for _, d := range devs {
		if d.Hostname == "alpha" {
			alphaID = d.ID
		}
	}
	dst := net.JoinHostPort(tailscaleIP(t, ctx, b).String(), echoServer(t))

	t.Run("without the posture never gets in", func(t *testing.T) {
		if echoes(ctx, a, dst) {
			t.Fatalf("alpha reached bravo without custom:trusted")
		}
	})
	for _, trusted := range []bool{true, false, true} {
		before := filterUpdates(ctx, b)
		t0 := time.Now()
		err := svc.SetCustomAttributes(ctx, ac, tn.ID, map[int64][]tailnet.AttrUpdate{
			alphaID: {{Key: "custom:trusted", Value: postern.Bool(trusted)}},
		}, "e2e")
		must(t, err)
		waitFor(t, 10*time.Second, "bravo to install a new filter", func() bool { return filterUpdates(ctx, b) > before })
		took := time.Since(t0)
		t.Logf("custom:trusted=%v: commit to bravo's new filter: %v", trusted, took)
		if took > time.Second {
			t.Errorf("custom:trusted=%v took %v to reach bravo, want under 1s", trusted, took)
		}
		if trusted {
			waitFor(t, 10*time.Second, "alpha to reach bravo", func() bool { return echoes(ctx, a, dst) })
		} else if echoes(ctx, a, dst) {
			t.Errorf("alpha reached bravo after custom:trusted=false")
		}
	}
}
