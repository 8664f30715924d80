package control

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/types/key"

	"github.com/postern/postern"
)

// fromAddr is a context as requests over a Noise connection from addr
// carry it, for machine key mk.
func fromAddr(mk key.MachinePublic, addr string) context.Context {
	return withPeer(context.Background(), &noisePeer{machine: mk, source: netip.MustParseAddr(addr)})
}

// startLogin asks for an interactive login from addr with a new machine
// and node key.
func (ts *testServer) startLogin(t *testing.T, addr string) (tailcfg.RegisterResponse, error) {
	t.Helper()
	mk := key.NewMachine().Public()
	return ts.register(fromAddr(mk, addr), mk, regReq(key.NewNode().Public(), ""))
}

// pendingCount is how many interactive logins the server holds.
func (ts *testServer) pendingCount() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.pending)
}

// noDevices fails if the store holds any device of the test tailnet.
func (ts *testServer) noDevices(t *testing.T) {
	t.Helper()
	ds, err := ts.st.Devices(context.Background(), ts.tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 0 {
		t.Errorf("stored devices: got %d, want none", len(ds))
	}
}

func TestPendingLimits(t *testing.T) {
	t.Run("per source address", func(t *testing.T) {
		ts := newTestServer(t)
		for i := range maxPendingPerAddr {
			if resp, err := ts.startLogin(t, "192.0.2.7"); err != nil || resp.AuthURL == "" {
				t.Fatalf("login %d: got %+v, %v; want a login URL", i, resp, err)
			}
		}
		_, err := ts.startLogin(t, "192.0.2.7")
		if postern.ErrorCode(err) != postern.EFORBIDDEN || !strings.Contains(postern.ErrorMessage(err), "too many logins from your address") {
			t.Errorf("login over the limit: got %v, want forbidden 'too many logins from your address'", err)
		}
		if got := ts.pendingCount(); got != maxPendingPerAddr {
			t.Errorf("pending logins: got %d, want %d", got, maxPendingPerAddr)
		}
		if resp, err := ts.startLogin(t, "192.0.2.8"); err != nil || resp.AuthURL == "" {
			t.Errorf("login from another address: got %+v, %v; want a login URL", resp, err)
		}
		ts.noDevices(t)
	})
	t.Run("IPv6 counts per /64", func(t *testing.T) {
		ts := newTestServer(t)
		for i := range maxPendingPerAddr {
			if _, err := ts.startLogin(t, fmt.Sprintf("2001:db8:1:2::%x", i+1)); err != nil {
				t.Fatalf("login %d: %v", i, err)
			}
		}
		if _, err := ts.startLogin(t, "2001:db8:1:2:ffff::1"); postern.ErrorCode(err) != postern.EFORBIDDEN {
			t.Errorf("login from the same /64: got %v, want forbidden", err)
		}
		if got := ts.pendingCount(); got != maxPendingPerAddr {
			t.Errorf("pending logins: got %d, want %d", got, maxPendingPerAddr)
		}
	})
	t.Run("overall", func(t *testing.T) {
		ts := newTestServer(t)
		for i := range maxPending {
			if _, err := ts.startLogin(t, fmt.Sprintf("10.%d.%d.1", i/256, i%256)); err != nil {
				t.Fatalf("login %d: %v", i, err)
			}
		}
		_, err := ts.startLogin(t, "198.51.100.1")
		if postern.ErrorCode(err) != postern.EFORBIDDEN || !strings.Contains(postern.ErrorMessage(err), "too many logins are waiting") {
			t.Errorf("login over the limit: got %v, want forbidden 'too many logins are waiting'", err)
		}
		if got := ts.pendingCount(); got != maxPending {
			t.Errorf("pending logins: got %d, want %d", got, maxPending)
		}
		ts.noDevices(t)
	})
	t.Run("per machine key replaces the oldest", func(t *testing.T) {
		ts := newTestServer(t)
		mk := key.NewMachine().Public()
		var urls []string
		for range maxPendingPerMachine + 1 {
			resp, err := ts.register(fromAddr(mk, "192.0.2.9"), mk, regReq(key.NewNode().Public(), ""))
			if err != nil {
				t.Fatal(err)
			}
			urls = append(urls, resp.AuthURL)
		}
		if got := ts.pendingCount(); got != maxPendingPerMachine {
			t.Errorf("pending logins: got %d, want %d", got, maxPendingPerMachine)
		}
		req := regReq(key.NewNode().Public(), "")
		req.Followup = urls[0]
		if _, err := ts.register(fromAddr(mk, "192.0.2.9"), mk, req); postern.ErrorCode(err) != postern.EINVALID {
			t.Errorf("follow-up of the replaced login: got %v, want invalid (expired)", err)
		}
	})
}

func TestPendingKeepsOnlyWhatApprovalNeeds(t *testing.T) {
	ts := newTestServer(t)
	mk, nk := key.NewMachine().Public(), key.NewNode().Public()
	req := regReq(nk, "")
	req.Hostinfo.PushDeviceToken = strings.Repeat("p", 4000)
	req.Hostinfo.BackendLogID = strings.Repeat("b", 4000)
	req.Hostinfo.NetInfo = &tailcfg.NetInfo{DERPLatency: map[string]float64{strings.Repeat("d", 4000): 1}}
	req.Hostinfo.RequestTags = []string{"tag:web"}
	if _, err := ts.register(fromAddr(mk, "192.0.2.10"), mk, req); err != nil {
		t.Fatal(err)
	}
	regs := ts.PendingRegistrations()
	if len(regs) != 1 {
		t.Fatalf("pending registrations: got %d, want 1", len(regs))
	}
	g := regs[0]
	want := Registration{ID: g.ID, Hostname: "laptop", OS: "linux", RequestTags: []string{"tag:web"},
		MachineKey: mk.String(), NodeKey: nk.String(), Source: netip.MustParseAddr("192.0.2.10"), Created: g.Created}
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("registration: got %+v, want %+v", g, want)
	}
	ts.mu.Lock()
	hi := ts.pending[g.ID].hostinfo
	ts.mu.Unlock()
	if hi.PushDeviceToken != "" || hi.BackendLogID != "" || hi.NetInfo != nil || hi.RequestTags != nil {
		t.Errorf("kept Hostinfo: got %+v, want no push token, log ID, NetInfo or tags", hi)
	}
}

func TestRegisterRefusesOversizedHostinfo(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name string
		set  func(*tailcfg.Hostinfo)
		want string
	}{
		{"hostname", func(h *tailcfg.Hostinfo) { h.Hostname = long(maxHostnameLen + 1) }, "hostname"},
		{"OS", func(h *tailcfg.Hostinfo) { h.OS = long(maxOSLen + 1) }, "OS the client"},
		{"OS version", func(h *tailcfg.Hostinfo) { h.OSVersion = long(maxVersionLen + 1) }, "OS version"},
		{"client version", func(h *tailcfg.Hostinfo) { h.IPNVersion = long(maxVersionLen + 1) }, "client version"},
		{"device model", func(h *tailcfg.Hostinfo) { h.DeviceModel = long(maxVersionLen + 1) }, "device model"},
		{"tag count", func(h *tailcfg.Hostinfo) { h.RequestTags = make([]string, maxRequestTags+1) }, "requests 65 tags"},
		{"tag length", func(h *tailcfg.Hostinfo) { h.RequestTags = []string{"tag:" + long(maxTagLen)} }, "requested tag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t)
			authKey := ts.authKey(t, postern.Key{Reusable: true})
			for _, k := range []string{"", authKey} {
				mk := key.NewMachine().Public()
				req := regReq(key.NewNode().Public(), k)
				tc.set(req.Hostinfo)
				_, err := ts.register(fromAddr(mk, "192.0.2.11"), mk, req)
				if postern.ErrorCode(err) != postern.EINVALID || !strings.Contains(postern.ErrorMessage(err), tc.want) {
					t.Errorf("with auth key %v: got %v, want invalid mentioning %q", k != "", err, tc.want)
				}
			}
			if got := ts.pendingCount(); got != 0 {
				t.Errorf("pending logins: got %d, want 0", got)
			}
			ts.noDevices(t)
		})
	}
}

func TestPendingExpireOnTimer(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	ts := newTestServer(t, func(c *Config) {
		c.Now = func() time.Time { return time.Unix(0, now.Load()) }
		c.SweepInterval = 5 * time.Millisecond
	})
	for i := range 3 {
		if _, err := ts.startLogin(t, fmt.Sprintf("192.0.2.%d", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond)
	if got := ts.pendingCount(); got != 3 {
		t.Fatalf("pending logins before the TTL: got %d, want 3", got)
	}
	now.Add(int64(pendingTTL + time.Second))
	deadline := time.Now().Add(2 * time.Second)
	for ts.pendingCount() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pending logins past the TTL with no new login: got %d after 2s, want 0", ts.pendingCount())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestExpiredLoginReleasesWaitingClient(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	ts := newTestServer(t, func(c *Config) {
		c.Now = func() time.Time { return time.Unix(0, now.Load()) }
		c.SweepInterval = 5 * time.Millisecond
	})
	mk, nk := key.NewMachine().Public(), key.NewNode().Public()
	resp, err := ts.register(fromAddr(mk, "192.0.2.12"), mk, regReq(nk, ""))
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		req := regReq(nk, "")
		req.Followup = resp.AuthURL
		_, err := ts.register(fromAddr(mk, "192.0.2.12"), mk, req)
		waited <- err
	}()
	time.Sleep(20 * time.Millisecond)
	now.Add(int64(pendingTTL + time.Second))
	select {
	case err := <-waited:
		if postern.ErrorCode(err) != postern.EINVALID || !strings.Contains(postern.ErrorMessage(err), "expired") {
			t.Errorf("waiting follow-up: got %v, want invalid 'expired'", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("follow-up still waiting 2s after its login expired")
	}
	ts.noDevices(t)
}

func TestRejectRegistration(t *testing.T) {
	ts := newTestServer(t)
	mk, nk := key.NewMachine().Public(), key.NewNode().Public()
	resp, err := ts.register(fromAddr(mk, "192.0.2.13"), mk, regReq(nk, ""))
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		req := regReq(nk, "")
		req.Followup = resp.AuthURL
		_, err := ts.register(fromAddr(mk, "192.0.2.13"), mk, req)
		waited <- err
	}()
	time.Sleep(20 * time.Millisecond)
	pend := ts.PendingRegistrations()
	if len(pend) != 1 {
		t.Fatalf("pending: got %d, want 1", len(pend))
	}
	ctx := context.Background()
	got, err := ts.RejectRegistration(ctx, pend[0].ID, postern.AuditActor{})
	if err != nil || got.ID != pend[0].ID {
		t.Fatalf("reject: got %+v, %v; want the login", got, err)
	}
	select {
	case err := <-waited:
		if postern.ErrorCode(err) != postern.EFORBIDDEN || postern.ErrorMessage(err) != "an administrator rejected this login" {
			t.Errorf("waiting follow-up: got %v, want forbidden 'an administrator rejected this login'", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("follow-up still waiting 2s after its login was rejected")
	}
	if n := len(ts.PendingRegistrations()); n != 0 {
		t.Errorf("pending after reject: got %d, want 0", n)
	}
	ts.noDevices(t)
	if _, err := ts.RejectRegistration(ctx, pend[0].ID, postern.AuditActor{}); postern.ErrorCode(err) != postern.ENOTFOUND {
		t.Errorf("reject again: got %v, want not found", err)
	}
	if _, err := ts.ApproveRegistration(ctx, pend[0].ID, ts.user.ID, postern.AuditActor{}); postern.ErrorCode(err) != postern.ENOTFOUND {
		t.Errorf("approve after reject: got %v, want not found", err)
	}
	ts.noDevices(t)
}
