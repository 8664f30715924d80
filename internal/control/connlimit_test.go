package control

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"tailscale.com/control/ts2021"
	"tailscale.com/net/netmon"
	"tailscale.com/net/tsdial"
	"tailscale.com/tailcfg"
	"tailscale.com/types/key"
)

// noiseClient opens a Noise connection to the server at url as machine mk.
func (ts *testServer) noiseClient(t *testing.T, url string, mk key.MachinePrivate) *ts2021.Client {
	t.Helper()
	nc, err := ts2021.NewClient(ts2021.ClientOpts{
		ServerURL: url, PrivKey: mk, ServerPubKey: ts.MachinePublicKey(),
		Dialer: tsdial.NewDialer(netmon.NewStatic()), Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

// unregistered is how many unregistered Noise connections a counts.
func (ts *testServer) unregistered(a string) int {
	ts.conns.mu.Lock()
	defer ts.conns.mu.Unlock()
	return ts.conns.unregistered[addrGroup(netip.MustParseAddr(a))]
}

func TestNoiseUpgradeRefusedOverUnregisteredLimit(t *testing.T) {
	ts := newTestServer(t)
	for range maxUnregisteredConns {
		if _, ok := ts.conns.open(netip.MustParseAddr("192.0.2.5")); !ok {
			t.Fatal("connection under the limit refused")
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/ts2021", nil)
	r.RemoteAddr = "192.0.2.5:4000"
	w := httptest.NewRecorder()
	ts.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "too many connections from your address") {
		t.Errorf("upgrade over the limit: got %d %q, want 429 'too many connections from your address'", w.Code, w.Body.String())
	}
	if got := ts.unregistered("192.0.2.5"); got != maxUnregisteredConns {
		t.Errorf("counted connections: got %d, want %d", got, maxUnregisteredConns)
	}
}

func TestNoiseConnectionStopsCountingOnceRegistered(t *testing.T) {
	ts := newTestServer(t)
	hs := httptest.NewServer(ts.Handler())
	defer hs.Close()
	mk, nk := key.NewMachine(), key.NewNode()
	d := ts.addDevice(t, "member")
	d.MachineKey, d.NodeKey = mk.Public().String(), nk.Public().String()
	if err := ts.st.UpdateDevice(context.Background(), &d); err != nil {
		t.Fatal(err)
	}
	nc := ts.noiseClient(t, hs.URL, mk)
	ctx := context.Background()
	res, err := nc.Post(ctx, "/machine/set-dns", nk.Public(), struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := ts.unregistered("127.0.0.1"); got != 1 {
		t.Errorf("unregistered connections before a map request: got %d, want 1", got)
	}
	res, err = nc.Post(ctx, "/machine/map", nk.Public(), &tailcfg.MapRequest{
		Version: tailcfg.CurrentCapabilityVersion, NodeKey: nk.Public(), OmitPeers: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := ts.unregistered("127.0.0.1"); got != 0 {
		t.Errorf("unregistered connections after the device's map request: got %d, want 0", got)
	}
}

func TestNoiseStreamsPerConnectionLimited(t *testing.T) {
	ts := newTestServer(t)
	hs := httptest.NewServer(ts.Handler())
	defer hs.Close()
	mk, nk := key.NewMachine(), key.NewNode()
	nc := ts.noiseClient(t, hs.URL, mk)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := nc.Post(ctx, "/machine/register", nk.Public(), regReq(nk.Public(), ""))
	if err != nil {
		t.Fatal(err)
	}
	var rr tailcfg.RegisterResponse
	if err := jsonBody(res, &rr); err != nil || rr.AuthURL == "" {
		t.Fatalf("register: got %+v, %v; want a login URL", rr, err)
	}
	// Fill every stream with a follow-up that waits for approval.
	done := make(chan struct{}, maxStreamsPerConn)
	for range maxStreamsPerConn {
		go func() {
			req := regReq(nk.Public(), "")
			req.Followup = rr.AuthURL
			if res, err := nc.Post(ctx, "/machine/register", nk.Public(), req); err == nil {
				res.Body.Close()
			}
			done <- struct{}{}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	// A client whose connection is full opens another, which the server
	// sees as a second connection.
	res, err = nc.Post(ctx, "/machine/set-dns", nk.Public(), struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := ts.unregistered("127.0.0.1"); got != 2 {
		t.Errorf("connections after %d streams plus one request: got %d, want 2 (streams per connection capped)", maxStreamsPerConn, got)
	}
}

// jsonBody decodes res's JSON body into v and closes it.
func jsonBody(res *http.Response, v any) error {
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(v)
}
