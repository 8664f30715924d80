package tailnet

import (
	"context"
	"fmt"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/store"
)

// DefaultKeyDurationDays is how long a node key lasts when the tailnet
// has no devicesKeyDurationDays setting: Tailscale's 180 days.
const DefaultKeyDurationDays = 180

// KeyDuration is how long a node key issued in a tailnet with settings s
// lasts.
func KeyDuration(s postern.TailnetSettings) time.Duration {
	days := s.DevicesKeyDurationDays
	if days <= 0 {
		days = DefaultKeyDurationDays
	}
	return time.Duration(days) * 24 * time.Hour
}

// SetKeyExpiryDisabled turns a device's node key expiry off (its key
// never expires) or back on (it expires the tailnet's key duration from
// now), as Tailscale's POST /device/{id}/key does. Asking for the state
// the device is already in changes and audits nothing.
func (s *Service) SetKeyExpiryDisabled(ctx context.Context, ac audit.Context, tailnetID string, id int64, disabled bool) (postern.Device, error) {
	var d postern.Device
	changed := false
	err := s.store.InTx(ctx, func(q store.Queries) error {
		var err error
		d, err = q.Device(ctx, id)
		if err != nil {
			return err
		}
		if d.TailnetID != tailnetID {
			return postern.ErrNotFound
		}
		if d.KeyExpiryDisabled == disabled {
			return nil
		}
		tn, err := q.Tailnet(ctx, tailnetID)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		old := d.KeyExpiry
		action := "DISABLE"
		d.KeyExpiryDisabled = disabled
		d.KeyExpiry = time.Time{}
		if !disabled {
			action = "ENABLE"
			d.KeyExpiry = now.Add(KeyDuration(tn.Settings))
		}
		if err := q.UpdateDevice(ctx, &d); err != nil {
			return err
		}
		changed = true
		ev := ac.Event(now, tailnetID, audit.NodeTarget(d, "KEY_EXPIRY_TIME"), action, expiryText(old), expiryText(d.KeyExpiry))
		return q.AppendAudit(ctx, &ev)
	})
	if err != nil {
		return d, fmt.Errorf("setting key expiry of device %d: %w", id, err)
	}
	if changed {
		s.emit(Change{TailnetID: tailnetID, DevicesUpdated: []int64{id}})
	}
	return d, nil
}

// expiryText is an expiry as an audit event shows it: RFC 3339, or
// empty for none.
func expiryText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
