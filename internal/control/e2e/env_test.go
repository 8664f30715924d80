package e2e

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tailscale.com/tailcfg"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/control"
	"github.com/postern/postern/internal/keys"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
	"github.com/postern/postern/internal/tsclient"
)

// bins are the tailscaled and tailscale built once for this test binary;
// buildErr says why not.
var (
	bins     tsclient.Binaries
	buildErr error
)

func TestMain(m *testing.M) { os.Exit(tsclient.RunTests(m, &bins, &buildErr)) }

// env is a control server on loopback with an in-memory store, a tailnet,
// a user alice@example.com and a policy the test controls.
type env struct {
	t     *testing.T
	st    store.Store
	pol   *testPolicy
	srv   *control.Server
	w     *tailnet.Service // the writer the server commits through
	url   string
	tn    postern.Tailnet
	alice postern.User

	mu        sync.Mutex
	nodeAttrs map[int64]map[string]postern.Value
}

func newEnv(t *testing.T, settings postern.TailnetSettings, tune ...func(*control.Config)) *env {
	t.Helper()
	tsclient.RequireBuilt(t, buildErr)
	ctx := context.Background()
	e := &env{t: t, st: storetest.New(t), nodeAttrs: map[int64]map[string]postern.Value{}}
	e.tn = postern.Tailnet{Name: "example.com", Settings: settings, Created: time.Now()}
	must(t, e.st.CreateTailnet(ctx, &e.tn))
	e.alice = postern.User{TailnetID: e.tn.ID, LoginName: "alice@example.com", DisplayName: "Alice", Role: postern.RoleAdmin}
	must(t, e.st.CreateUser(ctx, &e.alice))
	e.pol = &testPolicy{st: e.st, tailnet: e.tn.ID, denied: map[int64]bool{},
		tagOwners: map[string][]string{"tag:client": {"alice@example.com"}, "tag:server": {"alice@example.com"}}}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	e.url = "http://" + ln.Addr().String()
	logw := &testWriter{t: t}
	cfg := control.Config{
		ServerURL:  e.url,
		DataDir:    t.TempDir(),
		Store:      e.st,
		Policy:     e.pol,
		Logger:     slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BaseDomain: "example.postern.internal",
		OnHostinfo: func(id int64, attrs map[string]postern.Value) {
			e.mu.Lock()
			e.nodeAttrs[id] = attrs
			e.mu.Unlock()
		},
	}
	for _, f := range tune {
		f(&cfg)
	}
	// The writer's device changes reach the server as the policy engine
	// would send them: every client recomputes.
	w := tailnet.New(e.st, cfg.Logger, cfg.Now)
	w.Subscribe(func(c tailnet.Change) {
		e.srv.Notify(control.Change{AllFilters: true, AllPeers: true, Added: c.DevicesAdded, Removed: c.DevicesRemoved, Updated: c.DevicesUpdated, DNS: c.DNS})
	})
	cfg.Writer, e.w = w, w
	e.srv, err = control.New(cfg)
	must(t, err)
	hs := &http.Server{Handler: e.srv.Handler()}
	go hs.Serve(ln)
	t.Cleanup(func() {
		e.srv.Close()
		hs.Close()
		logw.stop()
	})
	return e
}

// authKey stores a new auth key of alice's with k's capabilities and
// returns its text.
func (e *env) authKey(k postern.Key) string {
	k.Type, k.TailnetID, k.UserID, k.Created = postern.KeyTypeAuth, e.tn.ID, e.alice.ID, time.Now()
	text := keys.Mint(&k)
	must(e.t, e.st.CreateKey(context.Background(), &k))
	return text
}

// node starts a tailscaled called name, stopped when the test ends.
func (e *env) node(name string, opt tsclient.NodeOptions) *tsclient.Node {
	e.t.Helper()
	dir, err := os.MkdirTemp("", "pn-"+name)
	must(e.t, err)
	n, err := tsclient.Start(context.Background(), bins, name, dir, opt)
	must(e.t, err)
	e.t.Cleanup(func() {
		n.Stop()
		if e.t.Failed() {
			e.t.Logf("tailscaled %s log tail:\n%s", name, n.Tail(40))
		}
		os.RemoveAll(dir)
	})
	return n
}

// serialOptions returns options giving node name its own SMBIOS serial,
// and whether that is possible here (it needs root for unshare -m).
func (e *env) serialOptions(name, serial string) (tsclient.NodeOptions, bool) {
	if os.Geteuid() != 0 {
		return tsclient.NodeOptions{}, false
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return tsclient.NodeOptions{}, false
	}
	opt, err := tsclient.WithSerial(e.t.TempDir(), serial)
	must(e.t, err)
	return opt, true
}

// device returns the stored device with hostname, waiting for it.
func (e *env) device(hostname string) postern.Device {
	e.t.Helper()
	var d postern.Device
	waitFor(e.t, 30*time.Second, "device "+hostname+" registered", func() bool {
		devs, _ := e.st.Devices(context.Background(), e.tn.ID)
		for _, x := range devs {
			if x.Hostname == hostname {
				d = x
				return true
			}
		}
		return false
	})
	return d
}

// allIDs lists every device id, for Changes that touch all filters.
func (e *env) allIDs() []int64 {
	devs, _ := e.st.Devices(context.Background(), e.tn.ID)
	var ids []int64
	for _, d := range devs {
		ids = append(ids, d.ID)
	}
	return ids
}

// testPolicy lets every device see every other; each device's filter
// accepts all ports from every device not in denied. Tags may be applied
// by their owners in tagOwners.
type testPolicy struct {
	st      store.Store
	tailnet string

	mu        sync.Mutex
	denied    map[int64]bool
	tagOwners map[string][]string
}

func (p *testPolicy) setDenied(id int64, denied bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.denied[id] = denied
}

func (p *testPolicy) Peers(id int64) []int64 {
	devs, _ := p.st.Devices(context.Background(), p.tailnet)
	var out []int64
	for _, d := range devs {
		if d.ID != id {
			out = append(out, d.ID)
		}
	}
	return out
}

func (p *testPolicy) Filter(id int64) []tailcfg.FilterRule {
	devs, _ := p.st.Devices(context.Background(), p.tailnet)
	p.mu.Lock()
	defer p.mu.Unlock()
	var srcs []string
	for _, d := range devs {
		if d.ID == id || p.denied[d.ID] {
			continue
		}
		for _, a := range d.Addresses() {
			srcs = append(srcs, a.String())
		}
	}
	if len(srcs) == 0 {
		return nil
	}
	return []tailcfg.FilterRule{{
		SrcIPs:   srcs,
		DstPorts: []tailcfg.NetPortRange{{IP: "*", Ports: tailcfg.PortRangeAny}},
	}}
}

func (p *testPolicy) TagsAllowed(owner string, tags []string) error {
	var bad []string
	for _, t := range tags {
		if !slices.Contains(p.tagOwners[t], owner) {
			bad = append(bad, t)
		}
	}
	if len(bad) > 0 {
		return errors.New("tagOwners does not let " + owner + " apply " + strings.Join(bad, ", "))
	}
	return nil
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond every 20ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testWriter sends the server's log to t.Log until the test ends.
type testWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
