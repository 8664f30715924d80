package intune

import (
	"context"
	"slices"
	"testing"

	"github.com/postern/postern"
	fakeintune "github.com/postern/postern/internal/fakes/intune"
	"github.com/postern/postern/internal/integrations"
)

func TestProvider(t *testing.T) {
	p := Provider()
	if p.ID != "intune" || p.Label != "Microsoft Intune" || p.DefaultHost != "graph.microsoft.com" || p.MatchMAC || p.BaseURL != nil {
		t.Errorf("got %+v, want id intune, label Microsoft Intune, default host graph.microsoft.com, serial matching, the common base URL rule", p)
	}
	for name, f := range map[string]integrations.Field{"ClientID": p.ClientID, "TenantID": p.TenantID, "Secret": p.Secret} {
		if f.Label == "" || !f.Required {
			t.Errorf("%s: got %+v, want a required field with a label", name, f)
		}
	}
	if p.CloudID.Label == "" || p.CloudID.Required {
		t.Errorf("CloudID: got %+v, want an optional field with a label", p.CloudID)
	}
	if _, err := p.New(integrations.Config{}); err == nil {
		t.Error("New with no configuration: got no error")
	}
	srv := newServer(t)
	srv.SetDevices(devices(2))
	src, err := p.New(config(srv))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if recs, err := src.Fetch(context.Background()); err != nil || len(recs) != 2 {
		t.Errorf("Fetch: got %d records, error %v; want 2", len(recs), err)
	}
}

// TestCatalogue holds the catalogue to Tailscale's attribute names, types
// and values (tailscale-posture.md, providers table).
func TestCatalogue(t *testing.T) {
	want := map[string]struct {
		kind   postern.Kind
		values []string
	}{
		"intune:complianceState":         {postern.KindString, []string{"unknown", "compliant", "noncompliant", "conflict", "error", "inGracePeriod", "configManager"}},
		"intune:azureADRegistered":       {postern.KindBool, nil},
		"intune:deviceRegistrationState": {postern.KindString, []string{"notRegistered", "registered", "revoked", "keyConflict", "approvalPending", "certificateReset", "notRegisteredPendingEnrollment", "unknown"}},
		"intune:isSupervised":            {postern.KindBool, nil},
		"intune:isEncrypted":             {postern.KindBool, nil},
		"intune:managedDeviceOwnerType":  {postern.KindString, []string{"unknown", "company", "personal"}},
	}
	ns := Provider().Namespaces
	if len(ns) != 1 || ns[0].Name != "intune" || ns[0].Open {
		t.Fatalf("namespaces: got %+v, want the closed namespace intune", ns)
	}
	if len(ns[0].Attrs) != len(want) {
		t.Errorf("got %d attributes, want %d", len(ns[0].Attrs), len(want))
	}
	for _, a := range ns[0].Attrs {
		w, ok := want[a.Name]
		if !ok {
			t.Errorf("%s: not one of Tailscale's intune attributes", a.Name)
			continue
		}
		if a.Kind != w.kind || !slices.Equal(a.Values, w.values) || a.Version || a.Doc == "" {
			t.Errorf("%s: got %v %q (version %v, doc %q), want %v %q with a doc", a.Name, a.Kind, a.Values, a.Version, a.Doc, w.kind, w.values)
		}
	}

	// Every attribute a fully reported device gets is in the catalogue,
	// with its kind: the writer and the catalogue cannot drift apart.
	srv := newServer(t)
	srv.SetDevices([]fakeintune.Device{{SerialNumber: "S", AzureADRegistered: ptr(true)}})
	recs, err := newClient(t, config(srv)).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	// What the client writes is what its catalogue declares.
	for _, r := range recs {
		if err := Provider().CheckAttributes(r.Attributes); err != nil {
			t.Errorf("catalogue: %v", err)
		}
	}
	if len(recs[0].Attributes) != len(want) {
		t.Errorf("a fully reported device: got %d attributes, want %d", len(recs[0].Attributes), len(want))
	}
	for k, v := range recs[0].Attributes {
		if w, ok := want[k]; !ok || v.Kind() != w.kind {
			t.Errorf("written %s %v (%v): not in the catalogue with that kind", k, v, v.Kind())
		}
	}
}
