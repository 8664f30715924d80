package fleet_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/postern/postern/internal/fakes/fakebench"
	fakefleet "github.com/postern/postern/internal/fakes/fleet"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/integrations/fleet"
)

// serveEnv, when set to a host count, makes the test binary serve a fake
// Fleet with that many hosts instead of running tests; the benchmark runs
// it as a child process, so that its own memory figures are the client's.
const serveEnv = "POSTERN_BENCH_FAKE_FLEET_HOSTS"

func TestMain(m *testing.M) {
	if fakebench.ServeChild(serveEnv, serveFake) {
		return
	}
	os.Exit(m.Run())
}

// serveFake starts a fake Fleet with n hosts, for the child process.
func serveFake(n int) (url string, stop func()) {
	fake := fakefleet.NewServer(token)
	fake.SetHosts(benchHosts(n))
	return fake.URL(), fake.Close
}

func benchHosts(n int) []fakefleet.Host {
	hosts := make([]fakefleet.Host, n)
	seen := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	for i := range hosts {
		hosts[i] = fakefleet.Host{
			HardwareSerial: fmt.Sprintf("C02X%08d", i),
			SeenTime:       seen.Add(time.Duration(i) * time.Second),
			Policies: []fakefleet.Policy{
				{Name: "Disk encryption", Description: "FileVault is on. Tailscale: fleetPolicy:diskEncrypted", Response: "pass"},
				{Name: "Firewall", Description: "The firewall is on. Tailscale: fleetPolicy:firewall", Response: []string{"pass", "fail", ""}[i%3]},
				{Name: "Gatekeeper", Description: "Checks if gatekeeper is enabled on macOS devices", Response: "fail"},
			},
		}
	}
	return hosts
}

// BenchmarkFleetFetch100k lists 100,000 hosts, each with three policies,
// paged (500 a page) over loopback HTTP from a fake Fleet running in a
// child process. Besides ns/op and B/op it reports records-MB, the heap
// the returned records hold; peak-heap-MB, the highest heap (garbage
// included) sampled while listing; and maxrss-MB, the peak resident
// memory of this process, which runs only the client.
func BenchmarkFleetFetch100k(b *testing.B) {
	const n = 100_000
	url := fakebench.StartChild(b, serveEnv, n)
	c, err := fleet.New(integrations.Config{BaseURL: url, Secret: token})
	if err != nil {
		b.Fatal(err)
	}
	// One listing first, so the fake has encoded every host and the
	// timings are the client's.
	if _, err := c.Fetch(context.Background()); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	peak := fakebench.PeakHeap(b)

	b.ReportAllocs()
	b.ResetTimer()
	var retained uint64
	for b.Loop() {
		recs, err := c.Fetch(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) != n {
			b.Fatalf("records: got %d, want %d", len(recs), n)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		retained = max(retained, ms.HeapAlloc-min(base, ms.HeapAlloc))
		runtime.KeepAlive(recs)
	}
	b.ReportMetric(float64(retained)/(1<<20), "records-MB")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
	fakebench.ReportMaxRSS(b)
}
