package store_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
)

// The shared suite: every test here runs on every backend storetest
// offers, through forEach.

var ctx = context.Background()

// forEach runs fn as a subtest per backend, each with a fresh store.
func forEach(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Open(t)) })
	}
}

// forEachBackend runs fn as a subtest per backend, for tests that open
// the database themselves.
func forEachBackend(t *testing.T, fn func(t *testing.T, b storetest.Backend)) {
	t.Helper()
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

// at returns a fixed UTC time with nanoseconds, to check they survive.
func at(day, nanos int) time.Time {
	return time.Date(2026, 3, day, 10, 20, 30, nanos, time.UTC)
}

func mustCode(t *testing.T, err error, want postern.Code) {
	t.Helper()
	if got := postern.ErrorCode(err); got != want {
		t.Fatalf("got error %v with code %q, want code %q", err, got, want)
	}
}

func TestBackend(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			if got := b.Open(t).Backend(); got != b.Name {
				t.Errorf("got Backend() %q, want %q", got, b.Name)
			}
		})
	}
}

func TestTailnet(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		_, err := s.DefaultTailnet(ctx)
		mustCode(t, err, postern.ENOTFOUND)

		first := postern.Tailnet{Name: "first", Settings: postern.DefaultTailnetSettings(), DNS: postern.DefaultDNS(), Created: at(1, 5)}
		if err := s.CreateTailnet(ctx, &first); err != nil {
			t.Fatal(err)
		}
		if len(first.ID) != 11 || first.ID[0] != 'T' {
			t.Errorf("got id %q, want T + 10 characters", first.ID)
		}
		second := postern.Tailnet{Name: "second", Created: at(2, 0)}
		if err := s.CreateTailnet(ctx, &second); err != nil {
			t.Fatal(err)
		}
		def, err := s.DefaultTailnet(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(def, first) {
			t.Errorf("DefaultTailnet: got %+v, want %+v", def, first)
		}

		settings := first.Settings
		settings.PostureIdentityCollectionOn = true
		settings.DevicesApprovalOn = true
		settings.DevicesKeyDurationDays = 30
		if err := s.UpdateTailnetSettings(ctx, first.ID, settings); err != nil {
			t.Fatal(err)
		}
		got, err := s.Tailnet(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Settings != settings {
			t.Errorf("settings: got %+v, want %+v", got.Settings, settings)
		}

		_, err = s.Tailnet(ctx, "Tnope")
		mustCode(t, err, postern.ENOTFOUND)
		mustCode(t, s.UpdateTailnetSettings(ctx, "Tnope", settings), postern.ENOTFOUND)
		dup := postern.Tailnet{ID: first.ID, Name: "dup"}
		mustCode(t, s.CreateTailnet(ctx, &dup), postern.ECONFLICT)
	})
}

func TestTailnetDNS(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := postern.Tailnet{Name: "dns", Created: at(1, 0)}
		if err := s.CreateTailnet(ctx, &tn); err != nil {
			t.Fatal(err)
		}
		got, err := s.Tailnet(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := postern.DefaultDNS(); !reflect.DeepEqual(got.DNS, want) {
			t.Errorf("new tailnet: got %+v, want the default %+v", got.DNS, want)
		}
		want := postern.DNS{
			Nameservers: []string{"1.1.1.1", "2606:4700:4700::1111"},
			SearchPaths: []string{"corp.example.com"},
			SplitDNS:    map[string][]string{"internal.example.com": {"10.0.0.53"}},
			MagicDNS:    false,
		}
		if err := s.UpdateTailnetDNS(ctx, tn.ID, want); err != nil {
			t.Fatal(err)
		}
		got, err = s.Tailnet(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.DNS, want) {
			t.Errorf("after update: got %+v, want %+v", got.DNS, want)
		}
		if got.Settings != postern.DefaultTailnetSettings() && got.Settings != (postern.TailnetSettings{}) {
			t.Errorf("settings changed by a DNS update: %+v", got.Settings)
		}
		empty := postern.DNS{}
		if err := s.UpdateTailnetDNS(ctx, tn.ID, empty); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Tailnet(ctx, tn.ID)
		if got.DNS.MagicDNS || len(got.DNS.Nameservers)+len(got.DNS.SearchPaths)+len(got.DNS.SplitDNS) != 0 {
			t.Errorf("after clearing: got %+v, want everything off", got.DNS)
		}
		mustCode(t, s.UpdateTailnetDNS(ctx, "Tnope", want), postern.ENOTFOUND)
	})
}

func TestUser(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		alice := postern.User{TailnetID: tn.ID, LoginName: "Alice@Example.com", DisplayName: "Alice", Role: postern.RoleOwner, Created: at(1, 1)}
		if err := s.CreateUser(ctx, &alice); err != nil {
			t.Fatal(err)
		}
		if alice.ID == "" || alice.ID[0] != 'u' {
			t.Errorf("got id %q, want one starting with u", alice.ID)
		}
		bob := postern.User{TailnetID: tn.ID, LoginName: "bob@example.com", Role: postern.RoleAuditor, Created: at(2, 0)}
		if err := s.CreateUser(ctx, &bob); err != nil {
			t.Fatal(err)
		}

		got, err := s.User(ctx, alice.ID)
		if err != nil || !reflect.DeepEqual(got, alice) {
			t.Errorf("User: got %+v, %v, want %+v", got, err, alice)
		}
		got, err = s.UserByLoginName(ctx, tn.ID, "alice@EXAMPLE.com")
		if err != nil || got.ID != alice.ID {
			t.Errorf("UserByLoginName in other case: got %+v, %v, want %s", got, err, alice.ID)
		}
		all, err := s.Users(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := []postern.User{alice, bob}; !reflect.DeepEqual(all, want) {
			t.Errorf("Users: got %+v, want %+v", all, want)
		}

		t.Run("conflict", func(t *testing.T) {
			dup := postern.User{TailnetID: tn.ID, LoginName: "ALICE@example.com"}
			err := s.CreateUser(ctx, &dup)
			mustCode(t, err, postern.ECONFLICT)
			if want := `a user with login name "ALICE@example.com" exists`; postern.ErrorMessage(err) != want {
				t.Errorf("got message %q, want %q", postern.ErrorMessage(err), want)
			}
			bob2 := bob
			bob2.LoginName = "alice@example.com"
			mustCode(t, s.UpdateUser(ctx, &bob2), postern.ECONFLICT)
		})
		t.Run("update", func(t *testing.T) {
			bob.DisplayName, bob.Role, bob.LoginName = "Bob", postern.RoleAdmin, "robert@example.com"
			if err := s.UpdateUser(ctx, &bob); err != nil {
				t.Fatal(err)
			}
			got, err := s.User(ctx, bob.ID)
			if err != nil || !reflect.DeepEqual(got, bob) {
				t.Errorf("got %+v, %v, want %+v", got, err, bob)
			}
		})
		t.Run("not found", func(t *testing.T) {
			_, err := s.User(ctx, "unope")
			mustCode(t, err, postern.ENOTFOUND)
			if !errors.Is(err, postern.ErrNotFound) {
				t.Errorf("got %v, want errors.Is ErrNotFound", err)
			}
			_, err = s.UserByLoginName(ctx, tn.ID, "nobody@example.com")
			mustCode(t, err, postern.ENOTFOUND)
			mustCode(t, s.UpdateUser(ctx, &postern.User{ID: "unope", LoginName: "x@y.z"}), postern.ENOTFOUND)
			mustCode(t, s.CreateUser(ctx, &postern.User{TailnetID: "Tnope", LoginName: "x@y.z"}), postern.ENOTFOUND)
		})
	})
}

func TestFailedTransactionChangesNothing(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		boom := errors.New("boom")
		err := s.InTx(ctx, func(q store.Queries) error {
			if err := q.CreateUser(ctx, &postern.User{TailnetID: tn.ID, LoginName: "a@example.com"}); err != nil {
				return err
			}
			d := postern.Device{TailnetID: tn.ID, Hostname: "laptop"}
			if err := q.CreateDevice(ctx, &d); err != nil {
				return err
			}
			if err := q.SetAttribute(ctx, postern.Attribute{DeviceID: d.ID, Key: "custom:x", Value: postern.Number(1)}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want the callback's error", err)
		}
		users, _ := s.Users(ctx, tn.ID)
		devices, _ := s.Devices(ctx, tn.ID)
		attrs, _ := s.TailnetAttributes(ctx, tn.ID)
		if len(users)+len(devices)+len(attrs) != 0 {
			t.Errorf("got %d users, %d devices, %d attributes after rollback, want none", len(users), len(devices), len(attrs))
		}
	})
}

func TestTransactionCommitsAndNests(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		err := s.InTx(ctx, func(q store.Queries) error {
			if err := q.CreateUser(ctx, &postern.User{TailnetID: tn.ID, LoginName: "kept@example.com"}); err != nil {
				return err
			}
			// A nested transaction that fails rolls back only itself.
			inner := store.Tx(ctx, q, func(q store.Queries) error {
				if err := q.CreateUser(ctx, &postern.User{TailnetID: tn.ID, LoginName: "dropped@example.com"}); err != nil {
					return err
				}
				return errors.New("inner failure")
			})
			if inner == nil {
				t.Error("nested Tx: got nil error, want the inner failure")
			}
			// A conflict or a missing row inside the transaction leaves it
			// usable, on PostgreSQL as on SQLite.
			err := q.CreateUser(ctx, &postern.User{TailnetID: tn.ID, LoginName: "kept@example.com"})
			mustCode(t, err, postern.ECONFLICT)
			err = q.SetAttribute(ctx, postern.Attribute{DeviceID: 42, Key: "custom:x", Value: postern.Bool(true)})
			mustCode(t, err, postern.ENOTFOUND)
			err = q.CreateDevice(ctx, &postern.Device{TailnetID: "Tnope", Hostname: "x"})
			mustCode(t, err, postern.ENOTFOUND)
			return store.Tx(ctx, q, func(q store.Queries) error {
				return q.CreateUser(ctx, &postern.User{TailnetID: tn.ID, LoginName: "nested@example.com"})
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		users, err := s.Users(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range users {
			names = append(names, u.LoginName)
		}
		if want := []string{"kept@example.com", "nested@example.com"}; !reflect.DeepEqual(names, want) {
			t.Errorf("got users %v, want %v", names, want)
		}
		// Tx on the store itself starts a real transaction.
		if err := store.Tx(ctx, s, func(q store.Queries) error { return errors.New("no") }); err == nil {
			t.Error("Tx on a store: got nil error, want the callback's")
		}
	})
}

func TestPanicInTransactionReleasesIt(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		func() {
			defer func() { recover() }()
			s.InTx(ctx, func(q store.Queries) error {
				q.CreateUser(ctx, &postern.User{TailnetID: tn.ID, LoginName: "panic@example.com"})
				panic("boom")
			})
		}()
		// The write lock is free again and the write was rolled back.
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := s.CreateUser(tctx, &postern.User{TailnetID: tn.ID, LoginName: "after@example.com"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UserByLoginName(ctx, tn.ID, "panic@example.com"); !postern.IsNotFound(err) {
			t.Errorf("got %v for the panicking transaction's user, want not found", err)
		}
	})
}

// TestTransactionsSerialise runs concurrent read-check-write transactions
// that use a single-use auth key: exactly one may succeed.
func TestTransactionsSerialise(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		k := postern.Key{TailnetID: tn.ID, Type: postern.KeyTypeAuth, Hash: []byte{1}}
		if err := s.CreateKey(ctx, &k); err != nil {
			t.Fatal(err)
		}
		errUsed := errors.New("key used")
		const n = 4
		results := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				results <- s.InTx(ctx, func(q store.Queries) error {
					got, err := q.Key(ctx, k.ID)
					if err != nil {
						return err
					}
					if !got.Valid(time.Now()) {
						return errUsed
					}
					time.Sleep(150 * time.Millisecond) // longer than opening a connection
					got.Used++
					return q.UpdateKey(ctx, &got)
				})
			})
		}
		wg.Wait()
		close(results)
		ok := 0
		for err := range results {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, errUsed):
				t.Errorf("got %v, want nil or the key-used error", err)
			}
		}
		if ok != 1 {
			t.Errorf("got %d successful uses of a single-use key, want 1", ok)
		}
		got, _ := s.Key(ctx, k.ID)
		if got.Used != 1 {
			t.Errorf("got Used %d, want 1", got.Used)
		}
	})
}

// TestNestedStoreTransactionFails checks that misuse, starting a second
// transaction on the store inside InTx, fails once the lock wait times out
// instead of hanging.
func TestNestedStoreTransactionFails(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storetest.Backend) {
		o := b.Options(t)
		o.LockTimeout = 300 * time.Millisecond
		s, err := store.Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		tn := storetest.NewTailnet(t, s)
		start := time.Now()
		err = s.InTx(ctx, func(q store.Queries) error {
			if err := q.CreateUser(ctx, &postern.User{TailnetID: tn.ID, LoginName: "outer@example.com"}); err != nil {
				return err
			}
			return s.InTx(ctx, func(q store.Queries) error {
				return q.CreateUser(ctx, &postern.User{TailnetID: tn.ID, LoginName: "inner@example.com"})
			})
		})
		mustCode(t, err, postern.EUNAVAILABLE)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %v, want about the 300 ms lock timeout", d)
		}
		t.Logf("error after %v: %v", time.Since(start).Round(time.Millisecond), err)
	})
}
