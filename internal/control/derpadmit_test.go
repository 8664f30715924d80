package control

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"tailscale.com/derp/derphttp"
	"tailscale.com/net/netmon"
	"tailscale.com/types/key"

	"github.com/postern/postern"
)

// derpClient is a client of the embedded relay at url as node key nk.
func derpClient(t *testing.T, url string, nk key.NodePrivate) *derphttp.Client {
	t.Helper()
	c, err := derphttp.NewClient(nk, url+"/derp", t.Logf, netmon.NewStatic())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// derpPing connects c, reads from it in the background (which handles
// pongs) and pings the relay: nil means the relay served the client.
func derpPing(c *derphttp.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		return err
	}
	go func() {
		for {
			if _, err := c.Recv(); err != nil {
				return
			}
		}
	}()
	return c.Ping(ctx)
}

// deviceWithKey stores a device called name holding node key nk.
func (ts *testServer) deviceWithKey(t *testing.T, name string, nk key.NodePrivate, edit func(*postern.Device)) postern.Device {
	t.Helper()
	d := ts.addDevice(t, name)
	d.NodeKey = nk.Public().String()
	if edit != nil {
		edit(&d)
	}
	if err := ts.st.UpdateDevice(context.Background(), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDERPAdmission(t *testing.T) {
	ts := newTestServer(t)
	hs := httptest.NewServer(ts.Handler())
	defer hs.Close()

	known := key.NewNode()
	d := ts.deviceWithKey(t, "known", known, nil)
	unauthorized := key.NewNode()
	ts.deviceWithKey(t, "unauthorized", unauthorized, func(d *postern.Device) { d.Authorized = false })
	expired := key.NewNode()
	ts.deviceWithKey(t, "expired", expired, func(d *postern.Device) { d.KeyExpiry = time.Now().Add(-time.Minute) })

	for _, tc := range []struct {
		name string
		key  key.NodePrivate
		ok   bool
	}{
		{"current device", known, true},
		{"unknown node key", key.NewNode(), false},
		{"unauthorized device", unauthorized, false},
		{"expired node key", expired, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := derpClient(t, hs.URL, tc.key)
			err := derpPing(c)
			c.Close()
			if (err == nil) != tc.ok {
				t.Errorf("relay ping: got err %v, want admitted %v", err, tc.ok)
			}
		})
	}
	ts.mu.Lock()
	n := len(ts.derpConns)
	ts.mu.Unlock()
	if n != 0 {
		t.Errorf("relay connections after clients closed: got %d, want 0", n)
	}

	t.Run("deleted device is disconnected", func(t *testing.T) {
		c := derpClient(t, hs.URL, known)
		if err := derpPing(c); err != nil {
			t.Fatalf("ping before deletion: %v", err)
		}
		ctx := context.Background()
		if err := ts.st.DeleteDevice(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		ts.recheckDERP(ctx)
		ts.mu.Lock()
		n := len(ts.derpConns)
		ts.mu.Unlock()
		deadline := time.Now().Add(3 * time.Second)
		for n != 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			ts.mu.Lock()
			n = len(ts.derpConns)
			ts.mu.Unlock()
		}
		if n != 0 {
			t.Errorf("relay connections after the device was deleted: got %d, want 0", n)
		}
	})
}
