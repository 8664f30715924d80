package netmap

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/control"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
)

const testPolicy = `{
	"groups": {"group:eng": ["bob@example.com"]},
	"tagOwners": {"tag:db": ["group:eng"], "tag:web": []},
	"postures": {"posture:managed": ["custom:managed == true"]},
	"acls": [
		{"action": "accept", "src": ["group:eng"], "dst": ["tag:db:5432"], "srcPosture": ["posture:managed"]},
	],
}`

// harness is a store with a tailnet, users and devices, a writer and an
// engine whose notifications are recorded.
type harness struct {
	svc             *tailnet.Service
	eng             *Engine
	tid             string
	laptop, db, web postern.Device

	mu   sync.Mutex
	got  []control.Change
	note chan struct{}
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	tn := storetest.NewTailnet(t, st)
	log := slog.New(slog.DiscardHandler)
	h := &harness{svc: tailnet.New(st, log, nil), tid: tn.ID, note: make(chan struct{}, 16)}
	ac := audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}
	bob, err := h.svc.CreateUser(ctx, ac, tn.ID, "bob@example.com", "", postern.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.CreateUser(ctx, ac, tn.ID, "root@example.com", "", postern.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, tags ...string) postern.Device {
		d := postern.Device{TailnetID: tn.ID, UserID: bob.ID, Hostname: name, Tags: tags, Authorized: true, MachineKey: "mkey:" + name}
		if err := st.CreateDevice(ctx, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	h.laptop, h.db, h.web = mk("laptop"), mk("db", "tag:db"), mk("web", "tag:web")
	if _, err := h.svc.SetPolicy(ctx, ac, tn.ID, testPolicy, ""); err != nil {
		t.Fatal(err)
	}
	h.eng, err = New(ctx, st, tn.ID, log)
	if err != nil {
		t.Fatal(err)
	}
	h.eng.SetNotify(func(c control.Change) {
		h.mu.Lock()
		h.got = append(h.got, c)
		h.mu.Unlock()
		h.note <- struct{}{}
	})
	h.svc.Subscribe(h.eng.OnChange)
	runCtx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go h.eng.Run(runCtx)
	return h
}

// next waits for the engine's next notification.
func (h *harness) next(t *testing.T) control.Change {
	t.Helper()
	select {
	case <-h.note:
	case <-time.After(5 * time.Second):
		t.Fatal("no notification from the engine within 5s")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got[len(h.got)-1]
}

func (h *harness) setManaged(t *testing.T, v bool) {
	t.Helper()
	ac := audit.Context{Origin: audit.OriginAPI, Actor: audit.Service("test")}
	err := h.svc.SetCustomAttributes(context.Background(), ac, h.tid,
		map[int64][]tailnet.AttrUpdate{h.laptop.ID: {{Key: "custom:managed", Value: postern.Bool(v)}}}, "")
	if err != nil {
		t.Fatal(err)
	}
}

func TestPostureFlipNotifiesOnlyAffectedDevices(t *testing.T) {
	h := newHarness(t)
	if f := h.eng.Filter(h.db.ID); len(f) != 0 {
		t.Fatalf("db filter before posture: got %v, want none", f)
	}
	h.setManaged(t, true)
	c := h.next(t)
	if c.AllFilters || !slices.Contains(c.Filters, h.db.ID) || slices.Contains(c.Filters, h.web.ID) {
		t.Errorf("got %+v, want db's filter (not web's, not all) to change", c)
	}
	f := h.eng.Filter(h.db.ID)
	if len(f) != 1 || !slices.Contains(f[0].SrcIPs, h.laptop.IPv4.String()) {
		t.Errorf("db filter after posture: got %+v, want one rule admitting the laptop", f)
	}
	if d := h.eng.Check(h.laptop.ID, h.db.IPv4, 6, 5432); !d.Allowed {
		t.Errorf("Check after posture: got %+v, want allowed", d)
	}
	h.setManaged(t, false)
	h.next(t)
	if f := h.eng.Filter(h.db.ID); len(f) != 0 {
		t.Errorf("db filter after posture lost: got %v, want none", f)
	}
}

func TestPolicyAndDeviceChangesRecompile(t *testing.T) {
	h := newHarness(t)
	ac := audit.Context{Origin: audit.OriginAPI, Actor: audit.Service("test")}
	if _, err := h.svc.SetPolicy(context.Background(), ac, h.tid, `{"acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}]}`, ""); err != nil {
		t.Fatal(err)
	}
	if c := h.next(t); !c.AllFilters || !c.AllPeers {
		t.Errorf("policy change: got %+v, want all filters and peers", c)
	}
	if f := h.eng.Filter(h.web.ID); len(f) == 0 {
		t.Errorf("web filter under allow-all: got none")
	}
	if err := h.svc.DeleteDevice(context.Background(), ac, h.tid, h.web.ID); err != nil {
		t.Fatal(err)
	}
	if c := h.next(t); !slices.Contains(c.Removed, h.web.ID) {
		t.Errorf("device removal: got %+v, want web removed", c)
	}
	if p := h.eng.Peers(h.laptop.ID); slices.Contains(p, h.web.ID) {
		t.Errorf("laptop still peers with the deleted web: %v", p)
	}
}

func TestTagsAllowed(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		owner string
		tags  []string
		ok    bool
	}{
		{"bob@example.com", []string{"tag:db"}, true},   // through group:eng
		{"bob@example.com", []string{"tag:web"}, false}, // [] means admins only
		{"root@example.com", []string{"tag:web", "tag:db"}, true},
		{"root@example.com", []string{"tag:nope"}, false}, // undefined tags are refused to everyone
		{"carol@example.com", []string{"tag:db"}, false},
	} {
		err := h.eng.TagsAllowed(tc.owner, tc.tags)
		if (err == nil) != tc.ok {
			t.Errorf("TagsAllowed(%s, %v): got %v, want ok=%v", tc.owner, tc.tags, err, tc.ok)
		}
	}
}

func TestDNSChangeReachesControlWithoutRecompile(t *testing.T) {
	h := newHarness(t)
	ac := audit.Context{Origin: audit.OriginAPI, Actor: audit.Service("test")}
	if _, err := h.svc.UpdateDNS(context.Background(), ac, h.tid, func(d *postern.DNS) error {
		d.Nameservers = []string{"9.9.9.9"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c := h.next(t)
	if !c.DNS || c.AllFilters || c.AllPeers || len(c.Filters)+len(c.Peers) > 0 {
		t.Errorf("DNS change: got %+v, want DNS only", c)
	}
}
