package api

import (
	"net/http"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tailnet"
)

// keyJSON is Tailscale's Key object.
type keyJSON struct {
	ID            string           `json:"id"`
	Key           string           `json:"key,omitempty"` // only when created
	KeyType       string           `json:"keyType"`
	Description   string           `json:"description,omitempty"`
	Created       string           `json:"created"`
	Expires       string           `json:"expires,omitempty"`
	ExpirySeconds int64            `json:"expirySeconds,omitempty"`
	Revoked       string           `json:"revoked,omitempty"`
	Invalid       bool             `json:"invalid"`
	Capabilities  *keyCapabilities `json:"capabilities,omitempty"`
	Scopes        []string         `json:"scopes,omitempty"`
	Tags          []string         `json:"tags,omitempty"`
	UserID        string           `json:"userId,omitempty"`
}

type keyCapabilities struct {
	Devices struct {
		Create struct {
			Reusable      bool     `json:"reusable"`
			Ephemeral     bool     `json:"ephemeral"`
			Preauthorized bool     `json:"preauthorized"`
			Tags          []string `json:"tags"`
		} `json:"create"`
	} `json:"devices"`
}

func toKeyJSON(k postern.Key, now time.Time) keyJSON {
	j := keyJSON{
		ID: k.ID, KeyType: string(k.Type), Description: k.Description, Created: rfc3339(k.Created),
		Expires: rfc3339(k.Expires), Revoked: rfc3339(k.Revoked), Invalid: !k.Valid(now),
		Scopes: k.Scopes, UserID: k.UserID,
	}
	if !k.Expires.IsZero() {
		j.ExpirySeconds = int64(k.Expires.Sub(k.Created).Seconds())
	}
	if k.Type == postern.KeyTypeAuth {
		var c keyCapabilities
		c.Devices.Create.Reusable = k.Reusable
		c.Devices.Create.Ephemeral = k.Ephemeral
		c.Devices.Create.Preauthorized = k.Preauthorized
		c.Devices.Create.Tags = k.Tags
		if c.Devices.Create.Tags == nil {
			c.Devices.Create.Tags = []string{}
		}
		j.Capabilities = &c
		j.Tags = k.Tags
	}
	return j
}

func (a *API) listKeys(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	ks, err := a.st.Keys(r.Context(), a.tailnetID)
	if err != nil {
		return err
	}
	all := r.URL.Query().Get("all") == "true"
	out := []keyJSON{}
	for _, k := range ks {
		if tailnet.IsAccessToken(k) || (!all && k.UserID != p.User.ID) || !canSee(p, k) {
			continue
		}
		out = append(out, toKeyJSON(k, a.svc.Now()))
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
	return nil
}

func (a *API) createKey(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	var body struct {
		KeyType       string           `json:"keyType"`
		Description   string           `json:"description"`
		Capabilities  *keyCapabilities `json:"capabilities"`
		ExpirySeconds int64            `json:"expirySeconds"`
		Scopes        []string         `json:"scopes"`
		Tags          []string         `json:"tags"`
	}
	if err := decodeStrict(r, &body); err != nil {
		return err
	}
	req := tailnet.KeyRequest{UserID: p.User.ID, ClientID: p.ClientID, Description: body.Description}
	switch body.KeyType {
	case "", "auth":
		if body.Capabilities == nil {
			return badf("capabilities.devices is required for an auth key")
		}
		c := body.Capabilities.Devices.Create
		req.Type, req.Reusable, req.Ephemeral, req.Preauthorized, req.Tags = postern.KeyTypeAuth, c.Reusable, c.Ephemeral, c.Preauthorized, c.Tags
	case "api":
		// An API key acts as its user with every scope the user's role
		// has, so only a caller holding all of them may mint one.
		if !p.can(ScopeAll) {
			return postern.Errorf(postern.EFORBIDDEN, "creating an API key needs the %q scope", ScopeAll)
		}
		req.Type = postern.KeyTypeAPI
	case "client":
		if !p.can(ScopeAll) {
			return postern.Errorf(postern.EFORBIDDEN, "creating an OAuth client needs the %q scope", ScopeAll)
		}
		if err := validateScopes(body.Scopes); err != nil {
			return err
		}
		req.Type, req.Scopes = postern.KeyTypeClient, body.Scopes
	default:
		return badf("keyType must be auth, api or client, got %q", body.KeyType)
	}
	if len(body.Description) > 50 {
		return badf("description is longer than 50 characters")
	}
	// Checked in seconds, before the conversion to a Duration can
	// overflow; 0 asks for the default.
	maxSecs := int64(tailnet.MaxExpiry(req.Type) / time.Second)
	if body.ExpirySeconds < 0 || body.ExpirySeconds > maxSecs {
		return badf("expirySeconds must be from 1 to %d (%d days) for %s keys, or 0 for the default of %d days; got %d",
			maxSecs, maxSecs/86400, req.Type, int64(tailnet.DefaultKeyExpiry/(24*time.Hour)), body.ExpirySeconds)
	}
	req.Expiry = time.Duration(body.ExpirySeconds) * time.Second
	text, k, err := a.svc.CreateKey(r.Context(), p.auditContext(), a.tailnetID, req)
	if err != nil {
		return err
	}
	j := toKeyJSON(k, a.svc.Now())
	j.Key = text
	writeJSON(w, http.StatusOK, j)
	return nil
}

func (a *API) keyOf(r *http.Request) (postern.Key, error) {
	id := r.PathValue("keyId")
	k, err := a.st.Key(r.Context(), id)
	if postern.IsNotFound(err) || (err == nil && k.TailnetID != a.tailnetID) {
		return k, notFound("key", id)
	}
	return k, err
}

// canSee reports whether p may read k: auth keys with the auth_keys
// scope, API keys and OAuth clients only with read access to everything.
func canSee(p *principal, k postern.Key) bool {
	return k.Type == postern.KeyTypeAuth || p.can(read(ScopeAll))
}

func (a *API) getKey(w http.ResponseWriter, r *http.Request, p *principal) error {
	k, err := a.keyOf(r)
	if err != nil {
		return err
	}
	if !canSee(p, k) {
		return postern.Errorf(postern.EFORBIDDEN, "reading an API key or OAuth client needs the %q scope", read(ScopeAll))
	}
	writeJSON(w, http.StatusOK, toKeyJSON(k, a.svc.Now()))
	return nil
}

func (a *API) deleteKey(w http.ResponseWriter, r *http.Request, p *principal) error {
	k, err := a.keyOf(r)
	if err == nil && k.Type != postern.KeyTypeAuth && !p.can(ScopeAll) {
		err = postern.Errorf(postern.EFORBIDDEN, "deleting an API key or OAuth client needs the %q scope", ScopeAll)
	}
	if err == nil {
		err = a.svc.DeleteKey(r.Context(), p.auditContext(), a.tailnetID, k.ID)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}
