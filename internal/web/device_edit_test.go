package web

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
)

// deviceEdit is a signed-in owner with one device, for the device page's
// write forms.
type deviceEdit struct {
	*signedIn
	d    postern.Device
	page string
}

func newDeviceEdit(t *testing.T) *deviceEdit {
	t.Helper()
	s := newSignedIn(t)
	const pol = `{"tagOwners": {"tag:server": ["autogroup:admin"], "tag:prod": ["autogroup:admin"]},
  "acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}]}`
	if _, err := s.svc.SetPolicy(ctx, testActor, s.tn.ID, pol, ""); err != nil {
		t.Fatal(err)
	}
	d := s.device("laptop", nil, false)
	s.device("build", nil, false)
	return &deviceEdit{signedIn: s, d: d, page: fmt.Sprintf("/admin/machines/%d", d.ID)}
}

// refused posts form to path and checks the status and that the error
// page says msg.
func (e *deviceEdit) refused(t *testing.T, path string, form url.Values, status int, msg string) {
	t.Helper()
	form.Set("csrf", e.token)
	w := e.do("POST", path, e.cookie, form)
	if w.Code != status {
		t.Errorf("got %d, want %d; body %s", w.Code, status, w.Body)
	}
	if body := html.UnescapeString(w.Body.String()); !strings.Contains(body, msg) {
		t.Errorf("error page lacks %q", msg)
	}
}

// stored reads the device and its attributes as stored.
func (e *deviceEdit) stored(t *testing.T) (postern.Device, []postern.Attribute) {
	t.Helper()
	d, err := e.svc.Store().Device(ctx, e.d.ID)
	if err != nil {
		t.Fatal(err)
	}
	as, err := e.svc.Store().Attributes(ctx, e.d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var custom []postern.Attribute
	for _, a := range as {
		if a.Source == postern.SourceCustom {
			custom = append(custom, a)
		}
	}
	return d, custom
}

// forbidden checks that a form without the CSRF token, and one from an
// auditor, are refused with 403.
func (e *deviceEdit) forbidden(t *testing.T, path string, form url.Values) {
	t.Helper()
	if w := e.do("POST", path, e.cookie, form); w.Code != http.StatusForbidden {
		t.Errorf("without the CSRF token: got %d, want 403", w.Code)
	}
	ck := e.signIn(e.user(fmt.Sprintf("auditor%d@example.com", time.Now().UnixNano()), postern.RoleAuditor))
	f := url.Values{"csrf": {e.csrf(ck.Value)}}
	for k, v := range form {
		f[k] = v
	}
	if w := e.do("POST", path, ck.Value, f); w.Code != http.StatusForbidden {
		t.Errorf("as an auditor: got %d, want 403", w.Code)
	}
}

func TestDeviceAttributeForm(t *testing.T) {
	e := newDeviceEdit(t)
	path := e.page + "/attributes"
	none := func(t *testing.T) {
		t.Helper()
		if _, as := e.stored(t); len(as) != 0 {
			t.Errorf("stored after a refused form: %v, want no custom attributes", as)
		}
	}
	if body := e.get(e.page); !strings.Contains(body, `id="attr-form"`) {
		t.Fatalf("device page lacks the attribute form")
	}
	t.Run("forbidden", func(t *testing.T) {
		e.forbidden(t, path, url.Values{"key": {"custom:oncall"}, "value": {"true"}})
		none(t)
	})
	for _, tc := range []struct {
		name string
		form url.Values
		msg  string
	}{
		{"a key without custom:", url.Values{"key": {"node:os"}, "value": {"x"}}, "must start with custom:"},
		{"a key with a space", url.Values{"key": {"custom:on call"}, "value": {"x"}}, "invalid attribute key"},
		{"no value", url.Values{"key": {"custom:oncall"}, "value": {""}}, "Enter a value."},
		{"a number that is not one", url.Values{"key": {"custom:n"}, "value": {"many"}, "type": {"number"}}, "is not a number"},
		{"a bool that is not one", url.Values{"key": {"custom:b"}, "value": {"yes"}, "type": {"bool"}}, "must be true or false"},
		{"a string with a space", url.Values{"key": {"custom:s"}, "value": {"a b"}}, "only letters, numbers"},
		{"an expiry in the past", url.Values{"key": {"custom:oncall"}, "value": {"true"}, "expiry": {"2020-01-01T00:00:00Z"}}, "is not in the future"},
		{"a negative duration", url.Values{"key": {"custom:oncall"}, "value": {"true"}, "expiry": {"-2h"}}, "must be a duration after now"},
		{"an expiry that is neither", url.Values{"key": {"custom:oncall"}, "value": {"true"}, "expiry": {"tomorrow"}}, "neither a duration"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			e.refused(t, path, tc.form, http.StatusBadRequest, tc.msg)
			none(t)
		})
	}
	t.Run("sets a bool for two hours", func(t *testing.T) {
		before := time.Now()
		if resp := e.post(path, url.Values{"key": {"custom:oncall"}, "value": {"true"}, "expiry": {"2h"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d, want 303", resp.StatusCode)
		}
		_, as := e.stored(t)
		if len(as) != 1 || as[0].Key != "custom:oncall" || as[0].Value != postern.Bool(true) {
			t.Fatalf("stored %v, want custom:oncall = true", as)
		}
		if exp := as[0].Expiry; exp.Before(before.Add(2*time.Hour-time.Second)) || exp.After(time.Now().Add(2*time.Hour)) {
			t.Errorf("expiry: got %v, want two hours from now", exp)
		}
		body := e.get(e.page)
		if !strings.Contains(body, `data-remove="custom:oncall"`) {
			t.Errorf("device page lacks the Remove button for custom:oncall")
		}
	})
	t.Run("sets a number and a string without expiry", func(t *testing.T) {
		for _, f := range []url.Values{{"key": {"custom:level"}, "value": {"3"}}, {"key": {"custom:team"}, "value": {"7"}, "type": {"string"}}} {
			if resp := e.post(path, f); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%v: got %d, want 303", f, resp.StatusCode)
			}
		}
		_, as := e.stored(t)
		got := map[string]postern.Value{}
		for _, a := range as {
			got[a.Key] = a.Value
			if a.Key != "custom:oncall" && !a.Expiry.IsZero() {
				t.Errorf("%s expiry: got %v, want none", a.Key, a.Expiry)
			}
		}
		if got["custom:level"] != postern.Number(3) || got["custom:team"] != postern.String("7") {
			t.Errorf("stored %v, want custom:level = 3 (number), custom:team = \"7\" (string)", got)
		}
	})
	t.Run("refuses another type for a key", func(t *testing.T) {
		_, before := e.stored(t)
		e.refused(t, path, url.Values{"key": {"custom:level"}, "value": {"high"}}, http.StatusBadRequest, "holds number values")
		if _, after := e.stored(t); !slices.Equal(before, after) {
			t.Errorf("stored after a refused form: %v, want %v", after, before)
		}
	})
	remove := e.page + "/attributes/remove"
	t.Run("remove forbidden", func(t *testing.T) {
		e.forbidden(t, remove, url.Values{"key": {"custom:oncall"}})
		if _, as := e.stored(t); len(as) != 3 {
			t.Errorf("stored %d custom attributes, want 3", len(as))
		}
	})
	t.Run("remove refuses a key that is not custom:", func(t *testing.T) {
		e.refused(t, remove, url.Values{"key": {"node:os"}}, http.StatusBadRequest, "Only custom: attributes")
		if _, as := e.stored(t); len(as) != 3 {
			t.Errorf("stored %d custom attributes, want 3", len(as))
		}
	})
	t.Run("removes", func(t *testing.T) {
		if resp := e.post(remove, url.Values{"key": {"custom:oncall"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d, want 303", resp.StatusCode)
		}
		for _, a := range func() []postern.Attribute { _, as := e.stored(t); return as }() {
			if a.Key == "custom:oncall" {
				t.Errorf("custom:oncall still stored")
			}
		}
	})
}

func TestDeviceTagsForm(t *testing.T) {
	e := newDeviceEdit(t)
	path := e.page + "/tags"
	unchanged := func(t *testing.T, want []string) {
		t.Helper()
		if d, _ := e.stored(t); !slices.Equal(d.Tags, want) {
			t.Errorf("stored tags: got %v, want %v", d.Tags, want)
		}
	}
	t.Run("forbidden", func(t *testing.T) {
		e.forbidden(t, path, url.Values{"tags": {"tag:server"}})
		unchanged(t, nil)
	})
	t.Run("refuses a malformed tag", func(t *testing.T) {
		e.refused(t, path, url.Values{"tags": {"tag:server, server"}}, http.StatusBadRequest, `tag "server" must be tag:`)
		unchanged(t, nil)
	})
	t.Run("refuses a tag not in tagOwners", func(t *testing.T) {
		e.refused(t, path, url.Values{"tags": {"tag:server, tag:nope"}}, http.StatusBadRequest, "tag:nope are not defined in the policy's tagOwners")
		unchanged(t, nil)
	})
	t.Run("sets", func(t *testing.T) {
		if resp := e.post(path, url.Values{"tags": {" tag:server ,tag:prod,"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d, want 303", resp.StatusCode)
		}
		unchanged(t, []string{"tag:prod", "tag:server"})
		if body := e.get(e.page); !strings.Contains(body, `value="tag:prod, tag:server"`) {
			t.Errorf("tags form does not show the device's tags")
		}
	})
	t.Run("clears", func(t *testing.T) {
		if resp := e.post(path, url.Values{"tags": {""}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d, want 303", resp.StatusCode)
		}
		unchanged(t, nil)
	})
}

func TestDeviceRenameForm(t *testing.T) {
	e := newDeviceEdit(t)
	path := e.page + "/name"
	unchanged := func(t *testing.T, want string) {
		t.Helper()
		if d, _ := e.stored(t); d.Name != want {
			t.Errorf("stored name: got %q, want %q", d.Name, want)
		}
	}
	t.Run("forbidden", func(t *testing.T) {
		e.forbidden(t, path, url.Values{"name": {"desk"}})
		unchanged(t, "laptop")
	})
	t.Run("refuses a name that is not a DNS label", func(t *testing.T) {
		e.refused(t, path, url.Values{"name": {"my laptop"}}, http.StatusBadRequest, "must be one DNS label")
		unchanged(t, "laptop")
	})
	t.Run("refuses a name another device has", func(t *testing.T) {
		e.refused(t, path, url.Values{"name": {"build"}}, http.StatusConflict, `another device is already named "build"`)
		unchanged(t, "laptop")
	})
	t.Run("renames", func(t *testing.T) {
		if resp := e.post(path, url.Values{"name": {"Desk-1"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d, want 303", resp.StatusCode)
		}
		unchanged(t, "desk-1")
	})
}
