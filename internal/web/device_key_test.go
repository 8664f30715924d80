package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
)

func TestDeviceKeyExpiryForm(t *testing.T) {
	s := newSignedIn(t)
	d := s.device("laptop", nil, false)
	d.KeyExpiry = time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	if err := s.svc.Store().UpdateDevice(ctx, &d); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/admin/machines/%d", d.ID)
	path := page + "/key"
	stored := func() postern.Device {
		t.Helper()
		got, err := s.svc.Store().Device(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	unchanged := func(t *testing.T) {
		t.Helper()
		if got := stored(); got.KeyExpiryDisabled || !got.KeyExpiry.Equal(d.KeyExpiry) {
			t.Errorf("stored after a refused form: disabled %v, expiry %v; want false, %v", got.KeyExpiryDisabled, got.KeyExpiry, d.KeyExpiry)
		}
	}
	if body := s.get(page); !strings.Contains(body, `id="disable-key-expiry"`) || !strings.Contains(body, "Disable key expiry") {
		t.Fatalf("device page lacks the Disable key expiry form")
	}

	t.Run("without the CSRF token", func(t *testing.T) {
		if w := s.do("POST", path, s.cookie, url.Values{"keyExpiryDisabled": {"true"}}); w.Code != http.StatusForbidden {
			t.Errorf("got %d, want 403", w.Code)
		}
		unchanged(t)
	})
	t.Run("as an auditor", func(t *testing.T) {
		ck := s.signIn(s.user("auditor@example.com", postern.RoleAuditor))
		form := url.Values{"keyExpiryDisabled": {"true"}, "csrf": {s.csrf(ck.Value)}}
		if w := s.do("POST", path, ck.Value, form); w.Code != http.StatusForbidden {
			t.Errorf("got %d, want 403", w.Code)
		}
		if body := s.do("GET", page, ck.Value, nil).Body.String(); strings.Contains(body, `id="disable-key-expiry"`) {
			t.Errorf("an auditor is offered the key expiry form")
		}
		unchanged(t)
	})
	t.Run("a value that is not true or false", func(t *testing.T) {
		if resp := s.post(path, url.Values{"keyExpiryDisabled": {"maybe"}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("got %d, want 400", resp.StatusCode)
		}
		unchanged(t)
	})
	t.Run("disable", func(t *testing.T) {
		if resp := s.post(path, url.Values{"keyExpiryDisabled": {"true"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d, want 303", resp.StatusCode)
		}
		if got := stored(); !got.KeyExpiryDisabled || !got.KeyExpiry.IsZero() {
			t.Errorf("got disabled %v, expiry %v; want true, none", got.KeyExpiryDisabled, got.KeyExpiry)
		}
		if body := s.get(page); !strings.Contains(body, `id="enable-key-expiry"`) || !strings.Contains(body, "never expires") {
			t.Errorf("device page after disabling: want 'never expires' and the Enable key expiry form")
		}
	})
	t.Run("enable", func(t *testing.T) {
		if resp := s.post(path, url.Values{"keyExpiryDisabled": {"false"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d, want 303", resp.StatusCode)
		}
		want := time.Now().Add(180 * 24 * time.Hour)
		if got := stored(); got.KeyExpiryDisabled || got.KeyExpiry.Before(want.Add(-time.Minute)) || got.KeyExpiry.After(want.Add(time.Minute)) {
			t.Errorf("got disabled %v, expiry %v; want false, about %v", got.KeyExpiryDisabled, got.KeyExpiry, want)
		}
	})
}
