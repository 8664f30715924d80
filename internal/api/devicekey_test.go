package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tsclient "tailscale.com/client/tailscale/v2"

	"github.com/postern/postern"
)

func TestDeviceKeyExpiry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st := e.srv.Service().Store()
	if _, err := e.srv.Service().UpdateSettings(ctx, cli, e.srv.Tailnet().ID, func(s *postern.TailnetSettings) error {
		s.DevicesKeyDurationDays = 7
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	stored := func() postern.Device {
		t.Helper()
		d, err := st.Device(ctx, e.devA.ID)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	t.Run("disable with the official client", func(t *testing.T) {
		if err := e.client.Devices().SetKey(ctx, e.devA.NodeID, tsclient.DeviceKey{KeyExpiryDisabled: true}); err != nil {
			t.Fatalf("SetKey: %v", err)
		}
		d, err := e.client.Devices().Get(ctx, e.devA.NodeID)
		if err != nil {
			t.Fatal(err)
		}
		if !d.KeyExpiryDisabled || !d.Expires.IsZero() {
			t.Errorf("got keyExpiryDisabled %v, expires %v; want true, none", d.KeyExpiryDisabled, d.Expires)
		}
	})
	t.Run("enable sets the tailnet's key duration from now", func(t *testing.T) {
		before := time.Now()
		if err := e.client.Devices().SetKey(ctx, e.devA.NodeID, tsclient.DeviceKey{KeyExpiryDisabled: false}); err != nil {
			t.Fatalf("SetKey: %v", err)
		}
		d, err := e.client.Devices().Get(ctx, e.devA.NodeID)
		if err != nil {
			t.Fatal(err)
		}
		want := before.Add(7 * 24 * time.Hour)
		if d.KeyExpiryDisabled || d.Expires.Time.Before(want.Add(-time.Second)) || d.Expires.Time.After(want.Add(time.Minute)) {
			t.Errorf("got keyExpiryDisabled %v, expires %v; want false, about %v", d.KeyExpiryDisabled, d.Expires, want)
		}
	})
	t.Run("refused bodies change nothing", func(t *testing.T) {
		want := stored()
		path := "/api/v2/device/" + e.devA.NodeID + "/key"
		for _, tc := range []struct {
			name, body, msg string
		}{
			{"unknown field", `{"keyExpiryDisabled":true,"expiry":5}`, `unknown field \"expiry\"`},
			{"missing field", `{}`, `missing field \"keyExpiryDisabled\"`},
			{"null", `{"keyExpiryDisabled":null}`, `missing field \"keyExpiryDisabled\"`},
			{"wrong type", `{"keyExpiryDisabled":"yes"}`, "keyExpiryDisabled"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, body := e.raw(t, "POST", path, tc.body)
				if code != 400 || !strings.Contains(body, tc.msg) || !strings.HasPrefix(body, `{"message":`) {
					t.Errorf("got %d %s, want 400 {\"message\": ...%s...}", code, body, tc.msg)
				}
				got := stored()
				if got.KeyExpiryDisabled != want.KeyExpiryDisabled || !got.KeyExpiry.Equal(want.KeyExpiry) {
					t.Errorf("stored after refusal: disabled %v, expiry %v; want %v, %v", got.KeyExpiryDisabled, got.KeyExpiry, want.KeyExpiryDisabled, want.KeyExpiry)
				}
			})
		}
		if code, body := e.raw(t, "POST", "/api/v2/device/nNOPE/key", `{"keyExpiryDisabled":true}`); code != 404 {
			t.Errorf("unknown device: got %d %s, want 404", code, body)
		}
	})
	t.Run("audited", func(t *testing.T) {
		for _, ev := range []string{"NODE.DISABLE.KEY_EXPIRY_TIME", "NODE.ENABLE.KEY_EXPIRY_TIME"} {
			evs, err := st.AuditEvents(ctx, postern.AuditFilter{TailnetID: e.srv.Tailnet().ID, Event: ev})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 {
				t.Errorf("%s events: got %d, want 1", ev, len(evs))
			}
		}
	})
}
