package intune

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/postern/postern/internal/fakes/fakebench"
	fakeintune "github.com/postern/postern/internal/fakes/intune"
	"github.com/postern/postern/internal/integrations"
)

// serveEnv, when set to a device count, makes the test binary serve a
// fake Intune with that many devices instead of running tests; the
// benchmark runs it as a child process, so that its memory figures are
// the client's.
const serveEnv = "POSTERN_BENCH_FAKE_INTUNE_DEVICES"

func TestMain(m *testing.M) {
	if fakebench.ServeChild(serveEnv, serveFake) {
		return
	}
	os.Exit(m.Run())
}

func benchSerial(i int) string { return fmt.Sprintf("C02X%08d", i) }

// serveFake starts a fake Intune with n devices, for the child process.
func serveFake(n int) (string, func()) {
	srv := fakeintune.NewServer(tenant, clientID, secret)
	devs := make([]fakeintune.Device, n)
	seen := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	states := []string{"compliant", "noncompliant", "inGracePeriod", "unknown"}
	for i := range devs {
		devs[i] = fakeintune.Device{
			SerialNumber:      benchSerial(i),
			ComplianceState:   states[i%len(states)],
			AzureADRegistered: ptr(i%3 != 0),
			IsEncrypted:       i%2 == 0,
			IsSupervised:      i%5 == 0,
			LastSyncDateTime:  seen.Add(time.Duration(i) * time.Second),
		}
	}
	srv.SetDevices(devs)
	return srv.URL(), srv.Close
}

// BenchmarkSync100k is the target for a provider: 100,000 Intune
// managed devices, listed over loopback HTTP (100 pages of 1000) from a
// fake in a child process, and matched against 10,000 tailnet device
// identities, 8,000 of them with a serial Intune knows. Besides ns/op and
// B/op it reports fetch-s/op and match-s/op, peak-heap-MB (the highest
// live heap sampled during the runs) and maxrss-MB for this process.
func BenchmarkSync100k(b *testing.B) {
	const vendor, tailnet = 100_000, 10_000
	url := fakebench.StartChild(b, serveEnv, vendor)
	c, err := New(integrations.Config{BaseURL: url, ClientID: clientID, TenantID: tenant, Secret: secret})
	if err != nil {
		b.Fatal(err)
	}
	fakebench.FetchAndMatch(b, c, Provider().MatchMAC, vendor, fakebench.Identities(tailnet, vendor, benchSerial))
}
