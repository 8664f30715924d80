package api

import (
	"net/http"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/tailnet"
)

// Syncer runs posture integration syncs.
type Syncer interface {
	// SyncNow starts a sync of the integration at once, out of schedule.
	SyncNow(id string)
	// SyncNowDone is SyncNow, and returns a channel closed when that
	// sync has ended and its status is recorded.
	SyncNowDone(id string) <-chan struct{}
	// Syncing reports whether a sync of the integration is running.
	Syncing(id string) bool
}

// DefaultFirstSyncWait is how long creating an integration waits for its
// first sync when Config.FirstSyncWait is zero.
const DefaultFirstSyncWait = 5 * time.Second

// integrationJSON is Tailscale's PostureIntegration, with the full status
// and Postern's syncIntervalSeconds. The secret is never returned.
type integrationJSON struct {
	ID                  string     `json:"id"`
	Provider            string     `json:"provider"`
	CloudID             string     `json:"cloudId"`
	ClientID            string     `json:"clientId"`
	TenantID            string     `json:"tenantId"`
	ConfigUpdated       string     `json:"configUpdated"`
	SyncIntervalSeconds int64      `json:"syncIntervalSeconds"`
	Status              statusJSON `json:"status"`
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
	// Postern's: where the integration stands (integrations.State*), why
	// and until when it is paused, and what the last successful sync
	// could not match.
	State        string               `json:"state"`
	PausedReason string               `json:"pausedReason,omitempty"`
	Unmatched    *postern.MatchReport `json:"unmatched,omitempty"`
}

// integrationJSON is in as the API shows it now.
func (a *API) integrationJSON(in postern.Integration) integrationJSON {
	s := in.Status
	now := a.svc.Now()
	syncing := a.syncer != nil && a.syncer.Syncing(in.ID)
	return integrationJSON{
		ID: in.ID, Provider: in.Provider, CloudID: in.CloudID, ClientID: in.ClientID, TenantID: in.TenantID,
		ConfigUpdated: rfc3339(in.ConfigUpdated), SyncIntervalSeconds: int64(in.SyncInterval / time.Second),
		Status: statusJSON{
			LastSync: rfc3339(s.LastSync), LastAttempt: rfc3339(s.LastAttempt), Error: s.Error, Warning: s.Warning,
			ProviderHostCount: s.ProviderHostCount, MatchedCount: s.MatchedCount, PossibleMatchedCount: s.PossibleMatchedCount,
			PausedUntil: rfc3339(s.PausedUntil), LastDurationMs: s.LastDuration.Milliseconds(),
			State: integrations.State(s, syncing, now), PausedReason: integrations.PausedReason(s, now), Unmatched: s.Unmatched,
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
	// SyncIntervalSeconds is Postern's: 0 for the server's default.
	SyncIntervalSeconds *int64 `json:"syncIntervalSeconds"`
}

func (b integrationBody) config() (tailnet.IntegrationConfig, error) {
	c := tailnet.IntegrationConfig{CloudID: b.CloudID, ClientID: b.ClientID, TenantID: b.TenantID, ClientSecret: b.ClientSecret}
	if n := b.SyncIntervalSeconds; n != nil {
		if *n != 0 && (*n < int64(postern.MinSyncInterval/time.Second) || *n > int64(postern.MaxSyncInterval/time.Second)) {
			return c, badf("syncIntervalSeconds must be from 60 (1 minute) to 86400 (24 hours), or 0 for the server's default; got %d", *n)
		}
		d := time.Duration(*n) * time.Second
		c.SyncInterval = &d
	}
	return c, nil
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
		out = append(out, a.integrationJSON(in))
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
	c, err := b.config()
	if err != nil {
		return err
	}
	in, err := a.svc.CreateIntegration(r.Context(), p.auditContext(), a.tailnetID, b.Provider, c)
	if err != nil {
		return err
	}
	in, done := a.awaitFirstSync(r, in)
	out := a.integrationJSON(in)
	if !done && out.Status.State == integrations.StatePending {
		// Asked for and not over: queued behind others, it is as good as
		// running.
		out.Status.State = integrations.StateSyncing
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// awaitFirstSync starts the first sync of the integration just created
// and waits up to the configured time for it, so that the answer says
// how it went. It returns the integration as it now stands, and whether
// the sync ended; with no syncer it returns in and true (nothing runs).
func (a *API) awaitFirstSync(r *http.Request, in postern.Integration) (postern.Integration, bool) {
	if a.syncer == nil {
		return in, true
	}
	t := time.NewTimer(a.firstSyncWait)
	defer t.Stop()
	done := false
	select {
	case <-a.syncer.SyncNowDone(in.ID):
		done = true
	case <-t.C:
	case <-r.Context().Done():
	}
	cur, err := a.st.Integration(r.Context(), in.ID)
	if err != nil {
		if !postern.IsNotFound(err) {
			a.log.Warn("reading posture integration after its first sync", "integration_id", in.ID, "err", err)
		}
		return in, done
	}
	return cur, done
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
	writeJSON(w, http.StatusOK, a.integrationJSON(in))
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
	c, err := b.config()
	if err != nil {
		return err
	}
	in, err = a.svc.UpdateIntegration(r.Context(), p.auditContext(), a.tailnetID, in.ID, c)
	if err != nil {
		return err
	}
	a.syncNow(in.ID)
	writeJSON(w, http.StatusOK, a.integrationJSON(in))
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
	writeJSON(w, http.StatusAccepted, a.integrationJSON(in))
	return nil
}

func (a *API) syncNow(id string) {
	if a.syncer != nil {
		a.syncer.SyncNow(id)
	}
}
