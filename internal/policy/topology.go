package policy

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"sort"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/posture"
)

// Node is one device of the tailnet as the engine sees it.
type Node struct {
	ID   int64
	Name string
	IPv4 netip.Addr
	IPv6 netip.Addr
	// User is the owner's login email; "" for a tagged node.
	User string
	Tags []string
	// AdvertisedRoutes are the subnet and exit routes the node offers;
	// ApprovedRoutes those approved, which are what the filter uses.
	AdvertisedRoutes []netip.Prefix
	ApprovedRoutes   []netip.Prefix
	// Attrs are the node's posture attributes; nil means none.
	Attrs posture.Attrs
}

// User is a tailnet user.
type User struct {
	LoginName string
	Role      postern.Role
}

func (n *Node) tagged() bool { return len(n.Tags) > 0 }

func (n *Node) addrs() []netip.Addr {
	var out []netip.Addr
	if n.IPv4.IsValid() {
		out = append(out, n.IPv4)
	}
	if n.IPv6.IsValid() {
		out = append(out, n.IPv6)
	}
	return out
}

// topologyFile is the users/nodes part of a conformance vector.
type topologyFile struct {
	Users []struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Role  string `json:"role"`
	} `json:"users"`
	Nodes map[string]struct {
		IPv4           string                   `json:"ipv4"`
		IPv6           string                   `json:"ipv6"`
		Tags           []string                 `json:"tags"`
		User           *string                  `json:"user"`
		RoutableIPs    []string                 `json:"routable_ips"`
		ApprovedRoutes []string                 `json:"approved_routes"`
		Attributes     map[string]postern.Value `json:"attributes"`
	} `json:"nodes"`
}

// LoadTopology reads a topology in the conformance vectors' format:
// {"users": [{"name", "email"}], "nodes": {name: {"ipv4", "ipv6", "tags",
// "user", "routable_ips", "approved_routes"}}}. An optional "role" per
// user (default member) and "attributes" per node (posture attributes)
// extend it. Nodes get ids 1, 2, ... in name order.
func LoadTopology(r io.Reader) ([]User, []Node, error) {
	var tf topologyFile
	if err := json.NewDecoder(r).Decode(&tf); err != nil {
		return nil, nil, fmt.Errorf("reading topology: %w", err)
	}
	users := make([]User, 0, len(tf.Users))
	for _, u := range tf.Users {
		role := postern.Role(u.Role)
		if role == "" {
			role = postern.RoleMember
		}
		users = append(users, User{LoginName: u.Email, Role: role})
	}
	names := make([]string, 0, len(tf.Nodes))
	for n := range tf.Nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	nodes := make([]Node, 0, len(names))
	for i, name := range names {
		tn := tf.Nodes[name]
		n := Node{ID: int64(i + 1), Name: name, Tags: tn.Tags}
		var err error
		if n.IPv4, err = optAddr(tn.IPv4); err != nil {
			return nil, nil, fmt.Errorf("reading topology: node %q: %w", name, err)
		}
		if n.IPv6, err = optAddr(tn.IPv6); err != nil {
			return nil, nil, fmt.Errorf("reading topology: node %q: %w", name, err)
		}
		if tn.User != nil {
			n.User = *tn.User
		}
		if n.AdvertisedRoutes, err = prefixes(tn.RoutableIPs); err != nil {
			return nil, nil, fmt.Errorf("reading topology: node %q: %w", name, err)
		}
		if n.ApprovedRoutes, err = prefixes(tn.ApprovedRoutes); err != nil {
			return nil, nil, fmt.Errorf("reading topology: node %q: %w", name, err)
		}
		if tn.Attributes != nil {
			n.Attrs = posture.Map(tn.Attributes)
		}
		nodes = append(nodes, n)
	}
	return users, nodes, nil
}

func optAddr(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	return netip.ParseAddr(s)
}

func prefixes(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
