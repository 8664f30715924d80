package web

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
)

var (
	olderLink = regexp.MustCompile(`id="logs-older" href="([^"]+)"`)
	evTarget  = regexp.MustCompile(`<td data-label="Target">(ev-\d+)</td>`)
)

func TestAuditLogPolicyDiff(t *testing.T) {
	s := newSignedIn(t)
	base := "{\n  // first-marker\n  \"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\"]}],\n}\n"
	if _, err := s.svc.SetPolicy(ctx, testActor, s.tn.ID, base, ""); err != nil {
		t.Fatal(err)
	}
	next := strings.Replace(base, "// first-marker", "// second-marker", 1)
	if _, err := s.svc.SetPolicy(ctx, testActor, s.tn.ID, next, ""); err != nil {
		t.Fatal(err)
	}
	body := html.UnescapeString(s.get("/admin/logs?action=TAILNET.UPDATE.ACL"))
	for _, want := range []string{
		`<details class="audit">`,
		`<span class="del">-   // first-marker</span>`,
		`<span class="add">+   // second-marker</span>`,
		`<span class="same">    "acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}],</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("policy change details lack %q", want)
		}
	}
}

func TestAuditLogOtherEventsShowJSON(t *testing.T) {
	s := newSignedIn(t)
	s.post("/admin/users", url.Values{"loginName": {"bob@example.com"}, "role": {"member"}})
	body := html.UnescapeString(s.get("/admin/logs?action=USER.CREATE"))
	if !strings.Contains(body, `<pre class="json">{`) || !strings.Contains(body, `"LoginName": "bob@example.com"`) {
		t.Errorf("user creation details: want the new user as indented JSON; body %s", body)
	}
	if strings.Contains(body, `class="diff"`) {
		t.Errorf("user creation details: got a line diff, want JSON")
	}
}

// appendEvents stores n events by actor, targets named ev-0 to ev-n-1,
// three to each event time so pages break between events of one time.
func appendEvents(t *testing.T, s *signedIn, n int, actor, action string) {
	t.Helper()
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for i := range n {
		e := postern.AuditEvent{TailnetID: s.tn.ID, EventTime: at.Add(time.Duration(i/3) * time.Second), Type: "CONFIG",
			Origin: "ADMIN_CONSOLE", Actor: postern.AuditActor{ID: actor, Type: "USER", LoginName: actor + "@example.com"},
			Target: postern.AuditTarget{ID: fmt.Sprint(i), Name: fmt.Sprintf("ev-%d", i), Type: "NODE"}, Action: action}
		if err := s.svc.Store().AppendAudit(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
}

// walk follows the Older links from path, checking each carries want
// filters, and returns the event targets shown, page by page.
func walk(t *testing.T, s *signedIn, path string, filters url.Values) [][]string {
	t.Helper()
	var pages [][]string
	for path != "" && len(pages) < 20 {
		body := s.get(path)
		var names []string
		for _, m := range evTarget.FindAllStringSubmatch(body, -1) {
			names = append(names, m[1])
		}
		pages = append(pages, names)
		path = ""
		if m := olderLink.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
			u, err := url.Parse(path)
			if err != nil {
				t.Fatal(err)
			}
			for k := range filters {
				if got := u.Query().Get(k); got != filters.Get(k) {
					t.Errorf("Older link %s: %s is %q, want %q", path, k, got, filters.Get(k))
				}
			}
			if u.Query().Get("before") == "" {
				t.Errorf("Older link %s has no cursor", path)
			}
		}
	}
	return pages
}

// checkAll checks pages show, in order, exactly the events the store
// lists for f (keeping those action matches), none repeated or lost.
func checkAll(t *testing.T, s *signedIn, pages [][]string, f postern.AuditFilter, action string) {
	t.Helper()
	f.TailnetID = s.tn.ID
	evs, err := s.svc.Store().AuditEvents(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range evs {
		if action == "" || e.Action == action {
			want = append(want, e.Target.Name)
		}
	}
	var all []string
	for _, p := range pages {
		if len(p) > logPageSize {
			t.Errorf("page of %d events, want at most %d", len(p), logPageSize)
		}
		all = append(all, p...)
	}
	if len(all) != len(want) {
		t.Fatalf("got %d events over %d pages, want %d", len(all), len(pages), len(want))
	}
	for i := range all {
		if all[i] != want[i] {
			t.Fatalf("event %d: got %s, want %s (repeated or lost at a page boundary)", i, all[i], want[i])
		}
	}
}

func TestAuditLogPagesCarryFilters(t *testing.T) {
	s := newSignedIn(t)
	const n = 2*logPageSize + 7
	appendEvents(t, s, n, "pager", "UPDATE")
	appendEvents(t, s, 30, "other", "UPDATE") // filtered out by actor
	filters := url.Values{"actor": {"pager@example.com"}, "from": {"2026-11-01"}, "to": {"2026-11-01"}}
	pages := walk(t, s, "/admin/logs?"+filters.Encode(), filters)
	if len(pages) != 3 {
		t.Errorf("got %d pages, want 3", len(pages))
	}
	checkAll(t, s, pages, postern.AuditFilter{Actor: "pager"}, "")

	last := s.get("/admin/logs?" + filters.Encode() + "&before=1.1")
	if !strings.Contains(last, `id="logs-newest"`) || strings.Contains(last, `id="logs-older"`) {
		t.Errorf("a page past the end: want a Newest link and no Older link")
	}
	first := s.get("/admin/logs?" + filters.Encode())
	for _, want := range []string{`value="pager@example.com"`, `value="2026-11-01"`} {
		if !strings.Contains(first, want) {
			t.Errorf("filter form lacks %s", want)
		}
	}
}

func TestAuditLogActionFilterPages(t *testing.T) {
	s := newSignedIn(t)
	// Matching events sparse among many others, past one scan batch.
	const n = logPageSize + 5
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for i := range n {
		for k := range 5 {
			e := postern.AuditEvent{TailnetID: s.tn.ID, EventTime: at.Add(time.Duration(i) * time.Second), Type: "CONFIG",
				Actor: postern.AuditActor{ID: "x", Type: "USER"}, Target: postern.AuditTarget{ID: "t", Name: "noise", Type: "USER"}, Action: "DELETE"}
			if k == 2 {
				e.Target = postern.AuditTarget{ID: fmt.Sprint(i), Name: fmt.Sprintf("ev-%d", i), Type: "NODE"}
				e.Action = "UPDATE"
			}
			if err := s.svc.Store().AppendAudit(ctx, &e); err != nil {
				t.Fatal(err)
			}
		}
	}
	filters := url.Values{"action": {"NODE.UPDATE"}}
	pages := walk(t, s, "/admin/logs?"+filters.Encode(), filters)
	if len(pages) != 2 {
		t.Errorf("got %d pages, want 2", len(pages))
	}
	checkAll(t, s, pages, postern.AuditFilter{}, "UPDATE")
}

func TestAuditLogBadCursor(t *testing.T) {
	s := newSignedIn(t)
	s.post("/admin/users", url.Values{"loginName": {"bob@example.com"}, "role": {"member"}})
	body := s.get("/admin/logs?before=yesterday")
	if !strings.Contains(body, "That page link is not valid; showing the newest events.") || !strings.Contains(body, "USER.CREATE") {
		t.Errorf("bad cursor: want the message and the newest events")
	}
}
