package store_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
)

// snapshot is everything readable through the store about one tailnet.
type snapshot struct {
	Tailnet      postern.Tailnet
	Users        []postern.User
	Devices      []postern.Device
	Attributes   []postern.Attribute
	Integrations []postern.Integration
	Keys         []postern.Key
	Policy       postern.PolicyFile
	Audit        []postern.AuditEvent
}

// populate writes one of everything.
func populate(t *testing.T, s store.Store) string {
	t.Helper()
	tn := storetest.NewTailnet(t, s)
	u := postern.User{TailnetID: tn.ID, LoginName: "a@example.com", Role: postern.RoleAdmin}
	if err := s.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	d := fullDevice(tn.ID, u.ID)
	if err := s.CreateDevice(ctx, &d); err != nil {
		t.Fatal(err)
	}
	setAttr(t, s, postern.Attribute{DeviceID: d.ID, Key: "custom:n", Value: postern.Number(3), Expiry: at(20, 0)})
	setAttr(t, s, postern.Attribute{DeviceID: d.ID, Key: "custom:s", Value: postern.String("true")})
	in := postern.Integration{TailnetID: tn.ID, Provider: "fleet", CloudID: "fleet.example.com", ClientSecret: "token"}
	if err := s.CreateIntegration(ctx, &in); err != nil {
		t.Fatal(err)
	}
	k := postern.Key{TailnetID: tn.ID, Type: postern.KeyTypeAuth, Hash: []byte{1, 2, 3}, Tags: []string{"tag:x"}}
	if err := s.CreateKey(ctx, &k); err != nil {
		t.Fatal(err)
	}
	if err := s.SavePolicy(ctx, &postern.PolicyFile{TailnetID: tn.ID, Text: "{}", UpdatedBy: u.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, &postern.AuditEvent{TailnetID: tn.ID, Action: "CREATE", Target: postern.AuditTarget{Type: "NODE"}, New: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	return tn.ID
}

func takeSnapshot(t *testing.T, s store.Store, tailnetID string) snapshot {
	t.Helper()
	var (
		sn   snapshot
		errs []error
		err  error
	)
	sn.Tailnet, err = s.Tailnet(ctx, tailnetID)
	errs = append(errs, err)
	sn.Users, err = s.Users(ctx, tailnetID)
	errs = append(errs, err)
	sn.Devices, err = s.Devices(ctx, tailnetID)
	errs = append(errs, err)
	sn.Attributes, err = s.TailnetAttributes(ctx, tailnetID)
	errs = append(errs, err)
	sn.Integrations, err = s.Integrations(ctx, tailnetID)
	errs = append(errs, err)
	sn.Keys, err = s.Keys(ctx, tailnetID)
	errs = append(errs, err)
	sn.Policy, err = s.Policy(ctx, tailnetID)
	errs = append(errs, err)
	sn.Audit, err = s.AuditEvents(ctx, postern.AuditFilter{TailnetID: tailnetID})
	errs = append(errs, err)
	for _, err := range errs {
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
	}
	if len(sn.Users) == 0 || len(sn.Devices) == 0 || len(sn.Attributes) != 2 || len(sn.Integrations) == 0 || len(sn.Keys) == 0 || len(sn.Audit) == 0 {
		t.Fatalf("snapshot is missing data: %+v", sn)
	}
	return sn
}

// dbState is what a migration could change: the migrations recorded, the
// schema, and the row count of every table.
func dbState(t *testing.T, b storetest.Backend, o store.Options) string {
	t.Helper()
	db := storetest.OpenSQL(t, o)
	var out []string
	add := func(query string) {
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(vals))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	add(`SELECT name, applied FROM schema_migrations ORDER BY name`)
	if b.Name == "sqlite" {
		add(`SELECT type, name, sql FROM sqlite_master ORDER BY name`)
	} else {
		add(`SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2`)
		add(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1`)
	}
	for _, table := range []string{"tailnets", "users", "devices", "attributes", "integrations", "keys", "policy_files", "audit_events"} {
		add(`SELECT '` + table + `', count(*) FROM ` + table)
	}
	return strings.Join(out, "\n")
}

// TestReopen closes and reopens the database: migrations are not applied
// again, the schema and rows stay as they were, and everything reads back.
func TestReopen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storetest.Backend) {
		o := b.Options(t)
		s, err := store.Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		tailnetID := populate(t, s)
		before := takeSnapshot(t, s, tailnetID)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		stateBefore := dbState(t, b, o)
		if !strings.Contains(stateBefore, "0001_init.sql") {
			t.Fatalf("schema_migrations does not record 0001_init.sql:\n%s", stateBefore)
		}

		for i := range 2 {
			s, err = store.Open(ctx, o)
			if err != nil {
				t.Fatalf("reopen %d: %v", i, err)
			}
			after := takeSnapshot(t, s, tailnetID)
			if !reflect.DeepEqual(after, before) {
				t.Errorf("reopen %d: got  %+v\nwant %+v", i, after, before)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got := dbState(t, b, o); got != stateBefore {
				t.Errorf("reopen %d changed the database:\ngot  %s\nwant %s", i, got, stateBefore)
			}
		}
	})
}

func TestReopenWithOtherSecretKey(t *testing.T) {
	o := storetest.SQLiteOptions(t)
	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	tailnetID := populate(t, s)
	s.Close()
	o.Secrets = storetest.Secrets(t)
	s, err = store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Integrations(ctx, tailnetID)
	if err == nil || !strings.Contains(err.Error(), "secret") {
		t.Errorf("got %v, want an error about the secret key", err)
	}
}

// TestConcurrentOpenAndWrite opens the same database twice at once, as the
// server and a CLI command do, then writes from both, in transactions that
// read before they write: neither deadlocks nor fails.
func TestConcurrentOpenAndWrite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storetest.Backend) {
		o := b.Options(t)
		stores := make([]store.Store, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range stores {
			wg.Go(func() { stores[i], errs[i] = store.Open(ctx, o) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("open %d: %v", i, err)
			}
			defer stores[i].Close()
		}
		tn := storetest.NewTailnet(t, stores[0])
		const perStore = 10
		errc := make(chan error, 2*perStore)
		for i, s := range stores {
			for j := range perStore {
				wg.Go(func() {
					errc <- s.InTx(ctx, func(q store.Queries) error {
						if _, err := q.Users(ctx, tn.ID); err != nil {
							return err
						}
						time.Sleep(time.Millisecond)
						return q.CreateUser(ctx, &postern.User{TailnetID: tn.ID, LoginName: fmt.Sprintf("u%d-%d@example.com", i, j)})
					})
				})
			}
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		users, err := stores[1].Users(ctx, tn.ID)
		if err != nil || len(users) != 2*perStore {
			t.Errorf("got %d users, %v, want %d", len(users), err, 2*perStore)
		}
	})
}

func TestDeviceAddressesSurviveReopen(t *testing.T) {
	o := storetest.SQLiteOptions(t)
	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	tn := storetest.NewTailnet(t, s)
	d := postern.Device{TailnetID: tn.ID, Hostname: "a", IPv4: netip.MustParseAddr("100.100.1.1")}
	if err := s.CreateDevice(ctx, &d); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x := postern.Device{TailnetID: tn.ID, Hostname: "b", IPv4: d.IPv4}
	mustCode(t, s.CreateDevice(ctx, &x), postern.ECONFLICT)
}
