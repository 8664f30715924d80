package store_test

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
)

// newDevice creates a device in the tailnet.
func newDevice(t *testing.T, s store.Queries, tailnetID, host string) postern.Device {
	t.Helper()
	d := postern.Device{TailnetID: tailnetID, Hostname: host}
	if err := s.CreateDevice(ctx, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func setAttr(t *testing.T, s store.Queries, a postern.Attribute) {
	t.Helper()
	if err := s.SetAttribute(ctx, a); err != nil {
		t.Fatalf("SetAttribute %s: %v", a.Key, err)
	}
}

func keysOf(attrs []postern.Attribute) []string {
	var out []string
	for _, a := range attrs {
		out = append(out, a.Key)
	}
	sort.Strings(out)
	return out
}

func TestAttributeTypes(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		d := newDevice(t, s, tn.ID, "a")
		want := map[string]postern.Value{
			"custom:number":   postern.Number(42.5),
			"custom:int":      postern.Number(7),
			"custom:negative": postern.Number(-0.001),
			"custom:strTrue":  postern.String("true"),
			"custom:strNum":   postern.String("42"),
			"custom:strEmpty": postern.String(""),
			"custom:bool":     postern.Bool(true),
			"custom:false":    postern.Bool(false),
		}
		for k, v := range want {
			setAttr(t, s, postern.Attribute{DeviceID: d.ID, Key: k, Value: v, Source: postern.SourceCustom, Updated: at(1, 0)})
		}
		attrs, err := s.Attributes(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(attrs) != len(want) {
			t.Fatalf("got %d attributes, want %d", len(attrs), len(want))
		}
		for _, a := range attrs {
			if a.Value != want[a.Key] {
				t.Errorf("%s: got %v (%v), want %v (%v)", a.Key, a.Value, a.Value.Kind(), want[a.Key], want[a.Key].Kind())
			}
			if a.DeviceID != d.ID || a.Source != postern.SourceCustom || !a.Updated.Equal(at(1, 0)) || !a.Expiry.IsZero() {
				t.Errorf("%s: got %+v, want device %d, source custom, updated %v, no expiry", a.Key, a, d.ID, at(1, 0))
			}
		}

		t.Run("invalid", func(t *testing.T) {
			mustCode(t, s.SetAttribute(ctx, postern.Attribute{DeviceID: d.ID, Key: "custom:unset"}), postern.EINVALID)
			mustCode(t, s.SetAttribute(ctx, postern.Attribute{DeviceID: 42, Key: "custom:x", Value: postern.Bool(true)}), postern.ENOTFOUND)
		})
	})
}

func TestAttributeReplace(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		d := newDevice(t, s, tn.ID, "a")
		setAttr(t, s, postern.Attribute{DeviceID: d.ID, Key: "custom:Tier", Value: postern.Number(1), Source: postern.SourceCustom, Updated: at(1, 0)})
		// Same value: Updated stays, expiry and source change.
		setAttr(t, s, postern.Attribute{DeviceID: d.ID, Key: "custom:tier", Value: postern.Number(1), Source: "integration:pc1", Expiry: at(9, 0), Updated: at(2, 0)})
		attrs, _ := s.Attributes(ctx, d.ID)
		want := []postern.Attribute{{DeviceID: d.ID, Key: "custom:Tier", Value: postern.Number(1), Source: "integration:pc1", Expiry: at(9, 0), Updated: at(1, 0)}}
		if !reflect.DeepEqual(attrs, want) {
			t.Errorf("same value: got %+v, want %+v", attrs, want)
		}
		// New value of another kind: Updated moves.
		setAttr(t, s, postern.Attribute{DeviceID: d.ID, Key: "CUSTOM:TIER", Value: postern.String("1"), Source: postern.SourceCustom, Updated: at(3, 0)})
		attrs, _ = s.Attributes(ctx, d.ID)
		want = []postern.Attribute{{DeviceID: d.ID, Key: "custom:Tier", Value: postern.String("1"), Source: postern.SourceCustom, Updated: at(3, 0)}}
		if !reflect.DeepEqual(attrs, want) {
			t.Errorf("new value: got %+v, want %+v", attrs, want)
		}

		if err := s.DeleteAttribute(ctx, d.ID, "custom:TIER"); err != nil {
			t.Fatal(err)
		}
		if attrs, _ := s.Attributes(ctx, d.ID); len(attrs) != 0 {
			t.Errorf("after delete: got %+v, want none", attrs)
		}
		mustCode(t, s.DeleteAttribute(ctx, d.ID, "custom:tier"), postern.ENOTFOUND)
	})
}

func TestAttributesByExpiry(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		other := storetest.NewTailnet(t, s)
		d1 := newDevice(t, s, tn.ID, "a")
		d2 := newDevice(t, s, tn.ID, "b")
		d3 := newDevice(t, s, other.ID, "c")
		now := at(10, 0)
		for _, a := range []postern.Attribute{
			{DeviceID: d1.ID, Key: "custom:past", Expiry: now.Add(-time.Hour)},
			{DeviceID: d1.ID, Key: "custom:now", Expiry: now},
			{DeviceID: d1.ID, Key: "custom:future", Expiry: now.Add(time.Nanosecond)},
			{DeviceID: d1.ID, Key: "custom:never"},
			{DeviceID: d2.ID, Key: "custom:past2", Expiry: now.Add(-time.Minute)},
			{DeviceID: d3.ID, Key: "custom:otherTailnet", Expiry: now.Add(-time.Hour)},
		} {
			a.Value, a.Source = postern.Bool(true), postern.SourceCustom
			setAttr(t, s, a)
		}
		removed, err := s.DeleteExpiredAttributes(ctx, tn.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := keysOf(removed), []string{"custom:now", "custom:past", "custom:past2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("removed: got %v, want %v", got, want)
		}
		for _, a := range removed {
			if a.Value != postern.Bool(true) || a.Expiry.After(now) {
				t.Errorf("removed %s: got %+v, want value true and expiry at or before %v", a.Key, a, now)
			}
		}
		left, _ := s.TailnetAttributes(ctx, tn.ID)
		if got, want := keysOf(left), []string{"custom:future", "custom:never"}; !reflect.DeepEqual(got, want) {
			t.Errorf("left: got %v, want %v", got, want)
		}
		if left, _ := s.TailnetAttributes(ctx, other.ID); len(left) != 1 {
			t.Errorf("other tailnet: got %d attributes, want its 1 untouched", len(left))
		}
		again, err := s.DeleteExpiredAttributes(ctx, tn.ID, now)
		if err != nil || len(again) != 0 {
			t.Errorf("second run: got %v, %v, want nothing removed", again, err)
		}
	})
}

func TestAttributesBySource(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		d1 := newDevice(t, s, tn.ID, "a")
		d2 := newDevice(t, s, tn.ID, "b")
		fleet := postern.IntegrationSource("pcFleet")
		setAttr(t, s, postern.Attribute{DeviceID: d1.ID, Key: "fleet:present", Value: postern.Bool(true), Source: fleet})
		setAttr(t, s, postern.Attribute{DeviceID: d2.ID, Key: "fleet:present", Value: postern.Bool(true), Source: fleet})
		setAttr(t, s, postern.Attribute{DeviceID: d1.ID, Key: "custom:x", Value: postern.Bool(true), Source: postern.SourceCustom})

		got, err := s.AttributesBySource(ctx, tn.ID, fleet)
		if err != nil || len(got) != 2 {
			t.Fatalf("AttributesBySource: got %v, %v, want 2", got, err)
		}
		removed, err := s.DeleteAttributesBySource(ctx, tn.ID, fleet)
		if err != nil || len(removed) != 2 {
			t.Fatalf("DeleteAttributesBySource: got %v, %v, want 2 removed", removed, err)
		}
		left, _ := s.TailnetAttributes(ctx, tn.ID)
		if keys := keysOf(left); !reflect.DeepEqual(keys, []string{"custom:x"}) {
			t.Errorf("left: got %v, want [custom:x]", keys)
		}
	})
}

func TestAttributeKinds(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		other := storetest.NewTailnet(t, s)
		d1 := newDevice(t, s, tn.ID, "a")
		d2 := newDevice(t, s, tn.ID, "b")
		d3 := newDevice(t, s, other.ID, "c")
		kinds, err := s.AttributeKinds(ctx, tn.ID)
		if err != nil || len(kinds) != 0 {
			t.Fatalf("empty tailnet: got %v, %v, want an empty map", kinds, err)
		}
		setAttr(t, s, postern.Attribute{DeviceID: d1.ID, Key: "custom:Tier", Value: postern.Number(1)})
		time.Sleep(2 * time.Millisecond) // created times must differ
		setAttr(t, s, postern.Attribute{DeviceID: d2.ID, Key: "custom:tier", Value: postern.String("gold")})
		setAttr(t, s, postern.Attribute{DeviceID: d2.ID, Key: "custom:managed", Value: postern.Bool(false)})
		setAttr(t, s, postern.Attribute{DeviceID: d3.ID, Key: "custom:elsewhere", Value: postern.String("x")})

		kinds, err = s.AttributeKinds(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]store.AttributeKind{
			"custom:tier":    {Key: "custom:Tier", Kind: postern.KindNumber},
			"custom:managed": {Key: "custom:managed", Kind: postern.KindBool},
		}
		if !reflect.DeepEqual(kinds, want) {
			t.Errorf("got %v, want %v", kinds, want)
		}
	})
}
