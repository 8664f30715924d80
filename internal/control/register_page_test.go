package control

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"testing"

	"github.com/postern/postern/internal/browsertest"
)

func TestRegisterPage(t *testing.T) {
	ts := newTestServer(t)
	resp, err := ts.startLogin(t, "192.0.2.40")
	if err != nil || resp.AuthURL == "" {
		t.Fatalf("startLogin: got %+v, %v; want a login URL", resp, err)
	}
	id := path.Base(resp.AuthURL)

	t.Run("pending login", func(t *testing.T) {
		rec := httptest.NewRecorder()
		ts.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/register/"+id, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("status: got %d, want 200", rec.Code)
		}
		body := rec.Body.String()
		for _, want := range []string{
			`<code id="login-id">` + id + `</code>`,
			`href="/admin/machines"`,
			"An administrator approves this login in the console.",
			`<meta name="viewport"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("page: got %q, want it to contain %q", body, want)
			}
		}
		// The page's only style is allowed by its hash; nothing else runs.
		sum := sha256.Sum256([]byte(registerCSS))
		csp := rec.Header().Get("Content-Security-Policy")
		if want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) ||
			!strings.Contains(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy: got %q, want default-src 'none' and %s", csp, want)
		}
		if !strings.Contains(body, "<style>"+registerCSS+"</style>") {
			t.Errorf("the page's style is not exactly registerCSS, so its hash would not allow it")
		}
		if got := rec.Header().Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("X-Frame-Options: got %q, want DENY", got)
		}
		if ts.pendingCount() != 1 {
			t.Errorf("pending logins after viewing the page: got %d, want 1", ts.pendingCount())
		}
	})

	t.Run("unknown login", func(t *testing.T) {
		rec := httptest.NewRecorder()
		ts.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/register/not-a-login", nil))
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "unknown or expired login") {
			t.Errorf("unknown id: got %d %q, want 404 unknown or expired login", rec.Code, rec.Body.String())
		}
		if ts.pendingCount() != 1 {
			t.Errorf("pending logins: got %d, want 1", ts.pendingCount())
		}
	})
}

// In a real browser the page's style is allowed by its own policy (a
// blocked style logs an error), and it fits a phone.
func TestBrowserRegisterPage(t *testing.T) {
	browsertest.Chromium(t)
	ts := newTestServer(t)
	resp, err := ts.startLogin(t, "192.0.2.41")
	if err != nil {
		t.Fatalf("startLogin: %v", err)
	}
	id := path.Base(resp.AuthURL)
	hs := httptest.NewServer(ts.Handler())
	t.Cleanup(hs.Close)
	b := browsertest.New(t, hs.URL, "control")
	b.Open("/register/" + id)
	if got := b.Text("#login-id"); got != id {
		t.Errorf("login id shown: got %q, want %q", got, id)
	}
	if got := b.EvalString(`document.getElementById('console').pathname`); got != "/admin/machines" {
		t.Errorf("console link: got %q, want /admin/machines", got)
	}
	if got := b.EvalString(`getComputedStyle(document.querySelector('header')).backgroundColor`); got != "rgb(17, 24, 39)" {
		t.Errorf("header background: got %q, want rgb(17, 24, 39) from the page's style", got)
	}
	b.Shoot("register")
}
