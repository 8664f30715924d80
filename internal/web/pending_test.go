package web

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/control"
)

// fakeRegistrar holds logins as the control server does; approving one
// creates the device in the store as the given user, as the real one
// does through the writer.
type fakeRegistrar struct {
	st interface {
		CreateDevice(context.Context, *postern.Device) error
	}
	tn      string
	pending []control.Registration
	actors  []postern.AuditActor
}

func (f *fakeRegistrar) PendingRegistrations() []control.Registration { return f.pending }

func (f *fakeRegistrar) take(id string) (control.Registration, error) {
	for i, g := range f.pending {
		if g.ID == id {
			f.pending = append(f.pending[:i], f.pending[i+1:]...)
			return g, nil
		}
	}
	return control.Registration{}, postern.Errorf(postern.ENOTFOUND, "no pending login %q", id)
}

func (f *fakeRegistrar) ApproveRegistration(ctx context.Context, id, userID string, actor postern.AuditActor) (postern.Device, error) {
	g, err := f.take(id)
	if err != nil {
		return postern.Device{}, err
	}
	f.actors = append(f.actors, actor)
	d := postern.Device{TailnetID: f.tn, UserID: userID, Name: g.Hostname, Hostname: g.Hostname, MachineKey: g.MachineKey, Authorized: true}
	return d, f.st.CreateDevice(ctx, &d)
}

func (f *fakeRegistrar) RejectRegistration(ctx context.Context, id string, actor postern.AuditActor) (control.Registration, error) {
	f.actors = append(f.actors, actor)
	return f.take(id)
}

const testMachineKey = "mkey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// withLogins gives s's console a registrar holding one login per id.
func withLogins(s *signedIn, ids ...string) *fakeRegistrar {
	f := &fakeRegistrar{st: s.svc.Store(), tn: s.tn.ID}
	for _, id := range ids {
		f.pending = append(f.pending, control.Registration{
			ID: id, Hostname: "host-" + id, OS: "linux", RequestTags: []string{"tag:ci"},
			MachineKey: testMachineKey, NodeKey: "nodekey:" + id,
			Source: netip.MustParseAddr("198.51.100.7"), Created: s.svc.Now().Add(-3 * time.Minute),
		})
	}
	s.c.registrar = f
	return f
}

func (s *signedIn) deviceCount() int {
	s.t.Helper()
	ds, err := s.svc.Store().Devices(ctx, s.tn.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	return len(ds)
}

func TestPendingLoginsListed(t *testing.T) {
	s := newSignedIn(t)
	withLogins(s, "a1b2c3")
	for _, page := range []string{"/admin/", "/admin/machines"} {
		body := s.get(page)
		for _, want := range []string{
			"Waiting for approval", ">a1b2c3<", "host-a1b2c3", "claimed by the device", "tag:ci",
			"198.51.100.7", "mkey:0123456789abcdef…", `title="` + testMachineKey + `"`, "3m ago",
			`action="/admin/registrations/a1b2c3/approve"`, `action="/admin/registrations/a1b2c3/reject"`,
			`<option value="` + s.owner.ID + `" selected>owner@example.com</option>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: %q missing", page, want)
			}
		}
	}
}

func TestPendingCardWithoutLogins(t *testing.T) {
	s := newSignedIn(t)
	withLogins(s)
	if strings.Contains(s.get("/admin/"), "Waiting for approval") {
		t.Errorf("overview: shows the card with no login waiting, want it hidden")
	}
	if !strings.Contains(s.get("/admin/machines"), "No logins are waiting") {
		t.Errorf("machines: want the empty card")
	}
	s.c.registrar = nil
	if strings.Contains(s.get("/admin/machines"), "Waiting for approval") {
		t.Errorf("machines without a control server: shows the card, want none")
	}
}

func TestApprovePendingLoginAsChosenUser(t *testing.T) {
	s := newSignedIn(t)
	alice := s.user("alice@example.com", postern.RoleMember)
	f := withLogins(s, "a1b2c3", "d4e5f6")
	resp := s.post("/admin/registrations/a1b2c3/approve", url.Values{"owner": {alice.ID}, "back": {"/admin/machines"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/machines" {
		t.Fatalf("approve: got %d to %q, want 303 to /admin/machines", resp.StatusCode, resp.Header.Get("Location"))
	}
	ds, _ := s.svc.Store().Devices(ctx, s.tn.ID)
	if len(ds) != 1 || ds[0].UserID != alice.ID || ds[0].Hostname != "host-a1b2c3" {
		t.Fatalf("devices after approve: got %+v, want host-a1b2c3 owned by alice", ds)
	}
	if len(f.actors) != 1 || f.actors[0].LoginName != "owner@example.com" {
		t.Errorf("approving actor: got %+v, want owner@example.com", f.actors)
	}
	body := s.get("/admin/machines")
	if !strings.Contains(body, "Approved host-a1b2c3: it joined as host-a1b2c3, owned by alice@example.com.") {
		t.Errorf("no flash after approve")
	}
	if strings.Contains(body, ">a1b2c3<") || !strings.Contains(body, ">d4e5f6<") {
		t.Errorf("after approve: want a1b2c3 gone and d4e5f6 still listed")
	}

	// Without an owner, the device is the signed-in admin's.
	if resp := s.post("/admin/registrations/d4e5f6/approve", url.Values{}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/" {
		t.Fatalf("approve with the default owner: got %d to %q, want 303 to /admin/", resp.StatusCode, resp.Header.Get("Location"))
	}
	ds, _ = s.svc.Store().Devices(ctx, s.tn.ID)
	if len(ds) != 2 {
		t.Fatalf("devices after the second approve: got %d, want 2", len(ds))
	}
	for _, d := range ds {
		if d.Hostname == "host-d4e5f6" && d.UserID != s.owner.ID {
			t.Errorf("default owner: got user %s, want the signed-in owner %s", d.UserID, s.owner.ID)
		}
	}
}

func TestApprovePendingLoginRefused(t *testing.T) {
	s := newSignedIn(t)
	f := withLogins(s, "a1b2c3")
	w := s.do("POST", "/admin/registrations/a1b2c3/approve", s.cookie, url.Values{"csrf": {s.token}, "owner": {"u-nobody"}})
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "Approving the login: ") {
		t.Errorf("approve as an unknown user: got %d, want 404 'Approving the login: ...'", w.Code)
	}
	w = s.do("POST", "/admin/registrations/zzz/approve", s.cookie, url.Values{"csrf": {s.token}})
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `Approving the login: no pending login &#34;zzz&#34;`) {
		t.Errorf("approve an unknown login: got %d %s, want 404 no pending login", w.Code, w.Body)
	}
	if n := s.deviceCount(); n != 0 || len(f.pending) != 1 {
		t.Errorf("after refused approvals: got %d devices and %d logins, want 0 and 1", n, len(f.pending))
	}
}

func TestRejectPendingLogin(t *testing.T) {
	s := newSignedIn(t)
	f := withLogins(s, "a1b2c3")
	resp := s.post("/admin/registrations/a1b2c3/reject", url.Values{"back": {"/admin/machines"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/machines" {
		t.Fatalf("reject: got %d to %q, want 303 to /admin/machines", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := s.deviceCount(); n != 0 || len(f.pending) != 0 {
		t.Errorf("after reject: got %d devices and %d logins, want none", n, len(f.pending))
	}
	body := s.get("/admin/machines")
	if !strings.Contains(body, "Rejected the login of host-a1b2c3 (a1b2c3); nothing was added.") {
		t.Errorf("no flash after reject")
	}
	if strings.Contains(body, ">a1b2c3<") {
		t.Errorf("rejected login still listed")
	}
	w := s.do("POST", "/admin/registrations/a1b2c3/reject", s.cookie, url.Values{"csrf": {s.token}})
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "Rejecting the login: no pending login") {
		t.Errorf("reject again: got %d, want 404 no pending login", w.Code)
	}
}

// TestPendingLoginsAuditor: an auditor sees the waiting logins but no
// approve or reject buttons, and a forged post as one is refused.
func TestPendingLoginsAuditor(t *testing.T) {
	s := newSignedIn(t)
	f := withLogins(s, "a1b2c3")
	ck := s.signIn(s.user("auditor@example.com", postern.RoleAuditor))
	body := s.do("GET", "/admin/machines", ck.Value, nil).Body.String()
	if !strings.Contains(body, ">a1b2c3<") || !strings.Contains(body, "198.51.100.7") {
		t.Errorf("auditor: the waiting login is not listed")
	}
	if strings.Contains(body, "/admin/registrations/") || strings.Contains(body, ">Approve<") {
		t.Errorf("auditor: sees approve or reject forms, want none")
	}
	tok := s.csrf(ck.Value)
	for _, action := range []string{"approve", "reject"} {
		w := s.do("POST", "/admin/registrations/a1b2c3/"+action, ck.Value, url.Values{"csrf": {tok}})
		if w.Code != http.StatusForbidden {
			t.Errorf("auditor %s: got %d, want 403", action, w.Code)
		}
	}
	if n := s.deviceCount(); n != 0 || len(f.pending) != 1 || len(f.actors) != 0 {
		t.Errorf("after the auditor's posts: got %d devices, %d logins, %d calls; want 0, 1, 0", n, len(f.pending), len(f.actors))
	}
}

func TestPendingLoginsCSRF(t *testing.T) {
	s := newSignedIn(t)
	f := withLogins(s, "a1b2c3")
	for _, action := range []string{"approve", "reject"} {
		for name, form := range map[string]url.Values{"without a token": {}, "with a forged token": {"csrf": {"forged"}}} {
			w := s.do("POST", "/admin/registrations/a1b2c3/"+action, s.cookie, form)
			if w.Code != http.StatusForbidden {
				t.Errorf("%s %s: got %d, want 403", action, name, w.Code)
			}
		}
	}
	if n := s.deviceCount(); n != 0 || len(f.pending) != 1 || len(f.actors) != 0 {
		t.Errorf("after forged posts: got %d devices, %d logins, %d calls; want 0, 1, 0", n, len(f.pending), len(f.actors))
	}
}
