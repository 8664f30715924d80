package tailnet_test

import (
	"context"
	"testing"
	"time"

	"github.com/postern/postern"
)

func TestSetKeyExpiryDisabled(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 1)
	id := f.devs[0].ID
	if _, err := f.svc.UpdateSettings(ctx, ac, f.tn.ID, func(s *postern.TailnetSettings) error {
		s.DevicesKeyDurationDays = 30
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	t.Run("disable clears the expiry", func(t *testing.T) {
		d, err := f.svc.SetKeyExpiryDisabled(ctx, ac, f.tn.ID, id, true)
		if err != nil {
			t.Fatal(err)
		}
		if !d.KeyExpiryDisabled || !d.KeyExpiry.IsZero() {
			t.Errorf("got disabled %v, expiry %v; want true, zero", d.KeyExpiryDisabled, d.KeyExpiry)
		}
		if c := f.lastChange(); len(c.DevicesUpdated) != 1 || c.DevicesUpdated[0] != id {
			t.Errorf("got change %+v, want device %d updated", c, id)
		}
		if got := f.events(t, "NODE.DISABLE.KEY_EXPIRY_TIME"); got != 1 {
			t.Errorf("NODE.DISABLE.KEY_EXPIRY_TIME events: got %d, want 1", got)
		}
	})
	t.Run("enable sets now plus the tailnet's key duration", func(t *testing.T) {
		d, err := f.svc.SetKeyExpiryDisabled(ctx, ac, f.tn.ID, id, false)
		if err != nil {
			t.Fatal(err)
		}
		want := f.now.Add(30 * 24 * time.Hour)
		if d.KeyExpiryDisabled || !d.KeyExpiry.Equal(want) {
			t.Errorf("got disabled %v, expiry %v; want false, %v", d.KeyExpiryDisabled, d.KeyExpiry, want)
		}
		stored, err := f.st.Device(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if stored.KeyExpiryDisabled || !stored.KeyExpiry.Equal(want) {
			t.Errorf("stored: got disabled %v, expiry %v; want false, %v", stored.KeyExpiryDisabled, stored.KeyExpiry, want)
		}
		if got := f.events(t, "NODE.ENABLE.KEY_EXPIRY_TIME"); got != 1 {
			t.Errorf("NODE.ENABLE.KEY_EXPIRY_TIME events: got %d, want 1", got)
		}
	})
	t.Run("enabling again keeps the expiry and writes nothing", func(t *testing.T) {
		f.now = f.now.Add(time.Hour)
		n := len(f.changes)
		d, err := f.svc.SetKeyExpiryDisabled(ctx, ac, f.tn.ID, id, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := f.now.Add(-time.Hour).Add(30 * 24 * time.Hour); !d.KeyExpiry.Equal(want) {
			t.Errorf("got expiry %v, want unchanged %v", d.KeyExpiry, want)
		}
		if got := f.events(t, "NODE.ENABLE.KEY_EXPIRY_TIME"); got != 1 {
			t.Errorf("NODE.ENABLE.KEY_EXPIRY_TIME events: got %d, want still 1", got)
		}
		if got := len(f.changes) - n; got != 0 {
			t.Errorf("changes emitted: got %d, want 0", got)
		}
	})
	t.Run("device of another tailnet is not found", func(t *testing.T) {
		_, err := f.svc.SetKeyExpiryDisabled(ctx, ac, "other", id, true)
		if !postern.IsNotFound(err) {
			t.Fatalf("got %v, want not found", err)
		}
		stored, _ := f.st.Device(ctx, id)
		if stored.KeyExpiryDisabled {
			t.Error("stored device changed by a refused request")
		}
	})
}
