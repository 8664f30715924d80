package sentinelone

import (
	"testing"

	"github.com/postern/postern/internal/fakes/fakebench"
)

// BenchmarkSentinelOneFetch100k lists 100,000 agents (100 pages) from the
// fake over loopback HTTP. The fake's own work is included.
func BenchmarkSentinelOneFetch100k(b *testing.B) {
	srv := newServer(b)
	srv.SetAgents(agents(100_000))
	fakebench.Listing(b, 100_000, newClient(b, srv).Fetch)
}
