package posturesync_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	fakefleet "github.com/postern/postern/internal/fakes/fleet"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/integrations/fleet"
	"github.com/postern/postern/internal/posturesync"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
)

const token = "vendor-token"

var fastRetry = integrations.RetryPolicy{Attempts: 2, Base: time.Millisecond, Max: 5 * time.Millisecond}

// env is a tailnet with devices, a fake Fleet and an engine syncing it.
type env struct {
	t       *testing.T
	ctx     context.Context
	st      store.Store
	svc     *tailnet.Service
	tn      postern.Tailnet
	fake    *fakefleet.Server
	hosts   []fakefleet.Host // as stored in the fake
	devs    []postern.Device // tailnet devices: serial S0, S1, S2, and one without
	in      postern.Integration
	eng     *posturesync.Engine
	changes *changeLog
}

type changeLog struct {
	mu  sync.Mutex
	got []tailnet.Change
}

func (c *changeLog) add(ch tailnet.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, ch)
}

func (c *changeLog) take() []tailnet.Change {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.got
	c.got = nil
	return out
}

var admin = audit.Context{Origin: audit.OriginAPI, Actor: postern.AuditActor{ID: "u1", Type: audit.ActorUser, LoginName: "admin@example.com"}}

func newEnv(t *testing.T, cfg posturesync.Config) *env {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	tn := storetest.NewTailnet(t, st)
	e := &env{t: t, ctx: ctx, st: st, tn: tn, changes: &changeLog{}}
	e.svc = tailnet.New(st, slog.New(slog.DiscardHandler), nil)
	e.svc.Subscribe(e.changes.add)

	for i, serial := range []string{"s0", "S1", "S2 ", ""} {
		d := postern.Device{TailnetID: tn.ID, Hostname: "dev", Name: []string{"dev0", "dev1", "dev2", "dev3"}[i], Authorized: true,
			MachineKey: "mkey:" + strings.Repeat(string(rune('a'+i)), 64)}
		if serial != "" {
			d.PostureIdentity.SerialNumbers = []string{serial}
		}
		if err := st.CreateDevice(ctx, &d); err != nil {
			t.Fatalf("CreateDevice: %v", err)
		}
		e.devs = append(e.devs, d)
	}

	e.fake = fakefleet.NewServer(token)
	t.Cleanup(e.fake.Close)
	e.hosts = e.fake.SetHosts([]fakefleet.Host{
		{HardwareSerial: "S0", Policies: []fakefleet.Policy{{Name: "fv", Description: "Tailscale: fleetPolicy:diskEncrypted", Response: "pass"}}},
		{HardwareSerial: "S1", Policies: []fakefleet.Policy{{Name: "fv", Description: "Tailscale: fleetPolicy:diskEncrypted", Response: "fail"}}},
		{HardwareSerial: "S2"},
		{HardwareSerial: "S9"}, // not in the tailnet
		{HardwareSerial: "S8"},
	})

	url, tok := e.fake.URL(), token
	in, err := e.svc.CreateIntegration(ctx, admin, tn.ID, "fleet", tailnet.IntegrationConfig{CloudID: &url, ClientSecret: &tok})
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	e.in = in

	cfg.Tailnet, cfg.TailnetID = e.svc, tn.ID
	if cfg.Retry.Attempts == 0 {
		cfg.Retry = fastRetry
	}
	if cfg.Sources == nil {
		// Two hosts a page, so that "page 3" exists.
		cfg.Sources = func(in postern.Integration, c integrations.Config) (integrations.Source, error) {
			fc, err := fleet.New(c)
			if err != nil {
				return nil, err
			}
			fc.PerPage = 2
			return fc, nil
		}
	}
	e.eng, err = posturesync.New(cfg)
	if err != nil {
		t.Fatalf("sync.New: %v", err)
	}
	e.changes.take() // creation noise
	return e
}

// attrs returns the integration's attributes by device index.
func (e *env) attrs() map[int]map[string]postern.Value {
	e.t.Helper()
	all, err := e.st.AttributesBySource(e.ctx, e.tn.ID, postern.IntegrationSource(e.in.ID))
	if err != nil {
		e.t.Fatalf("AttributesBySource: %v", err)
	}
	out := map[int]map[string]postern.Value{}
	for _, a := range all {
		i := slices.IndexFunc(e.devs, func(d postern.Device) bool { return d.ID == a.DeviceID })
		if out[i] == nil {
			out[i] = map[string]postern.Value{}
		}
		out[i][a.Key] = a.Value
	}
	return out
}

func (e *env) status() postern.IntegrationStatus {
	e.t.Helper()
	in, err := e.st.Integration(e.ctx, e.in.ID)
	if err != nil {
		e.t.Fatalf("Integration: %v", err)
	}
	return in.Status
}

func (e *env) attributeEvents() []postern.AuditEvent {
	e.t.Helper()
	evs, err := e.st.AuditEvents(e.ctx, postern.AuditFilter{TailnetID: e.tn.ID, Event: "NODE.UPDATE.ATTRIBUTES"})
	if err != nil {
		e.t.Fatalf("AuditEvents: %v", err)
	}
	return evs
}

func (e *env) mustSync() posturesync.Report {
	e.t.Helper()
	rep, err := e.eng.Sync(e.ctx, e.in.ID)
	if err != nil {
		e.t.Fatalf("Sync: %v", err)
	}
	return rep
}

func attrsEqual(a, b map[int]map[string]postern.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i, m := range a {
		if len(m) != len(b[i]) {
			return false
		}
		for k, v := range m {
			if w, ok := b[i][k]; !ok || w != v {
				return false
			}
		}
	}
	return true
}

var (
	yes = postern.Bool(true)
	no  = postern.Bool(false)
)

func TestSyncWritesAttributes(t *testing.T) {
	e := newEnv(t, posturesync.Config{})
	rep := e.mustSync()

	want := map[int]map[string]postern.Value{
		0: {"fleet:present": yes, "fleetPolicy:diskEncrypted": yes},
		1: {"fleet:present": yes}, // its policy fails: no fleetPolicy attribute
		2: {"fleet:present": yes},
	}
	if got := e.attrs(); !attrsEqual(got, want) {
		t.Errorf("attributes: got %v, want %v", got, want)
	}
	st := e.status()
	if st.ProviderHostCount != 5 || st.MatchedCount != 3 || st.PossibleMatchedCount != 3 {
		t.Errorf("counts: got hosts %d matched %d possible %d, want 5 3 3", st.ProviderHostCount, st.MatchedCount, st.PossibleMatchedCount)
	}
	if st.Error != "" || st.LastSync.IsZero() || st.LastAttempt.IsZero() || !st.PausedUntil.IsZero() {
		t.Errorf("status: got %+v, want a clean successful sync", st)
	}
	if len(rep.Changed) != 3 {
		t.Errorf("Report.Changed: got %v, want 3 devices", rep.Changed)
	}
	if evs := e.attributeEvents(); len(evs) != 3 {
		t.Errorf("NODE.UPDATE.ATTRIBUTES events: got %d, want 3 (one per changed device)", len(evs))
	} else if evs[0].Actor.Type != audit.ActorWorker || len(evs[0].New) == 0 {
		t.Errorf("audit event: got actor %+v new %s, want the sync service with new values", evs[0].Actor, evs[0].New)
	}
	if ch := e.changes.take(); len(ch) != 1 || len(ch[0].AttrsChanged) != 3 {
		t.Errorf("changes emitted: got %+v, want one naming 3 devices", ch)
	}

	t.Run("unchanged second sync writes nothing", func(t *testing.T) {
		rep := e.mustSync()
		if len(rep.Changed) != 0 {
			t.Errorf("Report.Changed: got %v, want none", rep.Changed)
		}
		if evs := e.attributeEvents(); len(evs) != 3 {
			t.Errorf("NODE.UPDATE.ATTRIBUTES events: got %d, want still 3", len(evs))
		}
		if ch := e.changes.take(); len(ch) != 0 {
			t.Errorf("changes emitted: got %+v, want none", ch)
		}
	})

	t.Run("flip one value", func(t *testing.T) {
		e.fake.SetPolicyResponse(e.hosts[1].ID, "fv", "pass")
		rep := e.mustSync()
		if !slices.Equal(rep.Changed, []int64{e.devs[1].ID}) {
			t.Errorf("Report.Changed: got %v, want [%d]", rep.Changed, e.devs[1].ID)
		}
		if got := e.attrs()[1]["fleetPolicy:diskEncrypted"]; got != yes {
			t.Errorf("dev1 fleetPolicy:diskEncrypted: got %v, want true", got)
		}
		evs := e.attributeEvents()
		if len(evs) != 4 || strings.Contains(string(evs[0].Old), "diskEncrypted") || !strings.Contains(string(evs[0].New), `"fleetPolicy:diskEncrypted":true`) {
			t.Errorf("newest audit event: got old %s new %s (of %d), want unset -> true", evs[0].Old, evs[0].New, len(evs))
		}
		if ch := e.changes.take(); len(ch) != 1 || !slices.Equal(ch[0].AttrsChanged, []int64{e.devs[1].ID}) {
			t.Errorf("changes emitted: got %+v, want one naming dev1", ch)
		}
	})

	t.Run("host gone from the vendor", func(t *testing.T) {
		e.fake.RemoveHost(e.hosts[2].ID)
		e.mustSync()
		if got, ok := e.attrs()[2]; ok {
			t.Errorf("dev2 attributes after its host left: got %v, want none", got)
		}
	})
}

func TestFailedSyncChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fault      fakefleet.Fault
		cfg        posturesync.Config
		wantErr    string // in the error Sync returns, which goes to the log
		wantStatus string // the status error every reader sees
		wantAuth   bool
	}{
		{name: "500 on page 3", fault: fakefleet.Fault{Page: 3, Status: http.StatusInternalServerError}, wantErr: "status 500",
			wantStatus: "Fleet answered 500 Internal Server Error."},
		{name: "truncated JSON on page 3", fault: fakefleet.Fault{Page: 3, Truncate: true}, wantErr: "decoding response",
			wantStatus: "Fleet sent a response Postern could not read."},
		{name: "429 on page 2", fault: fakefleet.Fault{Page: 2, Status: http.StatusTooManyRequests}, wantErr: "status 429",
			wantStatus: "Fleet answered 429 Too Many Requests."},
		{name: "timeout on page 3", fault: fakefleet.Fault{Page: 3, Delay: 10 * time.Second}, cfg: posturesync.Config{RunTimeout: 300 * time.Millisecond}, wantErr: "deadline exceeded",
			wantStatus: "Fleet did not answer in time."},
		{name: "401", fault: fakefleet.Fault{Status: http.StatusUnauthorized}, wantErr: "Authentication required", wantAuth: true,
			wantStatus: "Fleet refused the credentials: it answered 401 Unauthorized."},
		{name: "403 on page 2", fault: fakefleet.Fault{Page: 2, Status: http.StatusForbidden}, wantErr: "Permission Denied", wantAuth: true,
			wantStatus: "Fleet refused the credentials: it answered 403 Forbidden."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)
			tc.cfg.Now = func() time.Time { return now }
			e := newEnv(t, tc.cfg)
			e.mustSync()
			before, beforeStatus := e.attrs(), e.status()
			e.changes.take()

			// Everything changes at the vendor, then the listing fails.
			for _, h := range e.hosts {
				e.fake.SetPolicyResponse(h.ID, "fv", "fail")
			}
			e.fake.RemoveHost(e.hosts[2].ID)
			e.fake.Inject(tc.fault)
			now = now.Add(time.Minute)

			_, err := e.eng.Sync(e.ctx, e.in.ID)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Sync: got error %v, want one containing %q", err, tc.wantErr)
			}
			if got := errors.Is(err, integrations.ErrAuth); got != tc.wantAuth {
				t.Errorf("errors.Is(err, ErrAuth): got %v, want %v", got, tc.wantAuth)
			}
			if got := e.attrs(); !attrsEqual(got, before) {
				t.Errorf("attributes after a failed sync: got %v, want unchanged %v", got, before)
			}
			if ch := e.changes.take(); len(ch) != 0 {
				t.Errorf("changes emitted: got %+v, want none", ch)
			}
			st := e.status()
			if st.Error != tc.wantStatus {
				t.Errorf("status error: got %q, want %q (the vendor's own words only in the log)", st.Error, tc.wantStatus)
			}
			if !st.LastSync.Equal(beforeStatus.LastSync) || !st.LastAttempt.Equal(now) {
				t.Errorf("status times: got lastSync %v lastAttempt %v, want lastSync kept at %v and lastAttempt %v", st.LastSync, st.LastAttempt, beforeStatus.LastSync, now)
			}
			if st.ProviderHostCount != beforeStatus.ProviderHostCount || st.MatchedCount != beforeStatus.MatchedCount {
				t.Errorf("status counts: got %d/%d, want the last good sync's %d/%d", st.ProviderHostCount, st.MatchedCount, beforeStatus.ProviderHostCount, beforeStatus.MatchedCount)
			}
			wantPause := time.Time{}
			if tc.wantAuth {
				wantPause = now.Add(posturesync.DefaultAuthPause)
			}
			if !st.PausedUntil.Equal(wantPause) {
				t.Errorf("PausedUntil: got %v, want %v", st.PausedUntil, wantPause)
			}
		})
	}
}

func TestConflictIsReported(t *testing.T) {
	e := newEnv(t, posturesync.Config{})
	older := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	e.fake.Update(e.hosts[0].ID, func(h *fakefleet.Host) { h.SeenTime = older })
	dup := e.fake.PutHost(fakefleet.Host{HardwareSerial: "s0", SeenTime: older.Add(time.Hour)}) // seen later, no policies
	rep := e.mustSync()
	if len(rep.Conflicts) != 1 || rep.Conflicts[0].DeviceID != e.devs[0].ID {
		t.Fatalf("Report.Conflicts: got %+v, want dev0", rep.Conflicts)
	}
	if got := e.attrs()[0]; len(got) != 1 || got["fleet:present"] != yes {
		t.Errorf("dev0 attributes: got %v, want only the newer record's fleet:present", got)
	}
	st := e.status()
	if !strings.Contains(st.Warning, "more than one fleet record") || !strings.Contains(st.Warning, "dev0") || st.Error != "" || st.LastSync.IsZero() {
		t.Errorf("status: got warning %q error %q lastSync %v, want a warning naming dev0, no error, on a successful sync", st.Warning, st.Error, st.LastSync)
	}
	_ = dup
}

func TestDeleteIntegrationRemovesAttributes(t *testing.T) {
	e := newEnv(t, posturesync.Config{})
	e.mustSync()
	if err := e.svc.DeleteIntegration(e.ctx, admin, e.tn.ID, e.in.ID); err != nil {
		t.Fatalf("DeleteIntegration: %v", err)
	}
	if got := e.attrs(); len(got) != 0 {
		t.Errorf("attributes after delete: got %v, want none", got)
	}
	if _, err := e.eng.Sync(e.ctx, e.in.ID); !postern.IsNotFound(err) {
		t.Errorf("Sync of a deleted integration: got %v, want not found", err)
	}
}
