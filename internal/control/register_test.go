package control

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/types/key"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/keys"
	"github.com/postern/postern/internal/store/storetest"
)

// authKey stores an auth key of the test user with k's capabilities.
func (ts *testServer) authKey(t *testing.T, k postern.Key) string {
	t.Helper()
	k.Type, k.TailnetID, k.UserID, k.Created = postern.KeyTypeAuth, ts.tn.ID, ts.user.ID, time.Now()
	text := keys.Mint(&k)
	if err := ts.st.CreateKey(context.Background(), &k); err != nil {
		t.Fatal(err)
	}
	return text
}

func regReq(nk key.NodePublic, authKey string) *tailcfg.RegisterRequest {
	r := &tailcfg.RegisterRequest{Version: tailcfg.CurrentCapabilityVersion, NodeKey: nk,
		Hostinfo: &tailcfg.Hostinfo{Hostname: "laptop", OS: "linux"}}
	if authKey != "" {
		r.Auth = &tailcfg.RegisterResponseAuth{AuthKey: authKey}
	}
	return r
}

func TestRegisterLifecycle(t *testing.T) {
	forEachBackend(t, testRegisterLifecycle)
}

func testRegisterLifecycle(t *testing.T, ts *testServer) {
	ctx := context.Background()
	mk, nk := key.NewMachine().Public(), key.NewNode().Public()
	single := ts.authKey(t, postern.Key{})

	resp, err := ts.register(ctx, mk, regReq(nk, single))
	if err != nil || resp.Error != "" || !resp.MachineAuthorized {
		t.Fatalf("join: got %+v, %v; want authorized", resp, err)
	}
	d, err := ts.st.DeviceByNodeKey(ctx, nk.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("repeat does not spend the key again", func(t *testing.T) {
		if _, err := ts.register(ctx, mk, regReq(nk, single)); err != nil {
			t.Errorf("repeated register: got %v, want success", err)
		}
	})
	t.Run("used single-use key refused for a new machine", func(t *testing.T) {
		_, err := ts.register(ctx, key.NewMachine().Public(), regReq(key.NewNode().Public(), single))
		if postern.ErrorCode(err) != postern.EUNAUTHORIZED || !strings.Contains(postern.ErrorMessage(err), "already been used") {
			t.Errorf("got %v, want an unauthorized 'already been used'", err)
		}
	})
	t.Run("rotation keeps the device", func(t *testing.T) {
		nk2 := key.NewNode().Public()
		req := regReq(nk2, "")
		req.OldNodeKey = nk
		if _, err := ts.register(ctx, mk, req); err != nil {
			t.Fatal(err)
		}
		got, err := ts.st.DeviceByNodeKey(ctx, nk2.String())
		if err != nil || got.ID != d.ID {
			t.Errorf("after rotation: got device %d, %v; want %d", got.ID, err, d.ID)
		}
		nk = nk2
	})
	t.Run("another machine cannot use the node key", func(t *testing.T) {
		_, err := ts.register(ctx, key.NewMachine().Public(), regReq(nk, ""))
		if postern.ErrorCode(err) != postern.EFORBIDDEN {
			t.Errorf("got %v, want forbidden", err)
		}
	})
	t.Run("logout expires the key", func(t *testing.T) {
		req := regReq(nk, "")
		req.Expiry = time.Unix(123, 0)
		resp, err := ts.register(ctx, mk, req)
		if err != nil || !resp.NodeKeyExpired {
			t.Fatalf("logout: got %+v, %v", resp, err)
		}
		got, _ := ts.st.Device(ctx, d.ID)
		if !keyExpired(&got, time.Now()) {
			t.Errorf("after logout: key expiry %v, want expired", got.KeyExpiry)
		}
	})
}

func TestRegisterEphemeralLogoutDeletes(t *testing.T) {
	forEachBackend(t, testRegisterEphemeralLogoutDeletes)
}

func testRegisterEphemeralLogoutDeletes(t *testing.T, ts *testServer) {
	ctx := context.Background()
	mk, nk := key.NewMachine().Public(), key.NewNode().Public()
	if _, err := ts.register(ctx, mk, regReq(nk, ts.authKey(t, postern.Key{Ephemeral: true}))); err != nil {
		t.Fatal(err)
	}
	d, err := ts.st.DeviceByNodeKey(ctx, nk.String())
	if err != nil || !d.Ephemeral {
		t.Fatalf("ephemeral join: got %+v, %v", d, err)
	}
	req := regReq(nk, "")
	req.Expiry = time.Unix(123, 0)
	if _, err := ts.register(ctx, mk, req); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.st.Device(ctx, d.ID); !postern.IsNotFound(err) {
		t.Errorf("after logout: got %v, want not found", err)
	}
}

func TestRegisterInteractive(t *testing.T) {
	forEachBackend(t, testRegisterInteractive)
}

func testRegisterInteractive(t *testing.T, ts *testServer) {
	ctx := context.Background()
	mk, nk := key.NewMachine().Public(), key.NewNode().Public()
	resp, err := ts.register(ctx, mk, regReq(nk, ""))
	if err != nil || !strings.HasPrefix(resp.AuthURL, "http://127.0.0.1:9/register/") {
		t.Fatalf("first register: got %+v, %v; want an AuthURL", resp, err)
	}
	again, _ := ts.register(ctx, mk, regReq(nk, ""))
	if again.AuthURL != resp.AuthURL {
		t.Errorf("second register: got %q, want the same URL %q", again.AuthURL, resp.AuthURL)
	}
	done := make(chan tailcfg.RegisterResponse, 1)
	go func() {
		req := regReq(nk, "")
		req.Followup = resp.AuthURL
		r, err := ts.register(ctx, mk, req)
		if err != nil {
			r.Error = err.Error()
		}
		done <- r
	}()
	regs := ts.PendingRegistrations()
	if len(regs) != 1 || regs[0].Hostname != "laptop" {
		t.Fatalf("pending: got %+v, want laptop", regs)
	}
	if _, err := ts.ApproveRegistration(ctx, regs[0].ID, ts.user.ID, audit.User(ts.user)); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.Error != "" || !r.MachineAuthorized || r.Login.LoginName != "alice@example.com" {
			t.Errorf("follow-up: got %+v, want authorized as alice", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow-up still waiting after approval")
	}
	if _, err := ts.ApproveRegistration(ctx, regs[0].ID, ts.user.ID, audit.User(ts.user)); !postern.IsNotFound(err) {
		t.Errorf("second approval: got %v, want not found", err)
	}
}

// forEachBackend runs f on a server over each store backend (PostgreSQL
// skips without POSTERN_TEST_POSTGRES).
func forEachBackend(t *testing.T, f func(*testing.T, *testServer)) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { f(t, newTestServerOn(t, b.Open(t))) })
	}
}

func TestSingleUseKeyRace(t *testing.T) { forEachBackend(t, testSingleUseKeyRace) }

// testSingleUseKeyRace registers many machines at once with one
// single-use key: exactly one may join.
func testSingleUseKeyRace(t *testing.T, ts *testServer) {
	text := ts.authKey(t, postern.Key{})
	const n = 10
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := ts.register(context.Background(), key.NewMachine().Public(), regReq(key.NewNode().Public(), text))
			errs <- err
		}()
	}
	ok := 0
	for range n {
		if err := <-errs; err == nil {
			ok++
		} else if postern.ErrorCode(err) != postern.EUNAUTHORIZED {
			t.Errorf("losing registration: got %v, want unauthorized", err)
		}
	}
	if ok != 1 {
		t.Errorf("joins with one single-use key: got %d, want 1", ok)
	}
}

// TestWriterChangesReachPeers joins and removes a device through the
// writer: its change, relayed as the engine relays it, makes the device
// appear to a connected peer and then disappear.
func TestWriterChangesReachPeers(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.pol.peersFn = func(id int64) []int64 {
		devs, _ := ts.st.Devices(ctx, ts.tn.ID)
		var out []int64
		for _, d := range devs {
			if d.ID != id {
				out = append(out, d.ID)
			}
		}
		return out
	}
	a := ts.addDevice(t, "a")
	recA, _ := ts.connect(t, a)

	mk, nk := key.NewMachine().Public(), key.NewNode().Public()
	if _, err := ts.register(ctx, mk, regReq(nk, ts.authKey(t, postern.Key{Ephemeral: true}))); err != nil {
		t.Fatal(err)
	}
	d, err := ts.st.DeviceByNodeKey(ctx, nk.String())
	if err != nil {
		t.Fatal(err)
	}
	id := tailcfg.NodeID(d.ID)
	waitMsg(t, recA, "the joined device in a's peers", func(m *tailcfg.MapResponse) bool {
		for _, n := range append(m.Peers, m.PeersChanged...) {
			if n.ID == id {
				return true
			}
		}
		return false
	})

	req := regReq(nk, "")
	req.Expiry = time.Unix(123, 0)
	if _, err := ts.register(ctx, mk, req); err != nil {
		t.Fatal(err)
	}
	waitMsg(t, recA, "the removed device in a's PeersRemoved", func(m *tailcfg.MapResponse) bool {
		return slices.Contains(m.PeersRemoved, id)
	})
}

// waitMsg reads rec's messages until one satisfies ok, failing after two
// seconds without one.
func waitMsg(t *testing.T, rec *recorder, what string, ok func(*tailcfg.MapResponse) bool) {
	t.Helper()
	deadline := time.After(2 * time.Second)
	for {
		select {
		case m := <-rec.msgs:
			if ok(m) {
				return
			}
		case <-deadline:
			t.Fatalf("waiting for %s: got none within 2s", what)
		}
	}
}
