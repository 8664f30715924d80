package tailnet

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/postern/postern"
)

// TestPolicyCheckTimedOut: once the deadline passed, work that failed in
// its own words (the context's error, SQLite's "interrupted") is the time
// limit, not an internal error; a policy error stays what it is, and
// nothing counts before the deadline.
func TestPolicyCheckTimedOut(t *testing.T) {
	expired, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	live := context.Background()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"context error after the deadline", expired, fmt.Errorf("compiling: %w", context.DeadlineExceeded), true},
		{"sqlite interrupted after the deadline", expired, errors.New("reading devices: interrupted (9)"), true},
		{"policy error after the deadline", expired, postern.Errorf(postern.EINVALID, "1:2: bad"), false},
		{"no error", expired, nil, false},
		{"error before any deadline", live, errors.New("disk on fire"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := timedOut(tc.ctx, tc.err); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
