// Package memstore is an in-memory store.Store holding just what the
// control server uses (tailnets, users, devices, keys, audit events), for
// the control server's tests while the SQL store is built elsewhere.
// Other methods panic. Transactions hold one lock and restore a snapshot
// on error.
package memstore

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
)

// Store is an in-memory store.Store. Create it with New.
type Store struct {
	store.Store // nil: unimplemented methods panic

	mu   sync.Mutex // serializes transactions
	data *data
}

type data struct {
	tailnets []postern.Tailnet
	users    map[string]postern.User
	devices  map[int64]postern.Device
	keys     map[string]postern.Key
	audit    []postern.AuditEvent
	nextID   int64
	nextIP   uint32
}

func (d *data) clone() *data {
	c := *d
	c.tailnets = slices.Clone(d.tailnets)
	c.users = cloneMap(d.users)
	c.devices = cloneMap(d.devices)
	c.keys = cloneMap(d.keys)
	c.audit = slices.Clone(d.audit)
	return &c
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// New returns an empty Store.
func New() *Store {
	return &Store{data: &data{
		users: map[string]postern.User{}, devices: map[int64]postern.Device{}, keys: map[string]postern.Key{},
	}}
}

// q runs queries with the lock held (tx) or taking it.
type q struct {
	store.Queries // nil: unimplemented methods panic
	s             *Store
	inTx          bool
}

var _ store.Queries = q{}

func (x q) do(f func(d *data) error) error {
	if !x.inTx {
		x.s.mu.Lock()
		defer x.s.mu.Unlock()
	}
	return f(x.s.data)
}

// InTx runs fn with the store locked, restoring it if fn fails.
func (s *Store) InTx(ctx context.Context, fn func(store.Queries) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := s.data.clone()
	if err := fn(q{s: s, inTx: true}); err != nil {
		s.data = snap
		return err
	}
	return nil
}

// Backend names the store.
func (s *Store) Backend() string { return "memory" }

// Close does nothing.
func (s *Store) Close() error { return nil }

func notFound(what string) error { return postern.Errorf(postern.ENOTFOUND, "%s not found", what) }

// The Queries of Store outside a transaction.

func (s *Store) CreateTailnet(ctx context.Context, t *postern.Tailnet) error {
	return q{s: s}.CreateTailnet(ctx, t)
}
func (s *Store) DefaultTailnet(ctx context.Context) (postern.Tailnet, error) {
	return q{s: s}.DefaultTailnet(ctx)
}
func (s *Store) Tailnet(ctx context.Context, id string) (postern.Tailnet, error) {
	return q{s: s}.Tailnet(ctx, id)
}
func (s *Store) UpdateTailnetSettings(ctx context.Context, id string, ts postern.TailnetSettings) error {
	return q{s: s}.UpdateTailnetSettings(ctx, id, ts)
}
func (s *Store) CreateUser(ctx context.Context, u *postern.User) error {
	return q{s: s}.CreateUser(ctx, u)
}
func (s *Store) User(ctx context.Context, id string) (postern.User, error) {
	return q{s: s}.User(ctx, id)
}
func (s *Store) UserByLoginName(ctx context.Context, tn, login string) (postern.User, error) {
	return q{s: s}.UserByLoginName(ctx, tn, login)
}
func (s *Store) CreateDevice(ctx context.Context, d *postern.Device) error {
	return q{s: s}.CreateDevice(ctx, d)
}
func (s *Store) Device(ctx context.Context, id int64) (postern.Device, error) {
	return q{s: s}.Device(ctx, id)
}
func (s *Store) DeviceByNodeKey(ctx context.Context, nk string) (postern.Device, error) {
	return q{s: s}.DeviceByNodeKey(ctx, nk)
}
func (s *Store) DeviceByMachineKey(ctx context.Context, tn, mk string) (postern.Device, error) {
	return q{s: s}.DeviceByMachineKey(ctx, tn, mk)
}
func (s *Store) Devices(ctx context.Context, tn string) ([]postern.Device, error) {
	return q{s: s}.Devices(ctx, tn)
}
func (s *Store) UpdateDevice(ctx context.Context, d *postern.Device) error {
	return q{s: s}.UpdateDevice(ctx, d)
}
func (s *Store) TouchDevice(ctx context.Context, id int64, t time.Time) error {
	return q{s: s}.TouchDevice(ctx, id, t)
}
func (s *Store) DeleteDevice(ctx context.Context, id int64) error {
	return q{s: s}.DeleteDevice(ctx, id)
}
func (s *Store) CreateKey(ctx context.Context, k *postern.Key) error {
	return q{s: s}.CreateKey(ctx, k)
}
func (s *Store) Key(ctx context.Context, id string) (postern.Key, error) {
	return q{s: s}.Key(ctx, id)
}
func (s *Store) UpdateKey(ctx context.Context, k *postern.Key) error {
	return q{s: s}.UpdateKey(ctx, k)
}
func (s *Store) AppendAudit(ctx context.Context, e *postern.AuditEvent) error {
	return q{s: s}.AppendAudit(ctx, e)
}
func (s *Store) AuditEvents(ctx context.Context, f postern.AuditFilter) ([]postern.AuditEvent, error) {
	return q{s: s}.AuditEvents(ctx, f)
}

// Queries implementations.

func (x q) CreateTailnet(_ context.Context, t *postern.Tailnet) error {
	return x.do(func(d *data) error {
		if t.ID == "" {
			t.ID = fmt.Sprintf("T%d", len(d.tailnets)+1)
		}
		d.tailnets = append(d.tailnets, *t)
		return nil
	})
}

func (x q) DefaultTailnet(_ context.Context) (t postern.Tailnet, err error) {
	err = x.do(func(d *data) error {
		if len(d.tailnets) == 0 {
			return notFound("tailnet")
		}
		t = d.tailnets[0]
		return nil
	})
	return t, err
}

func (x q) Tailnet(_ context.Context, id string) (t postern.Tailnet, err error) {
	err = x.do(func(d *data) error {
		for _, tn := range d.tailnets {
			if tn.ID == id {
				t = tn
				return nil
			}
		}
		return notFound("tailnet")
	})
	return t, err
}

func (x q) UpdateTailnetSettings(_ context.Context, id string, s postern.TailnetSettings) error {
	return x.do(func(d *data) error {
		for i := range d.tailnets {
			if d.tailnets[i].ID == id {
				d.tailnets[i].Settings = s
				return nil
			}
		}
		return notFound("tailnet")
	})
}

func (x q) CreateUser(_ context.Context, u *postern.User) error {
	return x.do(func(d *data) error {
		if u.ID == "" {
			d.nextID++
			u.ID = fmt.Sprintf("u%d", d.nextID)
		}
		d.users[u.ID] = *u
		return nil
	})
}

func (x q) User(_ context.Context, id string) (u postern.User, err error) {
	err = x.do(func(d *data) error {
		var ok bool
		if u, ok = d.users[id]; !ok {
			return notFound("user")
		}
		return nil
	})
	return u, err
}

func (x q) UserByLoginName(_ context.Context, tn, login string) (u postern.User, err error) {
	err = x.do(func(d *data) error {
		for _, v := range d.users {
			if v.TailnetID == tn && strings.EqualFold(v.LoginName, login) {
				u = v
				return nil
			}
		}
		return notFound("user")
	})
	return u, err
}

func (x q) CreateDevice(_ context.Context, dev *postern.Device) error {
	return x.do(func(d *data) error {
		for _, o := range d.devices {
			if o.TailnetID == dev.TailnetID && o.Name == dev.Name {
				return postern.Errorf(postern.ECONFLICT, "device name %q is taken", dev.Name)
			}
		}
		d.nextID++
		dev.ID = d.nextID
		dev.NodeID = fmt.Sprintf("n%dCNTRL", dev.ID)
		if !dev.IPv4.IsValid() {
			d.nextIP++
			dev.IPv4 = netip.AddrFrom4([4]byte{100, 64, byte(d.nextIP >> 8), byte(d.nextIP)})
			dev.IPv6 = netip.AddrFrom16([16]byte{0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0, 14: byte(d.nextIP >> 8), 15: byte(d.nextIP)})
		}
		d.devices[dev.ID] = *dev
		return nil
	})
}

func (x q) Device(_ context.Context, id int64) (dev postern.Device, err error) {
	err = x.do(func(d *data) error {
		var ok bool
		if dev, ok = d.devices[id]; !ok {
			return notFound("device")
		}
		return nil
	})
	return dev, err
}

func (x q) find(f func(postern.Device) bool) (dev postern.Device, err error) {
	err = x.do(func(d *data) error {
		for _, v := range d.devices {
			if f(v) {
				dev = v
				return nil
			}
		}
		return notFound("device")
	})
	return dev, err
}

func (x q) DeviceByNodeKey(_ context.Context, nk string) (postern.Device, error) {
	return x.find(func(d postern.Device) bool { return d.NodeKey == nk })
}

func (x q) DeviceByNodeID(_ context.Context, id string) (postern.Device, error) {
	return x.find(func(d postern.Device) bool { return d.NodeID == id })
}

func (x q) DeviceByMachineKey(_ context.Context, tn, mk string) (postern.Device, error) {
	return x.find(func(d postern.Device) bool { return d.TailnetID == tn && d.MachineKey == mk })
}

func (x q) Devices(_ context.Context, tn string) (out []postern.Device, err error) {
	err = x.do(func(d *data) error {
		for _, v := range d.devices {
			if v.TailnetID == tn {
				out = append(out, v)
			}
		}
		slices.SortFunc(out, func(a, b postern.Device) int { return int(a.ID - b.ID) })
		return nil
	})
	return out, err
}

func (x q) UpdateDevice(_ context.Context, dev *postern.Device) error {
	return x.do(func(d *data) error {
		old, ok := d.devices[dev.ID]
		if !ok {
			return notFound("device")
		}
		v := *dev
		v.NodeID, v.TailnetID, v.Created = old.NodeID, old.TailnetID, old.Created
		d.devices[dev.ID] = v
		return nil
	})
}

func (x q) TouchDevice(_ context.Context, id int64, t time.Time) error {
	return x.do(func(d *data) error {
		v, ok := d.devices[id]
		if !ok {
			return notFound("device")
		}
		v.LastSeen = t
		d.devices[id] = v
		return nil
	})
}

func (x q) DeleteDevice(_ context.Context, id int64) error {
	return x.do(func(d *data) error {
		if _, ok := d.devices[id]; !ok {
			return notFound("device")
		}
		delete(d.devices, id)
		return nil
	})
}

func (x q) CreateKey(_ context.Context, k *postern.Key) error {
	return x.do(func(d *data) error { d.keys[k.ID] = *k; return nil })
}

func (x q) Key(_ context.Context, id string) (k postern.Key, err error) {
	err = x.do(func(d *data) error {
		var ok bool
		if k, ok = d.keys[id]; !ok {
			return notFound("key")
		}
		return nil
	})
	return k, err
}

func (x q) UpdateKey(_ context.Context, k *postern.Key) error {
	return x.do(func(d *data) error {
		if _, ok := d.keys[k.ID]; !ok {
			return notFound("key")
		}
		d.keys[k.ID] = *k
		return nil
	})
}

func (x q) AppendAudit(_ context.Context, e *postern.AuditEvent) error {
	return x.do(func(d *data) error {
		e.ID = int64(len(d.audit) + 1)
		d.audit = append(d.audit, *e)
		return nil
	})
}

func (x q) AuditEvents(_ context.Context, f postern.AuditFilter) (out []postern.AuditEvent, err error) {
	err = x.do(func(d *data) error {
		for i := len(d.audit) - 1; i >= 0; i-- {
			e := d.audit[i]
			if f.Event != "" && e.EventName() != f.Event {
				continue
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
