package posturesync_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/fakes/fakebench"
	fakefleet "github.com/postern/postern/internal/fakes/fleet"
	"github.com/postern/postern/internal/posturesync"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
)

// serveEnv, when set to a host count, makes the test binary serve a fake
// Fleet with that many hosts instead of running tests; the benchmark runs
// it as a child process, so that its memory figures are Postern's.
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
	hosts := make([]fakefleet.Host, n)
	seen := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	for i := range hosts {
		hosts[i] = fakefleet.Host{
			HardwareSerial: benchSerial(i),
			SeenTime:       seen.Add(time.Duration(i) * time.Second),
			Policies: []fakefleet.Policy{
				{Name: "Disk encryption", Description: "Tailscale: fleetPolicy:diskEncrypted", Response: "pass"},
				{Name: "Firewall", Description: "Tailscale: fleetPolicy:firewall", Response: []string{"pass", "fail", ""}[i%3]},
				{Name: "Gatekeeper", Description: "Checks if gatekeeper is enabled", Response: "fail"},
			},
		}
	}
	fake.SetHosts(hosts)
	return fake.URL(), fake.Close
}

func benchSerial(i int) string { return fmt.Sprintf("C02X%08d", i) }

// BenchmarkSync100k is the target: 100,000 Fleet hosts, paged
// over loopback HTTP from a fake in a child process, matched against
// 10,000 tailnet devices (8,000 of them known to Fleet), with every
// matched device's attributes written (and audited) in one SQLite
// transaction: each iteration starts from no attributes, the worst case.
// Besides ns/op and B/op it reports where the time went (fetch-s/op:
// listing over HTTP; match-s/op: reading devices and matching; write-s/op:
// the attribute transaction with its audit events), peak-heap-MB, the
// highest heap sampled during the syncs, and maxrss-MB for this process.
func BenchmarkSync100k(b *testing.B) {
	const hosts, devices = 100_000, 10_000
	url := fakebench.StartChild(b, serveEnv, hosts)
	ctx := context.Background()
	st := storetest.New(b)
	tn := storetest.NewTailnet(b, st)
	svc := tailnet.New(st, slog.New(slog.DiscardHandler), nil)
	err := st.InTx(ctx, func(q store.Queries) error {
		for i := range devices {
			d := postern.Device{TailnetID: tn.ID, Name: fmt.Sprintf("dev%d", i), Hostname: "dev", Authorized: true}
			if i%5 != 4 { // 80% have a serial Fleet knows
				d.PostureIdentity.SerialNumbers = []string{benchSerial(i * (hosts / devices))}
			}
			if err := q.CreateDevice(ctx, &d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("creating devices: %v", err)
	}
	tok := token
	in, err := svc.CreateIntegration(ctx, admin, tn.ID, "fleet", tailnet.IntegrationConfig{CloudID: &url, ClientSecret: &tok})
	if err != nil {
		b.Fatal(err)
	}
	eng, err := posturesync.New(posturesync.Config{Tailnet: svc, TailnetID: tn.ID})
	if err != nil {
		b.Fatal(err)
	}
	// One sync first, so the fake has encoded every host.
	if _, err := eng.Sync(ctx, in.ID); err != nil {
		b.Fatal(err)
	}
	peak := fakebench.PeakHeap(b)
	var fetch, match, write time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		if _, err := st.DeleteAttributesBySource(ctx, tn.ID, postern.IntegrationSource(in.ID)); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		b.StartTimer()
		rep, err := eng.Sync(ctx, in.ID)
		if err != nil {
			b.Fatal(err)
		}
		fetch, match, write = fetch+rep.FetchTime, match+rep.MatchTime, write+rep.WriteTime
		if len(rep.Changed) != devices*8/10 || rep.Status.ProviderHostCount != hosts {
			b.Fatalf("sync: changed %d devices of %d hosts, want %d of %d", len(rep.Changed), rep.Status.ProviderHostCount, devices*8/10, hosts)
		}
	}
	n := float64(b.N)
	b.ReportMetric(fetch.Seconds()/n, "fetch-s/op")
	b.ReportMetric(match.Seconds()/n, "match-s/op")
	b.ReportMetric(write.Seconds()/n, "write-s/op")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
	fakebench.ReportMaxRSS(b)
}
