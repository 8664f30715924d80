// Package tailnet is the single writer of tailnet state. Every change to
// users, keys, devices, posture attributes, integrations, settings or the
// policy file goes through a Service method, which validates it, commits
// it together with its audit events in one transaction, and only then
// tells subscribers what changed. Readers may use the store directly.
package tailnet

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/store"
)

// DefaultName is the name of the tailnet created on first start.
const DefaultName = "default"

// Service is the single writer. Its zero value is not usable; use New.
type Service struct {
	store store.Store
	log   *slog.Logger
	now   func() time.Time
	subs  []func(Change) // set at wiring time, then read-only

	checks policyChecks // the bounds on policy checks users start
}

// New returns a Service writing to st. A nil now means time.Now.
func New(st store.Store, log *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, log: log, now: now}
}

// Store returns the store the service writes to, for readers.
func (s *Service) Store() store.Store { return s.store }

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.now() }

// EnsureDefault returns the default tailnet, creating it if the store has
// none. created reports whether it did.
func (s *Service) EnsureDefault(ctx context.Context) (t postern.Tailnet, created bool, err error) {
	t, err = s.store.DefaultTailnet(ctx)
	if err == nil {
		return t, false, nil
	}
	if !postern.IsNotFound(err) {
		return t, false, fmt.Errorf("reading default tailnet: %w", err)
	}
	t = postern.Tailnet{Name: DefaultName, Settings: postern.DefaultTailnetSettings(), DNS: postern.DefaultDNS(), Created: s.now().UTC()}
	if err := s.store.CreateTailnet(ctx, &t); err != nil {
		// Another process (a CLI command, a second replica) may have won.
		if t2, err2 := s.store.DefaultTailnet(ctx); err2 == nil {
			return t2, false, nil
		}
		return t, false, fmt.Errorf("creating default tailnet: %w", err)
	}
	s.log.Info("created default tailnet", "tailnet_id", t.ID, "name", t.Name)
	return t, true, nil
}

// CreateUser adds a user to the tailnet. The login name must be an email
// address; it is unique per tailnet, case-insensitively.
func (s *Service) CreateUser(ctx context.Context, ac audit.Context, tailnetID, loginName, displayName string, role postern.Role) (postern.User, error) {
	loginName = strings.TrimSpace(loginName)
	addr, err := mail.ParseAddress(loginName)
	if err != nil || addr.Address != loginName {
		return postern.User{}, postern.Errorf(postern.EINVALID, "login name %q is not an email address", loginName)
	}
	switch role {
	case postern.RoleOwner, postern.RoleAdmin, postern.RoleMember, postern.RoleAuditor:
	default:
		return postern.User{}, postern.Errorf(postern.EINVALID, "unknown role %q (want owner, admin, member or auditor)", role)
	}
	if displayName == "" {
		displayName, _, _ = strings.Cut(loginName, "@")
	}
	u := postern.User{TailnetID: tailnetID, LoginName: loginName, DisplayName: displayName, Role: role, Created: s.now().UTC()}
	err = s.store.InTx(ctx, func(q store.Queries) error {
		if err := q.CreateUser(ctx, &u); err != nil {
			return err
		}
		ev := ac.Event(s.now(), tailnetID, postern.AuditTarget{ID: u.ID, Name: u.LoginName, Type: "USER"}, "CREATE", nil, u)
		return q.AppendAudit(ctx, &ev)
	})
	if err != nil {
		return postern.User{}, fmt.Errorf("creating user %s: %w", loginName, err)
	}
	return u, nil
}

// BootstrapOwner is the login name of the owner created when an admin
// command needs one and the tailnet has no owner or admin yet.
const BootstrapOwner = "admin@postern.local"

// Owner returns the tailnet's first owner (or, failing that, admin), and
// creates BootstrapOwner as owner when there is neither. created reports
// whether it did.
func (s *Service) Owner(ctx context.Context, ac audit.Context, tailnetID string) (u postern.User, created bool, err error) {
	users, err := s.store.Users(ctx, tailnetID)
	if err != nil {
		return u, false, fmt.Errorf("listing users: %w", err)
	}
	for _, want := range []postern.Role{postern.RoleOwner, postern.RoleAdmin} {
		for _, u := range users {
			if u.Role == want {
				return u, false, nil
			}
		}
	}
	u, err = s.CreateUser(ctx, ac, tailnetID, BootstrapOwner, "Postern admin", postern.RoleOwner)
	return u, err == nil, err
}
