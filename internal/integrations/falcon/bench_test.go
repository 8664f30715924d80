package falcon

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// BenchmarkFalconFetch100k lists 100,000 hosts from the fake over
// loopback HTTP: 21 scroll pages, 20 details batches and 1,000 ZTA
// batches. B/op includes the fake's own work; peak-heap-MB is the largest
// live heap seen during the runs, the fake's 100,000 devices included.
func BenchmarkFalconFetch100k(b *testing.B) {
	srv := newServer(b)
	srv.SetDevices(devices(100_000))
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
