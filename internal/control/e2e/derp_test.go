package e2e

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tsclient"
)

// TestDERPRelay makes two nodes that may not send UDP directly
// (TS_DEBUG_ALWAYS_USE_DERP) talk through the embedded DERP server.
func TestDERPRelay(t *testing.T) {
	e := newEnv(t, postern.DefaultTailnetSettings())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opt := tsclient.NodeOptions{Env: []string{"TS_DEBUG_ALWAYS_USE_DERP=true"}}
	a, b := e.node("delta", opt), e.node("echo", opt)
	key := e.authKey(postern.Key{Reusable: true})
	for _, n := range []*tsclient.Node{a, b} {
		if out, err := n.Up(ctx, e.url, key); err != nil {
			t.Fatalf("tailscale up on %s: %v: %s", n.Name, err, out)
		}
	}
	dst := net.JoinHostPort(tailscaleIP(t, ctx, b).String(), echoServer(t))
	waitFor(t, 30*time.Second, "delta to reach echo through DERP", func() bool { return echoes(ctx, a, dst) })
	st, err := a.Status(ctx)
	must(t, err)
	defer func() {
		// Collection was off at join; turning it on and refreshing asks
		// the connected clients right away.
		settings := e.tn.Settings
		settings.PostureIdentityCollectionOn = true
		must(t, e.st.UpdateTailnetSettings(ctx, e.tn.ID, settings))
		e.srv.RefreshIdentities()
		d := e.device("delta")
		waitFor(t, 20*time.Second, "delta's posture identity", func() bool {
			got, err := e.st.Device(ctx, d.ID)
			return err == nil && !got.PostureIdentity.Updated.IsZero()
		})
	}()
	for _, p := range st.Peer {
		if p.HostName == "echo" && (p.Relay != "postern" || p.CurAddr != "") {
			t.Errorf("path to echo: got relay %q direct %q, want relay postern and no direct address", p.Relay, p.CurAddr)
		}
	}
}
