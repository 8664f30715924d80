package control

import (
	"cmp"
	"context"
	"encoding/json"
	"hash/fnv"
	"net/netip"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/types/key"

	"github.com/postern/postern"
)

// liveNode is what a connected client reported that is not worth storing:
// it changes often and is stale once the client goes away.
type liveNode struct {
	endpoints []netip.AddrPort
	homeDERP  int
	cap       tailcfg.CapabilityVersion
	online    bool
	attrs     map[string]postern.Value // node:* attributes last reported
}

// taggedUserID is the user that owns tagged devices in map responses, as
// Tailscale shows them.
const taggedUserID tailcfg.UserID = 1

// userIDOf maps a Postern user id to the numeric id the protocol wants.
func userIDOf(id string) tailcfg.UserID {
	h := fnv.New64a()
	h.Write([]byte(id))
	return tailcfg.UserID(h.Sum64()>>12) + 2 // positive, clear of taggedUserID
}

// nodeUser is the protocol user of a device.
func nodeUser(d *postern.Device) tailcfg.UserID {
	if d.Tagged() {
		return taggedUserID
	}
	return userIDOf(d.UserID)
}

// device returns the device with id, from the cache or the store.
func (s *Server) device(ctx context.Context, id int64) (*postern.Device, error) {
	s.mu.Lock()
	d, ok := s.nodes[id]
	s.mu.Unlock()
	if ok {
		return d, nil
	}
	dev, err := s.cfg.Store.Device(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.nodes[id] = &dev
	s.mu.Unlock()
	s.watchKeyExpiry(&dev)
	return &dev, nil
}

// forget drops a device from the cache so the next use reloads it.
func (s *Server) forget(id int64) {
	s.mu.Lock()
	delete(s.nodes, id)
	s.mu.Unlock()
}

// liveOf returns a copy of what is known live about device id.
func (s *Server) liveOf(id int64) liveNode {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ln := s.live[id]; ln != nil {
		return *ln
	}
	return liveNode{}
}

// tailNode converts a device into the node clients see.
func (s *Server) tailNode(d *postern.Device, ln liveNode) *tailcfg.Node {
	var nk key.NodePublic
	nk.UnmarshalText([]byte(d.NodeKey))
	var mk key.MachinePublic
	mk.UnmarshalText([]byte(d.MachineKey))
	var dk key.DiscoPublic
	dk.UnmarshalText([]byte(d.DiscoKey))
	var addrs []netip.Prefix
	for _, a := range d.Addresses() {
		addrs = append(addrs, netip.PrefixFrom(a, a.BitLen()))
	}
	allowed := append(append([]netip.Prefix(nil), addrs...), d.EnabledRoutes...)
	n := &tailcfg.Node{
		ID:                tailcfg.NodeID(d.ID),
		StableID:          tailcfg.StableNodeID(d.NodeID),
		Name:              s.fqdn(d.Name),
		User:              nodeUser(d),
		Key:               nk,
		KeyExpiry:         d.KeyExpiry,
		Machine:           mk,
		DiscoKey:          dk,
		Addresses:         addrs,
		AllowedIPs:        allowed,
		PrimaryRoutes:     d.EnabledRoutes,
		Endpoints:         ln.endpoints,
		HomeDERP:          ln.homeDERP,
		Created:           d.Created,
		Cap:               ln.cap,
		Tags:              d.Tags,
		MachineAuthorized: d.Authorized,
		Online:            new(ln.online),
	}
	if d.KeyExpiryDisabled {
		n.KeyExpiry = time.Time{}
	}
	if !n.KeyExpiry.IsZero() && !s.now().Before(n.KeyExpiry) {
		// As Tailscale's control does: an expired node keeps its place
		// in peers' maps, marked, with no way to reach it.
		n.Expired = true
		n.Endpoints = nil
		n.HomeDERP = 0
	}
	if !d.LastSeen.IsZero() {
		n.LastSeen = new(d.LastSeen)
	}
	if len(d.Hostinfo) > 0 {
		var hi tailcfg.Hostinfo
		// Rows stored before Hostinfo was trimmed may hold more than
		// peers should see.
		if json.Unmarshal(d.Hostinfo, &hi) == nil {
			n.Hostinfo = peerHostinfo(&hi).View()
		}
	}
	if !n.Hostinfo.Valid() {
		n.Hostinfo = (&tailcfg.Hostinfo{Hostname: d.Hostname, OS: d.OS}).View()
	}
	return n
}

// fqdn is a device's MagicDNS name with the trailing dot clients expect.
func (s *Server) fqdn(name string) string { return name + "." + s.cfg.BaseDomain + "." }

// userProfile returns the profile of protocol user uid, owner of d.
func (s *Server) userProfile(ctx context.Context, d *postern.Device) tailcfg.UserProfile {
	uid := nodeUser(d)
	if uid == taggedUserID {
		return tailcfg.UserProfile{ID: uid, LoginName: "tagged-devices", DisplayName: "Tagged Devices"}
	}
	u, err := s.cfg.Store.User(ctx, d.UserID)
	if err != nil {
		return tailcfg.UserProfile{ID: uid, LoginName: d.UserID, DisplayName: d.UserID}
	}
	return tailcfg.UserProfile{ID: uid, LoginName: u.LoginName, DisplayName: cmp.Or(u.DisplayName, u.LoginName)}
}
