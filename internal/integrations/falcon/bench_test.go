package falcon

import (
	"context"
	"runtime"
	"testing"

	"github.com/postern/postern/internal/fakes/fakebench"
)

// BenchmarkFalconFetch100k lists 100,000 hosts from the fake over
// loopback HTTP: 21 scroll pages, 20 details batches and 1,000 ZTA
// batches. B/op includes the fake's own work; peak-heap-MB is the largest
// live heap seen during the runs, the fake's 100,000 devices included.
func BenchmarkFalconFetch100k(b *testing.B) {
	srv := newServer(b)
	srv.SetDevices(devices(100_000))
	c := newClient(b, srv)
	runtime.GC()
	peak := fakebench.PeakHeap(b)
	b.ReportAllocs()
	for b.Loop() {
		recs, err := c.Fetch(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) != 100_000 {
			b.Fatalf("got %d records, want 100000", len(recs))
		}
	}
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
}
