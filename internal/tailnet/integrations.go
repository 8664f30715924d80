package tailnet

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/providers"
	"github.com/postern/postern/internal/store"
)

// IntegrationConfig is the writable configuration of an integration.
// Nil fields keep their value on update.
type IntegrationConfig struct {
	CloudID, ClientID, TenantID, ClientSecret *string
	// SyncInterval is the integration's own sync interval; zero means the
	// server's default.
	SyncInterval *time.Duration
}

// validateIntegration checks what in's provider needs, as its
// descriptor says, and returns the provider.
func validateIntegration(in *postern.Integration) (integrations.Provider, error) {
	p, err := providers.Lookup(in.Provider)
	if err != nil {
		return p, err
	}
	for _, f := range []struct {
		name  string
		field integrations.Field
		value string
	}{{"clientSecret", p.Secret, in.ClientSecret}, {"clientId", p.ClientID, in.ClientID}, {"tenantId", p.TenantID, in.TenantID}} {
		if f.field.Required && f.value == "" {
			return p, postern.Errorf(postern.EINVALID, "%s is required for %s (the %s)", f.name, p.ID, f.field.Label)
		}
	}
	base, err := integrations.BaseURL(p, in.CloudID)
	if err != nil {
		return p, postern.Errorf(postern.EINVALID, "cloudId: %v", err)
	}
	if p.Declared != nil && providers.NamespaceTaken(in.TenantID) {
		return p, postern.Errorf(postern.EINVALID, "tenantId: the attribute namespace %q is already Postern's or another provider's; choose another", in.TenantID)
	}
	if p.Validate != nil {
		cfg := integrations.Config{BaseURL: base, ClientID: in.ClientID, TenantID: in.TenantID, Secret: in.ClientSecret}
		if err := p.Validate(cfg); err != nil {
			return p, err
		}
	}
	if err := validateSyncInterval(in.SyncInterval); err != nil {
		return p, err
	}
	return p, nil
}

// declaredNamespaceConflict returns an ECONFLICT error if in writes under
// a namespace its tenantId names and another of the tailnet's
// integrations in all already writes under it.
func declaredNamespaceConflict(p integrations.Provider, in postern.Integration, all []postern.Integration) error {
	if p.Declared == nil {
		return nil
	}
	for _, o := range all {
		if o.ID == in.ID || o.TenantID != in.TenantID {
			continue
		}
		if op, err := providers.Lookup(o.Provider); err == nil && op.Declared != nil {
			return postern.Errorf(postern.ECONFLICT, "integration %s already writes the attribute namespace %q", o.ID, in.TenantID)
		}
	}
	return nil
}

// validateSyncInterval accepts zero (the server's default) or a whole
// number of seconds within the bounds.
func validateSyncInterval(d time.Duration) error {
	if d == 0 {
		return nil
	}
	if d < postern.MinSyncInterval || d > postern.MaxSyncInterval || d%time.Second != 0 {
		return postern.Errorf(postern.EINVALID,
			"the sync interval must be a whole number of seconds from 60 (1 minute) to 86400 (24 hours), or 0 for the server's default; got %v", d)
	}
	return nil
}

// integrationSummary is what the audit log records: never the secret.
func integrationSummary(in postern.Integration) map[string]string {
	return map[string]string{"provider": in.Provider, "cloudId": in.CloudID, "clientId": in.ClientID, "tenantId": in.TenantID,
		"syncIntervalSeconds": strconv.FormatInt(int64(in.SyncInterval/time.Second), 10)}
}

// CreateIntegration adds a posture integration; a tailnet has at most one
// per provider (ECONFLICT).
func (s *Service) CreateIntegration(ctx context.Context, ac audit.Context, tailnetID, provider string, c IntegrationConfig) (postern.Integration, error) {
	in := postern.Integration{TailnetID: tailnetID, Provider: provider, ConfigUpdated: s.now().UTC()}
	applyConfig(&in, c)
	p, err := validateIntegration(&in)
	if err != nil {
		return in, err
	}
	err = s.store.InTx(ctx, func(q store.Queries) error {
		all, err := q.Integrations(ctx, tailnetID)
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.Provider == provider {
				return postern.Errorf(postern.ECONFLICT, "there is already a %s integration (%s); only one integration for each provider", provider, o.ID)
			}
		}
		if err := declaredNamespaceConflict(p, in, all); err != nil {
			return err
		}
		if err := q.CreateIntegration(ctx, &in); err != nil {
			return err
		}
		return s.auditIntegration(ctx, q, ac, in, "CREATE", nil, integrationSummary(in))
	})
	if err != nil {
		return in, fmt.Errorf("creating %s integration: %w", provider, err)
	}
	return in, nil
}

func applyConfig(in *postern.Integration, c IntegrationConfig) {
	for dst, src := range map[*string]*string{&in.CloudID: c.CloudID, &in.ClientID: c.ClientID, &in.TenantID: c.TenantID, &in.ClientSecret: c.ClientSecret} {
		if src != nil {
			*dst = *src
		}
	}
	if c.SyncInterval != nil {
		in.SyncInterval = *c.SyncInterval
	}
}

// auditIntegration appends the event of a change to in: its target is
// the integration (type POSTURE_INTEGRATION, its id), and the provider is
// in the details as well as in old and new.
func (s *Service) auditIntegration(ctx context.Context, q store.Queries, ac audit.Context, in postern.Integration, action string, old, new any) error {
	details := "provider " + in.Provider
	if ac.Details != "" {
		details += "; " + ac.Details
	}
	ac.Details = details
	ev := ac.Event(s.now(), in.TailnetID, audit.IntegrationTarget(in), action, old, new)
	return q.AppendAudit(ctx, &ev)
}

// integrationOf reads an integration of the tailnet.
func integrationOf(ctx context.Context, q store.Queries, tailnetID, id string) (postern.Integration, error) {
	in, err := q.Integration(ctx, id)
	if err == nil && in.TailnetID != tailnetID {
		err = postern.Errorf(postern.ENOTFOUND, "posture integration %q not found", id)
	}
	return in, err
}

// SecretRequiredError is the cause of the EINVALID error
// UpdateIntegration returns when cloudId moves the integration to
// another origin without the secret being given again. From and To are
// the base URLs' scheme://host[:port]; From is empty when the stored
// cloudId is no longer valid.
type SecretRequiredError struct {
	From, To string
}

func (e *SecretRequiredError) Error() string {
	return "the secret is required again when the vendor host changes"
}

// UpdateIntegration changes an integration's configuration; an omitted
// secret is kept, but only while the vendor API stays on the same
// scheme, host and port (for Falcon, the same region's host): a stored
// secret is never sent to a host it was not given for. A configuration
// change lifts an authentication pause.
func (s *Service) UpdateIntegration(ctx context.Context, ac audit.Context, tailnetID, id string, c IntegrationConfig) (postern.Integration, error) {
	var in postern.Integration
	err := s.store.InTx(ctx, func(q store.Queries) error {
		var err error
		in, err = integrationOf(ctx, q, tailnetID, id)
		if err != nil {
			return err
		}
		old := integrationSummary(in)
		oldCloudID := in.CloudID
		applyConfig(&in, c)
		p, err := validateIntegration(&in)
		if err != nil {
			return err
		}
		all, err := q.Integrations(ctx, tailnetID)
		if err != nil {
			return err
		}
		if err := declaredNamespaceConflict(p, in, all); err != nil {
			return err
		}
		if c.ClientSecret == nil {
			if err := sameVendorHost(p, oldCloudID, in.CloudID); err != nil {
				return err
			}
		}
		in.ConfigUpdated = s.now().UTC()
		in.Status.PausedUntil = time.Time{}
		if err := q.UpdateIntegration(ctx, &in); err != nil {
			return err
		}
		return s.auditIntegration(ctx, q, ac, in, "UPDATE", old, integrationSummary(in))
	})
	if err != nil {
		return in, fmt.Errorf("updating posture integration %s: %w", id, err)
	}
	return in, nil
}

// sameVendorHost returns an EINVALID error wrapping *SecretRequiredError
// unless cloudIDs old and new resolve to the same origin (scheme, host
// and port). new must be valid; an old one that no longer is (saved
// under looser rules) counts as another host.
func sameVendorHost(provider integrations.Provider, old, new string) error {
	newBase, err := integrations.BaseURL(provider, new)
	if err != nil {
		return postern.Errorf(postern.EINVALID, "cloudId: %v", err)
	}
	newURL, err := url.Parse(newBase)
	if err != nil {
		return fmt.Errorf("parsing base URL %q: %w", newBase, err)
	}
	cause := &SecretRequiredError{To: newURL.Scheme + "://" + newURL.Host}
	if oldBase, err := integrations.BaseURL(provider, old); err == nil {
		if oldURL, err := url.Parse(oldBase); err == nil {
			if integrations.Origin(oldURL) == integrations.Origin(newURL) {
				return nil
			}
			cause.From = oldURL.Scheme + "://" + oldURL.Host
		}
	}
	from := cause.From
	if from == "" {
		from = "a host Postern no longer accepts"
	}
	return &postern.Error{Code: postern.EINVALID, Err: cause, Message: fmt.Sprintf(
		"clientSecret is required when cloudId changes the host (from %s to %s): the stored secret is only sent to the host it was given for",
		from, cause.To)}
}

// DeleteIntegration removes an integration and every attribute it wrote.
func (s *Service) DeleteIntegration(ctx context.Context, ac audit.Context, tailnetID, id string) error {
	var devs []int64
	err := s.store.InTx(ctx, func(q store.Queries) error {
		in, err := integrationOf(ctx, q, tailnetID, id)
		if err != nil {
			return err
		}
		gone, err := q.DeleteAttributesBySource(ctx, tailnetID, postern.IntegrationSource(id))
		if err != nil {
			return err
		}
		for _, a := range gone {
			devs = append(devs, a.DeviceID)
		}
		if err := q.DeleteIntegration(ctx, id); err != nil {
			return err
		}
		return s.auditIntegration(ctx, q, ac, in, "DELETE", integrationSummary(in), nil)
	})
	if err != nil {
		return fmt.Errorf("deleting posture integration %s: %w", id, err)
	}
	s.emit(Change{TailnetID: tailnetID, AttrsChanged: union(nil, devs)})
	return nil
}

// SetIntegrationStatus records the outcome of a sync attempt.
func (s *Service) SetIntegrationStatus(ctx context.Context, id string, st postern.IntegrationStatus) error {
	if err := s.store.UpdateIntegrationStatus(ctx, id, st); err != nil {
		return fmt.Errorf("recording status of posture integration %s: %w", id, err)
	}
	return nil
}
