package tailnet_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/tailnet"
)

// feedConfig is a custom feed's configuration writing under namespace ns.
func feedConfig(ns, secret string) tailnet.IntegrationConfig {
	return tailnet.IntegrationConfig{CloudID: ptr("https://inventory.example.com"), TenantID: ptr(ns), ClientSecret: ptr(secret)}
}

// TestCreateDeclaredNamespaceRefused: a feed's namespace may not be a
// built-in one nor another provider's, nor malformed, and its secret must
// be a token or a certificate and key; a refused create stores nothing.
func TestCreateDeclaredNamespaceRefused(t *testing.T) {
	for _, tt := range []struct {
		name, ns, secret, want string
	}{
		{"a provider's namespace", "fleet", "tok", `tenantId: the attribute namespace "fleet" is already Postern's or another provider's; choose another`},
		{"another provider's", "sentinelOne", "tok", `the attribute namespace "sentinelOne" is already`},
		{"built in", "custom", "tok", `the attribute namespace "custom" is already`},
		{"built in node", "node", "tok", `the attribute namespace "node" is already`},
		{"malformed", "Acme", "tok", `must be 2 to 32 letters and digits`},
		{"missing", "", "tok", `tenantId is required for feed`},
		{"bad PEM", "acme", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a client certificate followed by its private key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 0)
			ctx := context.Background()
			events := f.events(t, "")
			_, err := f.svc.CreateIntegration(ctx, ac, f.tn.ID, "feed", feedConfig(tt.ns, tt.secret))
			if postern.ErrorCode(err) != postern.EINVALID || !strings.Contains(postern.ErrorMessage(err), tt.want) {
				t.Errorf("got %v (message %q), want EINVALID containing %q", err, postern.ErrorMessage(err), tt.want)
			}
			if all, _ := f.st.Integrations(ctx, f.tn.ID); len(all) != 0 {
				t.Errorf("a refused create stored %d integrations", len(all))
			}
			if n := f.events(t, "") - events; n != 0 {
				t.Errorf("a refused create wrote %d audit events", n)
			}
		})
	}
}

// TestUpdateDeclaredNamespaceRefused: moving a feed onto a provider's
// namespace is refused and changes nothing.
func TestUpdateDeclaredNamespaceRefused(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	in, err := f.svc.CreateIntegration(ctx, ac, f.tn.ID, "feed", feedConfig("acme", "tok"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.UpdateIntegration(ctx, ac, f.tn.ID, in.ID, tailnet.IntegrationConfig{TenantID: ptr("kandji")})
	if postern.ErrorCode(err) != postern.EINVALID {
		t.Errorf("got %v, want EINVALID", err)
	}
	if got, _ := f.st.Integration(ctx, in.ID); got.TenantID != "acme" {
		t.Errorf("got tenantId %q after a refused update, want acme", got.TenantID)
	}
}

// TestPolicyDeclaredNamespace: before the feed's first sync any acme:
// name is accepted; after it, the declared schema is the namespace's
// catalogue, so a wrong type or an undeclared name is refused at its
// line:col and nothing is saved.
func TestPolicyDeclaredNamespace(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	policyWith := func(cond string) string {
		return "{\n  \"postures\": {\n    \"posture:x\": [\"" + cond + "\"],\n  },\n  \"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\"], \"srcPosture\": [\"posture:x\"]}],\n}"
	}
	save := func(cond string) error {
		cur, err := tailnet.CurrentPolicy(ctx, f.st, f.tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.SetPolicy(ctx, ac, f.tn.ID, policyWith(cond), cur.ETag)
		return err
	}
	if err := save("acme:diskEncrypted == true"); err == nil || !strings.Contains(err.Error(), "acme") {
		t.Errorf("without a feed: got %v, want the unknown namespace acme refused", err)
	}
	in, err := f.svc.CreateIntegration(ctx, ac, f.tn.ID, "feed", feedConfig("acme", "tok"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cond := range []string{"acme:anything == 'x'", "acme:diskEncrypted == true", "acme:score >= 3"} {
		if err := save(cond); err != nil {
			t.Errorf("before the first sync, %s: got %v, want it accepted", cond, err)
		}
	}

	schema := `{"attributes":{"diskEncrypted":{"type":"bool"},"tier":{"type":"string","values":["gold","silver"]},"agent":{"type":"version"}}}`
	if err := f.svc.SetIntegrationStatus(ctx, in.ID, postern.IntegrationStatus{Schema: schema}); err != nil {
		t.Fatal(err)
	}
	for _, cond := range []string{"acme:diskEncrypted == true", "acme:diskEncrypted", "acme:tier IN ['gold']", "acme:agent >= '1.2'"} {
		if err := save(cond); err != nil {
			t.Errorf("after the first sync, %s: got %v, want it accepted", cond, err)
		}
	}
	before, _ := tailnet.CurrentPolicy(ctx, f.st, f.tn.ID)
	for _, tt := range []struct {
		cond      string
		line, col int
		msg       string
	}{
		{"acme:diskEncrypted == 'x'", 3, 42, `acme:diskEncrypted is a bool, not a string like 'x'`},
		{"acme:unknown", 3, 20, `unknown attribute acme:unknown`},
		{"acme:tier == 'bronze'", 3, 33, `acme:tier takes one of 'gold', 'silver', not 'bronze'`},
	} {
		t.Run(tt.cond, func(t *testing.T) {
			err := save(tt.cond)
			var pe *policy.Error
			if postern.ErrorCode(err) != postern.EINVALID || !errors.As(err, &pe) {
				t.Fatalf("got %v, want EINVALID with a *policy.Error", err)
			}
			if pe.Line != tt.line || pe.Col != tt.col || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("got %d:%d %q, want %d:%d containing %q", pe.Line, pe.Col, pe.Msg, tt.line, tt.col, tt.msg)
			}
		})
	}
	if cur, _ := tailnet.CurrentPolicy(ctx, f.st, f.tn.ID); cur.ETag != before.ETag {
		t.Errorf("a refused save changed the policy in force")
	}
}
