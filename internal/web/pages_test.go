package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
)

// signedIn is an env with an owner signed in.
type signedIn struct {
	*env
	owner  postern.User
	cookie string
	token  string
}

func newSignedIn(t *testing.T) *signedIn {
	t.Helper()
	e := newEnv(t, "http://x")
	owner := e.user("owner@example.com", postern.RoleOwner)
	ck := e.signIn(owner)
	return &signedIn{env: e, owner: owner, cookie: ck.Value, token: e.csrf(ck.Value)}
}

func (s *signedIn) get(path string) string {
	s.t.Helper()
	w := s.do("GET", path, s.cookie, nil)
	if w.Code != http.StatusOK {
		s.t.Fatalf("GET %s: got %d, want 200; body %s", path, w.Code, w.Body)
	}
	return w.Body.String()
}

func (s *signedIn) post(path string, form url.Values) *http.Response {
	s.t.Helper()
	form.Set("csrf", s.token)
	return s.do("POST", path, s.cookie, form).Result()
}

func (s *signedIn) device(name string, tags []string, ephemeral bool) postern.Device {
	s.t.Helper()
	d := postern.Device{TailnetID: s.tn.ID, UserID: s.owner.ID, Name: name, MachineKey: "mkey:" + name, Tags: tags,
		Ephemeral: ephemeral, Authorized: true, OS: "linux"}
	if err := s.svc.Store().CreateDevice(ctx, &d); err != nil {
		s.t.Fatal(err)
	}
	return d
}

func TestMachinesFilters(t *testing.T) {
	s := newSignedIn(t)
	s.device("db-1", []string{"tag:db"}, false)
	s.device("ci-runner", nil, true)
	s.device("alice-mac", nil, false)
	rows := func(q string) string {
		body := s.get("/admin/machines?" + q)
		i := strings.Index(body, "<tbody>")
		return body[i:]
	}
	for _, tc := range []struct {
		q         string
		want, not []string
	}{
		{"q=runner", []string{"ci-runner"}, []string{"db-1", "alice-mac"}},
		{"q=tag:db", []string{"db-1"}, []string{"ci-runner"}},
		{"show=tagged", []string{"db-1"}, []string{"ci-runner", "alice-mac"}},
		{"show=ephemeral", []string{"ci-runner"}, []string{"db-1", "alice-mac"}},
		{"q=OWNER@example", []string{"ci-runner", "alice-mac"}, []string{"db-1"}},
	} {
		t.Run(tc.q, func(t *testing.T) {
			got := rows(tc.q)
			for _, w := range tc.want {
				if !strings.Contains(got, ">"+w+"<") {
					t.Errorf("got rows without %s, want it", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, ">"+n+"<") {
					t.Errorf("got rows with %s, want it filtered out", n)
				}
			}
		})
	}
}

func TestIntegrationForms(t *testing.T) {
	s := newSignedIn(t)
	resp := s.post("/admin/integrations", url.Values{"provider": {"falcon"}, "cloudId": {"us-2"}, "clientId": {"cid"}, "clientSecret": {"s3cret"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("connect: got %d, want 303", resp.StatusCode)
	}
	ins, _ := s.svc.Store().Integrations(ctx, s.tn.ID)
	if len(ins) != 1 || ins[0].ClientSecret != "s3cret" || ins[0].ClientID != "cid" {
		t.Fatalf("got %+v, want one falcon integration with the secret", ins)
	}
	id := ins[0].ID
	body := s.get("/admin/integrations")
	if strings.Contains(body, "s3cret") {
		t.Errorf("the page shows the secret, want it write-only")
	}
	if strings.Contains(body, "Sync now") {
		t.Errorf("the page offers Sync now without a syncer, want it hidden")
	}
	// An empty secret field keeps the stored secret (on the same host:
	// the region's API URL is us-2 by another name).
	s.post("/admin/integrations/"+id, url.Values{"cloudId": {"https://api.us-2.crowdstrike.com"}, "clientId": {"cid2"}, "clientSecret": {""}})
	in, _ := s.svc.Store().Integration(ctx, id)
	if in.CloudID != "https://api.us-2.crowdstrike.com" || in.ClientID != "cid2" || in.ClientSecret != "s3cret" {
		t.Errorf("after edit: got cloud %q client %q secret kept %v, want the us-2 API URL, cid2, kept", in.CloudID, in.ClientID, in.ClientSecret == "s3cret")
	}
	resp = s.post("/admin/integrations", url.Values{"provider": {"falcon"}, "cloudId": {"us-1"}, "clientId": {"x"}, "clientSecret": {"y"}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("second falcon: got %d, want 409", resp.StatusCode)
	}
	if resp := s.post("/admin/integrations/"+id+"/sync", url.Values{}); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("sync without a syncer: got %d, want 503", resp.StatusCode)
	}
	if resp := s.post("/admin/integrations/"+id+"/delete", url.Values{}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("remove without confirming: got %d, want 400", resp.StatusCode)
	}
	s.post("/admin/integrations/"+id+"/delete", url.Values{"confirm": {"on"}})
	if _, err := s.svc.Store().Integration(ctx, id); !postern.IsNotFound(err) {
		t.Errorf("after remove: got %v, want not found", err)
	}
	evs, _ := s.svc.Store().AuditEvents(ctx, postern.AuditFilter{TailnetID: s.tn.ID, Event: "POSTURE_INTEGRATION.DELETE"})
	if len(evs) != 1 || evs[0].Origin != "ADMIN_CONSOLE" || evs[0].Actor.LoginName != "owner@example.com" {
		t.Errorf("audit: got %+v, want one console event by the owner", evs)
	}
}

type fakeSyncer struct{ ids []string }

func (f *fakeSyncer) SyncNow(id string) { f.ids = append(f.ids, id) }

// SyncNowDone records the request and reports it done at once, as if the
// sync had already ended.
func (f *fakeSyncer) SyncNowDone(id string) <-chan struct{} {
	f.SyncNow(id)
	done := make(chan struct{})
	close(done)
	return done
}

func (f *fakeSyncer) Syncing(string) bool { return false }

func TestSyncNow(t *testing.T) {
	s := newSignedIn(t)
	sy := &fakeSyncer{}
	s.c.syncer = sy
	s.h = s.c.Handler()
	s.post("/admin/integrations", url.Values{"provider": {"fleet"}, "cloudId": {"http://127.0.0.1:1"}, "clientSecret": {"t"}})
	ins, _ := s.svc.Store().Integrations(ctx, s.tn.ID)
	if len(ins) != 1 {
		t.Fatalf("got %d integrations, want 1", len(ins))
	}
	if !strings.Contains(s.get("/admin/integrations"), "Sync now") {
		t.Errorf("no Sync now button with a syncer, want one")
	}
	s.post("/admin/integrations/"+ins[0].ID+"/sync", url.Values{})
	if len(sy.ids) != 2 || sy.ids[0] != ins[0].ID || sy.ids[1] != ins[0].ID {
		t.Errorf("SyncNow calls: got %v, want the integration on connect and on sync now", sy.ids)
	}
}

func TestIdentityCollectionSwitch(t *testing.T) {
	s := newSignedIn(t)
	for _, on := range []bool{true, false} {
		v := "false"
		if on {
			v = "true"
		}
		s.post("/admin/settings/identity", url.Values{"on": {v}})
		tn, _ := s.svc.Store().Tailnet(ctx, s.tn.ID)
		if tn.Settings.PostureIdentityCollectionOn != on {
			t.Errorf("after switching to %v: got %v", on, tn.Settings.PostureIdentityCollectionOn)
		}
	}
}

func TestAuditLogFilters(t *testing.T) {
	s := newSignedIn(t)
	s.post("/admin/users", url.Values{"loginName": {"bob@example.com"}, "role": {"member"}})
	s.post("/admin/keys", url.Values{"type": {"api"}, "expiryDays": {"3"}, "description": {"deploy"}})
	all := s.get("/admin/logs")
	if !strings.Contains(all, "USER.CREATE") || !strings.Contains(all, "API_KEY.CREATE") {
		t.Fatalf("unfiltered log lacks the user and key events")
	}
	if got := s.get("/admin/logs?action=API_KEY"); strings.Contains(got, "USER.CREATE") || !strings.Contains(got, "API_KEY.CREATE") {
		t.Errorf("action=API_KEY: want only the key event")
	}
	if got := s.get("/admin/logs?target=bob@example.com"); !strings.Contains(got, "USER.CREATE") || strings.Contains(got, "API_KEY.CREATE") {
		t.Errorf("target=bob: want only the user event")
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	if got := s.get("/admin/logs?from=" + tomorrow); strings.Contains(got, ".CREATE") {
		t.Errorf("from tomorrow: got events, want none")
	}
	if got := s.get("/admin/logs?actor=owner@example.com&action=create"); !strings.Contains(got, "USER.CREATE") {
		t.Errorf("actor=owner, action=create: want the owner's events")
	}
}

func TestDeviceActions(t *testing.T) {
	s := newSignedIn(t)
	d := s.device("pending", nil, false)
	if _, err := s.svc.AuthorizeDevice(ctx, testActor, s.tn.ID, d.ID, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.get("/admin/machines?show=pending"), ">pending<") {
		t.Errorf("show=pending: the unapproved device is missing")
	}
	if resp := s.post(fmt.Sprintf("/admin/machines/%d/approve", d.ID), url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: got %d, want 303", resp.StatusCode)
	}
	got, _ := s.svc.Store().Device(ctx, d.ID)
	if !got.Authorized {
		t.Errorf("after approve: got unauthorized, want authorized")
	}
	if resp := s.post(fmt.Sprintf("/admin/machines/%d/delete", d.ID), url.Values{}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("remove without confirming: got %d, want 400", resp.StatusCode)
	}
	if resp := s.post(fmt.Sprintf("/admin/machines/%d/delete", d.ID), url.Values{"confirm": {"on"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: got %d, want 303", resp.StatusCode)
	}
	if _, err := s.svc.Store().Device(ctx, d.ID); !postern.IsNotFound(err) {
		t.Errorf("after remove: got %v, want not found", err)
	}
}

// TestKeyFormExpiryBounds: the console offers the same lifetimes as the
// API and the CLI (auth keys up to 90 days, API keys up to a year), and a
// longer one is refused with a message and creates nothing.
func TestKeyFormExpiryBounds(t *testing.T) {
	s := newSignedIn(t)
	keys := func() int {
		ks, err := s.svc.Store().Keys(ctx, s.tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(ks)
	}
	before := keys()
	resp := s.post("/admin/keys", url.Values{"type": {"auth"}, "expiryDays": {"91"}})
	page, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(page), "Expiry must be a whole number of days from 1 to 90.") {
		t.Errorf("auth key for 91 days: page lacks the 1-to-90 message")
	}
	if n := keys(); n != before {
		t.Errorf("keys after the refused form: got %d, want %d", n, before)
	}
	s.post("/admin/keys", url.Values{"type": {"api"}, "expiryDays": {"365"}})
	if n := keys(); n != before+1 {
		t.Errorf("keys after a year-long API key: got %d, want %d", n, before+1)
	}
}

// TestAuditLogBadDate: a date filter that does not parse is named and
// ignored, not applied as the zero date (which hid every event).
func TestAuditLogBadDate(t *testing.T) {
	s := newSignedIn(t)
	s.post("/admin/users", url.Values{"loginName": {"bob@example.com"}, "role": {"member"}})
	for _, q := range []string{"to=31-01-2026", "from=yesterday"} {
		got := s.get("/admin/logs?" + q)
		if !strings.Contains(got, "must be a date like 2026-01-31; it was ignored.") || !strings.Contains(got, "USER.CREATE") {
			t.Errorf("%s: want the date message and the events still listed", q)
		}
	}
}
