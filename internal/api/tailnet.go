package api

import (
	"encoding/json"
	"net/http"
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

// configurationLogs is the configuration audit log between start and end.
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
	evs, err := a.st.AuditEvents(r.Context(), f)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []postern.AuditEvent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": "1.1", "tailnet": t.Name, "logs": evs})
	return nil
}
