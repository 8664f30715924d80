package fakebench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"
	"time"
)

// childEnv makes this test binary serve a stand-in fake that answers
// every request with the count it was started with.
const childEnv = "POSTERN_FAKEBENCH_TEST_COUNT"

func TestMain(m *testing.M) {
	if ServeChild(childEnv, serveCount) {
		return
	}
	os.Exit(m.Run())
}

func serveCount(n int) (string, func()) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, n)
	}))
	return srv.URL, srv.Close
}

func TestServeChildWithoutEnv(t *testing.T) {
	called := false
	if ServeChild("POSTERN_FAKEBENCH_TEST_UNSET", func(int) (string, func()) {
		called = true
		return "", func() {}
	}) {
		t.Error("got true, want false without the variable")
	}
	if called {
		t.Error("serve was called without the variable")
	}
}

func TestStartChild(t *testing.T) {
	url := StartChild(t, childEnv, 1234)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("asking the child: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the child's answer: %v", err)
	}
	if got, want := string(body), "1234"; got != want {
		t.Errorf("child's count: got %q, want %q", got, want)
	}
}

func TestPeakHeap(t *testing.T) {
	const size = 32 << 20
	peak := PeakHeap(t)
	before := peak()
	b := make([]byte, size)
	// Give the sampler time to see b live.
	for deadline := time.Now().Add(5 * time.Second); peak() < before+size && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	runtime.KeepAlive(b)
	if got := peak(); got < before+size {
		t.Errorf("peak heap: got %d bytes, want at least %d (%d before, plus %d)", got, before+size, before, size)
	}
}

func TestReportMaxRSS(t *testing.T) {
	r := testing.Benchmark(ReportMaxRSS)
	if got := r.Extra["maxrss-MB"]; got <= 0 {
		t.Errorf("maxrss-MB: got %v, want more than 0", got)
	}
}

func TestListing(t *testing.T) {
	calls := 0
	r := testing.Benchmark(func(b *testing.B) {
		Listing(b, 3, func(context.Context) ([]int, error) {
			calls++
			return []int{1, 2, 3}, nil
		})
	})
	if calls == 0 || r.N == 0 {
		t.Errorf("fetch calls: got %d (N %d), want at least one", calls, r.N)
	}
	if _, ok := r.Extra["peak-heap-MB"]; !ok {
		t.Errorf("metrics: got %v, want peak-heap-MB", r.Extra)
	}
}
