package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	fakefleet "github.com/postern/postern/internal/fakes/fleet"
	"github.com/postern/postern/internal/server"
	"github.com/postern/postern/internal/tailnet"
	"github.com/postern/postern/internal/tsclient"
)

var (
	bins     tsclient.Binaries
	buildErr error
)

func TestMain(m *testing.M) { os.Exit(tsclient.RunTests(m, &bins, &buildErr)) }

// stack is a running postern serve with an admin and an API key.
type stack struct {
	t   testing.TB
	srv *server.Server
	key string
}

func startStack(t testing.TB) *stack {
	t.Helper()
	tsclient.RequireBuilt(t, buildErr)
	ctx := context.Background()
	srv, err := server.Start(ctx, server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), SyncInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ac := audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("e2e")}
	alice, err := srv.Service().CreateUser(ctx, ac, srv.Tailnet().ID, "alice@example.com", "", postern.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := srv.Service().CreateKey(ctx, ac, srv.Tailnet().ID, tailnet.KeyRequest{Type: postern.KeyTypeAPI, UserID: alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	return &stack{t: t, srv: srv, key: key}
}

// api calls the API and decodes a JSON answer into out (if not nil).
func (s *stack) api(method, path string, body any, out any) {
	s.t.Helper()
	var r io.Reader
	if b, ok := body.(string); ok {
		r = strings.NewReader(b)
	} else if body != nil {
		j, _ := json.Marshal(body)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, s.srv.URL()+"/api/v2"+path, r)
	req.SetBasicAuth(s.key, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		s.t.Fatalf("%s %s: got %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: decoding %s: %v", method, path, b, err)
		}
	}
}

// authKey creates an auth key with tags.
func (s *stack) authKey(tags ...string) string {
	var k struct{ Key string }
	body := map[string]any{"capabilities": map[string]any{"devices": map[string]any{"create": map[string]any{
		"reusable": false, "preauthorized": true, "tags": tags}}}, "expirySeconds": 3600}
	s.api("POST", "/tailnet/-/keys", body, &k)
	return k.Key
}

type device struct {
	NodeID             string   `json:"nodeId"`
	Hostname           string   `json:"hostname"`
	ConnectedToControl bool     `json:"connectedToControl"`
	Addresses          []string `json:"addresses"`
	PostureIdentity    *struct {
		SerialNumbers []string `json:"serialNumbers"`
		Disabled      bool     `json:"disabled"`
	} `json:"postureIdentity"`
}

// device finds a device by hostname, waiting for it to appear (and for
// cond to hold, if given).
func (s *stack) device(host string, cond func(device) bool) device {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list struct{ Devices []device }
		s.api("GET", "/tailnet/-/devices?fields=all", nil, &list)
		for _, d := range list.Devices {
			if d.Hostname == host && (cond == nil || cond(d)) {
				return d
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("device %s (with its condition) did not appear; devices: %+v", host, list.Devices)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// echoListener accepts connections on 127.0.0.1 and answers "hello".
func echoListener(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hello"))
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// reach reports whether node can open a TCP connection to addr through
// the tailnet and read the listener's greeting.
func reach(node *tsclient.Node, addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	c, err := node.Dial(ctx, addr)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(time.Second))
	b := make([]byte, 5)
	_, err = io.ReadFull(c, b)
	return err == nil && string(b) == "hello"
}

// waitReach waits until reach(node, addr) == want and returns how long it
// took.
func waitReach(t *testing.T, node *tsclient.Node, addr string, want bool, what string) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 30*time.Second {
		if reach(node, addr) == want {
			d := time.Since(start)
			t.Logf("%s: reachable=%v after %v", what, want, d.Round(time.Millisecond))
			return d
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: reachable did not become %v within 30s\n%s", what, want, node.Tail(30))
	return 0
}

const policy = `{
	"tagOwners": {"tag:client": ["alice@example.com"], "tag:server": ["alice@example.com"]},
	"postures": {
		"posture:jit":   ["custom:jit == true"],
		"posture:fleet": ["fleet:present == true", "fleetPolicy:disk IS SET"], // presence, as the setup document says
	},
	"acls": [
		{"action": "accept", "src": ["tag:client"], "dst": ["tag:server:*"], "srcPosture": ["posture:jit", "posture:fleet"]},
	],
}`

func startNode(t testing.TB, s *stack, name, serial string, tags ...string) *tsclient.Node {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	var opt tsclient.NodeOptions
	if serial != "" {
		var err error
		if opt, err = tsclient.WithSerial(filepath.Join(dir, "smbios"), serial); err != nil {
			t.Fatal(err)
		}
	}
	n, err := tsclient.Start(context.Background(), bins, name, dir, opt)
	if err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(n.Stop)
	args := []string{"--advertise-tags=" + strings.Join(tags, ",")}
	if serial != "" {
		args = append(args, "--report-posture")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := n.Up(ctx, s.srv.URL(), s.authKey(tags...), args...); err != nil {
		t.Fatalf("tailscale up %s: %v: %s\n%s", name, err, out, n.Tail(30))
	}
	return n
}

// TestPostureEnforcedEndToEnd: a client reaches a server only while its
// posture holds, first through a custom attribute (just-in-time access
// set by the API), then through a Fleet integration matched by the
// client's own serial number.
func TestPostureEnforcedEndToEnd(t *testing.T) {
	s := startStack(t)
	s.api("PATCH", "/tailnet/-/settings", `{"postureIdentityCollectionOn": true}`, nil)
	s.api("POST", "/tailnet/-/acl", policy, nil)

	const serial = "PSTRN-E2E-0001"
	client := startNode(t, s, "client", serial, "tag:client")
	srv := startNode(t, s, "server", "", "tag:server")
	cd := s.device("client", func(d device) bool {
		return d.PostureIdentity != nil && len(d.PostureIdentity.SerialNumbers) > 0
	})
	if got := cd.PostureIdentity.SerialNumbers; len(got) != 1 || got[0] != serial {
		t.Fatalf("client postureIdentity: got %v, want [%s]", got, serial)
	}
	// A device holding its map session reads as connected in the API.
	sd := s.device("server", func(d device) bool { return d.ConnectedToControl })
	target := net.JoinHostPort(sd.Addresses[0], fmt.Sprint(echoListener(t)))

	// The peers must see each other before any filter decision matters.
	if reach(client, target) {
		t.Fatalf("client reached the server with no posture")
	}
	var access struct {
		Allowed    bool
		Candidates []struct{ Postures []struct{ Name string } }
	}
	s.api("GET", "/device/"+cd.NodeID+"/access?dst="+target, nil, &access)
	if access.Allowed || len(access.Candidates) != 1 || len(access.Candidates[0].Postures) != 2 {
		t.Errorf("access decision: got %+v, want denied for want of either posture", access)
	}

	t.Run("custom attribute", func(t *testing.T) {
		s.api("POST", "/device/"+cd.NodeID+"/attributes/custom:jit", `{"value": true, "comment": "approved"}`, nil)
		grant := waitReach(t, client, target, true, "after custom:jit=true")
		s.api("POST", "/device/"+cd.NodeID+"/attributes/custom:jit", `{"value": false}`, nil)
		revoke := waitReach(t, client, target, false, "after custom:jit=false")
		t.Logf("posture to packets: grant seen in %v, revoke in %v (upper bounds: each probe may wait up to 1.5s)", grant, revoke)
	})

	t.Run("fleet integration", func(t *testing.T) {
		fake := fakefleet.NewServer("fleet-token")
		t.Cleanup(fake.Close)
		// The vendor spells the serial in lower case; matching ignores case.
		host := fake.PutHost(fakefleet.Host{HardwareSerial: strings.ToLower(serial), Hostname: "client-laptop", SeenTime: time.Now(),
			Policies: []fakefleet.Policy{{Name: "Disk encrypted", Description: "Checks FileVault. Tailscale: fleetPolicy:disk", Response: "pass"}}})

		var in struct {
			ID     string
			Status struct{ MatchedCount int }
		}
		s.api("POST", "/tailnet/-/posture/integrations", map[string]string{
			"provider": "fleet", "cloudId": fake.URL(), "clientSecret": "fleet-token"}, &in)
		waitReach(t, client, target, true, "after the fleet sync (policy passing)")

		s.api("GET", "/posture/integrations/"+in.ID, nil, &in)
		if in.Status.MatchedCount != 1 {
			t.Errorf("integration status: got matchedCount %d, want 1", in.Status.MatchedCount)
		}
		if !fake.SetPolicyResponse(host.ID, "Disk encrypted", "fail") {
			t.Fatal("the fake has no such policy")
		}
		s.api("POST", "/posture/integrations/"+in.ID+"/sync", nil, nil)
		// A failing policy leaves no fleetPolicy:disk, so "IS SET" denies.
		waitReach(t, client, target, false, "after the fleet policy failed")
	})

	if _, err := srv.Status(context.Background()); err != nil {
		t.Errorf("server node status at the end: %v", err)
	}

	t.Run("rename reaches the peer", func(t *testing.T) {
		// Access (and so the peer) comes back with custom:jit.
		s.api("POST", "/device/"+cd.NodeID+"/attributes/custom:jit", `{"value": true}`, nil)
		waitReach(t, client, target, true, "after custom:jit=true again")
		s.api("POST", "/device/"+sd.NodeID+"/name", `{"name": "db-renamed"}`, nil)
		deadline := time.Now().Add(20 * time.Second)
		for {
			st, err := client.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			renamed := false
			for _, p := range st.Peer {
				renamed = renamed || strings.HasPrefix(p.DNSName, "db-renamed.")
			}
			if renamed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the client's peer list never showed db-renamed")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	srv.Stop()
	s.device("server", func(d device) bool { return !d.ConnectedToControl })
}
