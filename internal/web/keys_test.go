package web

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/tailnet"
)

var newKeyText = regexp.MustCompile(`<pre class="key mono" id="new-key-text">([^<]*)</pre>`)

// createdKey posts the auth or API key form and returns the page and the
// key text it shows once.
func (s *signedIn) createdKey(form url.Values) (string, string) {
	s.t.Helper()
	form.Set("csrf", s.token)
	w := s.do("POST", "/admin/keys", s.cookie, form)
	if w.Code != http.StatusOK {
		s.t.Fatalf("creating a key: got %d, want 200; body %s", w.Code, w.Body)
	}
	page := w.Body.String()
	m := newKeyText.FindStringSubmatch(page)
	if m == nil {
		s.t.Fatalf("the page after creating a key shows no key")
	}
	return page, html.UnescapeString(m[1])
}

func TestKeysNewAuthKeyUpLine(t *testing.T) {
	for _, tc := range []struct {
		name, tags, wantTail string
	}{
		{"untagged", "", ""},
		{"tagged", "tag:server, tag:ci", " --advertise-tags=tag:ci,tag:server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSignedIn(t)
			page, text := s.createdKey(url.Values{"type": {"auth"}, "expiryDays": {"7"}, "tags": {tc.tags}})
			if !strings.HasPrefix(text, "tskey-auth-") {
				t.Fatalf("key text: got %q, want tskey-auth-...", text)
			}
			up := "tailscale up --login-server=http://x --authkey=" + text + tc.wantTail
			if !strings.Contains(html.UnescapeString(page), `id="new-key-up">`+up+`</pre>`) {
				t.Errorf("page lacks the join line %q", up)
			}
			if n := strings.Count(page, text); n != 2 {
				t.Errorf("key text on the page: got %d times, want 2 (the key and the join line)", n)
			}
			// The buttons start hidden, so without JavaScript only the selectable text shows.
			for _, want := range []string{`data-copy="new-key-text" hidden>`, `data-copy="new-key-up" hidden>`, `<script src="/admin/static/copy.js" defer></script>`} {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %s", want)
				}
			}
			if again := s.get("/admin/keys"); strings.Contains(again, text) || strings.Contains(again, "copy.js") {
				t.Errorf("the key or its copy script is shown again after reload, want it shown once")
			}
		})
	}
}

func TestKeysNewAPIKeyHasNoUpLine(t *testing.T) {
	s := newSignedIn(t)
	page, text := s.createdKey(url.Values{"type": {"api"}, "expiryDays": {"7"}})
	if !strings.HasPrefix(text, "tskey-api-") {
		t.Fatalf("key text: got %q, want tskey-api-...", text)
	}
	if strings.Contains(page, "tailscale up") || strings.Contains(page, "new-key-up") {
		t.Errorf("an API key's page shows a tailscale up line, want none")
	}
	if !strings.Contains(page, `data-copy="new-key-text"`) {
		t.Errorf("an API key's page lacks its Copy button")
	}
}

// TestKeysOAuthClients checks the OAuth clients are listed with their
// scopes, their access tokens are not listed anywhere, an auditor cannot
// revoke a client, and an owner can, which ends its tokens.
func TestKeysOAuthClients(t *testing.T) {
	s := newSignedIn(t)
	ac := audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}
	_, client, err := s.svc.CreateKey(ctx, ac, s.tn.ID, tailnet.KeyRequest{Type: postern.KeyTypeClient, UserID: s.owner.ID,
		Description: "ci pipeline", Scopes: []string{"devices:core:read", "devices:posture_attributes"}})
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := s.svc.IssueAccessToken(ctx, client, client.Scopes)
	if err != nil {
		t.Fatal(err)
	}
	page := s.get("/admin/keys")
	_, section, ok := strings.Cut(page, `id="oauth-clients"`)
	if !ok {
		t.Fatalf("the keys page has no OAuth clients section")
	}
	for _, want := range []string{client.ID, "ci pipeline", "devices:core:read", "devices:posture_attributes", `/admin/keys/` + client.ID + `/revoke`} {
		if !strings.Contains(section, want) {
			t.Errorf("OAuth clients section lacks %q", want)
		}
	}
	if strings.Contains(page, token.ID) || strings.Contains(page, "OAuth access token") {
		t.Errorf("the keys page lists access token %s, want tokens never listed", token.ID)
	}

	auditor := s.user("audit@example.com", postern.RoleAuditor)
	ck := s.signIn(auditor)
	w := s.do("POST", "/admin/keys/"+client.ID+"/revoke", ck.Value, url.Values{"csrf": {s.csrf(ck.Value)}})
	if w.Code != http.StatusForbidden {
		t.Errorf("auditor revoking a client: got %d, want %d", w.Code, http.StatusForbidden)
	}
	if _, err := s.svc.Store().Key(ctx, client.ID); err != nil {
		t.Errorf("client after the auditor's refused revoke: got %v, want it kept", err)
	}
	if strings.Contains(s.do("GET", "/admin/keys", ck.Value, nil).Body.String(), `/admin/keys/`+client.ID+`/revoke`) {
		t.Errorf("an auditor sees a Revoke button, want none")
	}

	resp := s.post("/admin/keys/"+client.ID+"/revoke", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoking the client: got %d, want %d", resp.StatusCode, http.StatusSeeOther)
	}
	for _, id := range []string{client.ID, token.ID} {
		if _, err := s.svc.Store().Key(ctx, id); !postern.IsNotFound(err) {
			t.Errorf("key %s after revoking its client: got %v, want not found", id, err)
		}
	}
}

// TestKeysDefaultLifetime checks the console offers the lifetime the CLI
// and the API use when none is given.
func TestKeysDefaultLifetime(t *testing.T) {
	s := newSignedIn(t)
	page := s.get("/admin/keys")
	want := strconv.Itoa(int(tailnet.DefaultKeyExpiry.Hours() / 24))
	for _, form := range []string{"auth-key-form", "api-key-form"} {
		_, rest, _ := strings.Cut(page, `id="`+form+`"`)
		rest, _, _ = strings.Cut(rest, "</form>")
		m := regexp.MustCompile(`name="expiryDays"[^>]* value="(\d+)"`).FindStringSubmatch(rest)
		if m == nil || m[1] != want {
			t.Errorf("%s default days: got %v, want %s", form, m, want)
		}
	}
}
