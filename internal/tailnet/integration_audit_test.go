package tailnet_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
)

// Audit events of an integration's create, update and delete target the
// integration (type POSTURE_INTEGRATION, its id, named by its provider),
// with the provider in the details, as Tailscale's audit tables do; a
// refused create or update records nothing.
func TestIntegrationAuditTargetsTheIntegration(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st, err := store.Open(ctx, b.Options(t))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			tn := storetest.NewTailnet(t, st)
			svc := tailnet.New(st, slog.New(slog.DiscardHandler), time.Now)
			events := func() []postern.AuditEvent {
				t.Helper()
				evs, err := st.AuditEvents(ctx, postern.AuditFilter{TailnetID: tn.ID})
				if err != nil {
					t.Fatal(err)
				}
				var out []postern.AuditEvent
				for _, e := range evs {
					if e.Target.Type == "POSTURE_INTEGRATION" || strings.Contains(e.EventName(), "POSTURE_INTEGRATION") {
						out = append(out, e)
					}
				}
				return out
			}

			// Refused: no secret. Nothing is stored or audited.
			_, err = svc.CreateIntegration(ctx, ac, tn.ID, "kandji", tailnet.IntegrationConfig{CloudID: ptr("acme.kandji.io")})
			if code, msg := postern.ErrorCode(err), postern.ErrorMessage(err); code != postern.EINVALID || msg != "clientSecret is required for kandji (the API token)" {
				t.Errorf("create without a secret: got %s %q, want EINVALID %q", code, msg, "clientSecret is required for kandji (the API token)")
			}
			if ins, _ := st.Integrations(ctx, tn.ID); len(ins) != 0 || len(events()) != 0 {
				t.Fatalf("after a refused create: got %d integrations and %d events, want none", len(ins), len(events()))
			}

			in, err := svc.CreateIntegration(ctx, ac, tn.ID, "kandji", tailnet.IntegrationConfig{CloudID: ptr("acme.kandji.io"), ClientSecret: ptr("tok")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.UpdateIntegration(ctx, ac, tn.ID, in.ID, tailnet.IntegrationConfig{CloudID: ptr("https://acme.kandji.io/devices")}); err != nil {
				t.Fatalf("update on the same host: %v", err)
			}
			if err := svc.DeleteIntegration(ctx, ac, tn.ID, in.ID); err != nil {
				t.Fatal(err)
			}
			evs := events()
			var names []string
			for _, e := range evs {
				names = append(names, e.EventName())
				if e.Target.ID != in.ID || e.Target.Name != "kandji" || e.Target.Type != "POSTURE_INTEGRATION" {
					t.Errorf("%s target: got %+v, want the integration %s (kandji)", e.EventName(), e.Target, in.ID)
				}
				if !strings.Contains(e.ActionDetails, "provider kandji") {
					t.Errorf("%s details: got %q, want the provider", e.EventName(), e.ActionDetails)
				}
				if strings.Contains(string(e.Old)+string(e.New), "tok") {
					t.Errorf("%s holds the secret: %s %s", e.EventName(), e.Old, e.New)
				}
			}
			want := "POSTURE_INTEGRATION.CREATE POSTURE_INTEGRATION.UPDATE POSTURE_INTEGRATION.DELETE"
			if got := strings.Join(names, " "); !sameWords(got, want) {
				t.Errorf("events: got %s, want %s", got, want)
			}
		})
	}
}

// sameWords reports whether a and b hold the same space-separated words,
// in any order (the listing's order is the store's).
func sameWords(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	if len(x) != len(y) {
		return false
	}
	seen := map[string]int{}
	for _, w := range x {
		seen[w]++
	}
	for _, w := range y {
		seen[w]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
