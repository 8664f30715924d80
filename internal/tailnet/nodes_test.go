package tailnet_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/tailnet"
)

var nodeAC = audit.Context{Origin: audit.OriginNode, Actor: audit.Service("test node")}

// registration is a join of a new machine numbered i.
func (f *fixture) registration(t *testing.T, i int) tailnet.NodeRegistration {
	t.Helper()
	users, err := f.st.Users(context.Background(), f.tn.ID)
	if err != nil || len(users) == 0 {
		t.Fatalf("listing users: got %d, %v", len(users), err)
	}
	return tailnet.NodeRegistration{
		TailnetID: f.tn.ID, MachineKey: fmt.Sprintf("mkey:%064d", i), NodeKey: fmt.Sprintf("nodekey:%064d", i),
		Name: "laptop", Hostname: "laptop", OS: "linux", Hostinfo: []byte(`{"Hostname":"laptop"}`),
		UserID: users[0].ID, Authorized: true, KeyExpiry: f.now.Add(time.Hour),
	}
}

func TestRegisterNode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 0)
	r := f.registration(t, 1)
	d, created, err := f.svc.RegisterNode(ctx, nodeAC, r)
	if err != nil || !created {
		t.Fatalf("first registration: got created %v, %v; want created", created, err)
	}
	if got := f.lastChange(); len(got.DevicesAdded) != 1 || got.DevicesAdded[0] != d.ID {
		t.Errorf("change after join: got %+v, want DevicesAdded [%d]", got, d.ID)
	}
	if got := f.events(t, "NODE.CREATE"); got != 1 {
		t.Errorf("NODE.CREATE events: got %d, want 1", got)
	}
	t.Run("second machine gets a free name", func(t *testing.T) {
		d2, _, err := f.svc.RegisterNode(ctx, nodeAC, f.registration(t, 2))
		if err != nil || d2.Name != "laptop-1" {
			t.Errorf("got name %q, %v; want laptop-1", d2.Name, err)
		}
	})
	t.Run("re-login updates the machine's device", func(t *testing.T) {
		r.NodeKey, r.Tags, r.Authorized, r.Hostinfo = fmt.Sprintf("nodekey:%064d", 9), []string{"tag:server"}, false, nil
		got, created, err := f.svc.RegisterNode(ctx, nodeAC, r)
		if err != nil || created || got.ID != d.ID {
			t.Fatalf("re-login: got device %d created %v, %v; want device %d updated", got.ID, created, err, d.ID)
		}
		if !got.Authorized || got.NodeKey != r.NodeKey || got.Hostname != "laptop" {
			t.Errorf("re-login: got authorized %v node key %q hostname %q; want still authorized, new key, hostname kept", got.Authorized, got.NodeKey, got.Hostname)
		}
		if c := f.lastChange(); len(c.DevicesUpdated) != 1 || c.DevicesUpdated[0] != d.ID {
			t.Errorf("change after re-login: got %+v, want DevicesUpdated [%d]", c, d.ID)
		}
		if got := f.events(t, "NODE.UPDATE"); got != 1 {
			t.Errorf("NODE.UPDATE events: got %d, want 1", got)
		}
	})
}

// TestRegisterNodeSpendsSingleUseKeyOnce joins many machines at once with
// one single-use key: exactly one may join, and the key counts one use.
func TestRegisterNodeSpendsSingleUseKeyOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 0)
	users, _ := f.st.Users(ctx, f.tn.ID)
	_, k, err := f.svc.CreateKey(ctx, ac, f.tn.ID, tailnet.KeyRequest{Type: postern.KeyTypeAuth, UserID: users[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		r := f.registration(t, i)
		r.AuthKeyID = k.ID
		wg.Go(func() {
			_, _, err := f.svc.RegisterNode(ctx, nodeAC, r)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case postern.ErrorCode(err) != postern.EUNAUTHORIZED:
			t.Errorf("losing join: got %v, want unauthorized", err)
		}
	}
	if ok != 1 {
		t.Errorf("joins with one single-use key: got %d, want 1", ok)
	}
	got, err := f.st.Key(ctx, k.ID)
	if err != nil || got.Used != 1 {
		t.Errorf("key uses: got %d, %v; want 1", got.Used, err)
	}
	devs, _ := f.st.Devices(ctx, f.tn.ID)
	if len(devs) != 1 {
		t.Errorf("devices: got %d, want 1", len(devs))
	}
}

func TestRemoveNode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 0)
	d, _, err := f.svc.RegisterNode(ctx, nodeAC, f.registration(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RemoveNode(ctx, nodeAC, d.ID); err != nil {
		t.Fatal(err)
	}
	if c := f.lastChange(); len(c.DevicesRemoved) != 1 || c.DevicesRemoved[0] != d.ID {
		t.Errorf("change after removal: got %+v, want DevicesRemoved [%d]", c, d.ID)
	}
	if _, err := f.st.Device(ctx, d.ID); !postern.IsNotFound(err) {
		t.Errorf("removed device: got %v, want not found", err)
	}
	if got := f.events(t, "NODE.DELETE"); got != 1 {
		t.Errorf("NODE.DELETE events: got %d, want 1", got)
	}
	if _, err := f.svc.RemoveNode(ctx, nodeAC, d.ID); !postern.IsNotFound(err) {
		t.Errorf("second removal: got %v, want not found", err)
	}
}

func TestRotateAndLogoutNode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 0)
	d, _, err := f.svc.RegisterNode(ctx, nodeAC, f.registration(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	nk := fmt.Sprintf("nodekey:%064d", 5)
	got, err := f.svc.RotateNodeKey(ctx, d.ID, nk, f.now.Add(2*time.Hour))
	if err != nil || got.NodeKey != nk {
		t.Fatalf("rotation: got node key %q, %v; want %q", got.NodeKey, err, nk)
	}
	if c := f.lastChange(); len(c.DevicesUpdated) != 1 {
		t.Errorf("change after rotation: got %+v, want DevicesUpdated", c)
	}
	got, err = f.svc.LogoutNode(ctx, d.ID)
	if err != nil || !got.KeyExpiry.Equal(f.now) {
		t.Errorf("logout: got key expiry %v, %v; want %v", got.KeyExpiry, err, f.now)
	}
}

func TestNodeFactsEmitNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 0)
	d, _, err := f.svc.RegisterNode(ctx, nodeAC, f.registration(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.changes)
	got, err := f.svc.UpdateNodeFacts(ctx, d.ID, tailnet.NodeFacts{Hostinfo: []byte(`{"OS":"macOS"}`), OS: "macOS", Hostname: "mac"})
	if err != nil || got.OS != "macOS" || got.Hostname != "mac" {
		t.Errorf("facts: got OS %q hostname %q, %v; want macOS, mac", got.OS, got.Hostname, err)
	}
	if _, err := f.svc.UpdateNodeFacts(ctx, d.ID, tailnet.NodeFacts{DiscoKey: "discokey:1"}); err != nil {
		t.Fatal(err)
	}
	stored, _ := f.st.Device(ctx, d.ID)
	if stored.DiscoKey != "discokey:1" || stored.OS != "macOS" {
		t.Errorf("stored: got disco key %q OS %q; want discokey:1, macOS", stored.DiscoKey, stored.OS)
	}
	if got := len(f.changes) - before; got != 0 {
		t.Errorf("changes emitted for node facts: got %d, want 0", got)
	}
}

func TestSetPostureIdentityAuditsChanges(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 0)
	d, _, err := f.svc.RegisterNode(ctx, nodeAC, f.registration(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.changes)
	pi := postern.PostureIdentity{SerialNumbers: []string{"SN1"}, Updated: f.now}
	for i, want := range []bool{true, false} {
		changed, err := f.svc.SetPostureIdentity(ctx, d.ID, pi)
		if err != nil || changed != want {
			t.Errorf("report %d: got changed %v, %v; want %v", i, changed, err, want)
		}
	}
	pi.SerialNumbers = []string{"SN2"}
	if changed, _ := f.svc.SetPostureIdentity(ctx, d.ID, pi); !changed {
		t.Errorf("new serial: got unchanged, want changed")
	}
	if got := f.events(t, "NODE.UPDATE.POSTURE_IDENTITY"); got != 2 {
		t.Errorf("NODE.UPDATE.POSTURE_IDENTITY events: got %d, want 2", got)
	}
	if got := len(f.changes) - before; got != 0 {
		t.Errorf("changes emitted for posture identity: got %d, want 0", got)
	}
}
