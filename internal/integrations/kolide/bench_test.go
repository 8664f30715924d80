package kolide

import (
	"os"
	"testing"

	"github.com/postern/postern/internal/fakes/fakebench"
	fake "github.com/postern/postern/internal/fakes/kolide"
	"github.com/postern/postern/internal/integrations"
)

// serveEnv, when set to a device count, makes the test binary serve a
// fake Kolide with that many devices instead of running tests; the
// benchmark runs it as a child process, so that its memory figures are
// the client's.
const serveEnv = "POSTERN_BENCH_FAKE_KOLIDE_DEVICES"

func TestMain(m *testing.M) {
	if fakebench.ServeChild(serveEnv, serveFake) {
		return
	}
	os.Exit(m.Run())
}

// serveFake starts a fake Kolide with n devices, for the child process.
func serveFake(n int) (url string, stop func()) {
	srv := fake.NewServer(token)
	srv.SetDevices(benchDevices(n))
	return srv.URL(), srv.Close
}

// BenchmarkSync100k is the target for Kolide: 100,000 devices
// listed 100 a page (1,000 requests) over loopback HTTP from a fake in a
// child process, then matched by serial against 10,000 tailnet devices,
// 8,000 of them with a serial Kolide knows. It reports peak-heap-MB, the
// highest live heap sampled during the runs, and maxrss-MB for this
// process (the fake's memory is not in either).
func BenchmarkSync100k(b *testing.B) {
	const devices, identities = 100_000, 10_000
	url := fakebench.StartChild(b, serveEnv, devices)
	c, err := New(integrations.Config{BaseURL: url, Secret: token, HTTP: integrations.NewClient()})
	if err != nil {
		b.Fatal(err)
	}
	fakebench.FetchAndMatch(b, c, Provider().MatchMAC, devices, fakebench.Identities(identities, devices, benchSerial))
}
