package control

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"tailscale.com/types/key"

	"github.com/postern/postern"
)

// Keys of the device the fuzz seeds name, so that map requests reach a
// registered device: only public keys are needed, the Noise handshake
// being stood in for by the request context.
const (
	fuzzMachineKey = "mkey:1111111111111111111111111111111111111111111111111111111111111111"
	fuzzNodeKey    = "nodekey:2222222222222222222222222222222222222222222222222222222222222222"
)

// FuzzNoiseRequests feeds register (which=even) and map (which=odd)
// request bodies, as they arrive over Noise, to the server's handlers.
// No input may crash the server, get a 5xx or push the pending logins
// over their limit.
func FuzzNoiseRequests(f *testing.F) {
	var logs lastLog
	ts := newTestServer(f, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	d := ts.addDevice(f, "member")
	d.MachineKey, d.NodeKey = fuzzMachineKey, fuzzNodeKey
	if err := ts.st.UpdateDevice(context.Background(), &d); err != nil {
		f.Fatal(err)
	}
	var mk key.MachinePublic
	if err := mk.UnmarshalText([]byte(fuzzMachineKey)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := "/machine/register"
		if which%2 == 1 {
			path = "/machine/map"
		}
		// Map streams and register follow-ups wait; let them end soon.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		ctx = withPeer(ctx, &noisePeer{machine: mk, source: netip.AddrFrom4([4]byte{192, 0, 2, which})})
		r := httptest.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
		w := httptest.NewRecorder()
		ts.noiseMux.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Errorf("%s: got %d %q, want no server error; server log:\n%s", path, w.Code, w.Body.String(), logs.String())
		}
		if n := ts.pendingCount(); n > maxPending {
			t.Errorf("pending logins: got %d, want at most %d", n, maxPending)
		}
		got, err := ts.st.Device(context.Background(), d.ID)
		if err != nil && !postern.IsNotFound(err) {
			t.Fatal(err)
		}
		if len(got.Hostinfo) > 64<<10 {
			t.Errorf("stored Hostinfo: got %d bytes, want at most 64 KiB", len(got.Hostinfo))
		}
	})
}

// lastLog keeps the last few KiB a logger wrote.
type lastLog struct {
	mu  sync.Mutex
	buf []byte
}

func (l *lastLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	if len(l.buf) > 8<<10 {
		l.buf = l.buf[len(l.buf)-4<<10:]
	}
	return len(p), nil
}

func (l *lastLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}
