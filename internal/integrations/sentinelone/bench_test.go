package sentinelone

import (
	"context"
	"testing"
)

// BenchmarkSentinelOneFetch100k lists 100,000 agents (100 pages) from the
// fake over loopback HTTP. The fake's own work is included.
func BenchmarkSentinelOneFetch100k(b *testing.B) {
	srv := newServer(b)
	srv.SetAgents(agents(100_000))
	c := newClient(b, srv)
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
}
