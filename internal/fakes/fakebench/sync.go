package fakebench

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/postern/postern/internal/integrations"
)

// Identities returns devices tailnet device identities for a benchmark
// against records vendor records whose i-th serial is serial(i): four in
// five carry the serial of every (records/devices)-th record, the rest a
// serial the vendor does not know.
func Identities(devices, records int, serial func(int) string) []integrations.Identity {
	ids := make([]integrations.Identity, devices)
	for i := range ids {
		ids[i] = integrations.Identity{DeviceID: int64(i + 1)}
		if i%5 != 4 {
			ids[i].Serials = []string{serial(i * (records / devices))}
		} else {
			ids[i].Serials = []string{fmt.Sprintf("UNKNOWN%06d", i)}
		}
	}
	return ids
}

// FetchAndMatch is the body every provider's BenchmarkSync100k shares:
// it lists src's records (once first, to warm the fake), then in the
// timed loop lists them again and matches them against ids, failing
// unless every listing has records records and four in five ids match.
// Besides ns/op and B/op it reports fetch-s/op, match-s/op,
// peak-heap-MB (the highest heap sampled during the runs) and maxrss-MB.
func FetchAndMatch(b *testing.B, src integrations.Source, useMAC bool, records int, ids []integrations.Identity) {
	b.Helper()
	ctx := context.Background()
	if _, err := src.Fetch(ctx); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	peak := PeakHeap(b)
	var fetch, match time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		recs, err := src.Fetch(ctx)
		if err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		res := integrations.Match(ids, recs, useMAC)
		fetch, match = fetch+mid.Sub(start), match+time.Since(mid)
		if want := len(ids) * 8 / 10; len(recs) != records || res.MatchedCount != want {
			b.Fatalf("got %d records matching %d devices, want %d matching %d", len(recs), res.MatchedCount, records, want)
		}
	}
	n := float64(b.N)
	b.ReportMetric(fetch.Seconds()/n, "fetch-s/op")
	b.ReportMetric(match.Seconds()/n, "match-s/op")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
	ReportMaxRSS(b)
}
