package control

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"tailscale.com/net/stun"
	"tailscale.com/tailcfg"
)

func TestServeKey(t *testing.T) {
	ts := newTestServer(t)
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/key?v=142", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status: got %d, want 200", rec.Code)
	}
	var got tailcfg.OverTLSPublicKeyResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.PublicKey != ts.MachinePublicKey() {
		t.Errorf("public key: got %v, want %v", got.PublicKey, ts.MachinePublicKey())
	}
}

func TestKeepAlive(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.KeepAlive = 30 * time.Millisecond })
	rec, _ := ts.connect(t, ts.addDevice(t, "a"))
	if m := rec.next(t); !m.KeepAlive {
		t.Errorf("idle stream message: got %+v, want a keep-alive", m)
	}
}

func TestSTUN(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.STUNAddr = "127.0.0.1:0" })
	port := ts.stun.port()
	if got := ts.DERPMap().Regions[derpRegionID].Nodes[0].STUNPort; got != port {
		t.Errorf("DERP map STUN port: got %d, want %d", got, port)
	}
	c, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tx := stun.NewTxID()
	if _, err := c.Write(stun.Request(tx)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 1024)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("STUN reply: %v", err)
	}
	gotTx, addr, err := stun.ParseResponse(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	want := netip.MustParseAddrPort(c.LocalAddr().String())
	if gotTx != tx || addr != want {
		t.Errorf("STUN reply: got tx %x addr %v, want tx %x addr %v", gotTx, addr, tx, want)
	}
}
