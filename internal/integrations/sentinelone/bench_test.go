package sentinelone

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// BenchmarkSentinelOneFetch100k lists 100,000 agents (100 pages) from the
// fake over loopback HTTP. The fake's own work is included.
func BenchmarkSentinelOneFetch100k(b *testing.B) {
	srv := newServer(b)
	srv.SetAgents(agents(100_000))
	c := newClient(b, srv)
	runtime.GC()
	peak := watchHeap()
	b.ReportAllocs()
	for b.Loop() {
		recs, err := c.Fetch(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) != 100_000 {
			b.Fatalf("got %d records, want 100000", len(recs))
		}
	}
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
}

// watchHeap samples the heap's live objects every few milliseconds until
// the returned function is called, which reports the largest sample.
func watchHeap() func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
