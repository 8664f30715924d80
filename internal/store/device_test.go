package store_test

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
)

// fullDevice returns a device with every field set.
func fullDevice(tailnetID, userID string) postern.Device {
	return postern.Device{
		TailnetID:         tailnetID,
		UserID:            userID,
		Name:              "web-1",
		Hostname:          "Web-1.local",
		MachineKey:        "mkey:1111",
		NodeKey:           "nodekey:2222",
		DiscoKey:          "discokey:3333",
		OS:                "linux",
		OSVersion:         "6.1",
		ClientVersion:     "1.102.5",
		Tags:              []string{"tag:prod", "tag:web"},
		Ephemeral:         true,
		Authorized:        true,
		IPv4:              netip.MustParseAddr("100.64.0.7"),
		IPv6:              netip.MustParseAddr("fd7a:115c:a1e0::6440:7"),
		AdvertisedRoutes:  []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("::/0")},
		EnabledRoutes:     []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")},
		Created:           at(1, 123456789),
		LastSeen:          at(2, 1),
		KeyExpiry:         at(20, 0),
		KeyExpiryDisabled: true,
		PostureIdentity: postern.PostureIdentity{
			SerialNumbers: []string{"C02XL0GYJGH5"},
			HardwareAddrs: []string{"aa:bb:cc:dd:ee:ff", "11:22:33:44:55:66"},
			Disabled:      true,
			Updated:       at(3, 999),
		},
		Hostinfo: []byte(`{"OS":"linux","Hostname":"web-1"}`),
	}
}

func TestDeviceRoundTrip(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		d := fullDevice(tn.ID, "u1")
		if err := s.CreateDevice(ctx, &d); err != nil {
			t.Fatal(err)
		}
		if d.ID <= 0 || d.ID >= 1<<53 {
			t.Errorf("got id %d, want in [1, 2^53)", d.ID)
		}
		if len(d.NodeID) != 18 || !strings.HasPrefix(d.NodeID, "n") || !strings.HasSuffix(d.NodeID, "CNTRL") {
			t.Errorf("got node id %q, want n + 12 characters + CNTRL", d.NodeID)
		}
		for name, get := range map[string]func() (postern.Device, error){
			"Device":             func() (postern.Device, error) { return s.Device(ctx, d.ID) },
			"DeviceByNodeID":     func() (postern.Device, error) { return s.DeviceByNodeID(ctx, d.NodeID) },
			"DeviceByNodeKey":    func() (postern.Device, error) { return s.DeviceByNodeKey(ctx, d.NodeKey) },
			"DeviceByMachineKey": func() (postern.Device, error) { return s.DeviceByMachineKey(ctx, tn.ID, d.MachineKey) },
		} {
			t.Run(name, func(t *testing.T) {
				got, err := get()
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, d) {
					t.Errorf("got  %+v\nwant %+v", got, d)
				}
			})
		}

		t.Run("update", func(t *testing.T) {
			u := d
			u.Name, u.Hostname, u.NodeKey, u.Tags = "web-2", "web-2", "nodekey:4444", nil
			u.IPv4, u.IPv6 = netip.MustParseAddr("100.64.0.8"), netip.MustParseAddr("fd7a:115c:a1e0::6440:8")
			u.AdvertisedRoutes, u.EnabledRoutes, u.Hostinfo = nil, nil, nil
			u.PostureIdentity = postern.PostureIdentity{SerialNumbers: []string{"X"}, Updated: at(4, 0)}
			u.Authorized, u.Ephemeral, u.KeyExpiryDisabled = false, false, false
			u.Created = at(9, 0) // ignored: Created never changes
			if err := s.UpdateDevice(ctx, &u); err != nil {
				t.Fatal(err)
			}
			got, err := s.Device(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			u.Created = d.Created
			if !reflect.DeepEqual(got, u) {
				t.Errorf("got  %+v\nwant %+v", got, u)
			}
			if _, err := s.DeviceByNodeKey(ctx, "nodekey:2222"); !postern.IsNotFound(err) {
				t.Errorf("old node key: got %v, want not found", err)
			}
			if err := s.TouchDevice(ctx, d.ID, at(5, 5)); err != nil {
				t.Fatal(err)
			}
			got, _ = s.Device(ctx, d.ID)
			if !got.LastSeen.Equal(at(5, 5)) {
				t.Errorf("LastSeen: got %v, want %v", got.LastSeen, at(5, 5))
			}
		})

		t.Run("not found", func(t *testing.T) {
			_, err := s.Device(ctx, 42)
			mustCode(t, err, postern.ENOTFOUND)
			_, err = s.DeviceByNodeID(ctx, "nnope")
			mustCode(t, err, postern.ENOTFOUND)
			_, err = s.DeviceByNodeKey(ctx, "")
			mustCode(t, err, postern.ENOTFOUND)
			_, err = s.DeviceByMachineKey(ctx, tn.ID, "mkey:nope")
			mustCode(t, err, postern.ENOTFOUND)
			mustCode(t, s.UpdateDevice(ctx, &postern.Device{ID: 42}), postern.ENOTFOUND)
			mustCode(t, s.TouchDevice(ctx, 42, at(1, 0)), postern.ENOTFOUND)
			mustCode(t, s.DeleteDevice(ctx, 42), postern.ENOTFOUND)
			mustCode(t, s.CreateDevice(ctx, &postern.Device{TailnetID: "Tnope"}), postern.ENOTFOUND)
		})

		t.Run("delete", func(t *testing.T) {
			if err := s.SetAttribute(ctx, postern.Attribute{DeviceID: d.ID, Key: "custom:a", Value: postern.String("x")}); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteDevice(ctx, d.ID); err != nil {
				t.Fatal(err)
			}
			_, err := s.Device(ctx, d.ID)
			mustCode(t, err, postern.ENOTFOUND)
			attrs, err := s.Attributes(ctx, d.ID)
			if err != nil || len(attrs) != 0 {
				t.Errorf("attributes of a deleted device: got %v, %v, want none", attrs, err)
			}
		})
	})
}

func TestDeviceConflicts(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		d := fullDevice(tn.ID, "u1")
		if err := s.CreateDevice(ctx, &d); err != nil {
			t.Fatal(err)
		}
		for name, tc := range map[string]struct {
			change func(*postern.Device)
			want   string
		}{
			"name":     {func(x *postern.Device) { x.Name = "web-1" }, `a device named "web-1" exists in the tailnet`},
			"ipv4":     {func(x *postern.Device) { x.IPv4 = d.IPv4 }, "address 100.64.0.7 is in use in the tailnet"},
			"ipv6":     {func(x *postern.Device) { x.IPv6 = d.IPv6 }, "address fd7a:115c:a1e0::6440:7 is in use in the tailnet"},
			"node key": {func(x *postern.Device) { x.NodeKey = d.NodeKey }, "a device with node key nodekey:2222 exists"},
			"id":       {func(x *postern.Device) { x.ID = d.ID }, fmt.Sprintf("a device with id %d exists", d.ID)},
		} {
			t.Run(name, func(t *testing.T) {
				x := postern.Device{TailnetID: tn.ID, Hostname: "other"}
				tc.change(&x)
				err := s.CreateDevice(ctx, &x)
				mustCode(t, err, postern.ECONFLICT)
				if got := postern.ErrorMessage(err); got != tc.want {
					t.Errorf("got message %q, want %q", got, tc.want)
				}
			})
		}
		t.Run("update", func(t *testing.T) {
			x := postern.Device{TailnetID: tn.ID, Hostname: "other"}
			if err := s.CreateDevice(ctx, &x); err != nil {
				t.Fatal(err)
			}
			x.Name = d.Name
			mustCode(t, s.UpdateDevice(ctx, &x), postern.ECONFLICT)
		})
	})
}

func TestDeviceNames(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		var got []string
		for _, host := range []string{"Alice's MacBook", "alice-s-macbook", "alice-s-macbook.local", "", ""} {
			d := postern.Device{TailnetID: tn.ID, Hostname: host}
			if err := s.CreateDevice(ctx, &d); err != nil {
				t.Fatal(err)
			}
			got = append(got, d.Name)
		}
		want := []string{"alice-s-macbook", "alice-s-macbook-1", "alice-s-macbook-2", "device", "device-1"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got names %v, want %v", got, want)
		}
	})
}

func TestDeviceAddresses(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		d := postern.Device{TailnetID: tn.ID, Hostname: "a", IPv4: netip.MustParseAddr("100.64.1.1")}
		if err := s.CreateDevice(ctx, &d); err != nil {
			t.Fatal(err)
		}
		if want := netip.MustParseAddr("fd7a:115c:a1e0::6440:101"); d.IPv6 != want {
			t.Errorf("IPv6 for a given IPv4: got %v, want %v", d.IPv6, want)
		}
		// Other tailnets may reuse addresses and names.
		other := storetest.NewTailnet(t, s)
		d2 := postern.Device{TailnetID: other.ID, Hostname: "a", IPv4: d.IPv4}
		if err := s.CreateDevice(ctx, &d2); err != nil {
			t.Fatalf("same address in another tailnet: %v", err)
		}
		if d2.Name != "a" || d2.IPv6 != d.IPv6 {
			t.Errorf("got name %q and %v in the other tailnet, want %q and %v", d2.Name, d2.IPv6, "a", d.IPv6)
		}
	})
}

// TestConcurrentCreateDevice registers 50 devices at once, half of them
// with the same hostname, and checks every address and name is distinct.
func TestConcurrentCreateDevice(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				host := "laptop"
				if i%2 == 1 {
					host = fmt.Sprintf("host%d", i)
				}
				errs <- s.CreateDevice(ctx, &postern.Device{TailnetID: tn.ID, Hostname: host, MachineKey: fmt.Sprintf("mkey:%d", i)})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("CreateDevice: %v", err)
			}
		}
		devices, err := s.Devices(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(devices) != n {
			t.Fatalf("got %d devices, want %d", len(devices), n)
		}
		v4, v6, names := map[netip.Addr]bool{}, map[netip.Addr]bool{}, map[string]bool{}
		for _, d := range devices {
			v4[d.IPv4], v6[d.IPv6], names[d.Name] = true, true, true
			if !netip.MustParsePrefix("100.64.0.0/10").Contains(d.IPv4) || !netip.MustParsePrefix("fd7a:115c:a1e0::/48").Contains(d.IPv6) {
				t.Errorf("device %s: got addresses %v %v, want from 100.64.0.0/10 and fd7a:115c:a1e0::/48", d.Name, d.IPv4, d.IPv6)
			}
		}
		if len(v4) != n || len(v6) != n || len(names) != n {
			t.Errorf("got %d distinct IPv4, %d IPv6, %d names, want %d of each", len(v4), len(v6), len(names), n)
		}
	})
}

func TestStaleEphemeralDevices(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		for _, d := range []postern.Device{
			{Hostname: "never-seen", Ephemeral: true, Created: at(1, 0)},
			{Hostname: "seen-long-ago", Ephemeral: true, Created: at(1, 0), LastSeen: at(2, 0)},
			{Hostname: "seen-lately", Ephemeral: true, Created: at(1, 0), LastSeen: at(9, 0)},
			{Hostname: "created-lately", Ephemeral: true, Created: at(9, 0)},
			{Hostname: "durable", Created: at(1, 0), LastSeen: at(2, 0)},
		} {
			d.TailnetID = tn.ID
			if err := s.CreateDevice(ctx, &d); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.StaleEphemeralDevices(ctx, at(5, 0))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range got {
			names = append(names, d.Name)
		}
		slices.Sort(names)
		if want := []string{"never-seen", "seen-long-ago"}; !reflect.DeepEqual(names, want) {
			t.Errorf("stale ephemeral devices: got %v, want %v", names, want)
		}
	})
}
