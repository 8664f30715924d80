package web

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posturesync"
)

// Moving an integration to another host (here another Falcon region)
// from the edit form needs the secret again: without it the form is
// refused with a message in the form's words and nothing is stored.
func TestIntegrationEditNewHostNeedsSecret(t *testing.T) {
	s := newSignedIn(t)
	s.post("/admin/integrations", url.Values{"provider": {"falcon"}, "cloudId": {"us-2"}, "clientId": {"cid"}, "clientSecret": {"s3cret"}})
	ins, _ := s.svc.Store().Integrations(ctx, s.tn.ID)
	if len(ins) != 1 {
		t.Fatalf("got %d integrations, want 1", len(ins))
	}
	id, before := ins[0].ID, ins[0]

	page := s.get("/admin/integrations")
	if !strings.Contains(html.UnescapeString(page), "It is required again when the Cloud region or API URL changes host or region") {
		t.Errorf("the edit form does not say the secret is required again for another host")
	}

	w := s.do("POST", "/admin/integrations/"+id, s.cookie, url.Values{"csrf": {s.token}, "provider": {"falcon"},
		"cloudId": {"eu-1"}, "clientId": {"cid"}, "clientSecret": {""}})
	const want = "Not saved: the new Cloud region or API URL moves CrowdStrike Falcon from https://api.us-2.crowdstrike.com " +
		"to https://api.eu-1.crowdstrike.com, so enter the API client secret again. " +
		"The stored API client secret is only ever sent to the host it was given for."
	if w.Code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(w.Body.String()), want) {
		t.Errorf("edit to another region without the secret: got %d, want 400 saying %q; body %s", w.Code, want, w.Body)
	}
	if got, _ := s.svc.Store().Integration(ctx, id); !reflect.DeepEqual(got, before) {
		t.Errorf("integration after a refused edit: got %+v, want unchanged %+v", got, before)
	}

	resp := s.post("/admin/integrations/"+id, url.Values{"provider": {"falcon"}, "cloudId": {"eu-1"}, "clientId": {"cid"}, "clientSecret": {"eu-secret"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit to another region with the secret: got %d, want 303", resp.StatusCode)
	}
	if got, _ := s.svc.Store().Integration(ctx, id); got.CloudID != "eu-1" || got.ClientSecret != "eu-secret" {
		t.Errorf("after edit with the secret: got cloud %q and the new secret %v, want eu-1 and it", got.CloudID, got.ClientSecret == "eu-secret")
	}
}

// An auditor sees a failed sync as the short status sentence, never the
// vendor's response body.
func TestIntegrationStatusForAuditor(t *testing.T) {
	s := newSignedIn(t)
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"db password=hunter2 at 10.0.0.7"}`, http.StatusInternalServerError)
	}))
	defer vendor.Close()
	s.post("/admin/integrations", url.Values{"provider": {"fleet"}, "cloudId": {vendor.URL}, "clientSecret": {"fleet-token"}})
	ins, _ := s.svc.Store().Integrations(ctx, s.tn.ID)
	if len(ins) != 1 {
		t.Fatalf("got %d integrations, want 1", len(ins))
	}
	eng, err := posturesync.New(posturesync.Config{Tailnet: s.svc, TailnetID: s.tn.ID, Retry: integrations.RetryPolicy{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Sync(ctx, ins[0].ID); err == nil || !strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Sync: got %v, want the vendor's 500 with its body (for the log)", err)
	}

	auditor := s.user("auditor@example.com", postern.RoleAuditor)
	w := s.do("GET", "/admin/integrations", s.signIn(auditor).Value, nil)
	body := html.UnescapeString(w.Body.String())
	if w.Code != http.StatusOK || !strings.Contains(body, "Fleet answered 500 Internal Server Error.") || strings.Contains(body, "hunter2") {
		t.Errorf("integrations page as auditor: got %d, want the short status without the vendor's body; body %s", w.Code, body)
	}
}

// The device management page is built from the providers' descriptors:
// each provider's fields with its own labels, Falcon's regions to pick
// from, and the attributes each provider supplies.
func TestIntegrationsPageFromDescriptors(t *testing.T) {
	s := newSignedIn(t)
	page := html.UnescapeString(s.get("/admin/integrations"))
	for _, want := range []string{
		`<datalist id="choices-falcon-cloudId"><option value="us-1"><option value="us-2"><option value="us-3"><option value="eu-1"><option value="us-gov"><option value="us-gov-2"></datalist>`,
		`list="choices-falcon-cloudId"`,
		`<label>API client ID <input name="clientId"`,
		`<label>Kandji console or API URL <input name="cloudId" placeholder="acme.kandji.io"`,
		`Attributes SentinelOne supplies`,
		`<td class="mono">sentinelOne:operationalState</td><td>string</td><td><span class="mono">na</span>`,
		`<td class="mono">fleetPolicy:{name}</td><td>bool</td>`,
		`<td class="mono">falcon:ztaScore</td><td>number</td>`,
		`and, for CrowdStrike Falcon and Custom feed, MAC addresses`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	section := func(id string) string {
		_, rest, _ := strings.Cut(page, `id="provider-`+id+`"`)
		sec, _, _ := strings.Cut(rest, "</section>")
		return sec
	}
	if fleet := section("fleet"); fleet == "" || strings.Contains(fleet, "<datalist") || strings.Contains(fleet, `name="tenantId"`) || strings.Contains(fleet, `name="clientId"`) {
		t.Errorf("Fleet's form offers choices, a client id or a tenant id, which it does not take:\n%s", fleet)
	}
	if intune := section("intune"); !strings.Contains(intune, `<label>Directory (tenant) ID <input name="tenantId"`) {
		t.Errorf("Intune's form lacks its tenant id:\n%s", intune)
	}
}

// A custom feed's form labels its namespace and its secret plainly, and
// lists the attributes its last sync declared under the namespace.
func TestIntegrationsPageDeclaredAttributes(t *testing.T) {
	s := newSignedIn(t)
	section := func() string {
		page := html.UnescapeString(s.get("/admin/integrations"))
		_, rest, _ := strings.Cut(page, `id="provider-feed"`)
		sec, _, _ := strings.Cut(rest, "</section>")
		return sec
	}
	sec := section()
	for _, want := range []string{
		`<label>Feed URL <input name="cloudId"`,
		`<label>Attribute namespace <input name="tenantId"`,
		`<label>Bearer token or client certificate and key <input type="password" name="clientSecret"`,
		`<td class="mono">{namespace}:{name}</td>`,
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("the custom feed's section lacks %s:\n%s", want, sec)
		}
	}
	in := postern.Integration{TailnetID: s.tn.ID, Provider: "feed", CloudID: "https://inventory.example.com", TenantID: "acme", ClientSecret: "tok"}
	if err := s.svc.Store().CreateIntegration(ctx, &in); err != nil {
		t.Fatal(err)
	}
	st := postern.IntegrationStatus{Schema: `{"attributes":{"diskEncrypted":{"type":"bool"},"tier":{"type":"string","values":["gold"]}}}`}
	if err := s.svc.Store().UpdateIntegrationStatus(ctx, in.ID, st); err != nil {
		t.Fatal(err)
	}
	sec = section()
	for _, want := range []string{`<td class="mono">acme:diskEncrypted</td><td>bool</td>`, `<td class="mono">acme:tier</td><td>string</td><td><span class="mono">gold</span>`} {
		if !strings.Contains(sec, want) {
			t.Errorf("after a sync, the section lacks %s:\n%s", want, sec)
		}
	}
	if strings.Contains(sec, "{namespace}") {
		t.Errorf("after a sync, the section still shows {namespace}:\n%s", sec)
	}
}

// The form's sync interval, in minutes, is stored; outside 1 to 1440
// minutes it is refused with the bounds and nothing is stored.
func TestIntegrationIntervalForm(t *testing.T) {
	s := newSignedIn(t)
	s.post("/admin/integrations", url.Values{"provider": {"fleet"}, "cloudId": {"https://fleet.invalid"}, "clientSecret": {"t"}, "syncIntervalMinutes": {"90"}})
	ins, _ := s.svc.Store().Integrations(ctx, s.tn.ID)
	if len(ins) != 1 || ins[0].SyncInterval != 90*time.Minute {
		t.Fatalf("after connecting with 90 minutes: got %+v, want one integration syncing every 90m", ins)
	}
	id, before := ins[0].ID, ins[0]
	if page := s.get("/admin/integrations"); !strings.Contains(page, `name="syncIntervalMinutes" min="1" max="1440" step="any" placeholder="server default" value="90"`) {
		t.Errorf("the edit form does not show the interval 90")
	}
	for _, v := range []string{"0.5", "1441", "-5", "soon"} {
		w := s.do("POST", "/admin/integrations/"+id, s.cookie, url.Values{"csrf": {s.token}, "provider": {"fleet"},
			"cloudId": {"https://fleet.invalid"}, "syncIntervalMinutes": {v}})
		body := html.UnescapeString(w.Body.String())
		if w.Code != http.StatusBadRequest || !strings.Contains(body, "Updating the integration: the sync interval must be") {
			t.Errorf("interval %q: got %d, want 400 naming the bounds; body %s", v, w.Code, body)
		}
		if got, _ := s.svc.Store().Integration(ctx, id); !reflect.DeepEqual(got, before) {
			t.Errorf("integration after a refused interval %q: got %+v, want unchanged", v, got)
		}
	}
	s.post("/admin/integrations/"+id, url.Values{"provider": {"fleet"}, "cloudId": {"https://fleet.invalid"}, "syncIntervalMinutes": {""}})
	if got, _ := s.svc.Store().Integration(ctx, id); got.SyncInterval != 0 {
		t.Errorf("after clearing the interval: got %v, want 0 (the server's default)", got.SyncInterval)
	}
}

// stuckSyncer starts syncs that never end.
type stuckSyncer struct{}

func (stuckSyncer) SyncNow(string)                     {}
func (stuckSyncer) SyncNowDone(string) <-chan struct{} { return make(chan struct{}) }
func (stuckSyncer) Syncing(string) bool                { return true }

// A first sync still running when the wait ends is said to be running,
// as a warning, and the card says so: never "Connected".
func TestConnectFirstSyncStillRunning(t *testing.T) {
	s := newSignedIn(t)
	s.c.syncer, s.c.firstSyncWait = stuckSyncer{}, 50*time.Millisecond
	s.h = s.c.Handler()
	s.post("/admin/integrations", url.Values{"provider": {"fleet"}, "cloudId": {"https://fleet.invalid"}, "clientSecret": {"t"}})
	page := html.UnescapeString(s.get("/admin/integrations"))
	const want = `<p class="flash warn" role="status">Added Fleet; its first sync is still running. This page shows the outcome when it ends.</p>`
	if !strings.Contains(page, want) || strings.Contains(page, "Connected") {
		t.Errorf("page after connecting: want %s and no \"Connected\"; got %s", want, page)
	}
	if !strings.Contains(page, `<span class="badge">syncing</span> The first sync is still running.`) {
		t.Errorf("the card does not say the first sync is running")
	}
}

// A paused integration reads "paused" on the overview, not "error", and
// the card gives the reason once.
func TestPausedIntegrationOnOverview(t *testing.T) {
	s := newSignedIn(t)
	s.post("/admin/integrations", url.Values{"provider": {"fleet"}, "cloudId": {"https://fleet.invalid"}, "clientSecret": {"t"}})
	ins, _ := s.svc.Store().Integrations(ctx, s.tn.ID)
	if len(ins) != 1 {
		t.Fatalf("got %d integrations, want 1", len(ins))
	}
	const refused = "Fleet refused the credentials: it answered 403 Forbidden."
	now := s.svc.Now()
	if err := s.svc.SetIntegrationStatus(ctx, ins[0].ID, postern.IntegrationStatus{LastAttempt: now, Error: refused, PausedUntil: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	overview := s.get("/admin/")
	if !strings.Contains(overview, `<span class="badge warn">paused</span>`) || strings.Contains(overview, `<span class="badge bad">error</span>`) {
		t.Errorf("overview: want the integration shown paused, not error")
	}
	page := html.UnescapeString(s.get("/admin/integrations"))
	if strings.Count(page, refused) != 1 || !strings.Contains(page, "Paused until ") {
		t.Errorf("integrations page: want the reason once with the pause; got %d mentions", strings.Count(page, refused))
	}
}
