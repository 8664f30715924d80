package api

import (
	"context"
	"net/http"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/control"
)

// Registrar holds interactive logins (a client that ran "tailscale up"
// without an auth key) until an admin approves them.
type Registrar interface {
	PendingRegistrations() []control.Registration
	ApproveRegistration(ctx context.Context, id, userID string, actor postern.AuditActor) (postern.Device, error)
	RejectRegistration(ctx context.Context, id string, actor postern.AuditActor) (control.Registration, error)
}

// listRegistrations is GET /tailnet/{t}/registrations (Postern's
// addition): logins waiting for approval.
func (a *API) listRegistrations(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	type reg struct {
		ID          string   `json:"id"`
		Hostname    string   `json:"hostname"`
		OS          string   `json:"os"`
		Ephemeral   bool     `json:"ephemeral"`
		RequestTags []string `json:"requestTags,omitempty"`
		MachineKey  string   `json:"machineKey"`
		NodeKey     string   `json:"nodeKey"`
		Source      string   `json:"sourceAddress,omitempty"`
		Created     string   `json:"created"`
	}
	out := []reg{}
	if a.registrar != nil {
		for _, g := range a.registrar.PendingRegistrations() {
			rg := reg{
				ID: g.ID, Hostname: g.Hostname, OS: g.OS, Ephemeral: g.Ephemeral, RequestTags: g.RequestTags,
				MachineKey: g.MachineKey, NodeKey: g.NodeKey, Created: rfc3339(g.Created),
			}
			if g.Source.IsValid() {
				rg.Source = g.Source.String()
			}
			out = append(out, rg)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"registrations": out})
	return nil
}

// approveRegistration is POST /registrations/{id}/approve (Postern's
// addition), body {"user": "login@example.com"} (default: the caller):
// the device joins as that user's.
func (a *API) approveRegistration(w http.ResponseWriter, r *http.Request, p *principal) error {
	if a.registrar == nil {
		return postern.Errorf(postern.EUNAVAILABLE, "the control server is not running")
	}
	var body struct {
		User string `json:"user"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &body); err != nil {
			return err
		}
	}
	owner := p.User
	if body.User != "" {
		u, err := a.st.UserByLoginName(r.Context(), a.tailnetID, body.User)
		if err != nil {
			return err
		}
		owner = u
	}
	d, err := a.registrar.ApproveRegistration(r.Context(), r.PathValue("id"), owner.ID, audit.User(p.User))
	if err != nil {
		return err
	}
	users, err := a.userMap(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.toDeviceJSON(d, users, false))
	return nil
}

// rejectRegistration is POST /registrations/{id}/reject (Postern's
// addition): the login is dropped, nothing is stored, and the waiting
// client's "tailscale up" fails saying an administrator rejected it.
func (a *API) rejectRegistration(w http.ResponseWriter, r *http.Request, p *principal) error {
	if a.registrar == nil {
		return postern.Errorf(postern.EUNAVAILABLE, "the control server is not running")
	}
	g, err := a.registrar.RejectRegistration(r.Context(), r.PathValue("id"), audit.User(p.User))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": g.ID, "hostname": g.Hostname})
	return nil
}
