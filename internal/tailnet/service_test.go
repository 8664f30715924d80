package tailnet_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
)

var ac = audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}

// fixture is a writer over a fresh store, with a clock the test moves and
// the changes the writer emitted.
type fixture struct {
	svc  *tailnet.Service
	st   store.Store
	tn   postern.Tailnet
	now  time.Time
	devs []postern.Device

	mu      sync.Mutex
	changes []tailnet.Change
}

func newFixture(t *testing.T, devices int) *fixture {
	t.Helper()
	f := &fixture{st: storetest.New(t), now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	f.tn = storetest.NewTailnet(t, f.st)
	f.svc = tailnet.New(f.st, slog.New(slog.DiscardHandler), func() time.Time { return f.now })
	f.svc.Subscribe(func(c tailnet.Change) {
		f.mu.Lock()
		f.changes = append(f.changes, c)
		f.mu.Unlock()
	})
	u, err := f.svc.CreateUser(context.Background(), ac, f.tn.ID, "ann@example.com", "", postern.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < devices; i++ {
		d := postern.Device{TailnetID: f.tn.ID, UserID: u.ID, Hostname: "dev", Authorized: true}
		if err := f.st.CreateDevice(context.Background(), &d); err != nil {
			t.Fatal(err)
		}
		f.devs = append(f.devs, d)
	}
	return f
}

func (f *fixture) lastChange() tailnet.Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.changes) == 0 {
		return tailnet.Change{}
	}
	return f.changes[len(f.changes)-1]
}

func (f *fixture) events(t *testing.T, event string) int {
	t.Helper()
	evs, err := f.st.AuditEvents(context.Background(), postern.AuditFilter{TailnetID: f.tn.ID, Event: event})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func TestReplaceAttributesWritesOnlyChanges(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	src := postern.IntegrationSource("pcX")
	a, b, c := f.devs[0].ID, f.devs[1].ID, f.devs[2].ID
	want := map[int64]map[string]postern.Value{
		a: {"fleet:present": postern.Bool(true)},
		b: {"fleet:present": postern.Bool(true), "fleetPolicy:disk": postern.Bool(false)},
	}
	changed, err := f.svc.ReplaceAttributes(ctx, ac, f.tn.ID, src, nil, want)
	if err != nil || len(changed) != 2 {
		t.Fatalf("first sync: got %v, %v; want 2 devices changed", changed, err)
	}
	// The same desired state again writes and audits nothing.
	before := f.events(t, "NODE.UPDATE.ATTRIBUTES")
	changed, err = f.svc.ReplaceAttributes(ctx, ac, f.tn.ID, src, nil, want)
	if err != nil || len(changed) != 0 || f.events(t, "NODE.UPDATE.ATTRIBUTES") != before {
		t.Fatalf("repeat: got %v, %v and %d new events; want nothing", changed, err, f.events(t, "NODE.UPDATE.ATTRIBUTES")-before)
	}
	// b flips, a disappears from the vendor, c appears.
	next := map[int64]map[string]postern.Value{
		b: {"fleet:present": postern.Bool(true), "fleetPolicy:disk": postern.Bool(true)},
		c: {"fleet:present": postern.Bool(true)},
	}
	changed, err = f.svc.ReplaceAttributes(ctx, ac, f.tn.ID, src, nil, next)
	if err != nil || len(changed) != 3 {
		t.Fatalf("third sync: got %v, %v; want a, b and c changed", changed, err)
	}
	if got := f.lastChange().AttrsChanged; len(got) != 3 {
		t.Errorf("emitted change: got %v, want the three devices", got)
	}
	if as, _ := f.st.Attributes(ctx, a); len(as) != 0 {
		t.Errorf("a kept %v after the vendor stopped reporting it", as)
	}
	// Another source's attributes on the same device are untouched.
	f.svc.ReplaceAttributes(ctx, ac, f.tn.ID, postern.SourceNode, []int64{b}, map[int64]map[string]postern.Value{b: {"node:os": postern.String("linux")}})
	f.svc.ReplaceAttributes(ctx, ac, f.tn.ID, src, nil, nil)
	as, _ := f.st.Attributes(ctx, b)
	if len(as) != 1 || as[0].Key != "node:os" {
		t.Errorf("b after the integration emptied: got %v, want only node:os", as)
	}
}

func TestExpireAttributes(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	id := f.devs[0].ID
	err := f.svc.SetCustomAttributes(ctx, ac, f.tn.ID, map[int64][]tailnet.AttrUpdate{id: {
		{Key: "custom:jit", Value: postern.Bool(true), Expiry: f.now.Add(time.Hour)},
		{Key: "custom:tier", Value: postern.String("prod")},
	}}, "approved")
	if err != nil {
		t.Fatal(err)
	}
	if devs, err := f.svc.ExpireAttributes(ctx, f.tn.ID); err != nil || len(devs) != 0 {
		t.Fatalf("before expiry: got %v, %v; want nothing expired", devs, err)
	}
	f.now = f.now.Add(time.Hour)
	devs, err := f.svc.ExpireAttributes(ctx, f.tn.ID)
	if err != nil || len(devs) != 1 || devs[0] != id {
		t.Fatalf("at expiry: got %v, %v; want the device", devs, err)
	}
	as, _ := f.st.Attributes(ctx, id)
	if len(as) != 1 || as[0].Key != "custom:tier" {
		t.Errorf("after expiry: got %v, want only custom:tier", as)
	}
	if got := f.lastChange().AttrsChanged; len(got) != 1 {
		t.Errorf("emitted change: got %v, want the device", got)
	}
	if f.events(t, "NODE.DELETE.ATTRIBUTES") != 1 {
		t.Errorf("expiry not audited as NODE.DELETE.ATTRIBUTES")
	}
	if err := f.svc.SetCustomAttributes(ctx, ac, f.tn.ID, map[int64][]tailnet.AttrUpdate{id: {
		{Key: "custom:jit", Value: postern.Bool(true), Expiry: f.now.Add(-time.Minute)},
	}}, ""); postern.ErrorCode(err) != postern.EINVALID {
		t.Errorf("expiry in the past: got %v, want EINVALID", err)
	}
}

func TestSetPolicy(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	cur, err := tailnet.CurrentPolicy(ctx, f.st, f.tn.ID)
	if err != nil || cur.ETag != tailnet.DefaultETag || cur.Version != 0 {
		t.Fatalf("before any save: got %+v, %v; want the default", cur, err)
	}
	p1 := `{"acls": [{"action": "accept", "src": ["*"], "dst": ["*:22"]}]}`
	saved, err := f.svc.SetPolicy(ctx, ac, f.tn.ID, p1, tailnet.DefaultETag)
	if err != nil || saved.Version != 1 || !f.lastChange().Policy {
		t.Fatalf("first save with If-Match ts-default: got %+v, %v", saved, err)
	}
	if _, err := f.svc.SetPolicy(ctx, ac, f.tn.ID, p1, tailnet.DefaultETag); postern.ErrorCode(err) != postern.EPRECONDITION {
		t.Errorf("ts-default after a save: got %v, want EPRECONDITION", err)
	}
	bad := `{"acls": [{"action": "accept", "src": ["*"], "dst": ["*:22"]}], "tests": [{"src": "ann@example.com", "deny": ["100.64.0.1:22"]}]}`
	_, err = f.svc.SetPolicy(ctx, ac, f.tn.ID, bad, saved.ETag)
	if postern.ErrorCode(err) != postern.EINVALID || !strings.Contains(err.Error(), "test(s) failed") {
		t.Errorf("failing tests: got %v, want EINVALID test(s) failed", err)
	}
	if cur, _ := tailnet.CurrentPolicy(ctx, f.st, f.tn.ID); cur.Text != p1 {
		t.Errorf("policy in force changed by a rejected save")
	}
	if f.events(t, "TAILNET.UPDATE.ACL") != 1 {
		t.Errorf("got %d ACL events, want 1", f.events(t, "TAILNET.UPDATE.ACL"))
	}
}

func TestDeleteIntegrationRemovesItsAttributes(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	cloud, secret := "https://fleet.example.com", "tok"
	in, err := f.svc.CreateIntegration(ctx, ac, f.tn.ID, "fleet", tailnet.IntegrationConfig{CloudID: &cloud, ClientSecret: &secret})
	if err != nil {
		t.Fatal(err)
	}
	id := f.devs[0].ID
	f.svc.ReplaceAttributes(ctx, ac, f.tn.ID, postern.IntegrationSource(in.ID), nil, map[int64]map[string]postern.Value{id: {"fleet:present": postern.Bool(true)}})
	f.svc.SetCustomAttributes(ctx, ac, f.tn.ID, map[int64][]tailnet.AttrUpdate{id: {{Key: "custom:x", Value: postern.Number(1)}}}, "")
	if err := f.svc.DeleteIntegration(ctx, ac, f.tn.ID, in.ID); err != nil {
		t.Fatal(err)
	}
	as, _ := f.st.Attributes(ctx, id)
	if len(as) != 1 || as[0].Key != "custom:x" {
		t.Errorf("after delete: got %v, want only custom:x", as)
	}
	if got := f.lastChange().AttrsChanged; len(got) != 1 || got[0] != id {
		t.Errorf("emitted change: got %v, want the device", got)
	}
}

func TestCreateKeyRules(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	owner, created, err := f.svc.Owner(ctx, ac, f.tn.ID)
	if err != nil || created || owner.LoginName != "ann@example.com" {
		t.Fatalf("Owner: got %+v created=%v, %v; want the existing admin", owner, created, err)
	}
	for name, r := range map[string]tailnet.KeyRequest{
		"bad tag":           {Type: postern.KeyTypeAuth, UserID: owner.ID, Tags: []string{"server"}},
		"api key with tags": {Type: postern.KeyTypeAPI, UserID: owner.ID, Tags: []string{"tag:x"}},
		"expiry too long":   {Type: postern.KeyTypeAuth, UserID: owner.ID, Expiry: 400 * 24 * time.Hour},
		"unknown owner":     {Type: postern.KeyTypeAuth, UserID: "unobody"},
		"negative lifetime": {Type: postern.KeyTypeAuth, UserID: owner.ID, Expiry: -time.Second},
	} {
		if _, _, err := f.svc.CreateKey(ctx, ac, f.tn.ID, r); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
	keys, _ := f.st.Keys(ctx, f.tn.ID)
	if len(keys) != 0 {
		t.Errorf("rejected requests stored %d keys", len(keys))
	}
	text, k, err := f.svc.CreateKey(ctx, ac, f.tn.ID, tailnet.KeyRequest{Type: postern.KeyTypeAuth, UserID: owner.ID, Tags: []string{"tag:b", "tag:a", "tag:b"}})
	if err != nil || !strings.HasPrefix(text, "tskey-auth-") || strings.Join(k.Tags, ",") != "tag:a,tag:b" {
		t.Fatalf("got %q %+v, %v; want a key with sorted unique tags", text, k, err)
	}
	if !k.Expires.Equal(f.now.Add(90 * 24 * time.Hour)) {
		t.Errorf("default expiry: got %v, want 90 days", k.Expires)
	}
}

func TestAccessTokensArePurgedAfterExpiry(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	owner, _, _ := f.svc.Owner(ctx, ac, f.tn.ID)
	_, client, err := f.svc.CreateKey(ctx, ac, f.tn.ID, tailnet.KeyRequest{Type: postern.KeyTypeClient, UserID: owner.ID, Scopes: []string{"devices:core:read"}})
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := f.svc.IssueAccessToken(ctx, client, client.Scopes)
	if err != nil || !tailnet.IsAccessToken(tok) || tailnet.IsAccessToken(client) {
		t.Fatalf("IssueAccessToken: got %+v, %v; want a token told apart from its client", tok, err)
	}
	if n, err := f.svc.PurgeAccessTokens(ctx, f.tn.ID); err != nil || n != 0 {
		t.Errorf("purge before expiry: got %d, %v; want 0", n, err)
	}
	f.now = f.now.Add(tailnet.AccessTokenLifetime)
	if n, err := f.svc.PurgeAccessTokens(ctx, f.tn.ID); err != nil || n != 1 {
		t.Errorf("purge at expiry: got %d, %v; want 1", n, err)
	}
	ks, _ := f.st.Keys(ctx, f.tn.ID)
	if len(ks) != 1 || ks[0].ID != client.ID {
		t.Errorf("keys after purge: got %d, want only the OAuth client", len(ks))
	}
}
