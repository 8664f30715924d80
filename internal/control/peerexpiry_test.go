package control

import (
	"context"
	"testing"
	"time"

	"tailscale.com/tailcfg"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/tailnet"
)

// peerNode returns the node with id among m's peers, or nil.
func peerNode(m *tailcfg.MapResponse, id int64) *tailcfg.Node {
	for _, n := range append(m.Peers, m.PeersChanged...) {
		if n.ID == tailcfg.NodeID(id) {
			return n
		}
	}
	return nil
}

func TestPeersToldWhenKeyExpires(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	a := ts.addDevice(t, "a")
	b := ts.addDevice(t, "b")
	b.KeyExpiry = time.Now().Add(400 * time.Millisecond)
	if err := ts.st.UpdateDevice(ctx, &b); err != nil {
		t.Fatal(err)
	}
	ts.pol.mu.Lock()
	ts.pol.peers[a.ID] = []int64{b.ID}
	ts.pol.peers[b.ID] = []int64{a.ID}
	ts.pol.mu.Unlock()
	ts.mu.Lock()
	ts.live[b.ID] = &liveNode{homeDERP: 1}
	ts.mu.Unlock()

	recA, first := ts.connect(t, a)
	n := peerNode(first, b.ID)
	if n == nil || n.Expired || !n.KeyExpiry.Equal(b.KeyExpiry) {
		t.Fatalf("first map: got peer b %+v, want it with its key expiry, not expired", n)
	}
	// Nothing else changes: the update must come from b's expiry alone.
	waitMsg(t, recA, "b marked expired in a's map", func(m *tailcfg.MapResponse) bool {
		n := peerNode(m, b.ID)
		if n == nil {
			return false
		}
		if !n.Expired || n.HomeDERP != 0 || len(n.Endpoints) != 0 {
			t.Errorf("got peer b expired %v, home DERP %d, endpoints %v; want expired with neither", n.Expired, n.HomeDERP, n.Endpoints)
		}
		return true
	})
	if got, _ := ts.st.Device(ctx, b.ID); !got.KeyExpiry.Equal(b.KeyExpiry) || got.KeyExpiryDisabled {
		t.Errorf("stored b changed: expiry %v, disabled %v", got.KeyExpiry, got.KeyExpiryDisabled)
	}
}

func TestDisablingKeyExpiryKeepsSessionAndTellsPeers(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	a := ts.addDevice(t, "a")
	b := ts.addDevice(t, "b")
	b.KeyExpiry = time.Now().Add(500 * time.Millisecond)
	if err := ts.st.UpdateDevice(ctx, &b); err != nil {
		t.Fatal(err)
	}
	ts.pol.mu.Lock()
	ts.pol.peers[a.ID] = []int64{b.ID}
	ts.pol.peers[b.ID] = []int64{a.ID}
	ts.pol.mu.Unlock()
	recA, _ := ts.connect(t, a)
	recB, _ := ts.connect(t, b)

	w := ts.cfg.Writer.(*tailnet.Service)
	if _, err := w.SetKeyExpiryDisabled(ctx, audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}, ts.tn.ID, b.ID, true); err != nil {
		t.Fatal(err)
	}
	waitMsg(t, recB, "b's own node without a key expiry", func(m *tailcfg.MapResponse) bool {
		return m.Node != nil && m.Node.KeyExpiry.IsZero()
	})
	waitMsg(t, recA, "b without a key expiry in a's map", func(m *tailcfg.MapResponse) bool {
		n := peerNode(m, b.ID)
		return n != nil && n.KeyExpiry.IsZero() && !n.Expired
	})
	time.Sleep(time.Until(b.KeyExpiry) + 300*time.Millisecond)
	if !ts.Online(b.ID) {
		t.Error("b's session ended at its old key expiry, want it kept once expiry is disabled")
	}
	for {
		select {
		case m := <-recA.msgs:
			if n := peerNode(m, b.ID); n != nil && n.Expired {
				t.Fatal("a told b expired after b's key expiry was disabled")
			}
			continue
		default:
		}
		break
	}

	t.Run("enabling again tells b its new expiry", func(t *testing.T) {
		if _, err := w.SetKeyExpiryDisabled(ctx, audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}, ts.tn.ID, b.ID, false); err != nil {
			t.Fatal(err)
		}
		want := time.Now().Add(tailnet.KeyDuration(postern.TailnetSettings{}))
		waitMsg(t, recB, "b's own node with its new key expiry", func(m *tailcfg.MapResponse) bool {
			return m.Node != nil && m.Node.KeyExpiry.After(want.Add(-time.Minute)) && m.Node.KeyExpiry.Before(want.Add(time.Minute))
		})
	})
}
