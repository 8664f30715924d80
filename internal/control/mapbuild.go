package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"tailscale.com/tailcfg"
	"tailscale.com/types/dnstype"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tailnet"
)

// fullMap builds a complete map for ss's device and records in ss what the
// client now knows.
func (s *Server) fullMap(ctx context.Context, ss *session) (*tailcfg.MapResponse, error) {
	self, err := s.device(ctx, ss.deviceID)
	if err != nil {
		return nil, fmt.Errorf("loading self: %w", err)
	}
	dns, err := s.dnsConfig(ctx, self.TailnetID)
	if err != nil {
		return nil, err
	}
	resp := &tailcfg.MapResponse{
		Node:          s.tailNode(self, s.liveOf(self.ID)),
		DERPMap:       s.derpMap,
		DNSConfig:     dns,
		Domain:        s.cfg.BaseDomain,
		PacketFilters: s.filters(self),
		Peers:         []*tailcfg.Node{},
	}
	profiles := map[tailcfg.UserID]tailcfg.UserProfile{}
	addProfile := func(d *postern.Device) {
		if _, ok := profiles[nodeUser(d)]; !ok {
			profiles[nodeUser(d)] = s.userProfile(ctx, d)
		}
	}
	addProfile(self)
	known := map[int64]bool{}
	for _, id := range s.peerIDs(ctx, self) {
		p, err := s.device(ctx, id)
		if postern.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("loading peer %d: %w", id, err)
		}
		known[id] = true
		resp.Peers = append(resp.Peers, s.tailNode(p, s.liveOf(id)))
		addProfile(p)
	}
	slices.SortFunc(resp.Peers, func(a, b *tailcfg.Node) int { return int(a.ID - b.ID) })
	users := make(map[tailcfg.UserID]bool, len(profiles))
	for id, up := range profiles {
		resp.UserProfiles = append(resp.UserProfiles, up)
		users[id] = true
	}
	ss.mu.Lock()
	ss.users = users
	ss.known = known
	ss.lastFilter = resp.PacketFilters
	ss.mu.Unlock()
	return resp, nil
}

// peerIDs asks the policy for a device's peers, without itself. Devices
// waiting for approval neither see nor are seen by anyone.
func (s *Server) peerIDs(ctx context.Context, self *postern.Device) []int64 {
	if !self.Authorized {
		return nil
	}
	ids := slices.DeleteFunc(slices.Clone(s.cfg.Policy.Peers(self.ID)), func(p int64) bool {
		if p == self.ID {
			return true
		}
		d, err := s.device(ctx, p)
		return err == nil && !d.Authorized
	})
	slices.Sort(ids)
	return slices.Compact(ids)
}

// filters asks the policy for a device's packet filter, as a named-filter
// update that replaces whatever the client had: "*" clears, "base" holds
// the rules. (An empty PacketFilter list cannot be sent: it would be
// omitted from the JSON and mean "unchanged", where it must mean "accept
// nothing".)
func (s *Server) filters(self *postern.Device) map[string][]tailcfg.FilterRule {
	out := map[string][]tailcfg.FilterRule{"*": nil}
	if !self.Authorized {
		return out
	}
	if f := s.cfg.Policy.Filter(self.ID); len(f) > 0 {
		out["base"] = f
	}
	return out
}

// dnsConfig is the tailnet's DNS configuration as clients take it:
// global nameservers as Resolvers, split DNS as Routes, and the search
// domains, led by the MagicDNS domain when MagicDNS is on (Proxied).
func (s *Server) dnsConfig(ctx context.Context, tailnetID string) (*tailcfg.DNSConfig, error) {
	tn, err := s.cfg.Store.Tailnet(ctx, tailnetID)
	if err != nil {
		return nil, fmt.Errorf("loading the DNS configuration: %w", err)
	}
	d := tn.DNS
	out := &tailcfg.DNSConfig{Proxied: d.MagicDNS, Domains: []string{}}
	if d.MagicDNS {
		out.Domains = append(out.Domains, s.cfg.BaseDomain)
	}
	for _, p := range d.SearchPaths {
		if !slices.Contains(out.Domains, p) {
			out.Domains = append(out.Domains, p)
		}
	}
	for _, ns := range d.Nameservers {
		out.Resolvers = append(out.Resolvers, &dnstype.Resolver{Addr: ns})
	}
	for _, dom := range slices.Sorted(maps.Keys(d.SplitDNS)) {
		if out.Routes == nil {
			out.Routes = map[string][]*dnstype.Resolver{}
		}
		rs := []*dnstype.Resolver{}
		for _, ns := range d.SplitDNS[dom] {
			rs = append(rs, &dnstype.Resolver{Addr: ns})
		}
		out.Routes[dom] = rs
	}
	return out, nil
}

// deltaMap builds the update for pend. A response carries at most one
// PingRequest, so further pings come back in rest for another response.
// resp is nil when there is nothing to send.
func (s *Server) deltaMap(ctx context.Context, ss *session, pend delta) (resp *tailcfg.MapResponse, rest delta, err error) {
	resp = &tailcfg.MapResponse{}
	var self *postern.Device
	if pend.self || pend.peers || pend.filter || pend.dns || len(pend.changed) > 0 {
		self, err = s.device(ctx, ss.deviceID)
		if postern.IsNotFound(err) {
			ss.end()
			return nil, delta{}, nil
		}
		if err != nil {
			return nil, delta{}, fmt.Errorf("loading self: %w", err)
		}
	}
	if pend.self {
		resp.Node = s.tailNode(self, s.liveOf(ss.deviceID))
	}
	if pend.dns {
		if resp.DNSConfig, err = s.dnsConfig(ctx, self.TailnetID); err != nil {
			return nil, delta{}, err
		}
	}
	if pend.filter {
		// Skip filters equal to the last one sent: broad changes (a new
		// policy file) reach every session, but most filters stay put.
		f := s.filters(self)
		ss.mu.Lock()
		if !reflect.DeepEqual(f, ss.lastFilter) {
			resp.PacketFilters = f
			ss.lastFilter = f
		}
		ss.mu.Unlock()
	}
	ss.mu.Lock()
	known := ss.known
	ss.mu.Unlock()
	// next is what the client will know after this update; it is copied
	// before its first change because known is shared with push.
	next, owned := known, false
	own := func() {
		if !owned {
			next, owned = maps.Clone(known), true
		}
	}
	if pend.peers {
		next, owned = map[int64]bool{}, true
		for _, id := range s.peerIDs(ctx, self) {
			next[id] = true
			if !known[id] {
				mark(&pend.changed, id, true)
			}
		}
		for id := range known {
			if !next[id] {
				mark(&pend.removed, id, true)
			}
		}
	}
	for id := range pend.removed {
		if known[id] {
			resp.PeersRemoved = append(resp.PeersRemoved, tailcfg.NodeID(id))
		}
		if next[id] {
			own()
			delete(next, id)
		}
	}
	profiles := map[tailcfg.UserID]bool{}
	newOwner := false // a changed peer's owner has no profile in the client's netmap
	for id := range pend.changed {
		if !next[id] || pend.removed[id] {
			continue
		}
		p, err := s.device(ctx, id)
		if postern.IsNotFound(err) {
			if known[id] {
				resp.PeersRemoved = append(resp.PeersRemoved, tailcfg.NodeID(id))
			}
			own()
			delete(next, id)
			continue
		}
		if err != nil {
			return nil, delta{}, fmt.Errorf("loading peer %d: %w", id, err)
		}
		resp.PeersChanged = append(resp.PeersChanged, s.tailNode(p, s.liveOf(id)))
		if !profiles[nodeUser(p)] {
			profiles[nodeUser(p)] = true
			resp.UserProfiles = append(resp.UserProfiles, s.userProfile(ctx, p))
		}
		ss.mu.Lock()
		newOwner = newOwner || !ss.users[nodeUser(p)]
		ss.mu.Unlock()
	}
	if newOwner {
		// Clients apply a delta's new peer without rebuilding their
		// netmap's user profiles, so "tailscale status" would show a new
		// owner as a bare user id until the next full map. A peer whose
		// owner the client has no profile for is rare (a user's first
		// device it may see): send the full map now.
		full, err := s.fullMap(ctx, ss)
		if err != nil {
			return nil, delta{}, err
		}
		if len(pend.pings) > 0 {
			full.PingRequest = pend.pings[0]
			rest.pings = pend.pings[1:]
		}
		return full, rest, nil
	}
	for id := range pend.patched {
		if !next[id] || pend.changed[id] || pend.removed[id] {
			continue
		}
		ln := s.liveOf(id)
		resp.PeersChangedPatch = append(resp.PeersChangedPatch, &tailcfg.PeerChange{
			NodeID:     tailcfg.NodeID(id),
			DERPRegion: ln.homeDERP,
			Endpoints:  ln.endpoints,
		})
	}
	for id, on := range pend.online {
		if !next[id] || pend.changed[id] || pend.removed[id] {
			continue
		}
		if resp.OnlineChange == nil {
			resp.OnlineChange = map[tailcfg.NodeID]bool{}
		}
		resp.OnlineChange[tailcfg.NodeID(id)] = on
	}
	if len(pend.pings) > 0 {
		resp.PingRequest = pend.pings[0]
		rest.pings = pend.pings[1:]
	}
	if owned && !maps.Equal(known, next) {
		ss.mu.Lock()
		ss.known = next
		ss.mu.Unlock()
	}
	if reflect.DeepEqual(resp, &tailcfg.MapResponse{}) {
		return nil, rest, nil
	}
	return resp, rest, nil
}

// applyReport stores what a client reports in a map request: endpoints,
// home DERP and disco key in memory (telling its peers), Hostinfo in the
// store.
func (s *Server) applyReport(ctx context.Context, d *postern.Device, req *tailcfg.MapRequest) {
	home := 0
	if req.Hostinfo != nil && req.Hostinfo.NetInfo != nil {
		home = req.Hostinfo.NetInfo.PreferredDERP
	}
	s.mu.Lock()
	ln := s.liveLocked(d.ID)
	moved := !slices.Equal(ln.endpoints, req.Endpoints) || (home != 0 && home != ln.homeDERP)
	ln.endpoints = slices.Clone(req.Endpoints)
	if home != 0 {
		ln.homeDERP = home
	}
	ln.cap = req.Version
	s.mu.Unlock()
	if !req.DiscoKey.IsZero() && req.DiscoKey.String() != d.DiscoKey {
		s.updateFacts(ctx, d, tailnet.NodeFacts{DiscoKey: req.DiscoKey.String()})
	} else if moved {
		id := d.ID
		s.notifyPeersOf(id, func(p *delta) { mark(&p.patched, id, true) })
	}
	if req.Hostinfo != nil {
		s.applyHostinfo(ctx, d, req.Hostinfo)
	}
}

// applyHostinfo stores a changed Hostinfo and reports node:* attributes
// the first time and whenever they change.
func (s *Server) applyHostinfo(ctx context.Context, d *postern.Device, hi *tailcfg.Hostinfo) {
	attrs := NodeAttributes(hi)
	s.mu.Lock()
	ln := s.liveLocked(d.ID)
	same := ln.attrs != nil && sameAttrs(ln.attrs, attrs)
	ln.attrs = attrs
	s.mu.Unlock()
	if !same && s.cfg.OnHostinfo != nil {
		s.cfg.OnHostinfo(d.ID, attrs)
	}
	b := hostinfoJSON(hi)
	if b == nil || bytes.Equal(b, d.Hostinfo) {
		return
	}
	s.updateFacts(ctx, d, tailnet.NodeFacts{Hostinfo: b, Hostname: hi.Hostname, OS: hi.OS, OSVersion: hi.OSVersion, ClientVersion: hi.IPNVersion})
}

// hostinfoJSON is the stored form of a Hostinfo: only what peers need
// (peerHostinfo). NetInfo (DERP latencies, NAT details) is left out too:
// it changes all the time, and the home DERP is kept live instead.
func hostinfoJSON(hi *tailcfg.Hostinfo) []byte {
	if hi == nil {
		return nil
	}
	b, err := json.Marshal(peerHostinfo(hi))
	if err != nil {
		return nil
	}
	return b
}

// updateFacts has the writer store what d's client reported and tells
// the device's peers. The writer emits no change for facts (the policy
// does not depend on them), so telling peers is the server's job.
func (s *Server) updateFacts(ctx context.Context, d *postern.Device, f tailnet.NodeFacts) {
	cur, err := s.cfg.Writer.UpdateNodeFacts(ctx, d.ID, f)
	if err != nil {
		s.log.Warn("map: updating device", "device_id", d.ID, "err", err)
		return
	}
	*d = cur
	s.forget(d.ID)
	id := d.ID
	s.notifyPeersOf(id, func(p *delta) { mark(&p.changed, id, true) })
}
