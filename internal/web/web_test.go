package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"tailscale.com/tailcfg"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/providers"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
)

var ctx = context.Background()

var testActor = audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}

// env is a console on a fresh store, without the rest of the server.
type env struct {
	t   *testing.T
	svc *tailnet.Service
	c   *Console
	tn  postern.Tailnet
	h   http.Handler
}

func newEnv(t *testing.T, serverURL string) *env {
	t.Helper()
	st := storetest.New(t)
	svc := tailnet.New(st, slog.New(slog.DiscardHandler), nil)
	tn, _, err := svc.EnsureDefault(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Service: svc, TailnetID: tn.ID, ServerURL: serverURL, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{t: t, svc: svc, c: c, tn: tn, h: c.Handler()}
}

func (e *env) user(login string, role postern.Role) postern.User {
	e.t.Helper()
	u, err := e.svc.CreateUser(ctx, testActor, e.tn.ID, login, "", role)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) do(method, path, cookie string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodPost {
		r.Header.Set("Origin", "http://"+r.Host) // as a browser posting a console form
	}
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: cookie})
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// signIn uses a fresh link for u and returns the session cookie.
func (e *env) signIn(u postern.User) *http.Cookie {
	e.t.Helper()
	link, err := CreateSignInLink(ctx, e.svc.Store(), "http://x", u, e.svc.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	tok := link[strings.Index(link, "token=")+len("token="):]
	tok, _ = url.QueryUnescape(tok)
	w := e.do("POST", "/admin/signin", "", url.Values{"token": {tok}})
	if w.Code != http.StatusSeeOther {
		e.t.Fatalf("sign in: got status %d, want 303; body %s", w.Code, w.Body)
	}
	for _, ck := range w.Result().Cookies() {
		if ck.Name == SessionCookie {
			return ck
		}
	}
	e.t.Fatal("sign in set no session cookie")
	return nil
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (e *env) csrf(cookie string) string {
	e.t.Helper()
	w := e.do("GET", "/admin/keys", cookie, nil)
	m := csrfRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		e.t.Fatalf("no csrf field on the keys page (status %d)", w.Code)
	}
	return m[1]
}

func TestTemplatesParseAtStart(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"overview", "machines", "device", "integrations", "policy", "keys", "users", "logs"} {
		if pages[page] == nil || navOf(page) == "" {
			t.Errorf("page %q has no template", page)
		}
	}
	for _, page := range []string{"signin", "error"} {
		if pages[page] == nil {
			t.Errorf("page %q has no template", page)
		}
	}
}

func TestSignInLink(t *testing.T) {
	e := newEnv(t, "http://127.0.0.1:8080")
	owner := e.user("owner@example.com", postern.RoleOwner)

	t.Run("cookie", func(t *testing.T) {
		ck := e.signIn(owner)
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/admin" || ck.Secure {
			t.Errorf("got cookie %+v, want HttpOnly, SameSite=Strict, Path=/admin, not Secure over http", ck)
		}
		if w := e.do("GET", "/admin/", ck.Value, nil); w.Code != 200 || !strings.Contains(w.Body.String(), "owner@example.com") {
			t.Errorf("overview: got %d, want 200 naming the user", w.Code)
		}
	})
	t.Run("once", func(t *testing.T) {
		link, err := CreateSignInLink(ctx, e.svc.Store(), "http://x/", owner, e.svc.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(link, "http://x/admin/signin?token=") {
			t.Errorf("got link %q, want it under http://x/admin/signin", link)
		}
		u, _ := url.Parse(link)
		tok := u.Query().Get("token")
		if w := e.do("GET", "/admin/signin?token="+url.QueryEscape(tok), "", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `value="`+tok+`"`) {
			t.Fatalf("GET with token: got %d, want 200 with a form carrying the token", w.Code)
		}
		if w := e.do("POST", "/admin/signin", "", url.Values{"token": {tok}}); w.Code != http.StatusSeeOther {
			t.Fatalf("first use: got %d, want 303", w.Code)
		}
		if w := e.do("POST", "/admin/signin", "", url.Values{"token": {tok}}); w.Code != http.StatusUnauthorized {
			t.Errorf("second use: got %d, want 401", w.Code)
		}
	})
	t.Run("member refused", func(t *testing.T) {
		m := e.user("member@example.com", postern.RoleMember)
		_, err := CreateSignInLink(ctx, e.svc.Store(), "http://x", m, e.svc.Now())
		if postern.ErrorCode(err) != postern.EFORBIDDEN {
			t.Errorf("got %v, want EFORBIDDEN", err)
		}
	})
	t.Run("no session redirects", func(t *testing.T) {
		w := e.do("GET", "/admin/machines", "bogus", nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/signin" {
			t.Errorf("got %d to %q, want 303 to /admin/signin", w.Code, w.Header().Get("Location"))
		}
	})
}

func TestSecureCookieOverHTTPS(t *testing.T) {
	e := newEnv(t, "https://postern.example.com")
	ck := e.signIn(e.user("owner@example.com", postern.RoleOwner))
	if !ck.Secure {
		t.Errorf("got cookie %+v, want Secure when the server URL is https", ck)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, "http://x")
	ck := e.signIn(e.user("owner@example.com", postern.RoleOwner))
	form := url.Values{"type": {"auth"}, "expiryDays": {"1"}}
	if w := e.do("POST", "/admin/keys", ck.Value, form); w.Code != http.StatusForbidden {
		t.Errorf("without token: got %d, want 403", w.Code)
	}
	form.Set("csrf", "forged")
	if w := e.do("POST", "/admin/keys", ck.Value, form); w.Code != http.StatusForbidden {
		t.Errorf("with a wrong token: got %d, want 403", w.Code)
	}
	other := e.signIn(e.user("admin2@example.com", postern.RoleAdmin))
	form.Set("csrf", e.csrf(other.Value))
	if w := e.do("POST", "/admin/keys", ck.Value, form); w.Code != http.StatusForbidden {
		t.Errorf("with another session's token: got %d, want 403", w.Code)
	}
	form.Set("csrf", e.csrf(ck.Value))
	w := e.do("POST", "/admin/keys", ck.Value, form)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "tskey-auth-") {
		t.Errorf("with the token: got %d, want 200 showing the new key", w.Code)
	}
	ks, _ := e.svc.Store().Keys(ctx, e.tn.ID)
	if len(ks) != 1 {
		t.Errorf("got %d keys, want 1 (only the request with the right token)", len(ks))
	}
	if w := e.do("GET", "/admin/keys", ck.Value, nil); strings.Contains(w.Body.String(), "tskey-auth-") {
		t.Errorf("the key text is shown again on reload, want it shown once")
	}
}

func TestAuditorReadsOnly(t *testing.T) {
	e := newEnv(t, "http://x")
	ck := e.signIn(e.user("auditor@example.com", postern.RoleAuditor))
	if w := e.do("GET", "/admin/logs", ck.Value, nil); w.Code != 200 {
		t.Errorf("GET logs: got %d, want 200", w.Code)
	}
	form := url.Values{"type": {"auth"}, "expiryDays": {"1"}, "csrf": {e.csrf(ck.Value)}}
	if w := e.do("POST", "/admin/keys", ck.Value, form); w.Code != http.StatusForbidden {
		t.Errorf("POST keys: got %d, want 403", w.Code)
	}
}

func TestSignOut(t *testing.T) {
	e := newEnv(t, "http://x")
	ck := e.signIn(e.user("owner@example.com", postern.RoleOwner))
	w := e.do("POST", "/admin/signout", ck.Value, url.Values{"csrf": {e.csrf(ck.Value)}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign out: got %d, want 303", w.Code)
	}
	if w := e.do("GET", "/admin/", ck.Value, nil); w.Code != http.StatusSeeOther {
		t.Errorf("after sign-out: got %d, want 303 to the sign-in page", w.Code)
	}
}

func TestPolicyErrorKeepsPolicyInForce(t *testing.T) {
	e := newEnv(t, "http://x")
	ck := e.signIn(e.user("owner@example.com", postern.RoleOwner))
	bad := "{\n  \"acls\": [\n    {\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\"]},\n    {\"action\": \"accept\", \"src\": [\"group:nope\"], \"dst\": [\"*:22\"]},\n  ],\n}\n"
	w := e.do("POST", "/admin/policy", ck.Value, url.Values{"csrf": {e.csrf(ck.Value)}, "action": {"save"}, "policy": {bad}, "etag": {tailnet.DefaultETag}})
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `href="#L4">line 4`) || !strings.Contains(body, `id="L4" class="bad"`) {
		t.Errorf("got %d, want 200 with an error at line 4 marked in the gutter; body:\n%s", w.Code, body)
	}
	cur, err := tailnet.CurrentPolicy(ctx, e.svc.Store(), e.tn.ID)
	if err != nil || cur.Version != 0 || cur.Text != tailnet.DefaultPolicy {
		t.Errorf("policy in force: got version %d, %v, want the default still", cur.Version, err)
	}
}

func TestImpact(t *testing.T) {
	devs := []postern.Device{
		{ID: 1, Name: "laptop", UserID: "u1", Authorized: true},
		{ID: 2, Name: "server", Tags: []string{"tag:server"}, Authorized: true},
	}
	devs[0].IPv4, devs[1].IPv4 = mustAddr("100.64.0.1"), mustAddr("100.64.0.2")
	nodes := []policy.Node{tailnet.PolicyNode(devs[0], "a@example.com", nil), tailnet.PolicyNode(devs[1], "", nil)}
	users := []policy.User{{LoginName: "a@example.com", Role: postern.RoleAdmin}}
	compile := func(text string) *policy.Compiled {
		p, err := policy.Parse([]byte(text), providers.Catalog())
		if err != nil {
			t.Fatal(err)
		}
		c, err := policy.Compile(p, users, nodes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old := compile(`{"acls": [{"action": "accept", "src": ["a@example.com"], "dst": ["tag:server:22"]}], "tagOwners": {"tag:server": ["a@example.com"]}}`)
	next := compile(`{"acls": [{"action": "accept", "src": ["a@example.com"], "dst": ["tag:server:443"]}], "tagOwners": {"tag:server": ["a@example.com"]}}`)
	got, cut := impact(old, next, devs)
	want := []accessChange{
		{Gained: true, Src: "laptop", Dst: "server", Ports: "tcp/udp/icmp 443"},
		{Gained: false, Src: "laptop", Dst: "server", Ports: "tcp/udp/icmp 22"},
	}
	if cut || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %+v (cut %v), want %+v", got, cut, want)
	}
	all := compile(`{"acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}]}`)
	got, _ = impact(all, old, devs)
	for _, ch := range got {
		if ch.Gained {
			t.Errorf("narrowing from allow-all: got gained %+v, want only losses", ch)
		}
		if strings.HasPrefix(ch.Src, "100.") || strings.HasPrefix(ch.Src, "fd7a:") {
			t.Errorf("narrowing from allow-all: got %+v from unassigned tailnet addresses, want devices and outside addresses only", ch)
		}
	}
	if !slices.Contains(got, accessChange{Src: "laptop", Dst: "server", Ports: "tcp/udp/icmp 0-21, 23-65535"}) {
		t.Errorf("narrowing from allow-all: got %+v, want laptop to lose every port of server but 22", got)
	}
	if got, _ := impact(old, old, devs); len(got) != 0 {
		t.Errorf("same policy: got %+v, want no change", got)
	}
}

func TestChart(t *testing.T) {
	today := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return time.Date(2026, 11, 22-n, 0, 0, 0, 0, time.UTC) }
	history := []store.ComplianceDay{
		{Day: day(40), Counts: []store.PostureCount{{Posture: "posture:a", Pass: 0, Fail: 9}}}, // too old
		{Day: day(1), Counts: []store.PostureCount{{Posture: "posture:a", Pass: 1, Fail: 1}}},
		{Day: day(0), Counts: []store.PostureCount{{Posture: "posture:a", Pass: 2}, {Posture: "posture:none"}}},
	}
	ch := buildChart(history, today)
	if len(ch.Lines) != 1 {
		t.Fatalf("got %d lines, want 1", len(ch.Lines))
	}
	l := ch.Lines[0]
	want := []chartPoint{{X: 570, Y: 80}, {X: 590, Y: 10}}
	if len(l.Dots) != 2 || l.Dots[0] != want[0] || l.Dots[1] != want[1] || l.Last != 100 || l.Points != "570,80 590,10" {
		t.Errorf("got %+v, want dots %v ending at 100%%", l, want)
	}
	// The labels' Tick indexes the stylesheet's .tick-N positions: five,
	// oldest first, ending today at the right edge.
	if n := len(ch.Labels); n != 5 || ch.Labels[4].Text != "Nov 22" || ch.Labels[4].X != 590 || ch.Labels[0].Tick != 0 || ch.Labels[4].Tick != 4 {
		t.Errorf("got labels %+v, want 5 ticks ending with Nov 22 at x=590", ch.Labels)
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestPortSet(t *testing.T) {
	pr := func(a, b uint16) tailcfg.PortRange { return tailcfg.PortRange{First: a, Last: b} }
	var s portSet
	s = s.add(pr(80, 80)).add(pr(81, 90)).add(pr(443, 443)).add(pr(0, 10))
	if got, want := s.String(), "0-10, 80-90, 443"; got != want {
		t.Errorf("add: got %q, want %q", got, want)
	}
	all := portSet{pr(0, 65535)}
	if got, want := all.minus(portSet{pr(22, 22)}).String(), "0-21, 23-65535"; got != want {
		t.Errorf("minus: got %q, want %q", got, want)
	}
	if got := s.minus(all); len(got) != 0 {
		t.Errorf("minus everything: got %v, want nothing", got)
	}
}

// testWriter sends the console's logs to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestPolicyTestFailureAtItsLine(t *testing.T) {
	e := newEnv(t, "http://x")
	ck := e.signIn(e.user("owner@example.com", postern.RoleOwner))
	text := "{\n  \"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:80\"]}],\n  \"tests\": [\n    {\"src\": \"owner@example.com\", \"accept\": [\"100.64.0.1:22\"]},\n  ],\n}\n"
	for _, action := range []string{"preview", "save"} {
		w := e.do("POST", "/admin/policy", ck.Value, url.Values{"csrf": {e.csrf(ck.Value)}, "action": {action}, "policy": {text}})
		body := w.Body.String()
		if !strings.Contains(body, `href="#L4">line 4`) || !strings.Contains(body, "test (src owner@example.com) failed") {
			t.Errorf("%s: got %d without the failing test at line 4; body:\n%s", action, w.Code, body)
		}
	}
	if cur, _ := tailnet.CurrentPolicy(ctx, e.svc.Store(), e.tn.ID); cur.Version != 0 {
		t.Errorf("policy in force: got version %d, want the default kept", cur.Version)
	}
}
