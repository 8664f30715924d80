package e2e

import (
	"context"
	"testing"
	"time"

	"tailscale.com/ipn/ipnstate"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/control"
	"github.com/postern/postern/internal/tsclient"
)

// peerStatus returns n's view of the peer called hostname, or nil.
func peerStatus(ctx context.Context, n *tsclient.Node, hostname string) *ipnstate.PeerStatus {
	st, err := n.Status(ctx)
	if err != nil {
		return nil
	}
	for _, p := range st.Peer {
		if p.HostName == hostname {
			return p
		}
	}
	return nil
}

// TestKeyExpiry: real clients are told their key expiry, see it change
// when an admin disables it, and see a peer expire at its expiry.
func TestKeyExpiry(t *testing.T) {
	settings := postern.DefaultTailnetSettings()
	settings.DevicesKeyDurationDays = 1
	e := newEnv(t, settings)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	key := e.authKey(postern.Key{Reusable: true})
	a, b := e.node("alpha", tsclient.NodeOptions{}), e.node("bravo", tsclient.NodeOptions{})
	for _, n := range []*tsclient.Node{a, b} {
		if out, err := n.Up(ctx, e.url, key); err != nil {
			t.Fatalf("tailscale up on %s: %v: %s", n.Name, err, out)
		}
	}
	devB := e.device("bravo")
	waitFor(t, 30*time.Second, "alpha and bravo to see each other", func() bool {
		return hasPeer(ctx, a, "bravo") && hasPeer(ctx, b, "alpha")
	})

	t.Run("told the tailnet's key duration", func(t *testing.T) {
		st, err := b.Status(ctx)
		must(t, err)
		want := time.Now().Add(24 * time.Hour)
		if st.Self.KeyExpiry == nil || st.Self.KeyExpiry.Before(want.Add(-time.Minute)) || st.Self.KeyExpiry.After(want) {
			t.Errorf("bravo's own key expiry: got %v, want about %v", st.Self.KeyExpiry, want)
		}
	})
	t.Run("disabling reaches the device and its peer", func(t *testing.T) {
		_, err := e.w.SetKeyExpiryDisabled(ctx, audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}, e.tn.ID, devB.ID, true)
		must(t, err)
		waitFor(t, 20*time.Second, "bravo's own key expiry cleared", func() bool {
			st, err := b.Status(ctx)
			return err == nil && st.Self.KeyExpiry == nil
		})
		waitFor(t, 20*time.Second, "alpha to see bravo without a key expiry", func() bool {
			p := peerStatus(ctx, a, "bravo")
			return p != nil && p.KeyExpiry == nil
		})
	})
	t.Run("a peer expires at its expiry", func(t *testing.T) {
		// The test hook: a key duration of seconds, set in the store.
		d, err := e.st.Device(ctx, devB.ID)
		must(t, err)
		d.KeyExpiry, d.KeyExpiryDisabled = time.Now().Add(5*time.Second), false
		must(t, e.st.UpdateDevice(ctx, &d))
		e.srv.Notify(control.Change{AllPeers: true, Updated: []int64{d.ID}})
		waitFor(t, 20*time.Second, "alpha to see bravo's new key expiry", func() bool {
			p := peerStatus(ctx, a, "bravo")
			return p != nil && p.KeyExpiry != nil && !p.Expired
		})
		waitFor(t, 30*time.Second, "alpha to see bravo expired", func() bool {
			p := peerStatus(ctx, a, "bravo")
			return p != nil && p.Expired
		})
		if time.Now().Before(d.KeyExpiry) {
			t.Errorf("bravo shown expired before its expiry %v", d.KeyExpiry)
		}
		waitFor(t, 30*time.Second, "bravo to need a new login", func() bool {
			st, err := b.Status(ctx)
			return err == nil && st.BackendState == "NeedsLogin"
		})
	})
}
