package tailnet

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/store"
)

// The methods in this file are the device writes the control server
// makes on behalf of clients. What a register request means (which tags,
// which user, whether it needs approval) is the control server's call;
// these only persist its decision with its audit events and say what
// changed, so that devices have one writer.

// NodeRegistration is what the control server decided about a machine
// that registers, with an auth key or an approved interactive login.
type NodeRegistration struct {
	TailnetID  string
	MachineKey string // identifies the machine's device on re-login
	NodeKey    string
	// Name is the DNS label wanted for a new device; a free variant
	// ("laptop-1") is taken if it is in use. Re-login keeps the name.
	Name string
	// Hostinfo is the stored Hostinfo JSON; nil keeps what a re-login
	// device has. The other facts come from it.
	Hostinfo                               []byte
	Hostname, OS, OSVersion, ClientVersion string

	UserID    string
	Tags      []string
	Ephemeral bool
	// Authorized admits the device; a re-login never revokes a device
	// that was already authorized.
	Authorized        bool
	KeyExpiry         time.Time
	KeyExpiryDisabled bool

	// AuthKeyID, if set, is the auth key the machine joins with. Its use
	// is counted in the transaction that creates the device, which fails
	// with EUNAUTHORIZED if the key is no longer usable, so a single-use
	// key is never spent twice.
	AuthKeyID string
}

// RegisterNode creates the device of a registering machine, or updates
// the machine's device in the tailnet on re-login, and audits NODE.CREATE
// or NODE.UPDATE as ac. created reports which.
func (s *Service) RegisterNode(ctx context.Context, ac audit.Context, r NodeRegistration) (d postern.Device, created bool, err error) {
	now := s.now()
	err = s.store.InTx(ctx, func(q store.Queries) error {
		created = false // the transaction may be retried
		if r.AuthKeyID != "" {
			if err := spendAuthKey(ctx, q, r.AuthKeyID, now); err != nil {
				return err
			}
		}
		var err error
		d, err = q.DeviceByMachineKey(ctx, r.TailnetID, r.MachineKey)
		switch {
		case err == nil:
			d.UserID = r.UserID
			d.NodeKey = r.NodeKey
			d.Tags = slices.Clone(r.Tags)
			d.Ephemeral = r.Ephemeral
			d.Authorized = d.Authorized || r.Authorized
			d.KeyExpiry, d.KeyExpiryDisabled = r.KeyExpiry, r.KeyExpiryDisabled
			if r.Hostinfo != nil {
				d.Hostname, d.OS, d.OSVersion, d.ClientVersion, d.Hostinfo = r.Hostname, r.OS, r.OSVersion, r.ClientVersion, r.Hostinfo
			}
			if err := q.UpdateDevice(ctx, &d); err != nil {
				return fmt.Errorf("re-registering device: %w", err)
			}
		case postern.IsNotFound(err):
			name, err := freeName(ctx, q, r.TailnetID, r.Name)
			if err != nil {
				return err
			}
			d = postern.Device{
				TailnetID: r.TailnetID, UserID: r.UserID, Name: name, Hostname: r.Hostname,
				MachineKey: r.MachineKey, NodeKey: r.NodeKey,
				OS: r.OS, OSVersion: r.OSVersion, ClientVersion: r.ClientVersion,
				Tags: slices.Clone(r.Tags), Ephemeral: r.Ephemeral, Authorized: r.Authorized, Created: now,
				KeyExpiry: r.KeyExpiry, KeyExpiryDisabled: r.KeyExpiryDisabled, Hostinfo: r.Hostinfo,
			}
			if err := q.CreateDevice(ctx, &d); err != nil {
				return fmt.Errorf("creating device: %w", err)
			}
			created = true
		default:
			return fmt.Errorf("looking up machine key: %w", err)
		}
		action := "UPDATE"
		if created {
			action = "CREATE"
		}
		ev := ac.Event(now, d.TailnetID, audit.NodeTarget(d, ""), action, nil, map[string]any{
			"name": d.Name, "tags": d.Tags, "ephemeral": d.Ephemeral, "authorized": d.Authorized,
		})
		if err := q.AppendAudit(ctx, &ev); err != nil {
			return fmt.Errorf("auditing device join: %w", err)
		}
		return nil
	})
	if err != nil {
		return d, false, err
	}
	c := Change{TailnetID: d.TailnetID, DevicesUpdated: []int64{d.ID}}
	if created {
		c = Change{TailnetID: d.TailnetID, DevicesAdded: []int64{d.ID}}
	}
	s.emit(c)
	return d, created, nil
}

// spendAuthKey counts one use of auth key id, checking inside the
// transaction that it is still usable: of concurrent joins with one
// single-use key, only the first to commit succeeds.
func spendAuthKey(ctx context.Context, q store.Queries, id string, now time.Time) error {
	k, err := q.Key(ctx, id)
	if postern.IsNotFound(err) {
		return postern.Errorf(postern.EUNAUTHORIZED, "invalid key")
	}
	if err != nil {
		return fmt.Errorf("loading the auth key: %w", err)
	}
	switch {
	case k.Type != postern.KeyTypeAuth:
		return postern.Errorf(postern.EUNAUTHORIZED, "invalid key")
	case !k.Revoked.IsZero():
		return postern.Errorf(postern.EUNAUTHORIZED, "key %s has been revoked", k.ID)
	case !k.Valid(now):
		if !k.Expires.IsZero() && !now.Before(k.Expires) {
			return postern.Errorf(postern.EUNAUTHORIZED, "key %s expired at %s", k.ID, k.Expires.UTC().Format(time.RFC3339))
		}
		return postern.Errorf(postern.EUNAUTHORIZED, "key %s was single-use and has already been used", k.ID)
	}
	k.Used++
	if err := q.UpdateKey(ctx, &k); err != nil {
		return fmt.Errorf("counting the auth key's use: %w", err)
	}
	return nil
}

// freeName picks a device name from label not yet used in the tailnet,
// adding "-1", "-2", ... on collision.
func freeName(ctx context.Context, q store.Queries, tailnetID, label string) (string, error) {
	devs, err := q.Devices(ctx, tailnetID)
	if err != nil {
		return "", fmt.Errorf("listing device names: %w", err)
	}
	used := map[string]bool{}
	for _, d := range devs {
		used[d.Name] = true
	}
	name := label
	for i := 1; used[name]; i++ {
		name = fmt.Sprintf("%s-%d", label, i)
	}
	return name, nil
}

// modifyNode applies f to device id in one transaction, so a concurrent
// write (an admin's, another report) is never overwritten with stale
// fields. f returning false leaves the device as it was.
func (s *Service) modifyNode(ctx context.Context, id int64, f func(q store.Queries, d *postern.Device) (bool, error)) (postern.Device, error) {
	var d postern.Device
	err := s.store.InTx(ctx, func(q store.Queries) error {
		var err error
		if d, err = q.Device(ctx, id); err != nil {
			return err
		}
		write, err := f(q, &d)
		if err != nil || !write {
			return err
		}
		return q.UpdateDevice(ctx, &d)
	})
	return d, err
}

// RotateNodeKey moves device id to a new node key, which expires at
// keyExpiry (zero: as before for a device whose expiry is disabled).
func (s *Service) RotateNodeKey(ctx context.Context, id int64, nodeKey string, keyExpiry time.Time) (postern.Device, error) {
	d, err := s.modifyNode(ctx, id, func(_ store.Queries, d *postern.Device) (bool, error) {
		d.NodeKey, d.KeyExpiry = nodeKey, keyExpiry
		return true, nil
	})
	if err != nil {
		return d, fmt.Errorf("rotating the node key of device %d: %w", id, err)
	}
	s.emit(Change{TailnetID: d.TailnetID, DevicesUpdated: []int64{id}})
	return d, nil
}

// LogoutNode expires device id's node key now, as its client asked, so it
// must log in again.
func (s *Service) LogoutNode(ctx context.Context, id int64) (postern.Device, error) {
	d, err := s.modifyNode(ctx, id, func(_ store.Queries, d *postern.Device) (bool, error) {
		d.KeyExpiry, d.KeyExpiryDisabled = s.now(), false
		return true, nil
	})
	if err != nil {
		return d, fmt.Errorf("expiring the node key of device %d on logout: %w", id, err)
	}
	s.emit(Change{TailnetID: d.TailnetID, DevicesUpdated: []int64{id}})
	return d, nil
}

// RemoveNode deletes device id as the control server does: an ephemeral
// device that logged out or stayed offline. It audits NODE.DELETE as ac.
func (s *Service) RemoveNode(ctx context.Context, ac audit.Context, id int64) (postern.Device, error) {
	var d postern.Device
	err := s.store.InTx(ctx, func(q store.Queries) error {
		var err error
		if d, err = q.Device(ctx, id); err != nil {
			return err
		}
		if err := q.DeleteDevice(ctx, id); err != nil {
			return err
		}
		ev := ac.Event(s.now(), d.TailnetID, audit.NodeTarget(d, ""), "DELETE", map[string]any{"name": d.Name}, nil)
		return q.AppendAudit(ctx, &ev)
	})
	if err != nil {
		return d, fmt.Errorf("removing device %d: %w", id, err)
	}
	s.emit(Change{TailnetID: d.TailnetID, DevicesRemoved: []int64{id}})
	return d, nil
}
