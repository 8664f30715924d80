package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
)

// logsPage is one answer of GET /logging/configuration.
type logsPage struct {
	Logs       []json.RawMessage `json:"logs"`
	NextCursor string            `json:"nextCursor"`
}

func TestConfigurationLogPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st, tn := e.srv.Service().Store(), e.srv.Tailnet()
	now := time.Now()
	for i := range 250 {
		ev := postern.AuditEvent{TailnetID: tn.ID, EventTime: now.Add(-time.Duration(i%50) * time.Second), Origin: "CONFIG_API",
			Actor: postern.AuditActor{ID: "u1", Type: "USER"}, Target: postern.AuditTarget{ID: "n1", Type: "NODE"}, Action: "UPDATE"}
		if err := st.AppendAudit(ctx, &ev); err != nil {
			t.Fatal(err)
		}
	}
	all, err := st.AuditEvents(ctx, postern.AuditFilter{TailnetID: tn.ID})
	if err != nil {
		t.Fatal(err)
	}
	window := "start=" + url.QueryEscape(now.Add(-time.Hour).UTC().Format(time.RFC3339)) + "&end=" + url.QueryEscape(now.Add(time.Hour).UTC().Format(time.RFC3339))
	get := func(query string) (int, logsPage, string) {
		code, body := e.raw(t, "GET", "/api/v2/tailnet/-/logging/configuration?"+window+query, "")
		var p logsPage
		json.Unmarshal([]byte(body), &p)
		return code, p, body
	}

	t.Run("default limit and cursor", func(t *testing.T) {
		seen, pages, cursor := 0, 0, ""
		for {
			q := ""
			if cursor != "" {
				q = "&cursor=" + url.QueryEscape(cursor)
			}
			code, p, body := get(q)
			if code != 200 || len(p.Logs) > 100 {
				t.Fatalf("page %d: got %d with %d events (%.200s), want 200 with at most 100", pages, code, len(p.Logs), body)
			}
			seen += len(p.Logs)
			pages++
			if cursor = p.NextCursor; cursor == "" || pages > 10 {
				break
			}
		}
		// The store's tests check that a cursor neither repeats nor skips.
		if seen != len(all) || pages != (len(all)+99)/100 {
			t.Errorf("got %d events on %d pages, want all %d on %d", seen, pages, len(all), (len(all)+99)/100)
		}
	})
	t.Run("limit", func(t *testing.T) {
		if code, p, _ := get("&limit=7"); code != 200 || len(p.Logs) != 7 || p.NextCursor == "" {
			t.Errorf("limit=7: got %d with %d events, cursor %q; want 7 and a cursor", code, len(p.Logs), p.NextCursor)
		}
		if code, p, _ := get("&limit=1000"); code != 200 || len(p.Logs) != len(all) || p.NextCursor != "" {
			t.Errorf("limit=1000: got %d with %d events, cursor %q; want all %d and no cursor", code, len(p.Logs), p.NextCursor, len(all))
		}
	})
	for _, tc := range []struct{ name, query, want string }{
		{"limit too large", "&limit=1001", "limit must be a number from 1 to 1000"},
		{"limit zero", "&limit=0", "limit must be a number from 1 to 1000"},
		{"bad cursor", "&cursor=abc", "is not a nextCursor this API returned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, body := get(tc.query); code != 400 || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s, want 400 with %q", code, body, tc.want)
			}
		})
	}
	t.Run("large values end a page early", func(t *testing.T) {
		big, _ := json.Marshal(strings.Repeat("p", 1<<20))
		for range 6 {
			ev := postern.AuditEvent{TailnetID: tn.ID, EventTime: now.Add(time.Minute), Origin: "CONFIG_API", New: big,
				Actor: postern.AuditActor{ID: "u1", Type: "USER"}, Target: postern.AuditTarget{ID: tn.ID, Type: "TAILNET", Property: "ACL"}, Action: "UPDATE"}
			if err := st.AppendAudit(ctx, &ev); err != nil {
				t.Fatal(err)
			}
		}
		code, p, _ := get("")
		if code != 200 || len(p.Logs) != 3 || p.NextCursor == "" {
			t.Errorf("got %d with %d events, cursor %q; want the 3 that fit in 4 MiB and a cursor", code, len(p.Logs), p.NextCursor)
		}
	})
}
