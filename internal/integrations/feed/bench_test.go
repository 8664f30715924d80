package feed

import (
	"fmt"
	"os"
	"testing"

	"github.com/postern/postern/internal/fakes/fakebench"
	fake "github.com/postern/postern/internal/fakes/feed"
	"github.com/postern/postern/internal/integrations"
)

// serveEnv, when set to a device count, makes the test binary serve a
// fake feed with that many devices instead of running tests.
const serveEnv = "POSTERN_BENCH_FAKE_FEED_DEVICES"

func TestMain(m *testing.M) {
	if fakebench.ServeChild(serveEnv, serveFake) {
		return
	}
	os.Exit(m.Run())
}

func benchSerial(i int) string { return fmt.Sprintf("FEED%08d", i) }

// serveFake starts a fake feed with n devices, for the child process.
func serveFake(n int) (url string, stop func()) {
	srv := fake.NewServer(token)
	srv.SetSchema(schema)
	devs := make([]fake.Device, n)
	for i := range devs {
		devs[i] = fake.Device{
			Serials:    []string{benchSerial(i)},
			MACs:       []string{fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", byte(i>>24), byte(i>>16), byte(i>>8), byte(i))},
			Attributes: map[string]any{"diskEncrypted": i%2 == 0, "riskScore": float64(i % 100), "tier": "gold", "agentVersion": "1.2.3"},
		}
	}
	srv.SetDevices(devs)
	return srv.URL(), srv.Close
}

// BenchmarkSync100k: 100,000 feed devices, 500 a page (200 requests) over
// loopback HTTP from a fake in a child process, then matched against
// 10,000 tailnet devices, 8,000 of them with a serial the feed knows. It
// reports peak-heap-MB and maxrss-MB for this process only.
func BenchmarkSync100k(b *testing.B) {
	const devices, identities = 100_000, 10_000
	url := fakebench.StartChild(b, serveEnv, devices)
	c, err := New(integrations.Config{BaseURL: url, TenantID: "acme", Secret: token, HTTP: integrations.NewClient()})
	if err != nil {
		b.Fatal(err)
	}
	fakebench.FetchAndMatch(b, c, Provider().MatchMAC, devices, fakebench.Identities(identities, devices, benchSerial))
}
