package api_test

import (
	"context"
	"encoding/json"
	"net/http"
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
		Hostinfo: &tailcfg.Hostinfo{Hostname: "impostor", OS: "linux"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

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
