package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/postern/postern"
)

// maxLogRows bounds the audit log page.
const maxLogRows = 500

// logs shows the audit log, newest first, filtered by actor, target,
// action (an action such as UPDATE or an event name such as
// NODE.UPDATE.ATTRIBUTES) and a date range (from, to inclusive, UTC).
func (c *Console) logs(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	f := postern.AuditFilter{TailnetID: c.tailnetID, Actor: strings.TrimSpace(q.Get("actor")), Target: strings.TrimSpace(q.Get("target"))}
	action := strings.TrimSpace(q.Get("action"))
	var errMsg string
	if v := q.Get("from"); v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			errMsg = "From must be a date like 2026-01-31."
		}
		f.Start = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			errMsg = "To must be a date like 2026-01-31."
		}
		f.End = t.AddDate(0, 0, 1)
	}
	if action == "" {
		f.Limit = maxLogRows
	}
	evs, err := c.st.AuditEvents(r.Context(), f)
	if err != nil {
		c.failed(w, r, s, "Loading the audit log", err)
		return
	}
	var rows []postern.AuditEvent
	for _, e := range evs {
		if action != "" && !strings.EqualFold(e.Action, action) && !strings.HasPrefix(strings.ToUpper(e.EventName()), strings.ToUpper(action)) {
			continue
		}
		rows = append(rows, e)
		if len(rows) == maxLogRows {
			break
		}
	}
	c.renderView(w, r, s, "logs", view{Title: "Audit log", Error: errMsg, Data: struct {
		Events                          []postern.AuditEvent
		Actor, Target, Action, From, To string
	}{rows, f.Actor, f.Target, action, q.Get("from"), q.Get("to")}})
}
