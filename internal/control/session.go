package control

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/types/key"
	"tailscale.com/util/zstdframe"

	"github.com/postern/postern"
)

// session is one client's streaming map poll.
type session struct {
	deviceID int64
	nodeKey  key.NodePublic
	signal   chan struct{} // capacity 1: "pend is not empty"
	stop     chan struct{} // closed to end the session (replaced or deleted)
	stopOnce sync.Once

	mu         sync.Mutex
	pend       delta                           // merged changes not yet sent
	known      map[int64]bool                  // peers the client was last told about
	users      map[tailcfg.UserID]bool         // owners whose profiles the client's last full map carried
	lastFilter map[string][]tailcfg.FilterRule // packet filter last sent
}

// push lets f merge a change into the session's pending delta, knowing
// which peers the client has, and wakes the session. It never blocks.
func (ss *session) push(f func(pend *delta, known map[int64]bool)) {
	ss.mu.Lock()
	f(&ss.pend, ss.known)
	empty := ss.pend.empty()
	ss.mu.Unlock()
	if !empty {
		select {
		case ss.signal <- struct{}{}:
		default:
		}
	}
}

func (ss *session) end() { ss.stopOnce.Do(func() { close(ss.stop) }) }

// endSession stops device id's map stream, if any.
func (s *Server) endSession(id int64) {
	s.mu.Lock()
	ss := s.sessions[id]
	s.mu.Unlock()
	if ss != nil {
		ss.end()
	}
}

// serveMap answers POST /machine/map: a one-off update of what the client
// reports (endpoints, Hostinfo), or a streaming long poll.
func (s *Server) serveMap(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	mk, ok := machineKeyOf(r)
	if !ok {
		http.Error(w, "not over noise", http.StatusBadRequest)
		return
	}
	var req tailcfg.MapRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxRequest)).Decode(&req); err != nil {
		http.Error(w, "bad map request", http.StatusBadRequest)
		return
	}
	d, err := s.cfg.Store.DeviceByNodeKey(ctx, req.NodeKey.String())
	if err != nil {
		if postern.IsNotFound(err) {
			http.Error(w, "node not registered", http.StatusUnauthorized)
			return
		}
		s.mapFailed(ctx, w, "map: looking up node key", err)
		return
	}
	if d.MachineKey != mk.String() {
		http.Error(w, "node key belongs to another machine", http.StatusForbidden)
		return
	}
	markRegistered(r)
	// An expired key gets nothing, as at registration: the client must
	// log in again ("tailscale up") to rejoin.
	if keyExpired(&d, s.now()) {
		http.Error(w, "node key expired; run \"tailscale up\" to log in again", http.StatusUnauthorized)
		return
	}
	if err := checkHostinfo(req.Hostinfo); err != nil {
		http.Error(w, postern.ErrorMessage(err), http.StatusBadRequest)
		return
	}
	// Streaming requests of modern clients are read-only: endpoints and
	// Hostinfo come in separate non-streaming requests.
	if !req.ReadOnly && !(req.Stream && req.Version >= 68) {
		s.applyReport(ctx, &d, &req)
	} else if req.Hostinfo != nil {
		s.applyHostinfo(ctx, &d, req.Hostinfo)
	}
	if !req.Stream {
		if req.OmitPeers {
			w.WriteHeader(http.StatusOK)
			return
		}
		ss := &session{deviceID: d.ID, nodeKey: req.NodeKey}
		resp, err := s.fullMap(ctx, ss)
		if err != nil {
			s.mapFailed(ctx, w, "map: building map", err, "device_id", d.ID)
			return
		}
		writeMsg(w, req.Compress == "zstd", resp)
		return
	}
	s.stream(ctx, w, &d, &req)
}

// mapFailed answers a map request that failed with err, unless the
// client already went away (its context is done), which is no error.
func (s *Server) mapFailed(ctx context.Context, w http.ResponseWriter, what string, err error, attrs ...any) {
	if ctx.Err() != nil {
		return
	}
	s.log.Error(what, append(attrs, "err", err)...)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// stream runs a streaming map session until the client goes away, a newer
// session of the same device replaces it, or the server closes.
func (s *Server) stream(ctx context.Context, w http.ResponseWriter, d *postern.Device, req *tailcfg.MapRequest) {
	ss := &session{
		deviceID: d.ID,
		nodeKey:  req.NodeKey,
		signal:   make(chan struct{}, 1),
		stop:     make(chan struct{}),
	}
	compress := req.Compress == "zstd"
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	s.bg.Add(1)
	s.mu.Unlock()
	defer s.bg.Done()
	// Register before building the first map so that no change committed
	// in between is lost; it is merged and sent right after.
	s.mu.Lock()
	old := s.sessions[d.ID]
	s.sessions[d.ID] = ss
	ln := s.liveLocked(d.ID)
	ln.online = true
	ln.cap = req.Version
	if t := s.offline[d.ID]; t != nil {
		t.Stop()
		delete(s.offline, d.ID)
	}
	s.mu.Unlock()
	if old != nil {
		old.end()
	}
	defer s.sessionEnded(ss)
	resp, err := s.fullMap(ctx, ss)
	if err != nil {
		s.mapFailed(ctx, w, "map: building first map", err, "device_id", d.ID)
		return
	}
	s.notifyPeersOf(d.ID, func(p *delta) { mark(&p.online, d.ID, true) })
	now := s.now()
	if err := s.cfg.Store.TouchDevice(ctx, d.ID, now); err != nil {
		s.log.Warn("map: recording last seen", "device_id", d.ID, "err", err)
	}
	s.log.Info("map session started", "device_id", d.ID, "name", d.Name)

	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	if err := writeMsg(w, compress, resp); err != nil {
		return
	}
	s.background(func(ctx context.Context) { s.collectIdentity(ctx, d.ID) })

	keepAlive := time.NewTicker(s.cfg.KeepAlive)
	defer keepAlive.Stop()
	// The session ends when the node key expires; the client's next
	// poll is refused until it logs in again. An admin may disable or
	// re-enable expiry meanwhile, so the timer follows the device.
	var expired <-chan time.Time
	var expiry *time.Timer
	armExpiry := func(cur *postern.Device) {
		if expiry != nil {
			expiry.Stop()
		}
		expiry, expired = s.sessionExpiry(cur), nil
		if expiry != nil {
			expired = expiry.C
		}
	}
	armExpiry(d)
	defer func() { armExpiry(&postern.Device{}) }()
	identity := time.NewTicker(s.cfg.IdentityInterval)
	defer identity.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ss.stop:
			return
		case <-s.done:
			return
		case <-expired:
			cur, err := s.device(ctx, d.ID)
			if err != nil || keyExpired(cur, s.now()) {
				s.log.Info("map session ended: node key expired", "device_id", d.ID)
				return
			}
			armExpiry(cur)
			continue
		case <-identity.C:
			s.background(func(ctx context.Context) { s.collectIdentity(ctx, d.ID) })
			continue
		case <-keepAlive.C:
			if err := writeMsg(w, compress, &tailcfg.MapResponse{KeepAlive: true}); err != nil {
				return
			}
			continue
		case <-ss.signal:
		}
		// Let a burst of changes land before sending one update.
		t := time.NewTimer(s.cfg.Coalesce)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		ss.mu.Lock()
		pend := ss.pend.take()
		ss.mu.Unlock()
		if pend.self {
			if cur, err := s.device(ctx, d.ID); err == nil {
				armExpiry(cur)
			}
		}
		for {
			resp, rest, err := s.deltaMap(ctx, ss, pend)
			if err != nil {
				s.log.Error("map: building update", "device_id", d.ID, "err", err)
				return
			}
			if resp != nil {
				s.log.Debug("map update", "device_id", d.ID, "node", resp.Node != nil, "filter", resp.PacketFilters != nil,
					"peers_changed", len(resp.PeersChanged), "peers_removed", len(resp.PeersRemoved),
					"patches", len(resp.PeersChangedPatch), "online", len(resp.OnlineChange), "ping", resp.PingRequest != nil)
				if err := writeMsg(w, compress, resp); err != nil {
					return
				}
				keepAlive.Reset(s.cfg.KeepAlive)
			}
			if len(rest.pings) == 0 {
				break
			}
			pend = rest
		}
	}
}

// sessionEnded marks a device offline once its current session ends and
// schedules clean-up of ephemeral devices.
func (s *Server) sessionEnded(ss *session) {
	s.mu.Lock()
	if s.sessions[ss.deviceID] != ss {
		s.mu.Unlock()
		return // replaced by a newer session
	}
	delete(s.sessions, ss.deviceID)
	if ln := s.live[ss.deviceID]; ln != nil {
		ln.online = false
	}
	s.mu.Unlock()
	s.log.Info("map session ended", "device_id", ss.deviceID)
	// The session's own context is done by now; record the end anyway.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.cfg.Store.TouchDevice(ctx, ss.deviceID, s.now()); err != nil && !postern.IsNotFound(err) {
		s.log.Warn("map: recording last seen", "device_id", ss.deviceID, "err", err)
	}
	s.notifyPeersOf(ss.deviceID, func(p *delta) { mark(&p.online, ss.deviceID, false) })
	d, err := s.device(ctx, ss.deviceID)
	if err == nil && d.Ephemeral {
		s.scheduleEphemeralCleanup(ss.deviceID)
	}
}

// scheduleEphemeralCleanup deletes an ephemeral device that stays offline
// for EphemeralTimeout.
func (s *Server) scheduleEphemeralCleanup(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.offline[id] != nil {
		return
	}
	s.offline[id] = time.AfterFunc(s.cfg.EphemeralTimeout, func() {
		s.mu.Lock()
		_, online := s.sessions[id]
		delete(s.offline, id)
		s.mu.Unlock()
		if online {
			return
		}
		s.background(func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := s.deleteDevice(ctx, id, "remove offline ephemeral node"); err != nil && !postern.IsNotFound(err) {
				s.log.Error("ephemeral clean-up failed", "device_id", id, "err", err)
			}
		})
	})
}

// liveLocked returns device id's live state, creating it. s.mu is held.
func (s *Server) liveLocked(id int64) *liveNode {
	ln := s.live[id]
	if ln == nil {
		ln = &liveNode{}
		s.live[id] = ln
	}
	return ln
}

// writeMsg sends one length-prefixed (little-endian uint32), optionally
// zstd-compressed JSON message of a map stream and flushes it.
func writeMsg(w http.ResponseWriter, compress bool, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding map message: %w", err)
	}
	if compress {
		b = zstdframe.AppendEncode(nil, b, zstdframe.FastestCompression)
	}
	var size [4]byte
	binary.LittleEndian.PutUint32(size[:], uint32(len(b)))
	if _, err := w.Write(slices.Concat(size[:], b)); err != nil {
		return err
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}
