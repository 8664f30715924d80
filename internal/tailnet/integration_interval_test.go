package tailnet_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tailnet"
)

// The writer refuses a sync interval outside one minute to a day (other
// than zero, the server's default), storing and auditing nothing, and
// audits a valid change with the other fields.
func TestIntegrationSyncIntervalBounds(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	dur := func(d time.Duration) *time.Duration { return &d }
	events := func() int {
		evs, err := f.st.AuditEvents(ctx, postern.AuditFilter{TailnetID: f.tn.ID, Event: "POSTURE_INTEGRATION.UPDATE"})
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	if _, err := f.svc.CreateIntegration(ctx, ac, f.tn.ID, "fleet", tailnet.IntegrationConfig{CloudID: ptr("fleet.example.com"),
		ClientSecret: ptr("t"), SyncInterval: dur(30 * time.Second)}); postern.ErrorCode(err) != postern.EINVALID {
		t.Fatalf("create with 30s: got %v, want EINVALID", err)
	}
	in, err := f.svc.CreateIntegration(ctx, ac, f.tn.ID, "fleet", tailnet.IntegrationConfig{CloudID: ptr("fleet.example.com"),
		ClientSecret: ptr("t"), SyncInterval: dur(time.Minute)})
	if err != nil || in.SyncInterval != time.Minute {
		t.Fatalf("create with 1m: got %v, %v; want it stored", in.SyncInterval, err)
	}
	before := mustIntegration(t, f.st, in.ID)
	for _, d := range []time.Duration{-time.Minute, 59 * time.Second, 24*time.Hour + time.Second, 90500 * time.Millisecond} {
		_, err := f.svc.UpdateIntegration(ctx, ac, f.tn.ID, in.ID, tailnet.IntegrationConfig{SyncInterval: dur(d)})
		const want = "the sync interval must be a whole number of seconds from 60 (1 minute) to 86400 (24 hours), or 0 for the server's default; got "
		if postern.ErrorCode(err) != postern.EINVALID || postern.ErrorMessage(err) != want+d.String() {
			t.Errorf("update to %v: got %v, want EINVALID %q", d, err, want+d.String())
		}
		if got := mustIntegration(t, f.st, in.ID); !reflect.DeepEqual(got, before) || events() != 0 {
			t.Errorf("after a refused %v: got %+v and %d events, want unchanged and none", d, got, events())
		}
	}
	for _, d := range []time.Duration{24 * time.Hour, 0} {
		if got, err := f.svc.UpdateIntegration(ctx, ac, f.tn.ID, in.ID, tailnet.IntegrationConfig{SyncInterval: dur(d)}); err != nil || got.SyncInterval != d {
			t.Errorf("update to %v: got %v, %v", d, got.SyncInterval, err)
		}
	}
	evs, _ := f.st.AuditEvents(ctx, postern.AuditFilter{TailnetID: f.tn.ID, Event: "POSTURE_INTEGRATION.UPDATE"})
	if len(evs) != 2 {
		t.Fatalf("update events: got %d, want 2", len(evs))
	}
	seen := map[string]bool{}
	for _, e := range evs {
		seen[string(e.Old)+" -> "+string(e.New)] = true
	}
	summary := func(n string) string {
		return `{"clientId":"","cloudId":"fleet.example.com","provider":"fleet","syncIntervalSeconds":"` + n + `","tenantId":""}`
	}
	for _, want := range []string{summary("60") + " -> " + summary("86400"), summary("86400") + " -> " + summary("0")} {
		if !seen[want] {
			t.Errorf("audit: got %v, want an event %s", seen, want)
		}
	}
}
