package posturesync_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/postern/postern"
	fakefleet "github.com/postern/postern/internal/fakes/fleet"
	"github.com/postern/postern/internal/posturesync"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/tailnet"
)

// requestsPerSync is how many pages one listing of the fake takes: five
// hosts, two a page.
const requestsPerSync = 3

// run starts the engine and stops it when the test ends, checking that
// Run returns.
func (e *env) run() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.eng.Run(ctx) }()
	e.t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				e.t.Errorf("Run: got %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			e.t.Errorf("Run did not return 10s after its context ended")
		}
	})
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunSyncsAtOnceThenEveryInterval(t *testing.T) {
	e := newEnv(t, posturesync.Config{Interval: 200 * time.Millisecond})
	start := time.Now()
	e.run()
	waitFor(t, "the first sync", 5*time.Second, func() bool { return !e.status().LastSync.IsZero() })
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("first sync of a new integration came after %v, want at once", d)
	}
	waitFor(t, "three more syncs", 10*time.Second, func() bool { return e.fake.Requests() >= 4*requestsPerSync })
	if got := len(e.attrs()); got != 3 {
		t.Errorf("devices with attributes: got %d, want 3", got)
	}
}

func TestSyncNowRunsOutOfSchedule(t *testing.T) {
	e := newEnv(t, posturesync.Config{Interval: time.Hour})
	e.run()
	waitFor(t, "the first sync", 5*time.Second, func() bool { return !e.status().LastSync.IsZero() })
	time.Sleep(100 * time.Millisecond)
	if got := e.fake.Requests(); got != requestsPerSync {
		t.Fatalf("requests after the first sync: got %d, want %d (no second sync within the hour)", got, requestsPerSync)
	}
	e.fake.SetPolicyResponse(e.hosts[0].ID, "fv", "fail")
	e.eng.SyncNow(e.in.ID)
	waitFor(t, "the requested sync to remove the failing policy's attribute", 5*time.Second, func() bool {
		_, ok := e.attrs()[0]["fleetPolicy:diskEncrypted"]
		return !ok
	})
}

func TestAuthFailurePausesUntilConfigChanges(t *testing.T) {
	e := newEnv(t, posturesync.Config{Interval: 50 * time.Millisecond, Poll: 50 * time.Millisecond})
	e.fake.SetToken("rotated")
	e.run()
	waitFor(t, "the pause", 5*time.Second, func() bool { return !e.status().PausedUntil.IsZero() })
	st := e.status()
	if until := time.Until(st.PausedUntil); until < 23*time.Hour || until > 24*time.Hour {
		t.Errorf("PausedUntil: got %v from now, want about 24h", until)
	}
	time.Sleep(300 * time.Millisecond) // six intervals
	if got := e.fake.Requests(); got != 1 {
		t.Errorf("requests while paused: got %d, want 1 (the refused one)", got)
	}

	t.Run("SyncNow tries despite the pause", func(t *testing.T) {
		e.eng.SyncNow(e.in.ID)
		waitFor(t, "the requested attempt", 5*time.Second, func() bool { return e.fake.Requests() == 2 })
		if e.status().PausedUntil.IsZero() {
			t.Errorf("PausedUntil after another refused attempt: got zero, want a pause")
		}
	})

	t.Run("new token lifts the pause", func(t *testing.T) {
		tok := "rotated"
		// Without SyncNow, as if another process changed it: the scheduler
		// notices the configuration change by itself.
		if _, err := e.svc.UpdateIntegration(e.ctx, admin, e.tn.ID, e.in.ID, tailnet.IntegrationConfig{ClientSecret: &tok}); err != nil {
			t.Fatalf("UpdateIntegration: %v", err)
		}
		waitFor(t, "a successful sync", 5*time.Second, func() bool { return !e.status().LastSync.IsZero() })
		st := e.status()
		if !st.PausedUntil.IsZero() || st.Error != "" {
			t.Errorf("status after the fix: got paused until %v, error %q; want neither", st.PausedUntil, st.Error)
		}
		if got := len(e.attrs()); got != 3 {
			t.Errorf("devices with attributes: got %d, want 3", got)
		}
	})
}

func TestRunWaitsForSyncInFlight(t *testing.T) {
	e := newEnv(t, posturesync.Config{Interval: time.Hour})
	e.fake.Inject(fakefleet.Fault{Page: 2, Delay: 300 * time.Millisecond, Times: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.eng.Run(ctx) }()
	waitFor(t, "the sync to start", 5*time.Second, func() bool { return e.fake.Requests() >= 2 })
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	// The cancelled sync must have left attributes alone and recorded why.
	if got := len(e.attrs()); got != 0 {
		t.Errorf("attributes after a sync cancelled mid-listing: got %d devices, want none", got)
	}
	if st := e.status(); st.Error == "" || !st.LastSync.IsZero() {
		t.Errorf("status: got error %q lastSync %v, want the cancellation recorded and no lastSync", st.Error, st.LastSync)
	}
}

func TestRunRetriesFailedSyncNextInterval(t *testing.T) {
	e := newEnv(t, posturesync.Config{Interval: 100 * time.Millisecond})
	e.fake.Inject(fakefleet.Fault{Page: 3, Status: http.StatusInternalServerError, Times: 2}) // both attempts of the first sync
	e.run()
	waitFor(t, "a successful sync after the failed one", 10*time.Second, func() bool { return !e.status().LastSync.IsZero() })
	if got := len(e.attrs()); got != 3 {
		t.Errorf("devices with attributes: got %d, want 3", got)
	}
}

// statusRefusingStore fails every status write, as a database in trouble
// might.
type statusRefusingStore struct{ store.Store }

func (statusRefusingStore) UpdateIntegrationStatus(context.Context, string, postern.IntegrationStatus) error {
	return errors.New("disk full")
}

func TestRunDoesNotSpinWhenStatusCannotBeSaved(t *testing.T) {
	e := newEnv(t, posturesync.Config{})
	svc := tailnet.New(statusRefusingStore{e.st}, slog.New(slog.DiscardHandler), nil)
	eng, err := posturesync.New(posturesync.Config{Tailnet: svc, TailnetID: e.tn.ID, Interval: 200 * time.Millisecond, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	e.eng = eng
	e.run()
	time.Sleep(time.Second)
	// About five runs fit in a second at one per 200ms; a scheduler that
	// trusted the unsaved status would have started hundreds.
	if got := e.fake.Requests(); got == 0 || got > 8*requestsPerSync {
		t.Errorf("requests in one second: got %d, want between 1 and %d", got, 8*requestsPerSync)
	}
}
