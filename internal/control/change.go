package control

import (
	"maps"

	"tailscale.com/tailcfg"
)

// Change says what a commit changed, in terms of what clients' next maps
// must contain. The policy engine sends one through Notify after it has
// recomputed for each change the single writer committed; the zero Change
// changes nothing.
type Change struct {
	// Filters lists devices whose packet filter changed.
	Filters []int64
	// Peers lists devices whose set of peers changed.
	Peers []int64
	// Added lists new devices; the devices that may talk to them are
	// asked to recompute their peers.
	Added []int64
	// Removed lists deleted devices; every client that knew them drops
	// them.
	Removed []int64
	// Updated lists devices whose own fields changed (name, tags, keys,
	// authorization, expiry); the server reloads them and clients that
	// know them get the new node.
	Updated []int64
	// AllFilters and AllPeers mean every connected client recomputes its
	// filter or peers, e.g. after the policy file was replaced.
	AllFilters bool
	AllPeers   bool
	// DNS means the tailnet's DNS configuration changed: every connected
	// client gets the new DNSConfig.
	DNS bool
}

// delta is what one session still has to send: the merge of every change
// that reached it since its last update. Merging keeps it bounded by the
// tailnet's size however many changes arrive while a client is slow.
type delta struct {
	self    bool           // the device's own node changed
	filter  bool           // recompute the packet filter
	peers   bool           // recompute the peer set
	changed map[int64]bool // peers to resend in full
	patched map[int64]bool // peers whose endpoints or home DERP changed
	removed map[int64]bool // peers deleted
	online  map[int64]bool // peers that came online (true) or left (false)
	pings   []*tailcfg.PingRequest
	dns     bool // resend the DNS configuration
}

func (d *delta) empty() bool {
	return !d.self && !d.filter && !d.peers && len(d.changed) == 0 && len(d.patched) == 0 &&
		len(d.removed) == 0 && len(d.online) == 0 && len(d.pings) == 0 && !d.dns
}

func mark(m *map[int64]bool, id int64, v bool) {
	if *m == nil {
		*m = map[int64]bool{}
	}
	(*m)[id] = v
}

// take returns d's content and resets it.
func (d *delta) take() delta {
	out := *d
	*d = delta{}
	return out
}

// merge folds o into d.
func (d *delta) merge(o delta) {
	d.self = d.self || o.self
	d.filter = d.filter || o.filter
	d.peers = d.peers || o.peers
	d.dns = d.dns || o.dns
	for _, m := range []struct {
		dst *map[int64]bool
		src map[int64]bool
	}{
		{&d.changed, o.changed}, {&d.patched, o.patched}, {&d.removed, o.removed}, {&d.online, o.online},
	} {
		if len(m.src) > 0 {
			if *m.dst == nil {
				*m.dst = map[int64]bool{}
			}
			maps.Copy(*m.dst, m.src)
		}
	}
	d.pings = append(d.pings, o.pings...)
}

// Notify hands a committed Change to the connected sessions it concerns.
// It never blocks on a client: each session merges what it is given and
// sends it on its own schedule.
func (s *Server) Notify(c Change) {
	s.mu.Lock()
	for _, id := range c.Updated {
		delete(s.nodes, id)
	}
	var gone []*session
	for _, id := range c.Removed {
		delete(s.nodes, id)
		delete(s.live, id)
		s.stopKeyTimerLocked(id)
		if ss := s.sessions[id]; ss != nil {
			gone = append(gone, ss) // a deleted device's own stream ends
		}
	}
	direct := map[int64]*delta{}
	at := func(id int64) *delta {
		if _, ok := s.sessions[id]; !ok {
			return nil
		}
		d := direct[id]
		if d == nil {
			d = &delta{}
			direct[id] = d
		}
		return d
	}
	for _, id := range c.Filters {
		if d := at(id); d != nil {
			d.filter = true
		}
	}
	for _, id := range c.Peers {
		if d := at(id); d != nil {
			d.peers = true
		}
	}
	for _, id := range c.Updated {
		if d := at(id); d != nil {
			d.self = true
		}
	}
	all := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		all = append(all, ss)
	}
	s.mu.Unlock()
	for _, ss := range gone {
		ss.end()
	}

	// New devices: whoever may talk to them must learn of them. Asking
	// the policy happens outside the lock; its answers are precomputed.
	for _, id := range c.Added {
		for _, p := range s.cfg.Policy.Peers(id) {
			s.mu.Lock()
			if d := at(p); d != nil {
				d.peers = true
			}
			s.mu.Unlock()
		}
	}
	for _, ss := range all {
		d := direct[ss.deviceID]
		ss.push(func(pend *delta, known map[int64]bool) {
			if d != nil {
				pend.merge(*d)
			}
			pend.filter = pend.filter || c.AllFilters
			pend.peers = pend.peers || c.AllPeers
			pend.dns = pend.dns || c.DNS
			for _, id := range c.Updated {
				if known[id] {
					mark(&pend.changed, id, true)
				}
			}
			for _, id := range c.Removed {
				if known[id] {
					mark(&pend.removed, id, true)
				}
			}
		})
	}
}

// notifyPeersOf tells every session that knows device id about a change
// the server itself observed (endpoints, online state, Hostinfo).
func (s *Server) notifyPeersOf(id int64, f func(pend *delta)) {
	s.mu.Lock()
	all := make([]*session, 0, len(s.sessions))
	for sid, ss := range s.sessions {
		if sid != id {
			all = append(all, ss)
		}
	}
	s.mu.Unlock()
	for _, ss := range all {
		ss.push(func(pend *delta, known map[int64]bool) {
			if known[id] {
				f(pend)
			}
		})
	}
}
