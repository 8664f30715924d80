package tailnet_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tailnet"
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

func TestKeyDurationSetting(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 0)
	set := func(days int) error {
		_, err := f.svc.UpdateSettings(ctx, ac, f.tn.ID, func(s *postern.TailnetSettings) error {
			s.DevicesKeyDurationDays = days
			return nil
		})
		return err
	}
	stored := func() int {
		tn, err := f.st.Tailnet(ctx, f.tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		return tn.Settings.DevicesKeyDurationDays
	}
	if got := stored(); got != tailnet.DefaultKeyDurationDays {
		t.Errorf("new tailnet: got %d days, want %d", got, tailnet.DefaultKeyDurationDays)
	}
	for _, days := range []int{1, 180} {
		if err := set(days); err != nil || stored() != days {
			t.Errorf("%d days: got %v, stored %d; want accepted", days, err, stored())
		}
	}
	for _, days := range []int{0, -1, 181} {
		err := set(days)
		if postern.ErrorCode(err) != postern.EINVALID || !strings.Contains(postern.ErrorMessage(err), "devicesKeyDurationDays must be between 1 and 180") {
			t.Errorf("%d days: got %v, want invalid 'must be between 1 and 180'", days, err)
		}
		if got := stored(); got != 180 {
			t.Errorf("%d days refused: stored %d, want 180 unchanged", days, got)
		}
	}
	if got := tailnet.KeyDuration(postern.TailnetSettings{}); got != 180*24*time.Hour {
		t.Errorf("KeyDuration with no setting: got %v, want 180 days", got)
	}
}
