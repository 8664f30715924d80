package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/postern/postern"
)

// An unknown console path keeps the navigation for a signed-in user and
// offers a plain sign-in link to anyone else.
func TestNotFoundPage(t *testing.T) {
	e := newEnv(t, "http://x")
	ck := e.signIn(e.user("owner@example.com", postern.RoleOwner))
	for _, tc := range []struct {
		name, cookie  string
		want, notWant []string
	}{
		{"signed in", ck.Value,
			[]string{`<nav aria-label="Main">`, `href="/admin/machines"`, `href="/admin/logs"`, "There is no such page.", "owner@example.com", `action="/admin/signout"`},
			[]string{`id="signin-link"`}},
		{"signed out", "",
			[]string{`<a id="signin-link" href="/admin/signin">`, "There is no such page."},
			[]string{`<nav`, `action="/admin/signout"`}},
		{"stale session", "not-a-session",
			[]string{`<a id="signin-link" href="/admin/signin">`},
			[]string{`<nav`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do("GET", "/admin/no/such/page", tc.cookie, nil)
			if w.Code != http.StatusNotFound {
				t.Errorf("status: got %d, want 404", w.Code)
			}
			if got := w.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("Content-Type: got %q, want text/html; charset=utf-8", got)
			}
			body := w.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("page does not contain %q:\n%s", s, body)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(body, s) {
					t.Errorf("page contains %q, want it absent", s)
				}
			}
		})
	}
}
