package posturesync_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	fakekandji "github.com/postern/postern/internal/fakes/kandji"
	"github.com/postern/postern/internal/posturesync"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
)

// kandjiEnv is a tailnet with two devices and a Kandji integration whose
// token has only Prism > Device information, as Tailscale's setup
// document grants, synced by the engine's default sources.
type kandjiEnv struct {
	ctx  context.Context
	st   store.Store
	fake *fakekandji.Server
	devs []postern.Device
	in   postern.Integration
	eng  *posturesync.Engine
}

func newKandjiEnv(t *testing.T, now func() time.Time) *kandjiEnv {
	t.Helper()
	e := &kandjiEnv{ctx: context.Background(), st: storetest.New(t)}
	tn := storetest.NewTailnet(t, e.st)
	svc := tailnet.New(e.st, slog.New(slog.DiscardHandler), nil)
	for _, serial := range []string{"FVHHFKF7Q6L4", "ZGFRNNQGQD"} {
		d := postern.Device{TailnetID: tn.ID, Name: serial, Hostname: serial, PostureIdentity: postern.PostureIdentity{SerialNumbers: []string{serial}}}
		if err := e.st.CreateDevice(e.ctx, &d); err != nil {
			t.Fatal(err)
		}
		e.devs = append(e.devs, d)
	}
	e.fake = fakekandji.NewServer(token)
	t.Cleanup(e.fake.Close)
	e.fake.SetPermissions(token, fakekandji.PrismPath)
	e.fake.SetDevices([]fakekandji.Device{
		{SerialNumber: "FVHHFKF7Q6L4", MDMEnabled: true},
		{SerialNumber: "ZGFRNNQGQD", MDMEnabled: true, AgentNotReported: true}, // agent_installed null
	})
	url, tok := e.fake.URL(), token
	in, err := svc.CreateIntegration(e.ctx, admin, tn.ID, "kandji", tailnet.IntegrationConfig{CloudID: &url, ClientSecret: &tok})
	if err != nil {
		t.Fatal(err)
	}
	e.in = in
	e.eng, err = posturesync.New(posturesync.Config{Tailnet: svc, TailnetID: tn.ID, Retry: fastRetry, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// attrs returns the attributes by device index, as env.attrs does.
func (e *kandjiEnv) attrs(t *testing.T) map[int]map[string]postern.Value {
	t.Helper()
	out := make(map[int]map[string]postern.Value, len(e.devs))
	for i, d := range e.devs {
		as, err := e.st.Attributes(e.ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = map[string]postern.Value{}
		for _, a := range as {
			out[i][a.Key] = a.Value
		}
	}
	return out
}

func (e *kandjiEnv) status(t *testing.T) postern.IntegrationStatus {
	t.Helper()
	in, err := e.st.Integration(e.ctx, e.in.ID)
	if err != nil {
		t.Fatal(err)
	}
	return in.Status
}

// TestDefaultSourceKandji syncs through the real engine with a Prism-only
// token, which Kandji refuses on /api/v1/devices.
func TestDefaultSourceKandji(t *testing.T) {
	e := newKandjiEnv(t, nil)
	if _, err := e.eng.Sync(e.ctx, e.in.ID); err != nil {
		t.Fatalf("Sync with a Prism-only token: %v", err)
	}
	want := map[int]map[string]postern.Value{
		0: {"kandji:mdmEnabled": yes, "kandji:agentInstalled": no},
		1: {"kandji:mdmEnabled": yes}, // agent_installed null: no attribute
	}
	if got := e.attrs(t); !attrsEqual(got, want) {
		t.Errorf("attributes: got %v, want %v", got, want)
	}
	if got := e.fake.RequestsTo(fakekandji.DevicesPath); got != 0 {
		t.Errorf("requests to %s: got %d, want 0", fakekandji.DevicesPath, got)
	}
	if st := e.status(t); st.Error != "" || st.LastSync.IsZero() || st.ProviderHostCount != 2 || st.MatchedCount != 2 {
		t.Errorf("status: got %+v, want a successful sync of 2 hosts, 2 matched", st)
	}
}

// TestKandjiWithoutPrismPermission: a token that lost Prism > Device
// information fails the sync with a sentence naming the permission,
// changes nothing, and does not pause the integration (the next scheduled
// sync tries again), unlike a refused token.
func TestKandjiWithoutPrismPermission(t *testing.T) {
	now := time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)
	e := newKandjiEnv(t, func() time.Time { return now })
	if _, err := e.eng.Sync(e.ctx, e.in.ID); err != nil {
		t.Fatalf("first Sync: %v", err)
	}
	before, beforeStatus := e.attrs(t), e.status(t)

	e.fake.SetPermissions(token, fakekandji.DevicesPath)
	// Were the listing read, these would change the attributes.
	e.fake.SetDevices([]fakekandji.Device{{SerialNumber: "FVHHFKF7Q6L4", MDMEnabled: false, AgentInstalled: true}})
	now = now.Add(time.Hour)
	_, err := e.eng.Sync(e.ctx, e.in.ID)
	const msg = "The Kandji API token needs the Prism > Device information permission."
	if err == nil || !strings.Contains(err.Error(), msg) {
		t.Fatalf("Sync: got error %v, want one saying %q", err, msg)
	}
	if got := e.attrs(t); !attrsEqual(got, before) {
		t.Errorf("attributes after the refused sync: got %v, want them unchanged %v", got, before)
	}
	st := e.status(t)
	if !strings.Contains(st.Error, msg) {
		t.Errorf("status error: got %q, want it to say %q", st.Error, msg)
	}
	if !st.PausedUntil.IsZero() {
		t.Errorf("PausedUntil: got %v, want zero (a missing permission is not a refused token)", st.PausedUntil)
	}
	if !st.LastSync.Equal(beforeStatus.LastSync) || !st.LastAttempt.Equal(now) {
		t.Errorf("status times: got lastSync %v lastAttempt %v, want lastSync kept at %v and lastAttempt %v",
			st.LastSync, st.LastAttempt, beforeStatus.LastSync, now)
	}
}
