package tailnet

import (
	"context"
	"fmt"
	"slices"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/store"
)

// NodeFacts are what a connected client reports about itself. Nothing
// here feeds the policy, so storing facts emits no Change: Hostinfo churn
// must never recompile policy. The control server tells the device's
// peers itself.
type NodeFacts struct {
	// DiscoKey, if not empty, replaces the device's disco key.
	DiscoKey string
	// Hostinfo, if not nil, replaces the stored Hostinfo JSON and the
	// facts taken from it.
	Hostinfo                               []byte
	Hostname, OS, OSVersion, ClientVersion string
}

// UpdateNodeFacts stores what device id's client reported.
func (s *Service) UpdateNodeFacts(ctx context.Context, id int64, f NodeFacts) (postern.Device, error) {
	d, err := s.modifyNode(ctx, id, func(_ store.Queries, d *postern.Device) (bool, error) {
		if f.DiscoKey != "" {
			d.DiscoKey = f.DiscoKey
		}
		if f.Hostinfo != nil {
			d.Hostinfo, d.Hostname, d.OS, d.OSVersion, d.ClientVersion = f.Hostinfo, f.Hostname, f.OS, f.OSVersion, f.ClientVersion
		}
		return true, nil
	})
	if err != nil {
		return d, fmt.Errorf("storing what device %d reported: %w", id, err)
	}
	return d, nil
}

// SetPostureIdentity stores the serial numbers and hardware addresses
// device id's client reported, auditing NODE.UPDATE.POSTURE_IDENTITY (as
// the node) when they changed or were never collected before. changed
// reports whether it did. The identity is matched against vendors' records
// by a sync, whose attributes are what the policy sees, so nothing is
// emitted here.
func (s *Service) SetPostureIdentity(ctx context.Context, id int64, pi postern.PostureIdentity) (changed bool, err error) {
	_, err = s.modifyNode(ctx, id, func(q store.Queries, d *postern.Device) (bool, error) {
		old := d.PostureIdentity
		changed = !sameIdentity(old, pi) || old.Updated.IsZero()
		d.PostureIdentity = pi
		if !changed {
			return true, nil
		}
		c := audit.Context{Origin: audit.OriginNode, Actor: audit.Node(*d)}
		ev := c.Event(s.now(), d.TailnetID, audit.NodeTarget(*d, "POSTURE_IDENTITY"), "UPDATE", identityJSON(old), identityJSON(pi))
		return true, q.AppendAudit(ctx, &ev)
	})
	if err != nil {
		return false, fmt.Errorf("storing the posture identity of device %d: %w", id, err)
	}
	return changed, nil
}

func sameIdentity(a, b postern.PostureIdentity) bool {
	return a.Disabled == b.Disabled && slices.Equal(a.SerialNumbers, b.SerialNumbers) &&
		slices.Equal(a.HardwareAddrs, b.HardwareAddrs)
}

// identityJSON is the audit form of a posture identity, in the API's
// field names.
func identityJSON(pi postern.PostureIdentity) any {
	if pi.Updated.IsZero() {
		return nil
	}
	return map[string]any{
		"serialNumbers": pi.SerialNumbers,
		"hardwareAddrs": pi.HardwareAddrs,
		"disabled":      pi.Disabled,
	}
}
