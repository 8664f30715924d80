package jamfpro

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/postern/postern/internal/fakes/fakebench"
	fakejamf "github.com/postern/postern/internal/fakes/jamfpro"
	"github.com/postern/postern/internal/integrations"
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
	ids := make([]integrations.Identity, devices)
	for i := range ids {
		ids[i].DeviceID = int64(i + 1)
		if i%5 != 4 { // 80% have a serial Jamf knows
			ids[i].Serials = []string{benchSerial(i * (computers / devices))}
		} else {
			ids[i].Serials = []string{fmt.Sprintf("UNKNOWN%06d", i)}
		}
	}
	c := newClient(b, url, 0)
	p := Provider()
	// One listing first, so the fake has its computers sorted.
	if _, err := c.Fetch(context.Background()); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	peak := fakebench.PeakHeap(b)
	var fetchTime, matchTime time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		recs, err := c.Fetch(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		fetched := time.Now()
		res := integrations.Match(ids, recs, p.MatchMAC)
		matchTime += time.Since(fetched)
		fetchTime += fetched.Sub(start)
		if len(recs) != computers || res.MatchedCount != devices*8/10 {
			b.Fatalf("got %d records matching %d devices, want %d and %d", len(recs), res.MatchedCount, computers, devices*8/10)
		}
	}
	n := float64(b.N)
	b.ReportMetric(fetchTime.Seconds()/n, "fetch-s/op")
	b.ReportMetric(matchTime.Seconds()/n, "match-s/op")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
	fakebench.ReportMaxRSS(b)
}
