package server

import (
	"context"
	"fmt"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/control"
	"github.com/postern/postern/internal/netmap"
	"github.com/postern/postern/internal/posturesync"
	"github.com/postern/postern/internal/tailnet"
	"github.com/postern/postern/internal/web"
)

// baseDomain is the MagicDNS suffix of device names.
const baseDomain = "postern.internal"

// expiryInterval is how often expired posture attributes are removed;
// Tailscale promises "within a few minutes", we promise a minute.
const expiryInterval = 30 * time.Second

// startPlanes starts the policy engine and the control server, and
// connects them: committed changes flow from the single writer to the
// engine, and what they change for clients flows from the engine to the
// control server.
func (s *Server) startPlanes(ctx context.Context) error {
	engine, err := netmap.New(ctx, s.store, s.tailnet.ID, s.log)
	if err != nil {
		return fmt.Errorf("starting the policy engine: %w", err)
	}
	tid := s.tailnet.ID
	ctl, err := control.New(control.Config{
		ServerURL:  s.cfg.ServerURL,
		DataDir:    s.cfg.DataDir,
		Store:      s.store,
		Writer:     s.svc,
		Policy:     engine,
		Logger:     s.log,
		Now:        s.cfg.Now,
		BaseDomain: baseDomain,
		Proxies:    s.proxies,
		OnHostinfo: func(id int64, attrs map[string]postern.Value) {
			s.setNodeAttributes(id, attrs)
		},
		OnPostureIdentity: func(int64, postern.PostureIdentity) {
			// A new serial or MAC may match vendor records: sync now.
			s.syncAll()
		},
	})
	if err != nil {
		return fmt.Errorf("starting the control server: %w", err)
	}
	syncer, err := posturesync.New(posturesync.Config{Tailnet: s.svc, TailnetID: tid, Interval: s.cfg.SyncInterval, Logger: s.log, Now: s.cfg.Now})
	if err != nil {
		ctl.Close()
		return fmt.Errorf("starting posture sync: %w", err)
	}
	engine.SetNotify(ctl.Notify)
	s.svc.Subscribe(engine.OnChange)
	s.svc.Subscribe(func(c tailnet.Change) {
		// Turning Device Identity Collection on asks connected clients at
		// once rather than at their next reconnect; RefreshIdentities only
		// starts background work and collects nothing while it is off.
		if c.Settings {
			ctl.RefreshIdentities()
		}
	})
	s.engine, s.control, s.syncer = engine, ctl, syncer

	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go engine.Run(runCtx)
	go syncer.Run(runCtx)
	console, err := web.New(web.Config{Service: s.svc, TailnetID: tid, ServerURL: s.cfg.ServerURL,
		BaseDomain: baseDomain, Logger: s.log, Decisions: engine, Syncer: syncer, Presence: ctl, Registrar: ctl})
	if err != nil {
		cancel()
		ctl.Close()
		return fmt.Errorf("starting the admin console: %w", err)
	}
	s.console = console
	go console.Run(runCtx, time.Hour)
	go s.expireLoop(runCtx)
	return nil
}

// syncAll asks for a sync of every integration.
func (s *Server) syncAll() {
	ins, err := s.store.Integrations(context.Background(), s.tailnet.ID)
	if err != nil {
		s.log.Error("listing integrations", "err", err)
		return
	}
	for _, in := range ins {
		s.syncer.SyncNow(in.ID)
	}
}

// stopPlanes stops what startPlanes started.
func (s *Server) stopPlanes() {
	if s.cancel != nil {
		s.cancel()
	}
	if s.control != nil {
		s.control.Close()
	}
}

// setNodeAttributes stores the node:* attributes a client's Hostinfo
// implies, replacing the previous ones of that device.
func (s *Server) setNodeAttributes(id int64, attrs map[string]postern.Value) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ac := audit.Context{Origin: audit.OriginNode, Actor: audit.Service("node attributes")}
	if _, err := s.svc.ReplaceAttributes(ctx, ac, s.tailnet.ID, postern.SourceNode, []int64{id}, map[int64]map[string]postern.Value{id: attrs}); err != nil {
		s.log.Error("storing node attributes", "device_id", id, "err", err)
	}
}

// expireLoop removes expired attributes and OAuth access tokens until ctx
// is done.
func (s *Server) expireLoop(ctx context.Context) {
	t := time.NewTicker(expiryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.svc.ExpireAttributes(ctx, s.tailnet.ID); err != nil && ctx.Err() == nil {
				s.log.Error("expiring attributes", "err", err)
			}
			if _, err := s.svc.PurgeAccessTokens(ctx, s.tailnet.ID); err != nil && ctx.Err() == nil {
				s.log.Error("purging expired access tokens", "err", err)
			}
		}
	}
}
