package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/control"
)

// Registrar holds interactive logins (a client that ran "tailscale up"
// without an auth key) until an admin approves or rejects them, as the
// API's does.
type Registrar interface {
	// PendingRegistrations lists the logins waiting, oldest first.
	PendingRegistrations() []control.Registration
	// ApproveRegistration lets the login id in as the user with userID.
	ApproveRegistration(ctx context.Context, id, userID string, actor postern.AuditActor) (postern.Device, error)
	// RejectRegistration drops the login id; its client is told so.
	RejectRegistration(ctx context.Context, id string, actor postern.AuditActor) (control.Registration, error)
}

// pendingLogin is one login of the "Waiting for approval" card.
type pendingLogin struct {
	control.Registration
	Source      string // "unknown" when the server did not see one
	Fingerprint string // short form of the machine key
}

// pendingCard is what the "Waiting for approval" card shows: the logins,
// the users an approval may assign the device to, the signed-in user
// (the default owner), and the page the forms return to.
type pendingCard struct {
	Shown  bool // false without a control server: no card at all
	Logins []pendingLogin
	Users  []postern.User
	Me     string
	Back   string
}

// fingerprint is the short form of a "mkey:<hex>" machine key that the
// console shows: enough of it to compare by eye.
func fingerprint(machineKey string) string {
	hex := strings.TrimPrefix(machineKey, "mkey:")
	if len(hex) > 16 {
		hex = hex[:16] + "…"
	}
	return "mkey:" + hex
}

// pendingLogins builds the card for the page at back.
func (c *Console) pendingLogins(ctx context.Context, s *session, back string) (pendingCard, error) {
	if c.registrar == nil {
		return pendingCard{}, nil
	}
	card := pendingCard{Shown: true, Me: s.user.ID, Back: back}
	for _, g := range c.registrar.PendingRegistrations() {
		l := pendingLogin{Registration: g, Source: "unknown", Fingerprint: fingerprint(g.MachineKey)}
		if g.Source.IsValid() {
			l.Source = g.Source.String()
		}
		card.Logins = append(card.Logins, l)
	}
	if len(card.Logins) > 0 && canWrite(s.user.Role) {
		us, err := c.st.Users(ctx, c.tailnetID)
		if err != nil {
			return pendingCard{}, err
		}
		card.Users = us
	}
	return card, nil
}

// backTo is where a pending-login form returns: the page it was on, if
// that is the overview or the machines list.
func backTo(r *http.Request) string {
	if b := r.PostForm.Get("back"); b == "/admin/machines" {
		return b
	}
	return "/admin/"
}

// approveLogin is POST /admin/registrations/{id}/approve: the device
// joins as the user chosen in "owner" (default: the signed-in admin).
func (c *Console) approveLogin(w http.ResponseWriter, r *http.Request, s *session) {
	if c.registrar == nil {
		c.renderError(w, r, s, http.StatusServiceUnavailable, "The control server is not running.")
		return
	}
	owner := s.user
	if id := r.PostForm.Get("owner"); id != "" && id != s.user.ID {
		u, err := c.st.User(r.Context(), id)
		if err == nil && u.TailnetID != c.tailnetID {
			err = postern.Errorf(postern.ENOTFOUND, "no such user")
		}
		if err != nil {
			c.failed(w, r, s, "Approving the login", err)
			return
		}
		owner = u
	}
	d, err := c.registrar.ApproveRegistration(r.Context(), r.PathValue("id"), owner.ID, audit.User(s.user))
	if err != nil {
		c.failed(w, r, s, "Approving the login", err)
		return
	}
	redirect(w, r, backTo(r), "Approved "+d.Hostname+": it joined as "+d.Name+", owned by "+owner.LoginName+".")
}

// rejectLogin is POST /admin/registrations/{id}/reject: the login is
// dropped and its "tailscale up" fails saying so; nothing is stored.
func (c *Console) rejectLogin(w http.ResponseWriter, r *http.Request, s *session) {
	if c.registrar == nil {
		c.renderError(w, r, s, http.StatusServiceUnavailable, "The control server is not running.")
		return
	}
	g, err := c.registrar.RejectRegistration(r.Context(), r.PathValue("id"), audit.User(s.user))
	if err != nil {
		c.failed(w, r, s, "Rejecting the login", err)
		return
	}
	redirect(w, r, backTo(r), "Rejected the login of "+g.Hostname+" ("+g.ID+"); nothing was added.")
}
