package sentinelone

import (
	"context"
	"runtime"
	"testing"

	"github.com/postern/postern/internal/fakes/fakebench"
)

// BenchmarkSentinelOneFetch100k lists 100,000 agents (100 pages) from the
// fake over loopback HTTP. The fake's own work is included.
func BenchmarkSentinelOneFetch100k(b *testing.B) {
	srv := newServer(b)
	srv.SetAgents(agents(100_000))
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
