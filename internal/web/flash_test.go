package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
)

// TestFlashFromSessionNotURL checks a console page shows a message only
// after the session's own action, once, and never text from the URL.
func TestFlashFromSessionNotURL(t *testing.T) {
	e := newEnv(t, "http://x")
	owner := e.user("owner@example.com", postern.RoleOwner)
	ck := e.signIn(owner).Value

	t.Run("crafted link shows nothing", func(t *testing.T) {
		before, err := e.svc.Store().Users(ctx, e.tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		const lure = "Your session expired: sign in again at evil.example"
		w := e.do("GET", "/admin/users?done="+url.QueryEscape(lure), ck, nil)
		if w.Code != http.StatusOK {
			t.Fatalf("got %d, want 200", w.Code)
		}
		if body := w.Body.String(); strings.Contains(body, "evil.example") || strings.Contains(body, `class="flash"`) {
			t.Errorf("the page shows text from the URL:\n%s", body)
		}
		after, err := e.svc.Store().Users(ctx, e.tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before) {
			t.Errorf("got %d users after the crafted link, want %d", len(after), len(before))
		}
	})

	t.Run("real action shows its message once", func(t *testing.T) {
		form := url.Values{"csrf": {e.csrf(ck)}, "loginName": {"new@example.com"}, "role": {"member"}}
		w := e.do("POST", "/admin/users", ck, form)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("adding a user: got %d, want 303; body %s", w.Code, w.Body)
		}
		loc := w.Header().Get("Location")
		if loc != "/admin/users" {
			t.Errorf("got redirect to %q, want /admin/users with no message in the URL", loc)
		}
		const want = `<p class="flash" role="status">Added new@example.com as member.</p>`
		other := e.signIn(e.user("admin@example.com", postern.RoleAdmin)).Value
		if body := e.do("GET", loc, other, nil).Body.String(); strings.Contains(body, `class="flash"`) {
			t.Errorf("another session's page shows the message")
		}
		if body := e.do("GET", loc, ck, nil).Body.String(); !strings.Contains(body, want) {
			t.Errorf("first page after the action: no %q in\n%s", want, body)
		}
		if body := e.do("GET", loc, ck, nil).Body.String(); strings.Contains(body, `class="flash"`) {
			t.Errorf("second page after the action still shows the message")
		}
	})
}

func TestFlashesExpire(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := flashes{now: func() time.Time { return now }}
	f.set([]byte("a"), "old")
	f.set([]byte("b"), "kept")
	now = now.Add(flashTTL)
	if got := f.take([]byte("a")); got != "" {
		t.Errorf("got %q after flashTTL, want nothing", got)
	}
	f.prune()
	if len(f.m) != 0 {
		t.Errorf("got %d messages after prune, want 0", len(f.m))
	}
}
