package web

import (
	"strings"
	"testing"

	"github.com/postern/postern"
)

// compliancePolicy requires posture:managed of alice's devices reaching
// the server; the server is only ever a destination.
const compliancePolicy = `{
  "tagOwners": {"tag:server": ["owner@example.com"]},
  "postures": {
    "posture:managed": ["custom:managed == true"],
    "posture:unused": ["custom:managed == true"],
  },
  "acls": [
    {"action": "accept", "src": ["alice@example.com"], "dst": ["tag:server:443"], "srcPosture": ["posture:managed"]},
  ],
}`

// complianceTailnet makes alice's passing laptop, her failing phone and
// a tagged server, under compliancePolicy.
func complianceTailnet(t *testing.T, e *env) {
	t.Helper()
	alice := e.user("alice@example.com", postern.RoleMember)
	owner, err := e.svc.Store().UserByLoginName(ctx, e.tn.ID, "owner@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPolicy(ctx, testActor, e.tn.ID, compliancePolicy, ""); err != nil {
		t.Fatalf("SetPolicy: %v", err)
	}
	devs := []postern.Device{
		{Name: "laptop", UserID: alice.ID, IPv4: mustAddr("100.64.0.1")},
		{Name: "phone", UserID: alice.ID, IPv4: mustAddr("100.64.0.2")},
		{Name: "server", UserID: owner.ID, Tags: []string{"tag:server"}, IPv4: mustAddr("100.64.0.3")},
	}
	for i := range devs {
		d := &devs[i]
		d.TailnetID, d.MachineKey, d.Authorized = e.tn.ID, "mkey:"+d.Name, true
		if err := e.svc.Store().CreateDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.Store().SetAttribute(ctx, postern.Attribute{DeviceID: devs[0].ID, Key: "custom:managed", Value: postern.Bool(true), Source: postern.SourceCustom}); err != nil {
		t.Fatal(err)
	}
}

func TestOverviewCompliance(t *testing.T) {
	e := newEnv(t, "http://x")
	ck := e.signIn(e.user("owner@example.com", postern.RoleOwner))
	complianceTailnet(t, e)

	t.Run("counts", func(t *testing.T) {
		f, err := e.c.loadTailnet(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.counts()
		if err != nil {
			t.Fatal(err)
		}
		// The server fails posture:managed but is only a destination: not
		// counted. The phone is a source and fails: counted as failing.
		want := map[string][2]int{"posture:managed": {1, 1}, "posture:unused": {0, 0}}
		if len(got) != len(want) {
			t.Fatalf("got %+v, want %v", got, want)
		}
		for _, pc := range got {
			if w := want[pc.Posture]; pc.Pass != w[0] || pc.Fail != w[1] {
				t.Errorf("%s: got pass %d fail %d, want pass %d fail %d", pc.Posture, pc.Pass, pc.Fail, w[0], w[1])
			}
		}
	})

	t.Run("page", func(t *testing.T) {
		w := e.do("GET", "/admin/", ck.Value, nil)
		body := w.Body.String()
		if w.Code != 200 {
			t.Fatalf("got %d, want 200; body:\n%s", w.Code, body)
		}
		for _, want := range []string{"1</span> of 2 devices it applies to pass", "50%", "applies to no device"} {
			if !strings.Contains(body, want) {
				t.Errorf("overview: got no %q, want it; body:\n%s", want, body)
			}
		}
		if strings.Contains(body, "33%") || strings.Contains(body, "of 3 devices") {
			t.Errorf("overview counts the destination-only server; body:\n%s", body)
		}
		if strings.Contains(body, "Add your first device") {
			t.Errorf("overview with devices: got the first-device guide, want compliance")
		}
	})

	t.Run("history", func(t *testing.T) {
		days, err := e.svc.Store().ComplianceHistory(ctx, e.tn.ID, e.svc.Now().AddDate(0, 0, -1))
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 1 {
			t.Fatalf("got %d days of history, want 1", len(days))
		}
		for _, pc := range days[0].Counts {
			if pc.Posture == "posture:managed" && (pc.Pass != 1 || pc.Fail != 1) {
				t.Errorf("recorded %+v, want pass 1 fail 1", pc)
			}
		}
	})
}

func TestOverviewEmptyTailnet(t *testing.T) {
	e := newEnv(t, "https://postern.example.com")
	ck := e.signIn(e.user("owner@example.com", postern.RoleOwner))
	if _, err := e.svc.SetPolicy(ctx, testActor, e.tn.ID, compliancePolicy, ""); err != nil {
		t.Fatalf("SetPolicy: %v", err)
	}
	w := e.do("GET", "/admin/", ck.Value, nil)
	body := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("got %d, want 200; body:\n%s", w.Code, body)
	}
	for _, want := range []string{"Add your first device", "postern authkey create --user owner@example.com", "tailscale up --login-server=https://postern.example.com --authkey="} {
		if !strings.Contains(body, want) {
			t.Errorf("empty tailnet: got no %q, want the first-device guide; body:\n%s", want, body)
		}
	}
	if strings.Contains(body, "100%</strong>") || strings.Contains(body, "Last 30 days") {
		t.Errorf("empty tailnet: got compliance figures, want none; body:\n%s", body)
	}
}
