package control

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/types/key"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
	"github.com/postern/postern/internal/tailnet"
)

// fakePolicy answers from maps the test sets, and counts Filter calls so
// tests can check that only affected devices are recomputed.
type fakePolicy struct {
	mu          sync.Mutex
	peers       map[int64][]int64
	filter      map[int64][]tailcfg.FilterRule
	filterCalls map[int64]int
	// peersFn, if set, answers Peers instead of the peers map.
	peersFn func(int64) []int64
}

func newFakePolicy() *fakePolicy {
	return &fakePolicy{peers: map[int64][]int64{}, filter: map[int64][]tailcfg.FilterRule{}, filterCalls: map[int64]int{}}
}

func (p *fakePolicy) Peers(id int64) []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.peersFn != nil {
		return p.peersFn(id)
	}
	return p.peers[id]
}

func (p *fakePolicy) Filter(id int64) []tailcfg.FilterRule {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.filterCalls[id]++
	return p.filter[id]
}

func (p *fakePolicy) TagsAllowed(string, []string) error { return nil }

func (p *fakePolicy) calls(id int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.filterCalls[id]
}

// testServer is a Server on a fresh SQLite store with one tailnet and user.
type testServer struct {
	*Server
	st   store.Store
	pol  *fakePolicy
	tn   postern.Tailnet
	user postern.User
	w    *tailnet.Service // the writer the server commits through
}

func newTestServer(tb testing.TB, tune ...func(*Config)) *testServer {
	tb.Helper()
	return newTestServerOn(tb, storetest.New(tb), tune...)
}

// newTestServerOn is newTestServer on the empty store st.
func newTestServerOn(tb testing.TB, st store.Store, tune ...func(*Config)) *testServer {
	tb.Helper()
	ts := &testServer{st: st, pol: newFakePolicy(), tn: storetest.NewTailnet(tb, st)}
	ts.user = postern.User{TailnetID: ts.tn.ID, LoginName: "alice@example.com", Role: postern.RoleAdmin}
	if err := st.CreateUser(context.Background(), &ts.user); err != nil {
		tb.Fatal(err)
	}
	cfg := Config{
		ServerURL: "http://127.0.0.1:9",
		DataDir:   tb.TempDir(),
		Store:     st,
		Policy:    ts.pol,
		Logger:    slog.New(slog.DiscardHandler),
		Coalesce:  5 * time.Millisecond,
	}
	for _, f := range tune {
		f(&cfg)
	}
	var s *Server
	w := tailnet.New(st, cfg.Logger, cfg.Now)
	w.Subscribe(func(c tailnet.Change) { s.Notify(engineChange(c)) })
	cfg.Writer = w
	ts.w = w
	s, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	ts.Server = s
	return ts
}

// engineChange is what the policy engine sends the server after the
// writer's device change c: every client recomputes, and the devices c
// names are added, removed or reloaded.
func engineChange(c tailnet.Change) Change {
	return Change{AllFilters: true, AllPeers: true, Added: c.DevicesAdded, Removed: c.DevicesRemoved, Updated: c.DevicesUpdated, DNS: c.DNS}
}

// addDevice stores a registered device called name.
func (ts *testServer) addDevice(tb testing.TB, name string) postern.Device {
	tb.Helper()
	d := postern.Device{
		TailnetID: ts.tn.ID, UserID: ts.user.ID, Name: name, Hostname: name,
		MachineKey: key.NewMachine().Public().String(), NodeKey: key.NewNode().Public().String(),
		Authorized: true, Created: time.Now(),
	}
	if err := ts.st.CreateDevice(context.Background(), &d); err != nil {
		tb.Fatal(err)
	}
	return d
}

// recorder is a map stream's http.ResponseWriter that decodes each
// length-prefixed message. If gate is set, writes wait until it is closed.
type recorder struct {
	gate chan struct{}
	msgs chan *tailcfg.MapResponse
	hdr  http.Header

	mu  sync.Mutex
	buf []byte
}

func newRecorder() *recorder {
	return &recorder{msgs: make(chan *tailcfg.MapResponse, 1000), hdr: http.Header{}}
}

func (r *recorder) Header() http.Header { return r.hdr }
func (r *recorder) WriteHeader(int)     {}
func (r *recorder) Flush()              {}

func (r *recorder) Write(p []byte) (int, error) {
	if r.gate != nil {
		<-r.gate
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, p...)
	for len(r.buf) >= 4 {
		n := int(binary.LittleEndian.Uint32(r.buf))
		if len(r.buf) < 4+n {
			break
		}
		m := new(tailcfg.MapResponse)
		if err := json.Unmarshal(r.buf[4:4+n], m); err != nil {
			return 0, err
		}
		r.buf = r.buf[4+n:]
		r.msgs <- m
	}
	return len(p), nil
}

// next returns the next message, failing after a second.
func (r *recorder) next(tb testing.TB) *tailcfg.MapResponse {
	tb.Helper()
	select {
	case m := <-r.msgs:
		return m
	case <-time.After(2 * time.Second):
		tb.Fatal("no map message within 2s")
		return nil
	}
}

// none fails if a message arrives within d.
func (r *recorder) none(tb testing.TB, d time.Duration) {
	tb.Helper()
	select {
	case m := <-r.msgs:
		tb.Fatalf("got unexpected map message %+v, want none", m)
	case <-time.After(d):
	}
}

// connect runs a streaming map session for d and returns its recorder
// after the first, full map (returned too).
func (ts *testServer) connect(tb testing.TB, d postern.Device) (*recorder, *tailcfg.MapResponse) {
	tb.Helper()
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ts.stream(ctx, rec, &d, &tailcfg.MapRequest{Version: tailcfg.CurrentCapabilityVersion, Stream: true, NodeKey: nodeKeyOf(d.NodeKey)})
	}()
	tb.Cleanup(func() {
		cancel()
		if rec.gate != nil {
			select {
			case <-rec.gate:
			default:
				close(rec.gate)
			}
		}
		<-done
	})
	return rec, rec.next(tb)
}

// nodeKeyOf parses a stored node key.
func nodeKeyOf(text string) key.NodePublic {
	var k key.NodePublic
	k.UnmarshalText([]byte(text))
	return k
}
