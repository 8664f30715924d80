package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"tailscale.com/control/ts2021"
	"tailscale.com/net/netmon"
	"tailscale.com/net/tsdial"
	"tailscale.com/tailcfg"
	"tailscale.com/types/key"
)

// TestRegistrationsShowWhoAsked starts an interactive login over Noise
// and checks the listing shows the machine key, node key and source
// address the server saw, not just the claimed hostname.
func TestRegistrationsShowWhoAsked(t *testing.T) {
	e := newEnv(t)
	mk, nk := startLogin(t, e, "impostor")

	code, body := e.raw(t, "GET", "/api/v2/tailnet/-/registrations", "")
	if code != http.StatusOK {
		t.Fatalf("listing: got %d %s, want 200", code, body)
	}
	var got struct {
		Registrations []struct {
			Hostname      string `json:"hostname"`
			MachineKey    string `json:"machineKey"`
			NodeKey       string `json:"nodeKey"`
			SourceAddress string `json:"sourceAddress"`
			Created       string `json:"created"`
		} `json:"registrations"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Registrations) != 1 {
		t.Fatalf("registrations: got %s, want one", body)
	}
	r := got.Registrations[0]
	if r.Hostname != "impostor" || r.MachineKey != mk.Public().String() || r.NodeKey != nk.Public().String() ||
		r.SourceAddress != "127.0.0.1" || r.Created == "" {
		t.Errorf("registration: got %+v, want hostname impostor, machine key %v, node key %v, source 127.0.0.1 and a time",
			r, mk.Public(), nk.Public())
	}
}

// startLogin asks the server for an interactive login over Noise, as
// "tailscale up" without an auth key does, claiming hostname.
func startLogin(t *testing.T, e *env, hostname string) (key.MachinePrivate, key.NodePrivate) {
	t.Helper()
	ctx := context.Background()
	res, err := http.Get(e.srv.URL() + "/key?v=" + "130")
	if err != nil {
		t.Fatal(err)
	}
	var keys tailcfg.OverTLSPublicKeyResponse
	err = json.NewDecoder(res.Body).Decode(&keys)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	mk, nk := key.NewMachine(), key.NewNode()
	nc, err := ts2021.NewClient(ts2021.ClientOpts{
		ServerURL: e.srv.URL(), PrivKey: mk, ServerPubKey: keys.PublicKey,
		Dialer: tsdial.NewDialer(netmon.NewStatic()), Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	res, err = nc.Post(ctx, "/machine/register", nk.Public(), &tailcfg.RegisterRequest{
		Version: tailcfg.CurrentCapabilityVersion, NodeKey: nk.Public(),
		Hostinfo: &tailcfg.Hostinfo{Hostname: hostname, OS: "linux"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return mk, nk
}

// TestRejectRegistration rejects a pending login: it leaves the list and
// no device is created; rejecting it again is not found.
func TestRejectRegistration(t *testing.T) {
	e := newEnv(t)
	startLogin(t, e, "stranger")
	var list struct {
		Registrations []struct {
			ID string `json:"id"`
		} `json:"registrations"`
	}
	_, body := e.raw(t, "GET", "/api/v2/tailnet/-/registrations", "")
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Registrations) != 1 {
		t.Fatalf("registrations: got %s, %v; want one", body, err)
	}
	id := list.Registrations[0].ID
	if code, body := e.raw(t, "POST", "/api/v2/registrations/"+id+"/reject", ""); code != http.StatusOK {
		t.Fatalf("reject: got %d %s, want 200", code, body)
	}
	if _, body := e.raw(t, "GET", "/api/v2/tailnet/-/registrations", ""); body != `{"registrations":[]}`+"\n" {
		t.Errorf("registrations after reject: got %s, want none", body)
	}
	if _, body := e.raw(t, "GET", "/api/v2/tailnet/-/devices", ""); strings.Contains(body, "stranger") {
		t.Errorf("devices after reject: got %s, want no device stranger", body)
	}
	code, body := e.raw(t, "POST", "/api/v2/registrations/"+id+"/reject", "")
	if code != http.StatusNotFound || !strings.Contains(body, `"message":"no pending login`) {
		t.Errorf("reject again: got %d %s, want 404 no pending login", code, body)
	}
}
