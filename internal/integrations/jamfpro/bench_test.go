package jamfpro

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/postern/postern/internal/fakes/fakebench"
	fakejamf "github.com/postern/postern/internal/fakes/jamfpro"
)

// serveEnv, when set to a computer count, makes the test binary serve a
// fake Jamf Pro with that many computers instead of running tests; the
// benchmark runs it as a child process, so that its memory figures are
// the client's.
const serveEnv = "POSTERN_BENCH_FAKE_JAMFPRO_COMPUTERS"

func TestMain(m *testing.M) {
	if fakebench.ServeChild(serveEnv, serveFake) {
		return
	}
	os.Exit(m.Run())
}

// serveFake starts a fake Jamf Pro with n computers, for the child
// process.
func serveFake(n int) (url string, stop func()) {
	fake := fakejamf.NewServer(clientID, secret)
	seen := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	fv := []string{"ALL_ENCRYPTED", "SOME_ENCRYPTED", "BOOT_ENCRYPTED", "NOT_ENCRYPTED", "NOT_APPLICABLE"}
	sip := []string{"NOT_COLLECTED", "NOT_AVAILABLE", "DISABLED", "ENABLED"}
	cs := make([]fakejamf.Computer, n)
	for i := range cs {
		cs[i] = fakejamf.Computer{
			Name:            fmt.Sprintf("mac-%d", i),
			SerialNumber:    benchSerial(i),
			RemoteManaged:   i%10 != 0,
			Supervised:      i%2 == 0,
			FirewallEnabled: i%3 != 0,
			FileVaultStatus: fv[i%len(fv)],
			SIPStatus:       sip[i%len(sip)],
			LastContact:     seen.Add(time.Duration(i) * time.Second),
		}
	}
	fake.SetComputers(cs)
	return fake.URL(), fake.Close
}

func benchSerial(i int) string { return fmt.Sprintf("C02J%08d", i) }

// BenchmarkSync100k lists 100,000 computers from a fake Jamf Pro in a
// child process, over loopback HTTP, and matches them against 10,000
// device identities, 8,000 of which have a serial Jamf knows. Besides
// ns/op and B/op it reports fetch-s/op and match-s/op, peak-heap-MB (the
// highest live heap sampled during the runs) and maxrss-MB for this
// process.
func BenchmarkSync100k(b *testing.B) {
	const computers, devices = 100_000, 10_000
	url := fakebench.StartChild(b, serveEnv, computers)
	fakebench.FetchAndMatch(b, newClient(b, url, 0), Provider().MatchMAC, computers, fakebench.Identities(devices, computers, benchSerial))
}
