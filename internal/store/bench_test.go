package store_test

import (
	"fmt"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
)

func forEachBackendBench(b *testing.B, fn func(b *testing.B, s store.Store)) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) { fn(b, be.Open(b)) })
	}
}

func BenchmarkCreateDevice(b *testing.B) {
	forEachBackendBench(b, func(b *testing.B, s store.Store) {
		tn := storetest.NewTailnet(b, s)
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			if err := s.CreateDevice(ctx, &postern.Device{TailnetID: tn.ID, Hostname: fmt.Sprint("host", i)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSyncAttributes writes one attribute to each of 100 devices in
// one transaction, as an integration sync does.
func BenchmarkSyncAttributes(b *testing.B) {
	forEachBackendBench(b, func(b *testing.B, s store.Store) {
		tn := storetest.NewTailnet(b, s)
		var ids []int64
		for i := range 100 {
			d := postern.Device{TailnetID: tn.ID, Hostname: fmt.Sprint("h", i)}
			if err := s.CreateDevice(ctx, &d); err != nil {
				b.Fatal(err)
			}
			ids = append(ids, d.ID)
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			err := s.InTx(ctx, func(q store.Queries) error {
				for _, id := range ids {
					if err := q.SetAttribute(ctx, postern.Attribute{DeviceID: id, Key: "fleet:n", Value: postern.Number(float64(i)), Source: "integration:pc"}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkTailnetAttributes(b *testing.B) {
	forEachBackendBench(b, func(b *testing.B, s store.Store) {
		tn := storetest.NewTailnet(b, s)
		for i := range 200 {
			d := postern.Device{TailnetID: tn.ID, Hostname: fmt.Sprint("h", i)}
			if err := s.CreateDevice(ctx, &d); err != nil {
				b.Fatal(err)
			}
			for _, k := range []string{"custom:a", "custom:b", "custom:c"} {
				if err := s.SetAttribute(ctx, postern.Attribute{DeviceID: d.ID, Key: k, Value: postern.Number(1)}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ResetTimer()
		for b.Loop() {
			attrs, err := s.TailnetAttributes(ctx, tn.ID)
			if err != nil || len(attrs) != 600 {
				b.Fatalf("got %d, %v, want 600", len(attrs), err)
			}
		}
	})
}
