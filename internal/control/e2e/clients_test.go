package e2e

import (
	"context"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/control"
	"github.com/postern/postern/internal/tsclient"
)

// TestRealClients joins real tailscaled nodes to a control server and
// checks what they see and enforce. The subtests share the nodes and run
// in order.
func TestRealClients(t *testing.T) {
	settings := postern.DefaultTailnetSettings()
	settings.PostureIdentityCollectionOn = true
	e := newEnv(t, settings)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	keyA := e.authKey(postern.Key{Reusable: true, Tags: []string{"tag:client"}})
	keyB := e.authKey(postern.Key{Tags: []string{"tag:server"}})
	// alpha reports a serial number of its own through SMBIOS tables
	// when the test may create mount namespaces (root).
	const serialA = "PN-ALPHA-0001"
	optA, haveSerial := e.serialOptions("alpha", serialA)
	a := e.node("alpha", optA)
	b := e.node("bravo", tsclient.NodeOptions{})
	if out, err := a.Up(ctx, e.url, keyA, "--advertise-tags=tag:client", "--report-posture"); err != nil {
		t.Fatalf("tailscale up on alpha: %v: %s", err, out)
	}
	if out, err := b.Up(ctx, e.url, keyB); err != nil {
		t.Fatalf("tailscale up on bravo: %v: %s", err, out)
	}
	devA, devB := e.device("alpha"), e.device("bravo")

	t.Run("join", func(t *testing.T) {
		if got, want := devA.Tags, []string{"tag:client"}; !slices.Equal(got, want) {
			t.Errorf("alpha tags: got %v, want %v", got, want)
		}
		if got, want := devB.Tags, []string{"tag:server"}; !slices.Equal(got, want) {
			t.Errorf("bravo tags (from the key): got %v, want %v", got, want)
		}
		k, err := e.st.Key(ctx, keyID(t, keyB))
		must(t, err)
		if k.Used != 1 || k.Valid(time.Now()) {
			t.Errorf("single-use key after join: got used=%d valid=%v, want used=1 valid=false", k.Used, k.Valid(time.Now()))
		}
		evs, err := e.st.AuditEvents(ctx, postern.AuditFilter{Event: "NODE.CREATE"})
		must(t, err)
		if len(evs) != 2 {
			t.Errorf("NODE.CREATE audit events: got %d, want 2", len(evs))
		}
		if devA.OS != "linux" {
			t.Errorf("alpha OS from Hostinfo: got %q, want linux", devA.OS)
		}
	})

	t.Run("peers see each other", func(t *testing.T) {
		waitFor(t, 30*time.Second, "alpha and bravo to see each other", func() bool {
			return hasPeer(ctx, a, "bravo") && hasPeer(ctx, b, "alpha")
		})
		st, err := a.Status(ctx)
		must(t, err)
		if got, want := st.Self.DNSName, "alpha.example.postern.internal."; got != want {
			t.Errorf("alpha MagicDNS name: got %q, want %q", got, want)
		}
	})

	t.Run("peers show their owners", func(t *testing.T) {
		// owned is alice's own device (an untagged key); alpha and bravo
		// are tagged. "tailscale status" prints a peer's owner from the
		// user profiles the map carries, not a bare user id.
		c := e.node("owned", tsclient.NodeOptions{})
		if out, err := c.Up(ctx, e.url, e.authKey(postern.Key{})); err != nil {
			t.Fatalf("tailscale up on owned: %v: %s", err, out)
		}
		waitFor(t, 30*time.Second, "alpha and owned to see each other", func() bool {
			return hasPeer(ctx, a, "owned") && hasPeer(ctx, c, "alpha")
		})
		owners := func(n *tsclient.Node) map[string]string {
			st, err := n.Status(ctx)
			must(t, err)
			out := map[string]string{}
			for _, ps := range st.Peer {
				out[ps.HostName] = st.User[ps.UserID].LoginName
			}
			return out
		}
		if got := owners(a); got["owned"] != "alice@example.com" || got["bravo"] != "tagged-devices" {
			t.Errorf("owners alpha sees: got %v, want owned alice@example.com and bravo tagged-devices", got)
		}
		if got := owners(c); got["alpha"] != "tagged-devices" {
			t.Errorf("owners owned sees: got %v, want alpha tagged-devices", got)
		}
	})

	t.Run("node attributes", func(t *testing.T) {
		waitFor(t, 10*time.Second, "node:* attributes of alpha", func() bool {
			e.mu.Lock()
			defer e.mu.Unlock()
			return e.nodeAttrs[devA.ID]["node:os"] == postern.String("linux")
		})
		e.mu.Lock()
		v := e.nodeAttrs[devA.ID]["node:tsVersion"]
		e.mu.Unlock()
		if !strings.HasPrefix(v.Str(), "1.102.") {
			t.Errorf("node:tsVersion: got %v, want 1.102.x", v)
		}
	})

	t.Run("filter enforced", func(t *testing.T) {
		target := echoServer(t)
		ipB := tailscaleIP(t, ctx, b)
		dst := net.JoinHostPort(ipB.String(), target)
		waitFor(t, 30*time.Second, "alpha to reach bravo", func() bool { return echoes(ctx, a, dst) })

		for _, deny := range []bool{true, false} {
			before := filterUpdates(ctx, b)
			e.pol.setDenied(devA.ID, deny)
			t0 := time.Now()
			e.srv.Notify(control.Change{Filters: e.allIDs()})
			// The client counts each packet filter it installs; polling
			// the count times the change more finely than probing.
			waitFor(t, 10*time.Second, "bravo to install a new filter", func() bool {
				return filterUpdates(ctx, b) > before
			})
			t.Logf("deny=%v: Notify to bravo's new filter: %v", deny, time.Since(t0))
			if deny {
				if echoes(ctx, a, dst) {
					t.Fatalf("alpha reached bravo after its filter dropped alpha")
				}
				t.Logf("deny=%v: alpha refused %v after Notify", deny, time.Since(t0))
			} else {
				waitFor(t, 10*time.Second, "alpha to reach bravo again", func() bool { return echoes(ctx, a, dst) })
				t.Logf("deny=%v: alpha connected %v after Notify", deny, time.Since(t0))
			}
		}
	})

	t.Run("posture identity", func(t *testing.T) {
		waitFor(t, 30*time.Second, "posture identities", func() bool {
			da, _ := e.st.Device(ctx, devA.ID)
			db, _ := e.st.Device(ctx, devB.ID)
			return !da.PostureIdentity.Updated.IsZero() && !db.PostureIdentity.Updated.IsZero()
		})
		da, _ := e.st.Device(ctx, devA.ID)
		db, _ := e.st.Device(ctx, devB.ID)
		if da.PostureIdentity.Disabled {
			t.Errorf("alpha (--report-posture): got disabled, want reported")
		}
		if !db.PostureIdentity.Disabled {
			t.Errorf("bravo (no --report-posture): got %+v, want disabled", db.PostureIdentity)
		}
		t.Logf("alpha posture identity: %+v", da.PostureIdentity)
		if !haveSerial {
			t.Logf("not root: alpha has no SMBIOS serial to report")
		} else if got, want := da.PostureIdentity.SerialNumbers, []string{serialA}; !slices.Equal(got, want) {
			t.Errorf("alpha serial numbers: got %v, want %v", got, want)
		}
		if len(da.PostureIdentity.HardwareAddrs) == 0 {
			t.Errorf("alpha hardware addresses: got none, want the host's MACs")
		}
		evs, err := e.st.AuditEvents(ctx, postern.AuditFilter{Event: "NODE.UPDATE.POSTURE_IDENTITY"})
		must(t, err)
		if len(evs) < 2 {
			t.Errorf("NODE.UPDATE.POSTURE_IDENTITY events: got %d, want 2", len(evs))
		}
	})

	t.Run("re-login keeps the device", func(t *testing.T) {
		before, err := e.st.Device(ctx, devA.ID)
		must(t, err)
		out, err := a.Up(ctx, e.url, keyA, "--advertise-tags=tag:client", "--report-posture", "--force-reauth")
		if err != nil {
			t.Fatalf("tailscale up --force-reauth: %v: %s", err, out)
		}
		after, err := e.st.Device(ctx, devA.ID)
		must(t, err)
		if after.NodeKey == before.NodeKey {
			t.Errorf("node key after re-login: got the old %s, want a new one", after.NodeKey)
		}
		if after.IPv4 != before.IPv4 || after.Name != before.Name {
			t.Errorf("re-login: got %s %v, want the same device %s %v", after.Name, after.IPv4, before.Name, before.IPv4)
		}
		waitFor(t, 30*time.Second, "bravo to see alpha's new key", func() bool {
			st, err := b.Status(ctx)
			if err != nil {
				return false
			}
			for _, p := range st.Peer {
				if p.HostName == "alpha" {
					return p.PublicKey.String() == after.NodeKey
				}
			}
			return false
		})
	})

	t.Run("refused joins", func(t *testing.T) {
		c := e.node("charlie", tsclient.NodeOptions{})
		revoked := postern.Key{Reusable: true}
		text := e.authKey(revoked)
		k, _ := e.st.Key(ctx, keyID(t, text))
		k.Revoked = time.Now()
		must(t, e.st.UpdateKey(ctx, &k))
		out, err := c.Up(ctx, e.url, text, "--timeout=20s")
		if err == nil || !strings.Contains(out, "revoked") {
			t.Errorf("up with a revoked key: got err=%v output %q, want failure saying revoked", err, out)
		}
		// A fresh daemon: one that just failed may report its previous
		// backend error instead of the new one.
		dn := e.node("delta", tsclient.NodeOptions{})
		plain := e.authKey(postern.Key{Reusable: true})
		out, err = dn.Up(ctx, e.url, plain, "--timeout=20s", "--advertise-tags=tag:evil")
		if err == nil || !strings.Contains(out, "not permitted") {
			t.Errorf("up with an unowned tag: got err=%v output %q, want failure saying not permitted", err, out)
		}
		devs, _ := e.st.Devices(ctx, e.tn.ID)
		for _, d := range devs {
			if d.Hostname == "charlie" || d.Hostname == "delta" {
				t.Errorf("%s was registered as %q despite refusals", d.Hostname, d.Name)
			}
		}
	})

	t.Run("ephemeral logout", func(t *testing.T) {
		x := e.node("xray", tsclient.NodeOptions{})
		if out, err := x.Up(ctx, e.url, e.authKey(postern.Key{Ephemeral: true})); err != nil {
			t.Fatalf("tailscale up on xray: %v: %s", err, out)
		}
		dev := e.device("xray")
		if !dev.Ephemeral {
			t.Fatalf("xray: got ephemeral=false, want true")
		}
		waitFor(t, 30*time.Second, "alpha to see xray", func() bool { return hasPeer(ctx, a, "xray") })
		if out, err := x.CLI(ctx, "logout"); err != nil {
			t.Fatalf("tailscale logout: %v: %s", err, out)
		}
		if _, err := e.st.Device(ctx, dev.ID); !postern.IsNotFound(err) {
			t.Errorf("xray after logout: got err=%v, want not found", err)
		}
		waitFor(t, 10*time.Second, "alpha to drop xray", func() bool { return !hasPeer(ctx, a, "xray") })
		evs, _ := e.st.AuditEvents(ctx, postern.AuditFilter{Event: "NODE.DELETE"})
		if len(evs) != 1 || evs[0].Actor.Type != "AUTOMATED_WORKER" {
			t.Errorf("NODE.DELETE events: got %+v, want one by the service", evs)
		}
	})
}

func keyID(t *testing.T, text string) string {
	id, ok := strings.CutPrefix(text, "tskey-auth-")
	if !ok {
		t.Fatalf("bad key %q", text)
	}
	id, _, _ = strings.Cut(id, "-")
	return id
}

func hasPeer(ctx context.Context, n *tsclient.Node, hostname string) bool {
	st, err := n.Status(ctx)
	if err != nil {
		return false
	}
	for _, p := range st.Peer {
		if p.HostName == hostname {
			return true
		}
	}
	return false
}

func tailscaleIP(t *testing.T, ctx context.Context, n *tsclient.Node) netip.Addr {
	st, err := n.Status(ctx)
	must(t, err)
	for _, ip := range st.TailscaleIPs {
		if ip.Is4() {
			return ip
		}
	}
	t.Fatalf("%s has no IPv4 address", n.Name)
	return netip.Addr{}
}

// echoServer listens on 127.0.0.1 (where userspace tailscaled delivers
// connections to its Tailscale IP) and echoes; it returns the port.
func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// echoes reports whether a round trip through n to dst works within 2s.
func echoes(ctx context.Context, n *tsclient.Node, dst string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := n.Dial(ctx, dst)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		return false
	}
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	return err == nil && string(buf) == "ping"
}

// filterUpdates is how many packet filters n installed from map deltas
// (tailscaled's localbackend_update_packet_filter counter), or -1.
func filterUpdates(ctx context.Context, n *tsclient.Node) int {
	b, err := n.Local.DaemonMetrics(ctx)
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "localbackend_update_packet_filter "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err == nil {
				return n
			}
		}
	}
	return 0
}
