package tailnet_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
)

// integrationRow is every column of an integration's row, as stored:
// the sealed secret and the status included.
func integrationRow(t *testing.T, db *sql.DB, id string) []any {
	t.Helper()
	return storetest.Row(t, db, "integrations", id)
}

func ptr(s string) *string { return &s }

// A stored secret is only ever sent to the host it was given for: moving
// the integration to another host (or scheme, or port, or Falcon region)
// needs the secret again, and a refused update stores nothing.
func TestUpdateIntegrationHostNeedsSecret(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			o := b.Options(t)
			st, err := store.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			db := storetest.OpenSQL(t, o)
			tn := storetest.NewTailnet(t, st)
			now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			svc := tailnet.New(st, slog.New(slog.DiscardHandler), func() time.Time { now = now.Add(time.Second); return now })

			create := func(provider, cloud string) postern.Integration {
				t.Helper()
				c := tailnet.IntegrationConfig{CloudID: ptr(cloud), ClientSecret: ptr("s3cret-" + provider)}
				if provider == "falcon" {
					c.ClientID = ptr("client-1")
				}
				in, err := svc.CreateIntegration(ctx, ac, tn.ID, provider, c)
				if err != nil {
					t.Fatalf("CreateIntegration %s: %v", provider, err)
				}
				// A status a refused update must leave alone.
				if err := svc.SetIntegrationStatus(ctx, in.ID, postern.IntegrationStatus{LastAttempt: now, Error: "boom", MatchedCount: 3}); err != nil {
					t.Fatal(err)
				}
				return in
			}
			fleet := create("fleet", "https://fleet.example.com")
			falcon := create("falcon", "us-1")
			kandji := create("kandji", "https://127.0.0.1:9000")

			for _, tc := range []struct {
				name  string
				in    postern.Integration
				cloud string
			}{
				{"another host", fleet, "https://evil.example.net"},
				{"a bare other host", fleet, "fleet.example.com.evil.example.net"},
				{"another port", fleet, "https://fleet.example.com:8443"},
				{"plain http to loopback", fleet, "http://127.0.0.1:443"},
				{"plain http on the same host and port", kandji, "http://127.0.0.1:9000"},
				{"another falcon region", falcon, "us-2"},
				{"falcon region to a host", falcon, "https://api.crowdstrike.com.example.net"},
			} {
				t.Run("refused/"+tc.name, func(t *testing.T) {
					before, beforeRow := mustIntegration(t, st, tc.in.ID), integrationRow(t, db, tc.in.ID)
					_, err := svc.UpdateIntegration(ctx, ac, tn.ID, tc.in.ID, tailnet.IntegrationConfig{CloudID: ptr(tc.cloud), TenantID: ptr("t2")})
					var sre *tailnet.SecretRequiredError
					if postern.ErrorCode(err) != postern.EINVALID || !errors.As(err, &sre) {
						t.Fatalf("UpdateIntegration to %q without the secret: got %v, want EINVALID wrapping a *SecretRequiredError", tc.cloud, err)
					}
					if sre.From == "" || sre.To == "" || sre.From == sre.To {
						t.Errorf("SecretRequiredError: got from %q to %q, want two different origins", sre.From, sre.To)
					}
					if msg := postern.ErrorMessage(err); !strings.Contains(msg, "clientSecret is required when cloudId changes the host") {
						t.Errorf("message: got %q, want it to say the secret is required for a new host", msg)
					}
					if got := mustIntegration(t, st, tc.in.ID); !reflect.DeepEqual(got, before) {
						t.Errorf("integration after a refused update: got %+v, want unchanged %+v", got, before)
					}
					if got := integrationRow(t, db, tc.in.ID); !reflect.DeepEqual(got, beforeRow) {
						t.Errorf("stored row after a refused update: got %v, want unchanged %v", got, beforeRow)
					}
				})
			}

			for _, tc := range []struct {
				name string
				in   postern.Integration
				c    tailnet.IntegrationConfig
				want string // the secret afterwards
			}{
				{"same host, other case and a path", fleet, tailnet.IntegrationConfig{CloudID: ptr("https://FLEET.example.com:443/api/v1/fleet")}, "s3cret-fleet"},
				{"other fields only", fleet, tailnet.IntegrationConfig{TenantID: ptr("tenant-2")}, "s3cret-fleet"},
				{"falcon region alias", falcon, tailnet.IntegrationConfig{CloudID: ptr("https://api.crowdstrike.com"), ClientID: ptr("client-2")}, "s3cret-falcon"},
				{"another host with the secret", fleet, tailnet.IntegrationConfig{CloudID: ptr("fleet2.example.com"), ClientSecret: ptr("new-secret")}, "new-secret"},
				{"another region with the secret", falcon, tailnet.IntegrationConfig{CloudID: ptr("eu-1"), ClientSecret: ptr("new-falcon")}, "new-falcon"},
			} {
				t.Run("allowed/"+tc.name, func(t *testing.T) {
					got, err := svc.UpdateIntegration(ctx, ac, tn.ID, tc.in.ID, tc.c)
					if err != nil {
						t.Fatalf("UpdateIntegration: %v", err)
					}
					stored := mustIntegration(t, st, tc.in.ID)
					if stored.ClientSecret != tc.want {
						t.Errorf("after update: got secret %q, want %q", stored.ClientSecret, tc.want)
					}
					if tc.c.CloudID != nil && got.CloudID != *tc.c.CloudID {
						t.Errorf("after update: got cloudId %q, want %q", got.CloudID, *tc.c.CloudID)
					}
				})
			}
		})
	}
}

func mustIntegration(t *testing.T, st store.Store, id string) postern.Integration {
	t.Helper()
	in, err := st.Integration(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return in
}
