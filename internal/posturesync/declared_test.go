package posturesync_test

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/postern/postern"
	fakefeed "github.com/postern/postern/internal/fakes/feed"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/posturesync"
	"github.com/postern/postern/internal/providers"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
)

// TestDefaultSourceFeed syncs a custom feed through the real engine: its
// attributes are written as acme:<name> on the devices matched by serial
// and by MAC, and the schema it declared is stored, so that a policy save
// checks acme: against it. A later listing that breaks the schema
// changes nothing stored and says why in one sentence.
func TestDefaultSourceFeed(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	tn := storetest.NewTailnet(t, st)
	svc := tailnet.New(st, slog.New(slog.DiscardHandler), nil)
	devs := []postern.Device{
		{TailnetID: tn.ID, Name: "a", Hostname: "a", Authorized: true, IPv4: netip.MustParseAddr("100.64.0.1"),
			PostureIdentity: postern.PostureIdentity{SerialNumbers: []string{"C02XSERIAL1"}}},
		{TailnetID: tn.ID, Name: "b", Hostname: "b", Authorized: true, IPv4: netip.MustParseAddr("100.64.0.2"),
			PostureIdentity: postern.PostureIdentity{HardwareAddrs: []string{"aa:bb:cc:dd:ee:02"}}},
	}
	for i := range devs {
		if err := st.CreateDevice(ctx, &devs[i]); err != nil {
			t.Fatal(err)
		}
	}
	fake := fakefeed.NewServer(token)
	t.Cleanup(fake.Close)
	fake.SetSchema(map[string]fakefeed.Attr{"diskEncrypted": {Type: "bool"}, "tier": {Type: "string", Values: []string{"gold", "silver"}}})
	fake.SetDevices([]fakefeed.Device{
		{ID: "x1", Serials: []string{"C02XSERIAL1"}, Attributes: map[string]any{"diskEncrypted": true, "tier": "gold"}},
		{ID: "x2", MACs: []string{"AA-BB-CC-DD-EE-02"}, Attributes: map[string]any{"diskEncrypted": false}},
	})
	url, tok, ns := fake.URL(), token, "acme"
	in, err := svc.CreateIntegration(ctx, admin, tn.ID, "feed", tailnet.IntegrationConfig{CloudID: &url, TenantID: &ns, ClientSecret: &tok})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := posturesync.New(posturesync.Config{Tailnet: svc, TailnetID: tn.ID, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Sync(ctx, in.ID); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	attrs := func() map[int]map[string]postern.Value {
		out := map[int]map[string]postern.Value{}
		for i, d := range devs {
			as, err := st.Attributes(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = map[string]postern.Value{}
			for _, a := range as {
				out[i][a.Key] = a.Value
			}
		}
		return out
	}
	want := map[int]map[string]postern.Value{
		0: {"acme:diskEncrypted": postern.Bool(true), "acme:tier": postern.String("gold")},
		1: {"acme:diskEncrypted": postern.Bool(false)},
	}
	if got := attrs(); !attrsEqual(got, want) {
		t.Errorf("attributes: got %v, want %v", got, want)
	}
	got, err := st.Integration(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	const wantSchema = `{"attributes":{"diskEncrypted":{"type":"bool"},"tier":{"type":"string","values":["gold","silver"]}}}`
	if got.Status.Schema != wantSchema || got.Status.MatchedCount != 2 || got.Status.Error != "" {
		t.Errorf("status: got %+v, want 2 matched and schema %s", got.Status, wantSchema)
	}
	cur, _ := tailnet.CurrentPolicy(ctx, st, tn.ID)
	pol := func(cond string) string {
		return `{"postures": {"posture:x": ["` + cond + `"]}, "acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"], "srcPosture": ["posture:x"]}]}`
	}
	saved, err := svc.SetPolicy(ctx, admin, tn.ID, pol("acme:diskEncrypted == true"), cur.ETag)
	if err != nil {
		t.Fatalf("a policy on a declared attribute: %v", err)
	}
	if _, err := svc.SetPolicy(ctx, admin, tn.ID, pol("acme:unknown IS SET"), saved.ETag); postern.ErrorCode(err) != postern.EINVALID {
		t.Errorf("a policy on an undeclared attribute: got %v, want EINVALID", err)
	}
	// The policy in force, read leniently as the control server does,
	// admits the encrypted device and not the other.
	p, err := policy.Parse([]byte(saved.Text), providers.Catalog().Lenient())
	if err != nil {
		t.Fatalf("parsing the policy in force leniently: %v", err)
	}
	users, nodes, err := tailnet.PolicyInputs(ctx, st, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := policy.Compile(p, users, nodes)
	if err != nil {
		t.Fatal(err)
	}
	if d := compiled.Check(devs[0].ID, devs[1].IPv4, 6, 22); !d.Allowed {
		t.Errorf("the device with acme:diskEncrypted true: got %+v, want allowed", d)
	}
	if d := compiled.Check(devs[1].ID, devs[0].IPv4, 6, 22); d.Allowed {
		t.Errorf("the device with acme:diskEncrypted false: got %+v, want denied", d)
	}

	// The feed now breaks its schema: nothing stored changes.
	fake.Update("x2", func(d *fakefeed.Device) { d.Attributes["tier"] = "bronze" })
	if _, err := eng.Sync(ctx, in.ID); err == nil {
		t.Fatal("Sync of a listing that breaks its schema: got no error")
	}
	if got := attrs(); !attrsEqual(got, want) {
		t.Errorf("attributes after a refused listing: got %v, want unchanged %v", got, want)
	}
	after, _ := st.Integration(ctx, in.ID)
	if after.Status.Schema != wantSchema || after.Status.MatchedCount != 2 {
		t.Errorf("status after a refused listing: got %+v, want the schema and counts kept", after.Status)
	}
	const wantErr = `The feed's page 1 is invalid: device "x2" has tier = "bronze", which is not one of the values the schema declares.`
	if after.Status.Error != wantErr || strings.Count(after.Status.Error, ". ") > 0 {
		t.Errorf("status error: got %q, want %q", after.Status.Error, wantErr)
	}
}
