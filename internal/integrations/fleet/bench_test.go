package fleet_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	fakefleet "github.com/postern/postern/internal/fakes/fleet"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/integrations/fleet"
)

// serveEnv, when set to a host count, makes the test binary serve a fake
// Fleet with that many hosts instead of running tests; the benchmark runs
// it as a child process, so that its own memory figures are the client's.
const serveEnv = "POSTERN_BENCH_FAKE_FLEET_HOSTS"

func TestMain(m *testing.M) {
	if n := os.Getenv(serveEnv); n != "" {
		serveFake(n)
		return
	}
	os.Exit(m.Run())
}

// serveFake prints the fake's URL and serves until stdin closes.
func serveFake(count string) {
	n, err := strconv.Atoi(count)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad host count:", err)
		os.Exit(2)
	}
	fake := fakefleet.NewServer(token)
	defer fake.Close()
	fake.SetHosts(benchHosts(n))
	fmt.Println(fake.URL())
	io.Copy(io.Discard, os.Stdin)
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

// startChildFake runs a fake Fleet with n hosts in a child process and
// returns its URL.
func startChildFake(b *testing.B, n int) string {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), serveEnv+"="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting the fake: %v", err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("reading the fake's URL: %v", err)
	}
	return strings.TrimSpace(line)
}

// BenchmarkFleetFetch100k lists 100,000 hosts, each with three policies,
// paged (500 a page) over loopback HTTP from a fake Fleet running in a
// child process. Besides ns/op and B/op it reports records-MB, the heap
// the returned records hold; peak-heap-MB, the highest heap (garbage
// included) sampled while listing; and maxrss-MB, the peak resident
// memory of this process, which runs only the client.
func BenchmarkFleetFetch100k(b *testing.B) {
	const n = 100_000
	url := startChildFake(b, n)
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
	peak := samplePeakHeap(b)

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
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MB")
	}
}

// samplePeakHeap samples the heap every few milliseconds until the
// benchmark ends, and returns a function that reads the highest value.
func samplePeakHeap(b *testing.B) func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
	)
	done := make(chan struct{})
	b.Cleanup(func() { close(done) })
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			metrics.Read(s)
			mu.Lock()
			peak = max(peak, s[0].Value.Uint64())
			mu.Unlock()
		}
	}()
	return func() uint64 {
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
