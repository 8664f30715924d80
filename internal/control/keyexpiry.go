package control

import (
	"time"

	"github.com/postern/postern"
)

// keyTimer fires when a device's node key expires.
type keyTimer struct {
	at time.Time
	t  *time.Timer
}

// watchKeyExpiry arranges for the peers of d to get d's node again, now
// marked expired, the moment d's key expires, rather than at the next
// unrelated change. It is called whenever d is (re)loaded into the
// cache; a timer for an expiry d no longer has is replaced.
func (s *Server) watchKeyExpiry(d *postern.Device) {
	at := d.KeyExpiry
	if d.KeyExpiryDisabled || at.IsZero() || !s.now().Before(at) {
		at = time.Time{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.expiries[d.ID]
	if ok && old.at.Equal(at) {
		return
	}
	if ok {
		old.t.Stop()
		delete(s.expiries, d.ID)
	}
	if at.IsZero() || s.closed {
		return
	}
	id := d.ID
	s.expiries[id] = keyTimer{at: at, t: time.AfterFunc(at.Sub(s.now()), func() { s.keyExpired(id, at) })}
}

// keyExpired tells every connected peer of device id that its key, due
// to expire at, has expired, if it still has that expiry.
func (s *Server) keyExpired(id int64, at time.Time) {
	s.mu.Lock()
	if kt, ok := s.expiries[id]; !ok || !kt.at.Equal(at) {
		s.mu.Unlock()
		return // replaced or stopped since
	}
	delete(s.expiries, id)
	s.mu.Unlock()
	d, err := s.device(s.ctx, id)
	if err != nil || !keyExpired(d, s.now()) {
		return // deleted or changed; a reload set the timer it needs
	}
	s.log.Info("node key expired, telling peers", "device_id", id)
	s.notifyPeersOf(id, func(p *delta) { mark(&p.changed, id, true) })
}

// stopKeyTimerLocked forgets device id's expiry timer; s.mu is held.
func (s *Server) stopKeyTimerLocked(id int64) {
	if kt, ok := s.expiries[id]; ok {
		kt.t.Stop()
		delete(s.expiries, id)
	}
}

// sessionExpiry is when the session of a device whose row is d must end
// because its key expired: nil if never.
func (s *Server) sessionExpiry(d *postern.Device) *time.Timer {
	if d.KeyExpiryDisabled || d.KeyExpiry.IsZero() {
		return nil
	}
	return time.NewTimer(d.KeyExpiry.Sub(s.now()))
}
