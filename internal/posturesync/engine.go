// Package posturesync owns the schedule of posture integration syncs: it runs
// each integration every interval (with jitter), at once when one is
// created or changed or when asked, pauses one after an authentication
// failure, and turns a complete vendor listing into posture attributes
// through the tailnet's single writer. A failed or partial listing changes
// no attribute; it only records its error in the integration's status.
package posturesync

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/tailnet"
)

// Defaults for the zero fields of Config.
const (
	DefaultInterval   = 15 * time.Minute
	DefaultAuthPause  = 24 * time.Hour
	DefaultRunTimeout = 10 * time.Minute
	DefaultPoll       = 30 * time.Second
)

// SourceFunc builds the vendor client of an integration from its
// configuration.
type SourceFunc func(in postern.Integration, cfg integrations.Config) (integrations.Source, error)

// Config is what an Engine is built from.
type Config struct {
	// Tailnet is the single writer attributes and status go through; the
	// engine reads integrations and devices from its store.
	Tailnet *tailnet.Service
	// TailnetID is the tailnet whose integrations the engine runs.
	TailnetID string

	Interval   time.Duration // between syncs of an integration without its own interval; zero means DefaultInterval
	AuthPause  time.Duration // how long an auth failure pauses an integration; zero means DefaultAuthPause
	RunTimeout time.Duration // bounds one sync; zero means DefaultRunTimeout
	// Poll is the longest the scheduler sleeps before it reads the
	// integrations again, so that changes made behind its back (another
	// process, a configuration change without SyncNow) are picked up;
	// zero means DefaultPoll.
	Poll time.Duration

	// Sources builds vendor clients; nil means DefaultSource.
	Sources SourceFunc
	// HTTP is handed to the vendor clients; nil means one
	// integrations.NewClient shared by every sync, which refuses
	// link-local, metadata and (unless named) loopback addresses.
	HTTP *http.Client
	// Retry is handed to the vendor clients; the zero value means
	// integrations.DefaultRetry.
	Retry integrations.RetryPolicy

	Logger *slog.Logger     // nil means discard
	Now    func() time.Time // nil means time.Now
}

// Engine runs posture integration syncs. Use New; the zero value is not
// usable. Its methods are safe for concurrent use.
type Engine struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	trigger chan string   // SyncNow requests
	wake    chan struct{} // a sync ended: look at the schedule again
	wg      sync.WaitGroup
	ownHTTP bool // cfg.HTTP is the engine's own: Run closes its idle connections

	mu        sync.Mutex
	running   map[string]bool            // integrations with a sync in flight
	pending   map[string]bool            // integrations to sync again when the current run ends
	lastStart map[string]time.Time       // when the scheduler last started each, by e.now
	waiters   map[string][]chan struct{} // closed when the next run of each that starts ends
}

// New returns an engine for cfg. It does nothing until Run.
func New(cfg Config) (*Engine, error) {
	if cfg.Tailnet == nil || cfg.TailnetID == "" {
		return nil, errors.New("sync: Tailnet and TailnetID are required")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.AuthPause <= 0 {
		cfg.AuthPause = DefaultAuthPause
	}
	if cfg.RunTimeout <= 0 {
		cfg.RunTimeout = DefaultRunTimeout
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Sources == nil {
		cfg.Sources = DefaultSource
	}
	ownHTTP := cfg.HTTP == nil
	if ownHTTP {
		cfg.HTTP = integrations.NewClient()
	}
	e := &Engine{
		cfg:       cfg,
		log:       cfg.Logger,
		now:       cfg.Now,
		ownHTTP:   ownHTTP,
		trigger:   make(chan string, 64),
		wake:      make(chan struct{}, 1),
		running:   make(map[string]bool),
		pending:   make(map[string]bool),
		lastStart: make(map[string]time.Time),
		waiters:   make(map[string][]chan struct{}),
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e, nil
}

// SyncNow asks for a sync of integration id at once, out of schedule and
// even while an authentication failure pauses it (an admin asking is
// reason enough to try again). It does not wait; Run carries it out. A
// request for an integration already syncing runs it again afterwards.
func (e *Engine) SyncNow(id string) {
	select {
	case e.trigger <- id:
	default:
		// The queue is full of requests Run has not taken yet; remember
		// this one as pending so it is not lost.
		e.mu.Lock()
		e.pending[id] = true
		e.mu.Unlock()
	}
}

// SyncNowDone is SyncNow that also returns a channel closed when a sync
// of id that started after the call has ended (its status recorded). The
// channel is never closed if Run is not running.
func (e *Engine) SyncNowDone(id string) <-chan struct{} {
	done := make(chan struct{})
	e.mu.Lock()
	e.waiters[id] = append(e.waiters[id], done)
	e.mu.Unlock()
	e.SyncNow(id)
	return done
}

// Syncing reports whether a sync of integration id is in flight.
func (e *Engine) Syncing(id string) bool { return e.isRunning(id) }

// Run schedules syncs until ctx ends, then waits for the syncs in flight
// to stop and returns nil.
func (e *Engine) Run(ctx context.Context) error {
	if e.ownHTTP {
		defer e.cfg.HTTP.CloseIdleConnections()
	}
	defer e.wg.Wait()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case id := <-e.trigger:
			e.start(ctx, id)
			continue
		case <-e.wake:
		case <-t.C:
		}
		t.Reset(e.scheduleDue(ctx))
	}
}

// scheduleDue starts every integration whose time has come and returns
// how long to sleep until the next one is due.
func (e *Engine) scheduleDue(ctx context.Context) time.Duration {
	ins, err := e.cfg.Tailnet.Store().Integrations(ctx, e.cfg.TailnetID)
	if err != nil {
		e.log.Error("listing posture integrations", "err", err)
		return e.cfg.Poll
	}
	now := e.now()
	wait := e.cfg.Poll
	for _, in := range ins {
		if e.isRunning(in.ID) {
			continue // its status is about to change; look again when it ends
		}
		due := e.due(in, now)
		// Should a run fail to record its attempt (the database refusing
		// the status write), its status would say "due" forever; never
		// start one on schedule more often than minGap.
		e.mu.Lock()
		if last, ok := e.lastStart[in.ID]; ok {
			due = later(due, last.Add(e.minGap(in)))
		}
		e.mu.Unlock()
		if !due.After(now) {
			e.mu.Lock()
			e.lastStart[in.ID] = now
			e.mu.Unlock()
			e.start(ctx, in.ID)
			continue
		}
		wait = min(wait, due.Sub(now))
	}
	e.mu.Lock()
	for id := range e.pending {
		if !e.running[id] {
			delete(e.pending, id)
			e.mu.Unlock()
			e.start(ctx, id)
			e.mu.Lock()
		}
	}
	e.mu.Unlock()
	return max(wait, 10*time.Millisecond)
}

func (e *Engine) minGap(in postern.Integration) time.Duration {
	return min(e.interval(in), 10*time.Second)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (e *Engine) isRunning(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.running[id]
}

// due is when in should next run: at once if it never ran or its
// configuration changed since its last attempt started; else at the end
// of an authentication pause; otherwise its interval (its own, or the
// engine's; plus up to a tenth of it in jitter, stable for one attempt)
// after the last attempt.
func (e *Engine) due(in postern.Integration, now time.Time) time.Time {
	st := in.Status
	// A configuration change comes first: it lifts a pause, even one that
	// a run overlapping the change recorded after it.
	if st.LastAttempt.IsZero() || in.ConfigUpdated.After(st.LastAttempt) {
		return now
	}
	if st.PausedUntil.After(now) {
		return st.PausedUntil
	}
	iv := e.interval(in)
	return st.LastAttempt.Add(iv + jitter(in.ID, st.LastAttempt, iv/10))
}

// interval is in's own sync interval, or the engine's default.
func (e *Engine) interval(in postern.Integration) time.Duration {
	if in.SyncInterval > 0 {
		return in.SyncInterval
	}
	return e.cfg.Interval
}

// jitter spreads integrations over the interval without random state: a
// hash of the integration and its last attempt picks an offset in
// [0, limit).
func jitter(id string, last time.Time, limit time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", id, last.UnixNano())
	return time.Duration(h.Sum64() % uint64(limit))
}

// start runs a sync of id in the background unless one is in flight, in
// which case it runs again when that one ends.
func (e *Engine) start(ctx context.Context, id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running[id] {
		e.pending[id] = true
		return
	}
	e.running[id] = true
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			// Whoever waits now waits for this run: it starts after them.
			e.mu.Lock()
			waiters := e.waiters[id]
			delete(e.waiters, id)
			e.mu.Unlock()
			// Sync logs its own failures, the vendor's secret redacted.
			_, _ = e.Sync(ctx, id)
			e.mu.Lock()
			again := e.pending[id] && ctx.Err() == nil
			delete(e.pending, id)
			if !again {
				delete(e.running, id)
			}
			e.mu.Unlock()
			// After the bookkeeping, so that a waiter asking Syncing
			// sees this run over.
			for _, w := range waiters {
				close(w)
			}
			if !again {
				select {
				case e.wake <- struct{}{}:
				default:
				}
				return
			}
		}
	}()
}
