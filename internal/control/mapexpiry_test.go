package control

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/types/key"
)

// noiseRequest runs one request over the Noise mux as machine mk from
// 192.0.2.1, with body encoded as JSON.
func (ts *testServer) noiseRequest(ctx context.Context, mk key.MachinePublic, path string, body any) *httptest.ResponseRecorder {
	b, _ := json.Marshal(body)
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(b))
	r = r.WithContext(withPeer(ctx, &noisePeer{machine: mk, source: netip.MustParseAddr("192.0.2.1")}))
	w := httptest.NewRecorder()
	ts.noiseMux.ServeHTTP(w, r)
	return w
}

func TestMapRefusedForExpiredKey(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	peer := ts.addDevice(t, "peer")
	d := ts.addDevice(t, "expired")
	d.KeyExpiry = time.Now().Add(-time.Minute)
	if err := ts.st.UpdateDevice(ctx, &d); err != nil {
		t.Fatal(err)
	}
	ts.pol.mu.Lock()
	ts.pol.peers[d.ID] = []int64{peer.ID}
	ts.pol.mu.Unlock()
	var mk key.MachinePublic
	mk.UnmarshalText([]byte(d.MachineKey))
	for _, stream := range []bool{false, true} {
		req := &tailcfg.MapRequest{
			Version: tailcfg.CurrentCapabilityVersion, NodeKey: nodeKeyOf(d.NodeKey), Stream: stream,
			Hostinfo: &tailcfg.Hostinfo{Hostname: "renamed", OS: "linux"},
		}
		w := ts.noiseRequest(ctx, mk, "/machine/map", req)
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "node key expired") {
			t.Errorf("stream=%v: got %d %q, want 401 'node key expired'", stream, w.Code, w.Body.String())
		}
		if strings.Contains(w.Body.String(), peer.NodeKey) {
			t.Errorf("stream=%v: refusal carries the peer's key", stream)
		}
	}
	got, err := ts.st.Device(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hostname != "expired" || got.Hostinfo != nil || !got.LastSeen.IsZero() {
		t.Errorf("stored device after refused polls: hostname %q, hostinfo %q, last seen %v; want unchanged", got.Hostname, got.Hostinfo, got.LastSeen)
	}
	if ts.Online(d.ID) {
		t.Error("expired device is online, want no session")
	}
}

func TestStreamEndsWhenKeyExpires(t *testing.T) {
	ts := newTestServer(t)
	d := ts.addDevice(t, "soon")
	d.KeyExpiry = time.Now().Add(300 * time.Millisecond)
	if err := ts.st.UpdateDevice(context.Background(), &d); err != nil {
		t.Fatal(err)
	}
	ts.connect(t, d)
	if !ts.Online(d.ID) {
		t.Fatal("device not online after connecting")
	}
	deadline := time.Now().Add(3 * time.Second)
	for ts.Online(d.ID) {
		if time.Now().After(deadline) {
			t.Fatal("session still open 3s after the node key expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
