package store_test

import (
	"crypto/sha256"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
)

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func TestSignInLink(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		l := store.SignInLink{TokenHash: hashOf("tok"), TailnetID: tn.ID, UserID: "u1", Created: at(1, 0), Expires: at(1, 0).Add(15 * time.Minute)}
		if err := s.CreateSignInLink(ctx, l); err != nil {
			t.Fatal(err)
		}
		mustCode(t, s.CreateSignInLink(ctx, l), postern.ECONFLICT)
		mustCode(t, s.CreateSignInLink(ctx, store.SignInLink{TailnetID: tn.ID}), postern.EINVALID)

		t.Run("expired", func(t *testing.T) {
			_, err := s.UseSignInLink(ctx, l.TokenHash, l.Expires)
			mustCode(t, err, postern.ENOTFOUND)
		})
		t.Run("unknown", func(t *testing.T) {
			_, err := s.UseSignInLink(ctx, hashOf("other"), at(1, 1))
			mustCode(t, err, postern.ENOTFOUND)
		})
		t.Run("once", func(t *testing.T) {
			use := at(1, 5)
			got, err := s.UseSignInLink(ctx, l.TokenHash, use)
			if err != nil {
				t.Fatal(err)
			}
			want := l
			want.Used = use
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
			_, err = s.UseSignInLink(ctx, l.TokenHash, use)
			mustCode(t, err, postern.ENOTFOUND)
		})
		t.Run("concurrent uses", func(t *testing.T) {
			c := store.SignInLink{TokenHash: hashOf("race"), TailnetID: tn.ID, UserID: "u1", Created: at(1, 0), Expires: at(2, 0)}
			if err := s.CreateSignInLink(ctx, c); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok := 0
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.UseSignInLink(ctx, c.TokenHash, at(1, 9)); err == nil {
						mu.Lock()
						ok++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if ok != 1 {
				t.Errorf("got %d successful uses, want 1", ok)
			}
		})
	})
}

func TestSession(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		sess := store.Session{TokenHash: hashOf("cookie"), TailnetID: tn.ID, UserID: "u1", CSRFSecret: []byte("0123456789abcdef"),
			Method: "link", Created: at(1, 0), Expires: at(2, 0)}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		mustCode(t, s.CreateSession(ctx, sess), postern.ECONFLICT)
		mustCode(t, s.CreateSession(ctx, store.Session{TokenHash: hashOf("x"), TailnetID: tn.ID}), postern.EINVALID)
		mustCode(t, s.CreateSession(ctx, store.Session{TokenHash: hashOf("x"), TailnetID: "nope", CSRFSecret: []byte("k")}), postern.ENOTFOUND)
		got, err := s.Session(ctx, sess.TokenHash)
		if err != nil || !reflect.DeepEqual(got, sess) {
			t.Errorf("Session: got %+v, %v, want %+v", got, err, sess)
		}
		_, err = s.Session(ctx, hashOf("other"))
		mustCode(t, err, postern.ENOTFOUND)

		other := store.Session{TokenHash: hashOf("later"), TailnetID: tn.ID, UserID: "u1", CSRFSecret: []byte("k"), Created: at(1, 0), Expires: at(5, 0)}
		if err := s.CreateSession(ctx, other); err != nil {
			t.Fatal(err)
		}
		link := store.SignInLink{TokenHash: hashOf("l"), TailnetID: tn.ID, UserID: "u1", Created: at(1, 0), Expires: at(1, 9)}
		if err := s.CreateSignInLink(ctx, link); err != nil {
			t.Fatal(err)
		}
		n, err := s.DeleteExpiredConsoleState(ctx, at(2, 0))
		if err != nil || n != 2 {
			t.Errorf("DeleteExpiredConsoleState: got %d, %v, want 2 rows removed", n, err)
		}
		_, err = s.Session(ctx, sess.TokenHash)
		mustCode(t, err, postern.ENOTFOUND)
		if err := s.DeleteSession(ctx, other.TokenHash); err != nil {
			t.Fatal(err)
		}
		_, err = s.Session(ctx, other.TokenHash)
		mustCode(t, err, postern.ENOTFOUND)
		if err := s.DeleteSession(ctx, other.TokenHash); err != nil {
			t.Errorf("deleting a deleted session: got %v, want nil", err)
		}
	})
}

func TestComplianceHistory(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		d1, d2 := at(1, 0), at(2, 0)
		if err := s.RecordCompliance(ctx, tn.ID, d1, []store.PostureCount{{Posture: "posture:b", Pass: 1, Fail: 2}, {Posture: "posture:a", Pass: 3}}); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordCompliance(ctx, tn.ID, d2, []store.PostureCount{{Posture: "posture:a", Pass: 1}}); err != nil {
			t.Fatal(err)
		}
		// A second snapshot the same day replaces the first.
		if err := s.RecordCompliance(ctx, tn.ID, d2.Add(time.Hour), []store.PostureCount{{Posture: "posture:a", Pass: 4, Fail: 1}}); err != nil {
			t.Fatal(err)
		}
		mustCode(t, s.RecordCompliance(ctx, "nope", d1, []store.PostureCount{{Posture: "posture:a"}}), postern.ENOTFOUND)
		got, err := s.ComplianceHistory(ctx, tn.ID, at(1, 0))
		if err != nil {
			t.Fatal(err)
		}
		day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
		want := []store.ComplianceDay{
			{Day: day(d1), Counts: []store.PostureCount{{Posture: "posture:a", Pass: 3}, {Posture: "posture:b", Pass: 1, Fail: 2}}},
			{Day: day(d2), Counts: []store.PostureCount{{Posture: "posture:a", Pass: 4, Fail: 1}}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
		got, err = s.ComplianceHistory(ctx, tn.ID, d2)
		if err != nil || len(got) != 1 || !got[0].Day.Equal(day(d2)) {
			t.Errorf("since day 2: got %+v, %v, want only day 2", got, err)
		}
	})
}
