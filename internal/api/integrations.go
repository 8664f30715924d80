package api

import (
	"net/http"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tailnet"
)

// Syncer runs posture integration syncs.
type Syncer interface {
	// SyncNow starts a sync of the integration at once, out of schedule.
	SyncNow(id string)
}

// integrationJSON is Tailscale's PostureIntegration, with the full status.
// The secret is never returned.
type integrationJSON struct {
	ID            string     `json:"id"`
	Provider      string     `json:"provider"`
	CloudID       string     `json:"cloudId"`
	ClientID      string     `json:"clientId"`
	TenantID      string     `json:"tenantId"`
	ConfigUpdated string     `json:"configUpdated"`
	Status        statusJSON `json:"status"`
}

type statusJSON struct {
	LastSync             string `json:"lastSync,omitempty"`
	LastAttempt          string `json:"lastAttempt,omitempty"`
	Error                string `json:"error,omitempty"`
	Warning              string `json:"warning,omitempty"`
	ProviderHostCount    int    `json:"providerHostCount"`
	MatchedCount         int    `json:"matchedCount"`
	PossibleMatchedCount int    `json:"possibleMatchedCount"`
	PausedUntil          string `json:"pausedUntil,omitempty"`
	LastDurationMs       int64  `json:"lastDurationMs"`
}

func toIntegrationJSON(in postern.Integration) integrationJSON {
	s := in.Status
	return integrationJSON{
		ID: in.ID, Provider: in.Provider, CloudID: in.CloudID, ClientID: in.ClientID, TenantID: in.TenantID,
		ConfigUpdated: rfc3339(in.ConfigUpdated),
		Status: statusJSON{
			LastSync: rfc3339(s.LastSync), LastAttempt: rfc3339(s.LastAttempt), Error: s.Error, Warning: s.Warning,
			ProviderHostCount: s.ProviderHostCount, MatchedCount: s.MatchedCount, PossibleMatchedCount: s.PossibleMatchedCount,
			PausedUntil: rfc3339(s.PausedUntil), LastDurationMs: s.LastDuration.Milliseconds(),
		},
	}
}

// integrationBody is the create and update request.
type integrationBody struct {
	Provider     string  `json:"provider"`
	CloudID      *string `json:"cloudId"`
	ClientID     *string `json:"clientId"`
	TenantID     *string `json:"tenantId"`
	ClientSecret *string `json:"clientSecret"`
}

func (b integrationBody) config() tailnet.IntegrationConfig {
	return tailnet.IntegrationConfig{CloudID: b.CloudID, ClientID: b.ClientID, TenantID: b.TenantID, ClientSecret: b.ClientSecret}
}

func (a *API) listIntegrations(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	ins, err := a.st.Integrations(r.Context(), a.tailnetID)
	if err != nil {
		return err
	}
	out := []integrationJSON{}
	for _, in := range ins {
		out = append(out, toIntegrationJSON(in))
	}
	writeJSON(w, http.StatusOK, map[string]any{"integrations": out})
	return nil
}

func (a *API) createIntegration(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	var b integrationBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if b.Provider == "" {
		return badf("provider is required")
	}
	in, err := a.svc.CreateIntegration(r.Context(), p.auditContext(), a.tailnetID, b.Provider, b.config())
	if err != nil {
		return err
	}
	a.syncNow(in.ID)
	writeJSON(w, http.StatusOK, toIntegrationJSON(in))
	return nil
}

func (a *API) integrationOf(r *http.Request) (postern.Integration, error) {
	id := r.PathValue("id")
	in, err := a.st.Integration(r.Context(), id)
	if postern.IsNotFound(err) || (err == nil && in.TailnetID != a.tailnetID) {
		return in, notFound("posture integration", id)
	}
	return in, err
}

func (a *API) getIntegration(w http.ResponseWriter, r *http.Request, p *principal) error {
	in, err := a.integrationOf(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toIntegrationJSON(in))
	return nil
}

func (a *API) patchIntegration(w http.ResponseWriter, r *http.Request, p *principal) error {
	in, err := a.integrationOf(r)
	if err != nil {
		return err
	}
	var b integrationBody
	if err := decode(r, &b); err != nil {
		return err
	}
	in, err = a.svc.UpdateIntegration(r.Context(), p.auditContext(), a.tailnetID, in.ID, b.config())
	if err != nil {
		return err
	}
	a.syncNow(in.ID)
	writeJSON(w, http.StatusOK, toIntegrationJSON(in))
	return nil
}

func (a *API) deleteIntegration(w http.ResponseWriter, r *http.Request, p *principal) error {
	in, err := a.integrationOf(r)
	if err == nil {
		err = a.svc.DeleteIntegration(r.Context(), p.auditContext(), a.tailnetID, in.ID)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// syncIntegration is POST /posture/integrations/{id}/sync: run it now.
func (a *API) syncIntegration(w http.ResponseWriter, r *http.Request, p *principal) error {
	in, err := a.integrationOf(r)
	if err != nil {
		return err
	}
	if a.syncer == nil {
		return postern.Errorf(postern.EUNAVAILABLE, "posture sync is not running")
	}
	a.syncer.SyncNow(in.ID)
	writeJSON(w, http.StatusAccepted, toIntegrationJSON(in))
	return nil
}

func (a *API) syncNow(id string) {
	if a.syncer != nil {
		a.syncer.SyncNow(id)
	}
}
