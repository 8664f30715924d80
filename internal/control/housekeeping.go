package control

import (
	"context"
	"time"

	"github.com/postern/postern"
)

// housekeep runs until ctx ends: at start and every SweepInterval it
// drops interactive logins past their TTL, deletes offline ephemeral
// devices and closes relay connections no longer admitted. New starts it as background work, so Close waits for it.
func (s *Server) housekeep(ctx context.Context) {
	s.sweepEphemeral(ctx)
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.expirePending()
		s.sweepEphemeral(ctx)
		s.recheckDERP(ctx)
	}
}

// sweepEphemeral deletes, through the writer, every ephemeral device not
// connected here that was last seen (or, if never, created) longer than
// EphemeralTimeout ago. It catches what the timer set at a session's end
// cannot: devices that never opened a map session, and devices that went
// offline before a restart.
func (s *Server) sweepEphemeral(ctx context.Context) {
	stale, err := s.cfg.Store.StaleEphemeralDevices(ctx, s.now().Add(-s.cfg.EphemeralTimeout))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("ephemeral sweep: listing offline devices", "err", err)
		}
		return
	}
	for _, d := range stale {
		if s.Online(d.ID) {
			continue // last seen is when its session started
		}
		if err := s.deleteDevice(ctx, d.ID, "remove offline ephemeral node"); err != nil && !postern.IsNotFound(err) {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("ephemeral sweep failed", "device_id", d.ID, "err", err)
		}
	}
}
