package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tailnet"
)

// providerForm is what the console asks of each provider.
type providerForm struct {
	Provider      string
	Name          string
	CloudLabel    string // what cloudId means for this vendor
	CloudHint     string
	ClientID      bool // whether a client id is needed
	TenantID      bool
	SecretLabel   string
	Connected     *postern.Integration
	SyncAvailable bool
}

// providerForms lists the providers in the order the page shows them.
func providerForms() []providerForm {
	return []providerForm{
		{Provider: postern.ProviderFleet, Name: "Fleet", CloudLabel: "Fleet server URL", CloudHint: "fleet.example.com", SecretLabel: "API token"},
		{Provider: postern.ProviderKandji, Name: "Kandji", CloudLabel: "Kandji API URL", CloudHint: "example.api.kandji.io", SecretLabel: "API token"},
		{Provider: postern.ProviderSentinelOne, Name: "SentinelOne", CloudLabel: "Management console URL", CloudHint: "example.sentinelone.net", SecretLabel: "API token"},
		{Provider: postern.ProviderFalcon, Name: "CrowdStrike Falcon", CloudLabel: "Cloud region or API URL", CloudHint: "us-1, us-2, eu-1, us-gov", ClientID: true, SecretLabel: "API client secret"},
	}
}

func providerName(p string) string {
	for _, f := range providerForms() {
		if f.Provider == p {
			return f.Name
		}
	}
	return p
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
			if in.Provider == forms[i].Provider {
				in := in
				in.ClientSecret = "" // never sent to the browser
				forms[i].Connected = &in
			}
		}
	}
	c.render(w, r, s, "integrations", "Device management", struct {
		Providers          []providerForm
		IdentityCollection bool
	}{forms, t.Settings.PostureIdentityCollectionOn})
}

// formConfig reads an integration form. An empty secret keeps the stored
// one on update; fields a provider does not use are left alone.
func formConfig(r *http.Request) tailnet.IntegrationConfig {
	var cfg tailnet.IntegrationConfig
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
	return cfg
}

func (c *Console) createIntegration(w http.ResponseWriter, r *http.Request, s *session) {
	in, err := c.svc.CreateIntegration(r.Context(), s.actor(), c.tailnetID, r.PostForm.Get("provider"), formConfig(r))
	if err != nil {
		c.failed(w, r, s, "Connecting "+providerName(r.PostForm.Get("provider")), err)
		return
	}
	c.syncNow(in.ID)
	redirect(w, r, "/admin/integrations", "Connected "+providerName(in.Provider)+".")
}

func (c *Console) updateIntegration(w http.ResponseWriter, r *http.Request, s *session) {
	in, err := c.svc.UpdateIntegration(r.Context(), s.actor(), c.tailnetID, r.PathValue("id"), formConfig(r))
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
	f := providerForm{Name: "the vendor", CloudLabel: "URL", SecretLabel: "secret"}
	for _, pf := range providerForms() {
		if pf.Provider == provider {
			f = pf
		}
	}
	from := sre.From
	if from == "" {
		from = "a host Postern no longer accepts"
	}
	return fmt.Sprintf("Not saved: the new %s moves %s from %s to %s, so enter the %s again. "+
		"The stored %s is only ever sent to the host it was given for.",
		f.CloudLabel, f.Name, from, sre.To, f.SecretLabel, f.SecretLabel)
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
