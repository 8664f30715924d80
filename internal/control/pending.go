package control

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"slices"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/types/key"

	"github.com/postern/postern"
)

// pendingTTL is how long an unapproved interactive login stays open.
const pendingTTL = time.Hour

// pendingReg is an interactive login waiting for an admin to approve it.
type pendingReg struct {
	id        string
	machine   key.MachinePublic
	req       tailcfg.RegisterRequest
	created   time.Time
	done      chan struct{} // closed once approved
	deviceID  int64         // set before done is closed
	approving bool
}

// Registration is an interactive login waiting for approval, as the API
// and console show it.
type Registration struct {
	ID          string // the last element of the login URL
	Hostname    string
	OS          string
	RequestTags []string
	Ephemeral   bool
	Created     time.Time
}

func (s *Server) authURL(id string) string {
	return s.serverURL.JoinPath("register", id).String()
}

// startPending opens (or reuses, for the same node key) an interactive
// login for a client that came without an auth key.
func (s *Server) startPending(mk key.MachinePublic, req *tailcfg.RegisterRequest) *pendingReg {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for id, p := range s.pending {
		if now.Sub(p.created) > pendingTTL {
			delete(s.pending, id)
			continue
		}
		if p.machine == mk && p.req.NodeKey == req.NodeKey && p.deviceID == 0 {
			return p
		}
	}
	b := make([]byte, 12)
	rand.Read(b)
	p := &pendingReg{id: hex.EncodeToString(b), machine: mk, req: *req, created: now, done: make(chan struct{})}
	s.pending[p.id] = p
	return p
}

// awaitApproval holds a follow-up register request until the login it
// names is approved or the client gives up.
func (s *Server) awaitApproval(ctx context.Context, mk key.MachinePublic, req *tailcfg.RegisterRequest) (tailcfg.RegisterResponse, error) {
	u, err := url.Parse(req.Followup)
	if err != nil {
		return tailcfg.RegisterResponse{}, postern.Errorf(postern.EINVALID, "invalid login URL %q", req.Followup)
	}
	id := path.Base(u.Path)
	s.mu.Lock()
	p := s.pending[id]
	s.mu.Unlock()
	if p == nil || p.machine != mk {
		return tailcfg.RegisterResponse{}, postern.Errorf(postern.EINVALID, "login URL %s expired; run \"tailscale up\" again", req.Followup)
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return tailcfg.RegisterResponse{}, ctx.Err()
	case <-s.done:
		return tailcfg.RegisterResponse{}, postern.Errorf(postern.EUNAVAILABLE, "server shutting down")
	}
	d, err := s.cfg.Store.Device(ctx, p.deviceID)
	if err != nil {
		return tailcfg.RegisterResponse{}, fmt.Errorf("loading approved device: %w", err)
	}
	s.mu.Lock()
	delete(s.pending, id)
	s.mu.Unlock()
	return s.okResponse(ctx, &d), nil
}

// PendingRegistrations lists interactive logins waiting for approval.
func (s *Server) PendingRegistrations() []Registration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Registration
	for _, p := range s.pending {
		if p.deviceID != 0 || s.now().Sub(p.created) > pendingTTL {
			continue
		}
		r := Registration{ID: p.id, Created: p.created, Ephemeral: p.req.Ephemeral, RequestTags: requestedTags(p.req.Hostinfo)}
		if hi := p.req.Hostinfo; hi != nil {
			r.Hostname, r.OS = hi.Hostname, hi.OS
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Registration) int { return a.Created.Compare(b.Created) })
	return out
}

// ApproveRegistration completes the interactive login id (the last
// element of its login URL) as the user with userID: it checks the
// requested tags against the policy for that user, creates the device and
// lets the waiting client in. actor is recorded in the audit log.
func (s *Server) ApproveRegistration(ctx context.Context, id, userID string, actor postern.AuditActor) (postern.Device, error) {
	s.mu.Lock()
	p := s.pending[id]
	if p == nil || p.deviceID != 0 || p.approving {
		s.mu.Unlock()
		return postern.Device{}, postern.Errorf(postern.ENOTFOUND, "no pending login %q", id)
	}
	p.approving = true
	s.mu.Unlock()
	d, err := s.approve(ctx, p, userID, actor)
	s.mu.Lock()
	p.approving = false
	if err == nil {
		p.deviceID = d.ID
		close(p.done)
	}
	s.mu.Unlock()
	return d, err
}

// approve checks the tags p asks for against the policy for the user
// with userID and has the writer create (or re-log in) the device.
func (s *Server) approve(ctx context.Context, p *pendingReg, userID string, actor postern.AuditActor) (postern.Device, error) {
	u, err := s.cfg.Store.User(ctx, userID)
	if err != nil {
		return postern.Device{}, fmt.Errorf("loading approving user: %w", err)
	}
	tn, err := s.cfg.Store.Tailnet(ctx, u.TailnetID)
	if err != nil {
		return postern.Device{}, fmt.Errorf("loading tailnet: %w", err)
	}
	tags, err := s.checkTags(u.LoginName, requestedTags(p.req.Hostinfo), nil)
	if err != nil {
		return postern.Device{}, err
	}
	r := s.registration(&tn, p.machine, &p.req, deviceParams{
		userID: u.ID, tags: tags, ephemeral: p.req.Ephemeral, authorized: true,
	})
	return s.registerNode(ctx, actor, r)
}

var registerPage = template.Must(template.New("register").Parse(`<!doctype html>
<title>Postern login</title>
<h1>Waiting for approval</h1>
<p>Device <b>{{.Hostname}}</b> asked to join. An administrator must approve login <code>{{.ID}}</code>.</p>
`))

// serveRegisterPage is what the login URL shows to the person who opened
// it; approval itself happens in the console or API.
func (s *Server) serveRegisterPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	p := s.pending[id]
	s.mu.Unlock()
	if p == nil {
		http.Error(w, "unknown or expired login", http.StatusNotFound)
		return
	}
	hostname := ""
	if p.req.Hostinfo != nil {
		hostname = p.req.Hostinfo.Hostname
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	registerPage.Execute(w, struct{ ID, Hostname string }{id, hostname})
}
