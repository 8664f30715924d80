package falcon

import (
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
	fakebench.Listing(b, 100_000, newClient(b, srv).Fetch)
}
