package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
)

func TestIntegration(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		in := postern.Integration{
			TailnetID:     tn.ID,
			Provider:      "falcon",
			CloudID:       "us-2",
			ClientID:      "client-1",
			TenantID:      "tenant-1",
			ClientSecret:  "s3cret-value",
			ConfigUpdated: at(1, 0),
		}
		if err := s.CreateIntegration(ctx, &in); err != nil {
			t.Fatal(err)
		}
		if len(in.ID) != 16 || !strings.HasPrefix(in.ID, "pc") {
			t.Errorf("got id %q, want pc + 14 characters", in.ID)
		}
		got, err := s.Integration(ctx, in.ID)
		if err != nil || !reflect.DeepEqual(got, in) {
			t.Errorf("Integration: got %+v, %v, want %+v", got, err, in)
		}

		status := postern.IntegrationStatus{
			LastSync: at(2, 1), LastAttempt: at(2, 2), Error: "boom", Warning: "2 device(s) matched more than one record", ProviderHostCount: 10,
			MatchedCount: 7, PossibleMatchedCount: 9, PausedUntil: at(3, 0), LastDuration: 1500 * time.Millisecond,
			Schema: `{"attributes":{"diskEncrypted":{"type":"bool"}}}`,
		}
		if err := s.UpdateIntegrationStatus(ctx, in.ID, status); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Integration(ctx, in.ID)
		if got.Status != status || got.ClientSecret != in.ClientSecret {
			t.Errorf("status: got %+v, want %+v with the secret kept", got.Status, status)
		}

		in.CloudID, in.ClientSecret, in.ConfigUpdated, in.Status = "eu-1", "rotated", at(4, 0), postern.IntegrationStatus{}
		if err := s.UpdateIntegration(ctx, &in); err != nil {
			t.Fatal(err)
		}
		list, err := s.Integrations(ctx, tn.ID)
		if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], in) {
			t.Errorf("Integrations: got %+v, %v, want [%+v]", list, err, in)
		}

		t.Run("one per provider", func(t *testing.T) {
			dup := postern.Integration{TailnetID: tn.ID, Provider: "falcon"}
			err := s.CreateIntegration(ctx, &dup)
			mustCode(t, err, postern.ECONFLICT)
			if want := "a falcon integration exists in the tailnet"; postern.ErrorMessage(err) != want {
				t.Errorf("got message %q, want %q", postern.ErrorMessage(err), want)
			}
			fleet := postern.Integration{TailnetID: tn.ID, Provider: "fleet"}
			if err := s.CreateIntegration(ctx, &fleet); err != nil {
				t.Errorf("an integration without a secret: %v", err)
			}
		})
		t.Run("not found", func(t *testing.T) {
			_, err := s.Integration(ctx, "pcnope")
			mustCode(t, err, postern.ENOTFOUND)
			mustCode(t, s.UpdateIntegration(ctx, &postern.Integration{ID: "pcnope"}), postern.ENOTFOUND)
			mustCode(t, s.UpdateIntegrationStatus(ctx, "pcnope", status), postern.ENOTFOUND)
			mustCode(t, s.DeleteIntegration(ctx, "pcnope"), postern.ENOTFOUND)
		})
		t.Run("delete", func(t *testing.T) {
			if err := s.DeleteIntegration(ctx, in.ID); err != nil {
				t.Fatal(err)
			}
			_, err := s.Integration(ctx, in.ID)
			mustCode(t, err, postern.ENOTFOUND)
		})
	})
}

// TestSecretNotStoredInPlainText checks the integration secret appears
// nowhere in the SQLite files (database, WAL, shared memory) or in the
// text of any column of the PostgreSQL table.
func TestSecretNotStoredInPlainText(t *testing.T) {
	const plain = "PLAINTEXT-client-secret-7f3a9c"
	forEachBackend(t, func(t *testing.T, b storetest.Backend) {
		o := b.Options(t)
		s, err := store.Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		tn := storetest.NewTailnet(t, s)
		in := postern.Integration{TailnetID: tn.ID, Provider: "kandji", ClientSecret: plain}
		if err := s.CreateIntegration(ctx, &in); err != nil {
			t.Fatal(err)
		}
		in.ClientID = "changed"
		if err := s.UpdateIntegration(ctx, &in); err != nil {
			t.Fatal(err)
		}
		got, err := s.Integration(ctx, in.ID)
		if err != nil || got.ClientSecret != plain {
			t.Fatalf("got secret %q, %v, want it opened back to the plaintext", got.ClientSecret, err)
		}

		switch b.Name {
		case "sqlite":
			base := filepath.Join(o.DataDir, store.DatabaseFile)
			var all []byte
			for _, path := range []string{base, base + "-wal", base + "-shm"} {
				data, err := os.ReadFile(path)
				if os.IsNotExist(err) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, data...)
				if bytes.Contains(data, []byte(plain)) {
					t.Errorf("%s holds the secret in plain text", filepath.Base(path))
				}
			}
			// The scan must see what was stored: the updated client id
			// and the sealed secret.
			if !bytes.Contains(all, []byte("changed")) || !bytes.Contains(all, []byte("v1:")) {
				t.Error("the database files do not show the stored row; the scan proves nothing")
			}
		case "postgres":
			db := storetest.OpenSQL(t, o)
			rows, err := db.QueryContext(context.Background(), "SELECT i::text FROM integrations i")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var row string
				if err := rows.Scan(&row); err != nil {
					t.Fatal(err)
				}
				n++
				if strings.Contains(row, plain) {
					t.Errorf("row %s holds the secret in plain text", row)
				}
				if !strings.Contains(row, "changed") || !strings.Contains(row, "v1:") {
					t.Errorf("row %s: want the dump to show the stored row", row)
				}
			}
			if n != 1 {
				t.Errorf("dumped %d rows, want 1", n)
			}
		}
	})
}

func TestSecretNeedsBox(t *testing.T) {
	o := storetest.SQLiteOptions(t)
	o.Secrets = nil
	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tn := storetest.NewTailnet(t, s)
	in := postern.Integration{TailnetID: tn.ID, Provider: "fleet", ClientSecret: "x"}
	if err := s.CreateIntegration(ctx, &in); err == nil {
		t.Error("got nil error writing a secret without a box, want one")
	}
}

// An integration's own sync interval and the last successful sync's match
// report round-trip through create, update and the status write; a
// status write leaves the interval alone.
func TestIntegrationIntervalAndMatchReport(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		in := postern.Integration{TailnetID: tn.ID, Provider: "fleet", CloudID: "https://fleet.example.com",
			ClientSecret: "tok", ConfigUpdated: at(1, 0), SyncInterval: 5 * time.Minute}
		if err := s.CreateIntegration(ctx, &in); err != nil {
			t.Fatal(err)
		}
		got, err := s.Integration(ctx, in.ID)
		if err != nil || got.SyncInterval != 5*time.Minute || got.Status.Unmatched != nil {
			t.Fatalf("after create: got interval %v and report %+v (%v), want 5m and none", got.SyncInterval, got.Status.Unmatched, err)
		}

		report := &postern.MatchReport{
			Records:     []postern.UnmatchedRecord{{VendorID: "v1", Hostname: "mac-1", Serials: []string{"C02ABC"}}},
			RecordCount: 250,
			Devices:     []postern.UnmatchedDevice{{NodeID: "n1", Name: "laptop", NoIdentity: true}},
			DeviceCount: 1,
		}
		status := postern.IntegrationStatus{LastSync: at(2, 0), LastAttempt: at(2, 0), ProviderHostCount: 251, Unmatched: report}
		if err := s.UpdateIntegrationStatus(ctx, in.ID, status); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Integration(ctx, in.ID)
		if !reflect.DeepEqual(got.Status, status) || got.SyncInterval != 5*time.Minute {
			t.Errorf("after status write: got %+v interval %v, want %+v interval 5m", got.Status, got.SyncInterval, status)
		}

		in.SyncInterval, in.Status = 24*time.Hour, got.Status
		if err := s.UpdateIntegration(ctx, &in); err != nil {
			t.Fatal(err)
		}
		list, err := s.Integrations(ctx, tn.ID)
		if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], in) {
			t.Errorf("Integrations after update: got %+v, %v, want [%+v]", list, err, in)
		}
	})
}
