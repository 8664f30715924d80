package tailnet_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tailnet"
)

func TestPolicyCheckBounds(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	f.svc.SetPolicyCheckTimeout(20 * time.Millisecond)
	release := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	err := f.svc.PolicyCheck(ctx, "u1", func(ctx context.Context) error {
		defer close(finished)
		<-release // work that does not watch ctx
		return nil
	})
	if postern.ErrorCode(err) != postern.EUNAVAILABLE || !strings.Contains(err.Error(), "took longer than 20ms") {
		t.Fatalf("slow check: got %v, want EUNAVAILABLE naming the time limit", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("slow check returned after %v, want about the 20ms limit", took)
	}
	ran := false
	err = f.svc.PolicyCheck(ctx, "u1", func(context.Context) error { ran = true; return nil })
	if postern.ErrorCode(err) != postern.EBUSY || ran {
		t.Errorf("second check while the first still runs: got %v (ran %v), want EBUSY without running", err, ran)
	}
	if err := f.svc.PolicyCheck(ctx, "u2", func(context.Context) error { return nil }); err != nil {
		t.Errorf("another user's check: got %v, want it to run", err)
	}
	close(release)
	<-finished
	deadline := time.Now().Add(5 * time.Second)
	for {
		err = f.svc.PolicyCheck(ctx, "u1", func(context.Context) error { return nil })
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err != nil {
		t.Errorf("check after the first ended: got %v, want nil", err)
	}
}

func TestCompilePolicyRefusesHugeOrDeepText(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	for _, tc := range []struct {
		name, text, want string
	}{
		{"deep arrays", `{"acls": ` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`, "1:73: the policy nests objects and arrays deeper than 64 levels"},
		{"deep objects on line 2", "{\n" + strings.Repeat(`{"a":`, 70), "2:316: the policy nests"},
		{"too large", `{"acls": [], "x": "` + strings.Repeat("a", tailnet.MaxPolicySize) + `"}`, "more than the 524288 allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tailnet.CompilePolicy(ctx, f.st, f.tn.ID, tc.text)
			if postern.ErrorCode(err) != postern.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want EINVALID with %q", err, tc.want)
			}
		})
	}
	t.Run("brackets in strings and comments do not count", func(t *testing.T) {
		text := "// " + strings.Repeat("[", 100) + "\n/* " + strings.Repeat("{", 100) + " */\n" +
			`{"groups": {"group:a": ["x@example.com"]}, "acls": [], "tests": [], "ipsets": {}, "hosts": {"h` + strings.Repeat(`\"[`, 50) + `": "10.0.0.1"}}`
		_, err := tailnet.CompilePolicy(ctx, f.st, f.tn.ID, text)
		if err != nil && strings.Contains(err.Error(), "nests") {
			t.Errorf("got %v, want no nesting error", err)
		}
	})
}

// TestPolicyCheckServerWideLimit: many accounts cannot stack checks
// either; beyond the server-wide limit a check is EBUSY without running.
func TestPolicyCheckServerWideLimit(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	f.svc.SetPolicyCheckLimit(2)
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, u := range []string{"u1", "u2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.svc.PolicyCheck(ctx, u, func(context.Context) error {
				started <- struct{}{}
				<-release
				return nil
			})
		}()
	}
	<-started
	<-started
	ran := false
	err := f.svc.PolicyCheck(ctx, "u3", func(context.Context) error { ran = true; return nil })
	if postern.ErrorCode(err) != postern.EBUSY || ran || !strings.Contains(err.Error(), "busy checking other policies") {
		t.Errorf("a third user's check while two run: got %v (ran %v), want EBUSY without running", err, ran)
	}
	close(release)
	wg.Wait()
	if err := f.svc.PolicyCheck(ctx, "u3", func(context.Context) error { return nil }); err != nil {
		t.Errorf("after the two ended: got %v, want the check to run", err)
	}
}
