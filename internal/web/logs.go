package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern"
)

// logPageSize is how many events one audit log page shows.
const logPageSize = 50

// logScanBatch and logScanMax bound the events read for one page when
// the action filter (matched here, not in the store) skips most of them.
const (
	logScanBatch = 200
	logScanMax   = 5000
)

// logRow is one audit event as the log page shows it, with its old and
// new values prepared for the expanded details.
type logRow struct {
	postern.AuditEvent
	Diff     *lineDiff // set for policy changes
	Old, New string    // indented JSON for other events
}

// logPage is the audit log page's data.
type logPage struct {
	Events                          []logRow
	Actor, Target, Action, From, To string
	Older, Newest                   string // links to the next page and back to the first; "" when none
}

// logs shows the audit log, newest first, logPageSize events a page,
// filtered by actor, target, action (an action such as UPDATE or an
// event name such as NODE.UPDATE.ATTRIBUTES) and a date range (from, to
// inclusive, UTC). "before" continues from a previous page's last event;
// every link the page makes carries the filters.
func (c *Console) logs(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	f := postern.AuditFilter{TailnetID: c.tailnetID, Actor: strings.TrimSpace(q.Get("actor")), Target: strings.TrimSpace(q.Get("target"))}
	p := logPage{Actor: f.Actor, Target: f.Target, Action: strings.TrimSpace(q.Get("action")), From: q.Get("from"), To: q.Get("to")}
	var errMsg string
	if v := p.From; v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			errMsg = "From must be a date like 2026-01-31; it was ignored."
		} else {
			f.Start = t
		}
	}
	if v := p.To; v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			errMsg = "To must be a date like 2026-01-31; it was ignored."
		} else {
			f.End = t.AddDate(0, 0, 1)
		}
	}
	var before postern.AuditCursor
	if v := q.Get("before"); v != "" {
		cur, ok := parseLogCursor(v)
		if !ok {
			errMsg = "That page link is not valid; showing the newest events."
		}
		before = cur
	}
	events, next, err := c.logEvents(r, f, p.Action, before)
	if err != nil {
		c.failed(w, r, s, "Loading the audit log", err)
		return
	}
	for _, e := range events {
		p.Events = append(p.Events, newLogRow(e))
	}
	if next.ID != 0 {
		p.Older = p.link(formatLogCursor(next))
	}
	if before.ID != 0 {
		p.Newest = p.link("")
	}
	c.renderView(w, r, s, "logs", view{Title: "Audit log", Error: errMsg, Data: p})
}

// logEvents returns up to logPageSize events matching f and action,
// starting after before, and the cursor an "Older" link continues from
// (zero when nothing older matches).
func (c *Console) logEvents(r *http.Request, f postern.AuditFilter, action string, before postern.AuditCursor) ([]postern.AuditEvent, postern.AuditCursor, error) {
	f.Limit = logScanBatch
	if action == "" {
		f.Limit = logPageSize + 1
	}
	var (
		rows      []postern.AuditEvent
		last      = before
		exhausted bool
	)
	for scanned := 0; scanned < logScanMax && len(rows) <= logPageSize; {
		f.Before = last
		evs, err := c.st.AuditEvents(r.Context(), f)
		if err != nil {
			return nil, postern.AuditCursor{}, err
		}
		for _, e := range evs {
			scanned++
			last = postern.AuditCursor{Time: e.EventTime, ID: e.ID}
			if action == "" || strings.EqualFold(e.Action, action) || strings.HasPrefix(strings.ToUpper(e.EventName()), strings.ToUpper(action)) {
				rows = append(rows, e)
				if len(rows) > logPageSize {
					break
				}
			}
		}
		if len(evs) < f.Limit {
			exhausted = true
			break
		}
	}
	switch {
	case len(rows) > logPageSize:
		rows = rows[:logPageSize]
		e := rows[len(rows)-1]
		return rows, postern.AuditCursor{Time: e.EventTime, ID: e.ID}, nil
	case !exhausted && last.ID != 0:
		// The scan budget ran out: the next page continues from the last
		// event read, so nothing is skipped or shown twice.
		return rows, last, nil
	}
	return rows, postern.AuditCursor{}, nil
}

// link is the log page's URL with its filters and, if set, a cursor.
func (p logPage) link(before string) string {
	v := url.Values{}
	for _, kv := range [][2]string{{"actor", p.Actor}, {"target", p.Target}, {"action", p.Action}, {"from", p.From}, {"to", p.To}, {"before", before}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if len(v) == 0 {
		return "/admin/logs"
	}
	return "/admin/logs?" + v.Encode()
}

// formatLogCursor writes a cursor as "<unix nanoseconds>.<id>".
func formatLogCursor(c postern.AuditCursor) string {
	return strconv.FormatInt(c.Time.UnixNano(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

func parseLogCursor(s string) (postern.AuditCursor, bool) {
	ns, id, ok := strings.Cut(s, ".")
	if !ok {
		return postern.AuditCursor{}, false
	}
	n, err1 := strconv.ParseInt(ns, 10, 64)
	i, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || i <= 0 {
		return postern.AuditCursor{}, false
	}
	return postern.AuditCursor{Time: time.Unix(0, n).UTC(), ID: i}, true
}

// newLogRow prepares e's details: a line diff for a policy change, whose
// old and new values are the policy file's text, else indented JSON.
func newLogRow(e postern.AuditEvent) logRow {
	row := logRow{AuditEvent: e}
	if e.Target.Type == "TAILNET" && e.Target.Property == "ACL" {
		old, okOld := jsonText(e.Old)
		new, okNew := jsonText(e.New)
		if okOld && okNew {
			d := diffText(old, new)
			row.Diff = &d
			return row
		}
	}
	row.Old, row.New = indentJSON(e.Old), indentJSON(e.New)
	return row
}

// jsonText decodes raw as a JSON string; absent counts as "".
func jsonText(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func indentJSON(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}
