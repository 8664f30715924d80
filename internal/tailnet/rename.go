package tailnet

import (
	"context"
	"fmt"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/store"
)

// MaxDeviceName is the longest device name: one DNS label.
const MaxDeviceName = 63

// CheckDeviceName checks name as Tailscale's rename does: one DNS label
// of lower-case letters, digits and '-', not starting or ending with '-'.
func CheckDeviceName(name string) error {
	valid := name != "" && len(name) <= MaxDeviceName && name[0] != '-' && name[len(name)-1] != '-'
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			valid = false
		}
	}
	if !valid {
		return postern.Errorf(postern.EINVALID, "name %q must be one DNS label: 1 to %d lower-case letters, digits or '-', not starting or ending with '-'", name, MaxDeviceName)
	}
	return nil
}

// RenameDevice gives a device a new name, a DNS label no other device
// of the tailnet has, audited as NODE.UPDATE.NAME; peers see it in their
// next network map. Upper-case letters are lowered and surrounding
// spaces dropped. Renaming to the current name changes nothing.
func (s *Service) RenameDevice(ctx context.Context, ac audit.Context, tailnetID string, id int64, name string) (postern.Device, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if err := CheckDeviceName(name); err != nil {
		return postern.Device{}, err
	}
	var d postern.Device
	changed := false
	err := s.store.InTx(ctx, func(q store.Queries) error {
		var err error
		if d, err = q.Device(ctx, id); err != nil {
			return err
		}
		if d.TailnetID != tailnetID {
			return postern.ErrNotFound
		}
		if d.Name == name {
			return nil
		}
		devs, err := q.Devices(ctx, tailnetID)
		if err != nil {
			return err
		}
		for _, o := range devs {
			if o.ID != id && o.Name == name {
				return postern.Errorf(postern.ECONFLICT, "another device is already named %q", name)
			}
		}
		old := d.Name
		d.Name = name
		if err := q.UpdateDevice(ctx, &d); err != nil {
			return err
		}
		changed = true
		ev := ac.Event(s.now(), tailnetID, audit.NodeTarget(d, "NAME"), "UPDATE", old, name)
		return q.AppendAudit(ctx, &ev)
	})
	if err != nil {
		return d, fmt.Errorf("renaming device %d: %w", id, err)
	}
	if changed {
		s.emit(Change{TailnetID: tailnetID, DevicesUpdated: []int64{id}})
	}
	return d, nil
}
