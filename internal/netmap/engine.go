// Package netmap keeps the policy in force compiled against the tailnet's
// current devices and posture attributes, and turns each committed change
// into what the control server must send: which devices' packet filters
// and peer lists changed. A posture attribute change re-evaluates only
// that device's postures; the policy file or the device set changing
// recompiles.
package netmap

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"tailscale.com/tailcfg"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/control"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/posture"
	"github.com/postern/postern/internal/providers"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/tailnet"
)

// Engine is the compiled policy of one tailnet, kept current. It
// implements control.Policy.
type Engine struct {
	st        store.Store
	tailnetID string
	log       *slog.Logger

	notify func(control.Change) // set before Run; nil drops notifications

	mu       sync.RWMutex
	compiled *policy.Compiled // guarded by mu; never nil after New
	parsed   *policy.Policy   // guarded by mu
	roles    map[string]postern.Role

	pendingMu sync.Mutex
	pending   tailnet.Change // guarded by pendingMu; merged changes not yet applied
	wake      chan struct{}

	// applied is signalled (non-blocking) after each batch, for tests.
	applied chan struct{}
}

// New compiles the tailnet's policy in force against its current state.
func New(ctx context.Context, st store.Store, tailnetID string, log *slog.Logger) (*Engine, error) {
	e := &Engine{st: st, tailnetID: tailnetID, log: log, wake: make(chan struct{}, 1), applied: make(chan struct{}, 1)}
	if err := e.recompile(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// SetNotify sets where the engine sends what changed for clients. Call
// it before Run.
func (e *Engine) SetNotify(fn func(control.Change)) { e.notify = fn }

// OnChange receives the single writer's committed changes. It merges and
// returns at once; Run applies them.
func (e *Engine) OnChange(c tailnet.Change) {
	if c.TailnetID != "" && c.TailnetID != e.tailnetID {
		return
	}
	e.pendingMu.Lock()
	e.pending.Merge(c)
	e.pendingMu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run applies changes until ctx is done.
func (e *Engine) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		}
		e.pendingMu.Lock()
		c := e.pending
		e.pending = tailnet.Change{}
		e.pendingMu.Unlock()
		if err := e.apply(ctx, c); err != nil {
			e.log.Error("applying change to the policy engine", "err", err)
		}
		select {
		case e.applied <- struct{}{}:
		default:
		}
	}
}

// apply turns one merged change into a control.Change.
func (e *Engine) apply(ctx context.Context, c tailnet.Change) error {
	if c.Empty() {
		return nil
	}
	start := time.Now()
	if c.Policy || c.Settings || len(c.DevicesAdded)+len(c.DevicesRemoved)+len(c.DevicesUpdated) > 0 {
		if err := e.recompile(ctx); err != nil {
			return err
		}
		e.send(control.Change{AllFilters: true, AllPeers: true, Added: c.DevicesAdded, Removed: c.DevicesRemoved, Updated: c.DevicesUpdated, DNS: c.DNS})
		e.log.Debug("policy recompiled", "took", time.Since(start))
		return nil
	}
	if c.DNS {
		e.send(control.Change{DNS: true})
	}
	var changed []int64
	for _, id := range c.AttrsChanged {
		as, err := e.st.Attributes(ctx, id)
		if err != nil {
			if postern.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("reading attributes of device %d: %w", id, err)
		}
		m := make(posture.Map, len(as))
		for _, a := range as {
			m[a.Key] = a.Value
		}
		e.mu.RLock()
		c := e.compiled
		e.mu.RUnlock()
		changed = append(changed, c.SetAttrs(id, m)...)
	}
	slices.Sort(changed)
	changed = slices.Compact(changed)
	if len(changed) > 0 {
		e.send(control.Change{Filters: changed, Peers: changed})
	}
	e.log.Debug("posture re-evaluated", "devices", len(c.AttrsChanged), "affected", len(changed), "took", time.Since(start))
	return nil
}

func (e *Engine) send(c control.Change) {
	if e.notify != nil {
		e.notify(c)
	}
}

// recompile compiles the policy in force against the current state. A
// policy that no longer compiles (it was valid when saved) leaves the
// previous compilation in force and is logged.
func (e *Engine) recompile(ctx context.Context) error {
	cur, err := tailnet.CurrentPolicy(ctx, e.st, e.tailnetID)
	if err != nil {
		return err
	}
	p, err := policy.Parse([]byte(cur.Text), providers.Catalog().Lenient())
	if err != nil {
		return fmt.Errorf("parsing the policy in force (version %d): %w", cur.Version, err)
	}
	users, nodes, err := tailnet.PolicyInputs(ctx, e.st, e.tailnetID)
	if err != nil {
		return err
	}
	c, err := policy.Compile(p, users, nodes)
	if err != nil {
		return fmt.Errorf("compiling the policy in force (version %d): %w", cur.Version, err)
	}
	roles := make(map[string]postern.Role, len(users))
	for _, u := range users {
		roles[u.LoginName] = u.Role
	}
	e.mu.Lock()
	e.compiled, e.parsed, e.roles = c, p, roles
	e.mu.Unlock()
	return nil
}

// Compiled returns the current compilation, for decisions and previews.
func (e *Engine) Compiled() *policy.Compiled {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.compiled
}

// Filter implements control.Policy.
func (e *Engine) Filter(deviceID int64) []tailcfg.FilterRule { return e.Compiled().Filter(deviceID) }

// Peers implements control.Policy.
func (e *Engine) Peers(deviceID int64) []int64 { return e.Compiled().Peers(deviceID) }

var _ control.Policy = (*Engine)(nil)

// Check answers whether device src may reach dst with proto and port
// under the policy in force, and why.
func (e *Engine) Check(src int64, dst netip.Addr, proto int, port uint16) policy.Decision {
	return e.Compiled().Check(src, dst, proto, port)
}
