package tailnet

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/providers"
	"github.com/postern/postern/internal/store"
)

// updateDevice reads a device of the tailnet, lets fn change it, stores
// it with an audit event for property, and emits the change.
func (s *Service) updateDevice(ctx context.Context, ac audit.Context, tailnetID string, id int64, property, action string, fn func(d *postern.Device) (old, new any, err error)) (postern.Device, error) {
	var d postern.Device
	err := s.store.InTx(ctx, func(q store.Queries) error {
		var err error
		d, err = q.Device(ctx, id)
		if err != nil {
			return err
		}
		if d.TailnetID != tailnetID {
			return postern.ErrNotFound
		}
		old, new, err := fn(&d)
		if err != nil {
			return err
		}
		if err := q.UpdateDevice(ctx, &d); err != nil {
			return err
		}
		ev := ac.Event(s.now(), tailnetID, audit.NodeTarget(d, property), action, old, new)
		return q.AppendAudit(ctx, &ev)
	})
	if err != nil {
		return d, fmt.Errorf("updating device %d: %w", id, err)
	}
	s.emit(Change{TailnetID: tailnetID, DevicesUpdated: []int64{id}})
	return d, nil
}

// AuthorizeDevice sets whether a device may use the tailnet.
func (s *Service) AuthorizeDevice(ctx context.Context, ac audit.Context, tailnetID string, id int64, authorized bool) (postern.Device, error) {
	action := "APPROVE"
	if !authorized {
		action = "REVOKE"
	}
	return s.updateDevice(ctx, ac, tailnetID, id, "AUTHORIZATION", action, func(d *postern.Device) (any, any, error) {
		old := d.Authorized
		d.Authorized = authorized
		return old, authorized, nil
	})
}

// SetDeviceTags replaces a device's tags, as an admin: every tag must be
// well formed (see CheckTagSyntax) and defined in the policy in force's
// tagOwners, the rule a device joining with an admin's key meets. An
// empty list removes every tag.
func (s *Service) SetDeviceTags(ctx context.Context, ac audit.Context, tailnetID string, id int64, tags []string) (postern.Device, error) {
	if err := CheckTagSyntax(tags); err != nil {
		return postern.Device{}, err
	}
	tags = slices.Clone(tags)
	slices.Sort(tags)
	tags = slices.Compact(tags)
	cur, err := CurrentPolicy(ctx, s.store, tailnetID)
	if err != nil {
		return postern.Device{}, err
	}
	p, err := policy.Parse([]byte(cur.Text), providers.Catalog().Lenient())
	if err != nil {
		return postern.Device{}, fmt.Errorf("parsing the policy in force: %w", err)
	}
	var undefined []string
	for _, t := range tags {
		if _, ok := p.TagOwners[t]; !ok {
			undefined = append(undefined, t)
		}
	}
	if len(undefined) > 0 {
		return postern.Device{}, postern.Errorf(postern.EINVALID, "tags %s are not defined in the policy's tagOwners", strings.Join(undefined, ", "))
	}
	return s.updateDevice(ctx, ac, tailnetID, id, "ACL_TAGS", "UPDATE", func(d *postern.Device) (any, any, error) {
		old := d.Tags
		d.Tags = tags
		return old, tags, nil
	})
}

// Bounds on tags, which travel in every peer's network map.
const (
	MaxTags      = 64  // per device or auth key
	MaxTagLength = 128 // characters, "tag:" included
)

// CheckTagSyntax checks tags as Tailscale writes them: "tag:" then a
// letter, then letters, digits, '-' or '_', at most MaxTagLength
// characters, and at most MaxTags of them.
func CheckTagSyntax(tags []string) error {
	if len(tags) > MaxTags {
		return postern.Errorf(postern.EINVALID, "%d tags is more than the %d allowed", len(tags), MaxTags)
	}
	for _, t := range tags {
		if len(t) > MaxTagLength {
			return postern.Errorf(postern.EINVALID, "tag %.20q... is longer than %d characters", t, MaxTagLength)
		}
		name, ok := strings.CutPrefix(t, "tag:")
		valid := ok && name != ""
		for i, c := range name {
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_'):
			default:
				valid = false
			}
		}
		if !valid {
			return postern.Errorf(postern.EINVALID, "tag %q must be tag: followed by a letter, then letters, digits, '-' or '_'", t)
		}
	}
	return nil
}

// ExpireDeviceKey expires a device's node key now, so it must log in again.
func (s *Service) ExpireDeviceKey(ctx context.Context, ac audit.Context, tailnetID string, id int64) (postern.Device, error) {
	return s.updateDevice(ctx, ac, tailnetID, id, "KEY_EXPIRY_TIME", "UPDATE", func(d *postern.Device) (any, any, error) {
		old := d.KeyExpiry
		d.KeyExpiry = s.now().UTC()
		d.KeyExpiryDisabled = false
		return old, d.KeyExpiry, nil
	})
}

// DeleteDevice removes a device and its attributes.
func (s *Service) DeleteDevice(ctx context.Context, ac audit.Context, tailnetID string, id int64) error {
	err := s.store.InTx(ctx, func(q store.Queries) error {
		d, err := q.Device(ctx, id)
		if err != nil {
			return err
		}
		if d.TailnetID != tailnetID {
			return postern.ErrNotFound
		}
		if err := q.DeleteDevice(ctx, id); err != nil {
			return err
		}
		ev := ac.Event(s.now(), tailnetID, audit.NodeTarget(d, ""), "DELETE", map[string]any{"name": d.Name, "addresses": d.Addresses()}, nil)
		return q.AppendAudit(ctx, &ev)
	})
	if err != nil {
		return fmt.Errorf("deleting device %d: %w", id, err)
	}
	s.emit(Change{TailnetID: tailnetID, DevicesRemoved: []int64{id}})
	return nil
}

// UpdateSettings applies fn to the tailnet's settings, validates them and
// audits each switch that changed. An error from fn changes nothing.
func (s *Service) UpdateSettings(ctx context.Context, ac audit.Context, tailnetID string, fn func(*postern.TailnetSettings) error) (postern.TailnetSettings, error) {
	var next postern.TailnetSettings
	err := s.store.InTx(ctx, func(q store.Queries) error {
		t, err := q.Tailnet(ctx, tailnetID)
		if err != nil {
			return err
		}
		old := t.Settings
		next = old
		if err := fn(&next); err != nil {
			return err
		}
		if next.DevicesKeyDurationDays < 1 || next.DevicesKeyDurationDays > 180 {
			return postern.Errorf(postern.EINVALID, "devicesKeyDurationDays must be between 1 and 180, got %d", next.DevicesKeyDurationDays)
		}
		switch next.UsersRoleAllowedToJoinExternalTailnets {
		case "none", "admin", "member":
		default:
			return postern.Errorf(postern.EINVALID, "usersRoleAllowedToJoinExternalTailnets must be none, admin or member, got %q", next.UsersRoleAllowedToJoinExternalTailnets)
		}
		if err := q.UpdateTailnetSettings(ctx, tailnetID, next); err != nil {
			return err
		}
		now := s.now()
		if old.PostureIdentityCollectionOn != next.PostureIdentityCollectionOn {
			action := "DISABLE"
			if next.PostureIdentityCollectionOn {
				action = "ENABLE"
			}
			ev := ac.Event(now, tailnetID, audit.TailnetTarget(t, "COLLECT_POSTURE_IDENTITY"), action, old.PostureIdentityCollectionOn, next.PostureIdentityCollectionOn)
			if err := q.AppendAudit(ctx, &ev); err != nil {
				return err
			}
		}
		if old != next {
			ev := ac.Event(now, tailnetID, audit.TailnetTarget(t, "SETTINGS"), "UPDATE", old, next)
			return q.AppendAudit(ctx, &ev)
		}
		return nil
	})
	if err != nil {
		return next, fmt.Errorf("updating tailnet settings: %w", err)
	}
	s.emit(Change{TailnetID: tailnetID, Settings: true})
	return next, nil
}
