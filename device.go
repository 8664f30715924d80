package postern

import (
	"net/netip"
	"time"
)

// Device is a node of the tailnet: one tailscaled instance.
type Device struct {
	ID        int64  // numeric id (Tailscale's legacy "id")
	NodeID    string // stable string id (Tailscale's "nodeId"), e.g. "nXk3Lq2CNTRL"
	TailnetID string
	UserID    string // the user who owns it (for tagged devices: who created it)

	Name       string // MagicDNS short name, unique per tailnet
	Hostname   string // as the client reports it
	MachineKey string // "mkey:..." text form
	NodeKey    string // "nodekey:..." text form, empty until registered
	DiscoKey   string // "discokey:..." text form

	OS            string // e.g. "linux"
	OSVersion     string
	ClientVersion string

	Tags       []string // sorted; non-empty means a tagged device
	Ephemeral  bool
	Authorized bool

	IPv4 netip.Addr // from 100.64.0.0/10, unique per tailnet
	IPv6 netip.Addr // from fd7a:115c:a1e0::/48, unique per tailnet

	AdvertisedRoutes []netip.Prefix
	EnabledRoutes    []netip.Prefix

	Created           time.Time
	LastSeen          time.Time // zero if never seen
	KeyExpiry         time.Time // zero if the key does not expire
	KeyExpiryDisabled bool

	PostureIdentity PostureIdentity

	// Hostinfo is the client's last tailcfg.Hostinfo as JSON, nil if none.
	Hostinfo []byte
}

// Tagged reports whether the device is owned by tags rather than a user.
func (d *Device) Tagged() bool { return len(d.Tags) > 0 }

// Addresses returns the device's Tailscale addresses, IPv4 first.
func (d *Device) Addresses() []netip.Addr {
	var out []netip.Addr
	if d.IPv4.IsValid() {
		out = append(out, d.IPv4)
	}
	if d.IPv6.IsValid() {
		out = append(out, d.IPv6)
	}
	return out
}

// PostureIdentity is what Device Identity Collection learned from the
// client: its hardware serial numbers and MAC addresses, or that it
// declined to report them.
type PostureIdentity struct {
	SerialNumbers []string
	HardwareAddrs []string
	Disabled      bool      // the client has posture reporting off
	Updated       time.Time // zero if never collected
}

// Attribute sources other than integrations. An integration's source is
// IntegrationSource(id).
const (
	SourceNode   = "node"   // reported by the client (node:*)
	SourceIP     = "ip"     // derived by the control plane (ip:*)
	SourceCustom = "custom" // set through the API (custom:*)
)

// IntegrationSource is the Attribute.Source of values an integration wrote.
func IntegrationSource(integrationID string) string { return "integration:" + integrationID }

// Attribute is one posture attribute of a device: a typed value under a
// "namespace:name" key.
type Attribute struct {
	DeviceID int64
	Key      string // e.g. "custom:tier", "falcon:ztaScore"
	Value    Value
	Source   string    // SourceNode, SourceIP, SourceCustom or IntegrationSource(id)
	Expiry   time.Time // zero if it does not expire
	Updated  time.Time // when the value last changed
}
