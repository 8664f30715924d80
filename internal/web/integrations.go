package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posture"
	"github.com/postern/postern/internal/providers"
	"github.com/postern/postern/internal/tailnet"
)

// providerForm is what the console shows of each provider: its
// descriptor (fields, labels, attributes) and the integration, if any.
type providerForm struct {
	P             integrations.Provider
	Connected     *postern.Integration
	SyncAvailable bool
	// State (integrations.State*) and PausedReason are the connected
	// integration's, as the API shows them.
	State, PausedReason string
}

// Attrs lists the attributes the provider writes, for the page. For a
// provider whose vendor declares them, they are what the connected
// integration's last successful sync declared, or {namespace}:{name}.
func (f providerForm) Attrs() []posture.Attr {
	var out []posture.Attr
	spaces := f.P.Namespaces
	if f.P.Declared != nil {
		name, schema := "{namespace}", ""
		if f.Connected != nil {
			name, schema = f.Connected.TenantID, f.Connected.Status.Schema
		}
		if ns, err := f.P.Declared(name, schema); err == nil {
			spaces = append(spaces, ns)
		}
	}
	for _, ns := range spaces {
		out = append(out, ns.Attrs...)
		if ns.Open {
			out = append(out, posture.Attr{Name: ns.Name + ":{name}", Kind: ns.OpenKind, Doc: ns.Doc})
		}
	}
	return out
}

// providerForms lists the providers in the order the page shows them.
func providerForms() []providerForm {
	var forms []providerForm
	for _, p := range providers.All() {
		forms = append(forms, providerForm{P: p})
	}
	return forms
}

// providerName is how provider is named in sentences, or its id if it
// is not known.
func providerName(provider string) string {
	if p, err := providers.Lookup(provider); err == nil {
		return p.Label
	}
	return provider
}

// integrations is the device management page.
func (c *Console) integrations(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	ins, err := c.st.Integrations(ctx, c.tailnetID)
	if err != nil {
		c.failed(w, r, s, "Loading integrations", err)
		return
	}
	t, err := c.st.Tailnet(ctx, c.tailnetID)
	if err != nil {
		c.failed(w, r, s, "Loading settings", err)
		return
	}
	forms := providerForms()
	for i := range forms {
		forms[i].SyncAvailable = c.syncer != nil
		for _, in := range ins {
			if in.Provider == forms[i].P.ID {
				in := in
				in.ClientSecret = "" // never sent to the browser
				forms[i].Connected = &in
				now := c.svc.Now()
				forms[i].State = integrations.State(in.Status, c.syncer != nil && c.syncer.Syncing(in.ID), now)
				forms[i].PausedReason = integrations.PausedReason(in.Status, now)
			}
		}
	}
	var macProviders []string
	for _, f := range forms {
		if f.P.MatchMAC {
			macProviders = append(macProviders, f.P.Label)
		}
	}
	c.render(w, r, s, "integrations", "Device management", struct {
		Providers          []providerForm
		MACProviders       string
		IdentityCollection bool
	}{forms, joinAnd(macProviders), t.Settings.PostureIdentityCollectionOn})
}

// joinAnd joins names as a sentence does: "A", "A and B", "A, B and C".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// formConfig reads an integration form. An empty secret keeps the stored
// one on update; fields a provider does not use are left alone.
func formConfig(r *http.Request) (tailnet.IntegrationConfig, error) {
	var cfg tailnet.IntegrationConfig
	if _, ok := r.PostForm["syncIntervalMinutes"]; ok {
		d, err := formInterval(r.PostForm.Get("syncIntervalMinutes"))
		if err != nil {
			return cfg, err
		}
		cfg.SyncInterval = &d
	}
	for name, dst := range map[string]**string{"cloudId": &cfg.CloudID, "clientId": &cfg.ClientID, "tenantId": &cfg.TenantID, "clientSecret": &cfg.ClientSecret} {
		if _, ok := r.PostForm[name]; !ok {
			continue
		}
		v := r.PostForm.Get(name)
		if name == "clientSecret" && v == "" {
			continue
		}
		*dst = &v
	}
	return cfg, nil
}

func (c *Console) createIntegration(w http.ResponseWriter, r *http.Request, s *session) {
	what := "Connecting " + providerName(r.PostForm.Get("provider"))
	cfg, err := formConfig(r)
	if err != nil {
		c.failed(w, r, s, what, err)
		return
	}
	in, err := c.svc.CreateIntegration(r.Context(), s.actor(), c.tailnetID, r.PostForm.Get("provider"), cfg)
	if err != nil {
		c.failed(w, r, s, what, err)
		return
	}
	msg, warn := c.firstSyncMessage(r, in)
	redirectKind(w, r, "/admin/integrations", msg, warn)
}

func (c *Console) updateIntegration(w http.ResponseWriter, r *http.Request, s *session) {
	cfg, err := formConfig(r)
	if err != nil {
		c.failed(w, r, s, "Updating the integration", err)
		return
	}
	in, err := c.svc.UpdateIntegration(r.Context(), s.actor(), c.tailnetID, r.PathValue("id"), cfg)
	var sre *tailnet.SecretRequiredError
	if errors.As(err, &sre) {
		c.renderError(w, r, s, http.StatusBadRequest, secretRequiredMessage(r.PostForm.Get("provider"), sre))
		return
	}
	if err != nil {
		c.failed(w, r, s, "Updating the integration", err)
		return
	}
	c.syncNow(in.ID)
	redirect(w, r, "/admin/integrations", "Updated "+providerName(in.Provider)+".")
}

// secretRequiredMessage says, in the form's own words, why an edit that
// moves an integration to another host was refused.
func secretRequiredMessage(provider string, sre *tailnet.SecretRequiredError) string {
	name, cloud, secret := "the vendor", "URL", "secret"
	if p, err := providers.Lookup(provider); err == nil {
		name, cloud, secret = p.Label, p.CloudID.Label, p.Secret.Label
	}
	from := sre.From
	if from == "" {
		from = "a host Postern no longer accepts"
	}
	return fmt.Sprintf("Not saved: the new %s moves %s from %s to %s, so enter the %s again. "+
		"The stored %s is only ever sent to the host it was given for.",
		cloud, name, from, sre.To, secret, secret)
}

func (c *Console) deleteIntegration(w http.ResponseWriter, r *http.Request, s *session) {
	if r.PostForm.Get("confirm") != "on" {
		c.renderError(w, r, s, http.StatusBadRequest, "Tick the box to confirm removing the integration.")
		return
	}
	if err := c.svc.DeleteIntegration(r.Context(), s.actor(), c.tailnetID, r.PathValue("id")); err != nil {
		c.failed(w, r, s, "Removing the integration", err)
		return
	}
	redirect(w, r, "/admin/integrations", "Removed the integration and the attributes it set.")
}

func (c *Console) syncIntegration(w http.ResponseWriter, r *http.Request, s *session) {
	in, err := c.st.Integration(r.Context(), r.PathValue("id"))
	if err == nil && in.TailnetID != c.tailnetID {
		err = postern.ErrNotFound
	}
	if err != nil {
		c.failed(w, r, s, "Syncing the integration", err)
		return
	}
	if c.syncer == nil {
		c.renderError(w, r, s, http.StatusServiceUnavailable, "Posture sync is not running on this server.")
		return
	}
	c.syncer.SyncNow(in.ID)
	redirect(w, r, "/admin/integrations", "Started a sync of "+providerName(in.Provider)+".")
}

func (c *Console) syncNow(id string) {
	if c.syncer != nil {
		c.syncer.SyncNow(id)
	}
}

// setIdentityCollection turns Device Identity Collection on or off.
func (c *Console) setIdentityCollection(w http.ResponseWriter, r *http.Request, s *session) {
	on := r.PostForm.Get("on") == "true"
	_, err := c.svc.UpdateSettings(r.Context(), s.actor(), c.tailnetID, func(ts *postern.TailnetSettings) error {
		ts.PostureIdentityCollectionOn = on
		return nil
	})
	if err != nil {
		c.failed(w, r, s, "Changing Device Identity Collection", err)
		return
	}
	msg := "Device Identity Collection is off."
	if on {
		msg = "Device Identity Collection is on."
	}
	redirect(w, r, "/admin/integrations", msg)
}
