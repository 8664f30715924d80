package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
)

var presessionRE = regexp.MustCompile(`name="presession" value="([^"]+)"`)

// TestSignInRefusesCrossSite checks a sign-in POST from another site
// (login CSRF) is refused with a clear page, sets no session and leaves
// the link unspent, while the console's own form signs in: behind a TLS
// proxy (Origin is the public server URL, Host the internal address),
// and without a usable Origin when the form echoes the pre-session
// cookie.
func TestSignInRefusesCrossSite(t *testing.T) {
	const serverURL = "https://postern.example.com"
	type req struct {
		host           string // "" means httptest's example.com
		origin         string
		secFetchSite   string
		cookie, echoed string // pre-session cookie and form field; "page" means the sign-in page's
	}
	tests := []struct {
		name string
		req  req
		ok   bool
	}{
		{"another site", req{origin: "https://evil.example"}, false},
		{"sibling subdomain", req{origin: "https://other.example.com"}, false},
		{"opaque origin", req{origin: "null"}, false},
		{"opaque origin, cookie not echoed", req{origin: "null", cookie: "page"}, false},
		{"cross-site fetch metadata", req{secFetchSite: "cross-site", cookie: "page", echoed: "page"}, false},
		{"same-site fetch metadata", req{origin: serverURL, secFetchSite: "same-site"}, false},
		{"no origin, no pre-session token", req{}, false},
		{"no origin, cookie not echoed", req{cookie: "page", echoed: strings.Repeat("x", 43)}, false},
		{"no origin, token without cookie", req{echoed: "page"}, false},
		{"server URL origin behind a proxy", req{host: "127.0.0.1:8080", origin: serverURL, secFetchSite: "same-origin"}, true},
		{"request's own host", req{host: "10.0.0.5:8080", origin: "http://10.0.0.5:8080"}, true},
		{"no origin, pre-session token echoed", req{cookie: "page", echoed: "page"}, true},
		// What a browser sends from the console's page (no-referrer).
		{"opaque origin, pre-session token echoed", req{origin: "null", secFetchSite: "same-origin", cookie: "page", echoed: "page"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, serverURL)
			owner := e.user("owner@example.com", postern.RoleOwner)
			link, err := CreateSignInLink(ctx, e.svc.Store(), serverURL, owner, e.svc.Now())
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(link)
			tok := u.Query().Get("token")
			page := e.do("GET", "/admin/signin?token="+url.QueryEscape(tok), "", nil)
			m := presessionRE.FindStringSubmatch(page.Body.String())
			if m == nil {
				t.Fatalf("the sign-in page has no pre-session field")
			}
			pageToken := m[1]
			pick := func(v string) string {
				if v == "page" {
					return pageToken
				}
				return v
			}

			form := url.Values{"token": {tok}}
			if tt.req.echoed != "" {
				form.Set("presession", pick(tt.req.echoed))
			}
			r := httptest.NewRequest("POST", "/admin/signin", strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.req.host != "" {
				r.Host = tt.req.host
			}
			if tt.req.origin != "" {
				r.Header.Set("Origin", tt.req.origin)
			}
			if tt.req.secFetchSite != "" {
				r.Header.Set("Sec-Fetch-Site", tt.req.secFetchSite)
			}
			if tt.req.cookie != "" {
				r.AddCookie(&http.Cookie{Name: presessionCookie, Value: pick(tt.req.cookie)})
			}
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)

			var session bool
			for _, ck := range w.Result().Cookies() {
				if ck.Name == SessionCookie && ck.Value != "" {
					session = true
				}
			}
			if tt.ok {
				if w.Code != http.StatusSeeOther || !session {
					t.Errorf("got %d, session cookie %v; want 303 with a session", w.Code, session)
				}
				return
			}
			if w.Code != http.StatusForbidden {
				t.Errorf("got %d, want 403", w.Code)
			}
			const msg = "This sign-in did not come from this server&#39;s sign-in page, so it was refused. Open your sign-in link again."
			if !strings.Contains(w.Body.String(), msg) {
				t.Errorf("the page does not say why:\n%s", w.Body)
			}
			if session {
				t.Error("a refused sign-in set a session cookie")
			}
			// Nothing stored changed: the link is the only console state,
			// no session was created.
			if n, err := e.svc.Store().DeleteExpiredConsoleState(ctx, e.svc.Now().Add(24*time.Hour)); err != nil || n != 1 {
				t.Errorf("got %d console rows (%v), want 1: the link and no session", n, err)
			}
		})
	}
}

// TestSignInLinkNotSpentByRefusal checks a refused cross-site sign-in
// leaves the link usable by its owner.
func TestSignInLinkNotSpentByRefusal(t *testing.T) {
	e := newEnv(t, "http://x")
	owner := e.user("owner@example.com", postern.RoleOwner)
	link, err := CreateSignInLink(ctx, e.svc.Store(), "http://x", owner, e.svc.Now())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	form := url.Values{"token": {u.Query().Get("token")}}
	r := httptest.NewRequest("POST", "/admin/signin", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://evil.example")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Fatalf("cross-site: got %d, want 403", w.Code)
	}
	if w := e.do("POST", "/admin/signin", "", form); w.Code != http.StatusSeeOther {
		t.Errorf("the owner's own sign-in afterwards: got %d, want 303", w.Code)
	}
}

func TestSignInPageSetsPresessionCookie(t *testing.T) {
	e := newEnv(t, "https://postern.example.com")
	w := e.do("GET", "/admin/signin?token=abc", "", nil)
	var ck *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == presessionCookie {
			ck = c
		}
	}
	if ck == nil {
		t.Fatal("the sign-in page set no pre-session cookie")
	}
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/admin/signin" {
		t.Errorf("got cookie %+v, want HttpOnly, Secure, SameSite=Strict, Path=/admin/signin", ck)
	}
	if !strings.Contains(w.Body.String(), `name="presession" value="`+ck.Value+`"`) {
		t.Error("the form does not echo the pre-session cookie")
	}
}

func TestOriginOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://Postern.Example.com/":    "https://postern.example.com",
		"https://postern.example.com:443": "https://postern.example.com",
		"http://postern.example.com:80/x": "http://postern.example.com",
		"http://127.0.0.1:8080":           "http://127.0.0.1:8080",
		"https://[::1]:8443":              "https://[::1]:8443",
		"null":                            "",
		"":                                "",
	} {
		if got := originOf(in); got != want {
			t.Errorf("originOf(%q): got %q, want %q", in, got, want)
		}
	}
}
