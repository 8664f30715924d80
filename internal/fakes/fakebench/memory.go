package fakebench

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"
)

// PeakHeap samples the heap's live objects now and every few
// milliseconds until the test or benchmark ends, and returns a function
// that reads the highest sample so far, in bytes.
func PeakHeap(tb testing.TB) func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
	)
	read := func(s []metrics.Sample) {
		metrics.Read(s)
		mu.Lock()
		peak = max(peak, s[0].Value.Uint64())
		mu.Unlock()
	}
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read(s)
	done := make(chan struct{})
	stopped := make(chan struct{})
	tb.Cleanup(func() {
		close(done)
		<-stopped
	})
	go func() {
		defer close(stopped)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			read(s)
		}
	}()
	return func() uint64 {
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// ReportMaxRSS reports the peak resident memory of this process as
// maxrss-MB, when the system tells it.
func ReportMaxRSS(b *testing.B) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MB")
	}
}

// Listing is the loop of a benchmark that lists want records through
// fetch, a client's Fetch against a fake: each iteration fetches once
// and fails the benchmark on an error or a wrong count. Besides ns/op it
// reports B/op and peak-heap-MB, the largest live heap sampled during
// the runs (the fake's included when it runs in this process).
func Listing[R any](b *testing.B, want int, fetch func(context.Context) ([]R, error)) {
	runtime.GC()
	peak := PeakHeap(b)
	b.ReportAllocs()
	for b.Loop() {
		recs, err := fetch(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) != want {
			b.Fatalf("records: got %d, want %d", len(recs), want)
		}
	}
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
}
