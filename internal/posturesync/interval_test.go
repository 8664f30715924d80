package posturesync_test

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postern/postern"
	fakefleet "github.com/postern/postern/internal/fakes/fleet"
	"github.com/postern/postern/internal/posturesync"
	"github.com/postern/postern/internal/tailnet"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// An integration's own interval replaces the engine's default: with the
// default at an hour, an integration set to one minute syncs again one
// minute (plus at most a tenth in jitter) after its last attempt, not
// before.
func TestRunHonoursIntegrationInterval(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	e := newEnv(t, posturesync.Config{})
	// The writer stamps configuration changes by the same clock.
	e.svc = tailnet.New(e.st, slog.New(slog.DiscardHandler), clock.Now)
	eng, err := posturesync.New(posturesync.Config{Tailnet: e.svc, TailnetID: e.tn.ID, Interval: time.Hour,
		Poll: 20 * time.Millisecond, Now: clock.Now, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	e.eng = eng
	e.run()
	waitFor(t, "the first sync", 5*time.Second, func() bool { return !e.status().LastSync.IsZero() })
	requestsPerSync := e.fake.Requests()

	settle := func() { time.Sleep(150 * time.Millisecond) } // several polls
	clock.advance(2 * time.Minute)
	settle()
	if got := e.fake.Requests(); got != requestsPerSync {
		t.Fatalf("requests two minutes after the first sync, default interval an hour: got %d, want %d", got, requestsPerSync)
	}

	minute := time.Minute
	if _, err := e.svc.UpdateIntegration(e.ctx, admin, e.tn.ID, e.in.ID, tailnet.IntegrationConfig{SyncInterval: &minute}); err != nil {
		t.Fatalf("UpdateIntegration: %v", err)
	}
	// The change itself is a reason to sync at once.
	waitFor(t, "the sync the change starts", 5*time.Second, func() bool { return e.fake.Requests() == 2*requestsPerSync })
	settle()

	clock.advance(59 * time.Second)
	settle()
	if got := e.fake.Requests(); got != 2*requestsPerSync {
		t.Fatalf("requests 59s after the last sync with a 1m interval: got %d, want %d", got, 2*requestsPerSync)
	}
	clock.advance(7 * time.Second) // past 1m plus the largest jitter (6s)
	waitFor(t, "the sync one interval later", 5*time.Second, func() bool { return e.fake.Requests() == 3*requestsPerSync })
}

// SyncNowDone's channel closes once the sync it asked for has recorded
// its status.
func TestSyncNowDone(t *testing.T) {
	e := newEnv(t, posturesync.Config{Interval: time.Hour})
	e.run()
	select {
	case <-e.eng.SyncNowDone(e.in.ID):
	case <-time.After(5 * time.Second):
		t.Fatal("SyncNowDone: not closed 5s after the request")
	}
	if st := e.status(); st.LastSync.IsZero() || st.MatchedCount != 3 {
		t.Errorf("status when done: got lastSync %v matched %d, want a recorded sync matching 3", st.LastSync, st.MatchedCount)
	}
	// The scheduler's own first run may have overlapped the request,
	// which then ran again after it; either way syncing stops.
	waitFor(t, "Syncing to report false", 5*time.Second, func() bool { return !e.eng.Syncing(e.in.ID) })
}

// A successful sync records which vendor records matched no device and
// which devices no record matched; a failed one keeps that report.
func TestSyncRecordsUnmatched(t *testing.T) {
	e := newEnv(t, posturesync.Config{})
	e.mustSync()
	got := e.status().Unmatched
	if got == nil {
		t.Fatal("no match report after a successful sync")
	}
	var vendorIDs []string
	for _, r := range got.Records {
		vendorIDs = append(vendorIDs, r.VendorID)
	}
	wantIDs := []string{fmt.Sprint(e.hosts[3].ID), fmt.Sprint(e.hosts[4].ID)}
	if got.RecordCount != 2 || fmt.Sprint(vendorIDs) != fmt.Sprint(wantIDs) || got.Records[0].Serials[0] != "S9" {
		t.Errorf("unmatched records: got %d %+v, want the two hosts S9 and S8 (%v)", got.RecordCount, got.Records, wantIDs)
	}
	want := []postern.UnmatchedDevice{{NodeID: e.devs[3].NodeID, Name: "dev3", NoIdentity: true}}
	if got.DeviceCount != 1 || fmt.Sprintf("%+v", got.Devices) != fmt.Sprintf("%+v", want) {
		t.Errorf("unmatched devices: got %d %+v, want %+v", got.DeviceCount, got.Devices, want)
	}

	e.fake.SetToken("rotated")
	if _, err := e.eng.Sync(e.ctx, e.in.ID); err == nil {
		t.Fatal("Sync with a refused token: got nil, want an error")
	}
	if after := e.status(); after.Error == "" || after.Unmatched == nil || after.Unmatched.RecordCount != 2 {
		t.Errorf("report after a failed sync: got %+v (error %q), want the last successful one kept", after.Unmatched, after.Error)
	}
}

// The lists are bounded; the counts are not.
func TestSyncUnmatchedBounded(t *testing.T) {
	e := newEnv(t, posturesync.Config{})
	var hosts []fakefleet.Host
	for i := range 150 {
		hosts = append(hosts, fakefleet.Host{HardwareSerial: fmt.Sprintf("NOPE%03d", i)})
	}
	hosts[0].Hostname = strings.Repeat("h", 5000) // a vendor's text is kept short too
	e.fake.SetHosts(hosts)
	e.mustSync()
	got := e.status().Unmatched
	if got == nil || got.RecordCount != 150 || len(got.Records) != postern.MaxUnmatchedListed || got.DeviceCount != 4 || len(got.Devices) != 4 {
		t.Fatalf("report: got %+v, want 150 records counted, %d listed, and 4 devices", got, postern.MaxUnmatchedListed)
	}
	if n := len(got.Records[0].Hostname); n > 210 {
		t.Errorf("a 5000-byte host name kept as %d bytes, want at most about 200", n)
	}
}
