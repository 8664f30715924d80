package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern"
)

func (a *API) getSettings(w http.ResponseWriter, r *http.Request, p *principal) error {
	t, err := a.tailnetOf(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t.Settings)
	return nil
}

// patchSettings applies the fields present in the body; absent fields
// keep their values. Unknown fields are errors.
func (a *API) patchSettings(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	var patch map[string]json.RawMessage
	if err := decode(r, &patch); err != nil {
		return err
	}
	s, err := a.svc.UpdateSettings(r.Context(), p.auditContext(), a.tailnetID, func(s *postern.TailnetSettings) error {
		// Round-trip through JSON so field names are exactly the API's.
		cur, _ := json.Marshal(s)
		var m map[string]json.RawMessage
		json.Unmarshal(cur, &m)
		for k, v := range patch {
			if _, ok := m[k]; !ok {
				return badf("unknown setting %q", k)
			}
			m[k] = v
		}
		merged, _ := json.Marshal(m)
		var next postern.TailnetSettings
		if err := json.Unmarshal(merged, &next); err != nil {
			return badf("invalid settings: %v", err)
		}
		*s = next
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

// userJSON is Tailscale's User object.
type userJSON struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	LoginName   string `json:"loginName"`
	TailnetID   string `json:"tailnetId"`
	Created     string `json:"created"`
	Type        string `json:"type"`
	Role        string `json:"role"`
	Status      string `json:"status"`
	DeviceCount int    `json:"deviceCount"`
}

func (a *API) userJSONs(r *http.Request) ([]userJSON, error) {
	us, err := a.st.Users(r.Context(), a.tailnetID)
	if err != nil {
		return nil, err
	}
	devs, err := a.st.Devices(r.Context(), a.tailnetID)
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for _, d := range devs {
		if !d.Tagged() {
			count[d.UserID]++
		}
	}
	out := make([]userJSON, 0, len(us))
	for _, u := range us {
		out = append(out, userJSON{ID: u.ID, DisplayName: u.DisplayName, LoginName: u.LoginName, TailnetID: u.TailnetID,
			Created: rfc3339(u.Created), Type: "member", Role: string(u.Role), Status: "active", DeviceCount: count[u.ID]})
	}
	return out, nil
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	us, err := a.userJSONs(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	out := []userJSON{}
	for _, u := range us {
		if (q.Get("role") == "" || q.Get("role") == u.Role) && (q.Get("type") == "" || q.Get("type") == u.Type) {
			out = append(out, u)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	us, err := a.userJSONs(r)
	if err != nil {
		return err
	}
	for _, u := range us {
		if u.ID == r.PathValue("id") {
			writeJSON(w, http.StatusOK, u)
			return nil
		}
	}
	return notFound("user", r.PathValue("id"))
}

// Paging of the configuration audit log.
const (
	defaultLogLimit = 100
	maxLogLimit     = 1000
	maxLogPageBytes = 4 << 20 // old and new values of one page, roughly; policy texts are large
)

// configurationLogs is the configuration audit log between start and end,
// newest first, a page at a time: at most limit events (default 100, at
// most 1000) and about 4 MiB of values; nextCursor, when present, asks
// for the next page.
func (a *API) configurationLogs(w http.ResponseWriter, r *http.Request, p *principal) error {
	t, err := a.tailnetOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := postern.AuditFilter{TailnetID: t.ID, Actor: q.Get("actor"), Target: q.Get("target"), Event: q.Get("event")}
	for name, dst := range map[string]*time.Time{"start": &f.Start, "end": &f.End} {
		v := q.Get(name)
		if v == "" {
			return badf("%s is required (RFC 3339)", name)
		}
		ts, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return badf("%s %q is not an RFC 3339 time", name, v)
		}
		*dst = ts
	}
	if !f.End.After(f.Start) {
		return badf("end must be after start")
	}
	limit := defaultLogLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLogLimit {
			return badf("limit must be a number from 1 to %d, got %q", maxLogLimit, v)
		}
		limit = n
	}
	if v := q.Get("cursor"); v != "" {
		if f.Before, err = parseCursor(v); err != nil {
			return err
		}
	}
	f.Limit = limit + 1 // one more tells whether there is a next page
	evs, err := a.st.AuditEvents(r.Context(), f)
	if err != nil {
		return err
	}
	more := len(evs) > limit
	evs = evs[:min(len(evs), limit)]
	size := 0
	for i, e := range evs {
		size += len(e.Old) + len(e.New)
		if size > maxLogPageBytes && i > 0 {
			evs, more = evs[:i], true
			break
		}
	}
	out := map[string]any{"version": "1.1", "tailnet": t.Name, "logs": evs}
	if len(evs) == 0 {
		out["logs"] = []postern.AuditEvent{}
	}
	if more {
		last := evs[len(evs)-1]
		out["nextCursor"] = fmt.Sprintf("%d_%d", last.EventTime.UnixNano(), last.ID)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// parseCursor reads a nextCursor that configurationLogs wrote.
func parseCursor(v string) (postern.AuditCursor, error) {
	ts, id, ok := strings.Cut(v, "_")
	nanos, err1 := strconv.ParseInt(ts, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n == 0 {
		return postern.AuditCursor{}, badf("cursor %q is not a nextCursor this API returned", v)
	}
	return postern.AuditCursor{Time: time.Unix(0, nanos), ID: n}, nil
}
