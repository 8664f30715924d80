package kandji_test

import (
	"context"
	"fmt"
	"testing"

	fakekandji "github.com/postern/postern/internal/fakes/kandji"
)

// BenchmarkFetchPrism lists 30,000 devices through Prism, 300 a page by
// cursor, from an in-process fake over loopback HTTP: the client's cost
// of one Kandji sync's listing (fake included).
func BenchmarkFetchPrism(b *testing.B) {
	const n = 30_000
	devices := make([]fakekandji.Device, n)
	for i := range devices {
		devices[i] = fakekandji.Device{SerialNumber: fmt.Sprintf("C02X%08d", i), MDMEnabled: true, AgentInstalled: i%2 == 0}
	}
	fake := fakekandji.NewServer(token)
	b.Cleanup(fake.Close)
	fake.SetPermissions(token, fakekandji.PrismPath)
	fake.SetDevices(devices)
	c := newClient(b, fake.URL(), 0)
	b.ReportAllocs()
	for b.Loop() {
		recs, err := c.Fetch(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) != n {
			b.Fatalf("records: got %d, want %d", len(recs), n)
		}
	}
}
