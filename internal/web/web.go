// Package web owns Postern's admin console: server-rendered pages under
// /admin (html/template, assets embedded in the binary and parsed at
// start-up), console sign-in and sessions, CSRF protection of every form,
// the policy impact preview and the daily posture compliance snapshots.
// Reads go to the store; every write goes through the tailnet service.
package web

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/tailnet"
)

//go:embed templates/*.html templates/partials/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Syncer runs posture integration syncs on demand, as the API's does.
type Syncer interface {
	// SyncNow starts a sync of the integration at once.
	SyncNow(id string)
	// SyncNowDone is SyncNow, and returns a channel closed when that
	// sync has ended and its status is recorded.
	SyncNowDone(id string) <-chan struct{}
	// Syncing reports whether a sync of the integration is running.
	Syncing(id string) bool
}

// Decider answers whether a device may reach an address under the policy
// in force, and why.
type Decider interface {
	Check(src int64, dst netip.Addr, proto int, port uint16) policy.Decision
}

// Presence says which devices have a live connection to the control
// server now.
type Presence interface {
	Online(deviceID int64) bool
}

// Config is what the console is built from.
type Config struct {
	Service    *tailnet.Service
	TailnetID  string
	ServerURL  string // the server's external URL; https makes cookies Secure
	BaseDomain string // MagicDNS suffix, for resolving device names
	Logger     *slog.Logger
	// Decisions answers access checks from the policy in force; nil means
	// the console compiles the saved policy itself for each check.
	Decisions Decider
	// Syncer runs syncs; nil hides "sync now".
	Syncer Syncer
	// Presence answers "online now"; nil means a device seen in the last
	// five minutes counts as online.
	Presence Presence
	// Registrar lists, approves and rejects interactive logins; nil hides
	// the "Waiting for approval" card.
	Registrar Registrar
	// SessionTTL is how long a sign-in lasts; 0 means 12 hours.
	SessionTTL time.Duration
}

// Console is the admin console. Mount Handler at "/admin/".
type Console struct {
	svc        *tailnet.Service
	st         store.Store
	tailnetID  string
	baseDomain string
	secure     bool
	origin     string // the server URL's scheme://host, which sign-in forms come from
	log        *slog.Logger
	decisions  Decider
	syncer     Syncer
	// firstSyncWait bounds how long connecting an integration waits for
	// its first sync before the page says it is still running.
	firstSyncWait time.Duration
	presence      Presence
	registrar     Registrar
	sessionTTL    time.Duration
	pages         map[string]*template.Template // by page name, each with the layout
	flashes       flashes                       // one-shot messages for each session's next page
}

// New parses the console's templates and returns it; a template that does
// not parse is an error here, at start-up, rather than on first view.
func New(cfg Config) (*Console, error) {
	c := &Console{
		svc:           cfg.Service,
		st:            cfg.Service.Store(),
		tailnetID:     cfg.TailnetID,
		baseDomain:    cfg.BaseDomain,
		secure:        strings.HasPrefix(strings.ToLower(cfg.ServerURL), "https://"),
		origin:        originOf(cfg.ServerURL),
		log:           cfg.Logger,
		decisions:     cfg.Decisions,
		syncer:        cfg.Syncer,
		firstSyncWait: firstSyncWait,
		presence:      cfg.Presence,
		registrar:     cfg.Registrar,
		sessionTTL:    cfg.SessionTTL,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.flashes.now = c.svc.Now
	if c.sessionTTL == 0 {
		c.sessionTTL = 12 * time.Hour
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c.pages = pages
	return c, nil
}

// parsePages parses every page template together with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("listing console templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(templateFuncs()).ParseFS(templateFiles, "templates/layout.html", "templates/partials/*.html", n)
		if err != nil {
			return nil, fmt.Errorf("parsing console template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// Run keeps console state tidy until ctx ends: it records today's
// posture compliance and drops expired sessions and links every interval
// (0 means an hour).
func (c *Console) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		c.housekeep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Console) housekeep(ctx context.Context) {
	if _, err := c.recordCompliance(ctx); err != nil && ctx.Err() == nil {
		c.log.Error("recording posture compliance", "err", err)
	}
	c.flashes.prune()
	if _, err := c.st.DeleteExpiredConsoleState(ctx, c.svc.Now()); err != nil && ctx.Err() == nil {
		c.log.Error("deleting expired console sessions", "err", err)
	}
}

// Handler returns the console's routes, under /admin/.
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /admin/static/", http.StripPrefix("/admin/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /admin/signin", c.signinPage)
	mux.HandleFunc("POST /admin/signin", c.signin)

	read := func(p string, h handlerFunc) { mux.Handle("GET "+p, c.authed(h, false)) }
	write := func(p string, h handlerFunc) { mux.Handle("POST "+p, c.authed(h, true)) }
	read("/admin/{$}", c.overview)
	read("/admin/machines", c.machines)
	read("/admin/machines/{id}", c.device)
	write("/admin/machines/{id}/approve", c.approveDevice)
	write("/admin/machines/{id}/delete", c.deleteDevice)
	write("/admin/machines/{id}/key", c.setKeyExpiry)
	write("/admin/machines/{id}/attributes", c.setAttribute)
	write("/admin/machines/{id}/attributes/remove", c.removeAttribute)
	write("/admin/machines/{id}/tags", c.setTags)
	write("/admin/machines/{id}/name", c.renameDevice)
	write("/admin/registrations/{id}/approve", c.approveLogin)
	write("/admin/registrations/{id}/reject", c.rejectLogin)
	read("/admin/integrations", c.integrations)
	write("/admin/integrations", c.createIntegration)
	write("/admin/integrations/{id}", c.updateIntegration)
	write("/admin/integrations/{id}/delete", c.deleteIntegration)
	write("/admin/integrations/{id}/sync", c.syncIntegration)
	write("/admin/settings/identity", c.setIdentityCollection)
	read("/admin/policy", c.policyPage)
	write("/admin/policy", c.policyPost)
	read("/admin/keys", c.keys)
	write("/admin/keys", c.createKey)
	write("/admin/keys/{id}/revoke", c.revokeKey)
	read("/admin/users", c.users)
	write("/admin/users", c.createUser)
	read("/admin/logs", c.logs)
	mux.Handle("POST /admin/signout", c.authed(c.signout, true))
	mux.HandleFunc("/admin/", c.notFound)
	return securityHeaders(mux)
}

// securityHeaders forbids framing, sniffing, referrers carrying sign-in
// tokens, and any script or style not served by the console itself.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}
