package integrations

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header http.Header
		want   time.Duration
		ok     bool
	}{
		{"seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second, true},
		{"http date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second, true},
		{"date in the past", http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0, true},
		{"falcon epoch", http.Header{"X-Ratelimit-Retryafter": {"1795320030"}}, time.Unix(1795320030, 0).Sub(now), true},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0, false},
		{"none", http.Header{}, 0, false},
		{"nil", nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := retryAfter(tc.header, now)
			if got != tc.want || ok != tc.ok {
				t.Errorf("retryAfter: got %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestDo(t *testing.T) {
	fast := RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}
	for _, tc := range []struct {
		name         string
		statuses     []int // answered in turn; the last repeats
		wantErr      bool
		wantAuth     bool
		wantRequests int32
	}{
		{"ok", []int{200}, false, false, 1},
		{"408 then ok", []int{408, 200}, false, false, 2},
		{"429 then ok", []int{429, 200}, false, false, 2},
		{"500 always", []int{500}, true, false, 3},
		{"401 not retried", []int{401}, true, true, 1},
		{"403 not retried", []int{403}, true, true, 1},
		{"404 not retried", []int{404}, true, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				st := tc.statuses[min(i, len(tc.statuses)-1)]
				if st == 429 {
					w.Header().Set("Retry-After", "3600") // capped by RetryPolicy.Max
				}
				w.WriteHeader(st)
				w.Write([]byte("body"))
			}))
			defer srv.Close()
			cfg := Config{Retry: fast}
			body, err := cfg.Do(context.Background(), func(ctx context.Context) (*http.Request, error) {
				return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("Do: got error %v, want error %v", err, tc.wantErr)
			}
			if err == nil && string(body) != "body" {
				t.Errorf("Do: got body %q, want %q", body, "body")
			}
			if got := errors.Is(err, ErrAuth); got != tc.wantAuth {
				t.Errorf("errors.Is(err, ErrAuth): got %v, want %v", got, tc.wantAuth)
			}
			if got := n.Load(); got != tc.wantRequests {
				t.Errorf("requests: got %d, want %d", got, tc.wantRequests)
			}
		})
	}
}
