package control

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/types/key"

	"github.com/postern/postern"
)

// Limits on interactive logins. Anyone who completes the Noise handshake
// may ask for one, so what they may hold is bounded: overall, per source
// address and per machine key. An entry keeps only what approval needs,
// with the client's strings already bounded by checkHostinfo.
const (
	// pendingTTL is how long an unapproved interactive login stays open.
	pendingTTL = time.Hour
	// maxPending bounds open logins overall.
	maxPending = 1024
	// maxPendingPerAddr bounds open logins from one source address (for
	// IPv6, one /64).
	maxPendingPerAddr = 16
	// maxPendingPerMachine bounds open logins of one machine key; a new
	// one replaces that machine's oldest.
	maxPendingPerMachine = 4
)

// pendingReg is an interactive login waiting for an admin to approve it.
type pendingReg struct {
	id        string
	machine   key.MachinePublic
	nodeKey   key.NodePublic
	hostinfo  *tailcfg.Hostinfo // approvalHostinfo of what the client reported
	tags      []string          // requested tags, sorted
	ephemeral bool
	source    netip.Addr // address the Noise connection came from
	created   time.Time
	done      chan struct{} // closed once approved
	gone      chan struct{} // closed when dropped unapproved (expired, replaced or rejected)
	deviceID  int64         // set before done is closed
	rejected  bool          // set before gone is closed when an admin rejected it
	approving bool
}

// Registration is an interactive login waiting for approval, as the API
// and console show it. Hostname, OS and RequestTags are what the client
// claims; MachineKey, NodeKey and Source are what the server saw, for
// telling a real login from an impostor.
type Registration struct {
	ID          string // the last element of the login URL
	Hostname    string
	OS          string
	RequestTags []string
	Ephemeral   bool
	// MachineKey is the client's machine public key ("mkey:..."), proven
	// by the Noise handshake.
	MachineKey string
	// NodeKey is the node public key ("nodekey:...") the client asked to
	// register: the device's node key once approved.
	NodeKey string
	// Source is the client's address as the server saw it (the proxy's
	// X-Forwarded-For only from a trusted proxy); invalid if unknown.
	Source  netip.Addr
	Created time.Time
}

func (s *Server) authURL(id string) string {
	return s.serverURL.JoinPath("register", id).String()
}

// addrGroup is the unit the per-address limit counts: the address, or
// its /64 for IPv6, which one host usually holds whole.
func addrGroup(a netip.Addr) netip.Prefix {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
}

// startPending opens (or reuses, for the same node key) an interactive
// login for a client that came without an auth key from source. It
// refuses when the limits above are reached.
func (s *Server) startPending(mk key.MachinePublic, source netip.Addr, req *tailcfg.RegisterRequest) (*pendingReg, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.expirePendingLocked(now)
	group := addrGroup(source)
	var fromAddr int
	var sameMachine []*pendingReg
	for _, p := range s.pending {
		if p.machine == mk && p.deviceID == 0 {
			if p.nodeKey == req.NodeKey {
				return p, nil
			}
			sameMachine = append(sameMachine, p)
		}
		if source.IsValid() && p.source.IsValid() && group.Contains(p.source.Unmap()) {
			fromAddr++
		}
	}
	if len(sameMachine) >= maxPendingPerMachine {
		// Only this machine can ask again for its own logins: replace
		// its oldest rather than lock it out.
		oldest := slices.MinFunc(sameMachine, func(a, b *pendingReg) int { return a.created.Compare(b.created) })
		if oldest.approving {
			return nil, postern.Errorf(postern.EFORBIDDEN, "too many logins of this machine are waiting for approval; try again in a minute")
		}
		s.dropPendingLocked(oldest)
		if source.IsValid() && oldest.source.IsValid() && group.Contains(oldest.source.Unmap()) {
			fromAddr--
		}
	}
	if fromAddr >= maxPendingPerAddr {
		return nil, postern.Errorf(postern.EFORBIDDEN, "too many logins from your address are waiting for approval; ask an administrator to approve them or try again in an hour")
	}
	if len(s.pending) >= maxPending {
		return nil, postern.Errorf(postern.EFORBIDDEN, "too many logins are waiting for approval; ask an administrator to approve them or try again in an hour")
	}
	b := make([]byte, 12)
	rand.Read(b)
	p := &pendingReg{
		id:        hex.EncodeToString(b),
		machine:   mk,
		nodeKey:   req.NodeKey,
		hostinfo:  approvalHostinfo(req.Hostinfo),
		tags:      requestedTags(req.Hostinfo),
		ephemeral: req.Ephemeral,
		source:    source,
		created:   now,
		done:      make(chan struct{}),
		gone:      make(chan struct{}),
	}
	s.pending[p.id] = p
	return p, nil
}

// approvalHostinfo is what a pending login keeps of hi: the facts the
// device row is created with. The rest (services, SSH host keys, ...)
// the client reports again in its first map request once approved.
func approvalHostinfo(hi *tailcfg.Hostinfo) *tailcfg.Hostinfo {
	if hi == nil {
		return nil
	}
	return &tailcfg.Hostinfo{Hostname: hi.Hostname, OS: hi.OS, OSVersion: hi.OSVersion, IPNVersion: hi.IPNVersion, DeviceModel: hi.DeviceModel}
}

// expirePendingLocked drops logins older than pendingTTL. s.mu is held.
func (s *Server) expirePendingLocked(now time.Time) {
	for _, p := range s.pending {
		if now.Sub(p.created) > pendingTTL && !p.approving {
			s.dropPendingLocked(p)
		}
	}
}

// dropPendingLocked forgets the login p and, if it was never approved,
// lets go of the clients waiting for it. s.mu is held.
func (s *Server) dropPendingLocked(p *pendingReg) {
	delete(s.pending, p.id)
	if p.deviceID == 0 {
		close(p.gone)
	}
}

// expirePending drops logins older than pendingTTL; the housekeeping loop
// calls it so that expiry does not wait for the next login.
func (s *Server) expirePending() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expirePendingLocked(s.now())
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
	case <-p.gone:
		if p.rejected {
			return tailcfg.RegisterResponse{}, postern.Errorf(postern.EFORBIDDEN, "%s", rejectedMessage)
		}
		return tailcfg.RegisterResponse{}, postern.Errorf(postern.EINVALID, "login URL %s expired; run \"tailscale up\" again", req.Followup)
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

// rejectedMessage is what "tailscale up" prints when an admin rejects
// its login.
const rejectedMessage = "an administrator rejected this login"

// PendingRegistrations lists interactive logins waiting for approval.
func (s *Server) PendingRegistrations() []Registration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Registration
	for _, p := range s.pending {
		if p.deviceID != 0 || s.now().Sub(p.created) > pendingTTL {
			continue
		}
		out = append(out, p.registration())
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

// registration is p as the API and console show it.
func (p *pendingReg) registration() Registration {
	r := Registration{
		ID: p.id, Created: p.created, Ephemeral: p.ephemeral, RequestTags: slices.Clone(p.tags),
		MachineKey: p.machine.String(), NodeKey: p.nodeKey.String(), Source: p.source,
	}
	if hi := p.hostinfo; hi != nil {
		r.Hostname, r.OS = hi.Hostname, hi.OS
	}
	return r
}

// RejectRegistration drops the interactive login id (the last element of
// its login URL) unapproved: nothing is stored, and the client waiting
// for it is told an administrator rejected it. It returns the login as it
// was. A rejection stores nothing, so it is logged with actor rather than
// audited; the audit log records configuration changes.
func (s *Server) RejectRegistration(ctx context.Context, id string, actor postern.AuditActor) (Registration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending[id]
	if p == nil || p.deviceID != 0 {
		return Registration{}, postern.Errorf(postern.ENOTFOUND, "no pending login %q", id)
	}
	if p.approving {
		return Registration{}, postern.Errorf(postern.ECONFLICT, "login %q is being approved", id)
	}
	r := p.registration()
	p.rejected = true
	s.dropPendingLocked(p)
	s.log.InfoContext(ctx, "login rejected", "login_id", id, "hostname", r.Hostname,
		"machine_key", p.machine.ShortString(), "source", r.Source.String(), "actor_id", actor.ID, "actor", actor.LoginName)
	return r, nil
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
	tags, err := s.checkTags(u.LoginName, p.tags, nil)
	if err != nil {
		return postern.Device{}, err
	}
	req := tailcfg.RegisterRequest{NodeKey: p.nodeKey, Hostinfo: p.hostinfo, Ephemeral: p.ephemeral}
	r := s.registration(&tn, p.machine, &req, deviceParams{
		userID: u.ID, tags: tags, ephemeral: p.ephemeral, authorized: true,
	})
	return s.registerNode(ctx, actor, r)
}

// registerCSS styles the login page. The page sends its own
// Content-Security-Policy allowing exactly this stylesheet by hash, so it
// needs no file of its own and runs no script.
const registerCSS = `body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#111827;background:#f9fafb}
header{background:#111827;color:#fff;padding:10px 20px;font-weight:700;font-size:18px}
main{max-width:560px;margin:24px auto;padding:0 16px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:16px 20px}
h1{font-size:22px;margin:0 0 12px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:15px;background:#f3f4f6;padding:2px 6px;border-radius:4px;overflow-wrap:anywhere}
p{line-height:1.5}a{color:#2563eb}.muted{color:#6b7280;font-size:14px}`

var registerPage = template.Must(template.New("register").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Waiting for approval · Postern</title>
<link rel="icon" href="data:,">
<style>{{.CSS}}</style>
</head>
<body>
<header>Postern</header>
<main><div class="card">
<h1>Waiting for approval</h1>
<p>{{if .Hostname}}Device <b id="hostname">{{.Hostname}}</b>{{else}}A device{{end}} asked to join this tailnet.</p>
<p>An administrator approves this login in the console. Tell them its login ID:</p>
<p><code id="login-id">{{.ID}}</code></p>
<p>Once approved, the device connects by itself; you can close this page.</p>
<p><a id="console" href="/admin/machines">Open the console</a> <span class="muted">(administrators: the login is listed under Machines, pending approval)</span></p>
</div></main>
</body>
</html>
`))

// serveRegisterPage is what the login URL shows to the person who opened
// it; approval itself happens in the console or API.
func (s *Server) serveRegisterPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	p := s.pending[id]
	hostname := ""
	if p != nil && p.hostinfo != nil {
		hostname = p.hostinfo.Hostname
	}
	s.mu.Unlock()
	if p == nil {
		http.Error(w, "unknown or expired login", http.StatusNotFound)
		return
	}
	var buf bytes.Buffer
	if err := registerPage.Execute(&buf, struct {
		ID, Hostname string
		CSS          template.CSS
	}{id, hostname, template.CSS(registerCSS)}); err != nil {
		s.log.Error("rendering login page", "login_id", id, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256([]byte(registerCSS))
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'sha256-"+
		base64.StdEncoding.EncodeToString(sum[:])+"'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}
