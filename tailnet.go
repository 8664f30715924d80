package postern

import "time"

// Tailnet is one network of devices under one policy file. Postern serves
// one default tailnet, which the API also calls "-".
type Tailnet struct {
	ID       string // stable id, e.g. "T1a2b3c"
	Name     string // display name, e.g. "example.com"
	Settings TailnetSettings
	DNS      DNS
	Created  time.Time
}

// DNS is the tailnet's DNS configuration, as Tailscale's API exposes it
// under /tailnet/{tailnet}/dns and as clients receive it in their map.
type DNS struct {
	// Nameservers are the global resolvers, IP addresses; empty leaves
	// clients with their own resolvers.
	Nameservers []string `json:"nameservers"`
	// SearchPaths are the search domains added after the MagicDNS one.
	SearchPaths []string `json:"searchPaths"`
	// SplitDNS sends queries under a domain to its own resolvers.
	SplitDNS map[string][]string `json:"splitDNS"`
	// MagicDNS answers device names through 100.100.100.100.
	MagicDNS bool `json:"magicDNS"`
}

// DefaultDNS is the DNS configuration of a new tailnet: MagicDNS on and
// nothing else.
func DefaultDNS() DNS {
	return DNS{Nameservers: []string{}, SearchPaths: []string{}, SplitDNS: map[string][]string{}, MagicDNS: true}
}

// TailnetSettings are the tailnet's feature switches, with the JSON field
// names of Tailscale's API (/tailnet/{tailnet}/settings).
type TailnetSettings struct {
	DevicesApprovalOn                      bool   `json:"devicesApprovalOn"`
	DevicesAutoUpdatesOn                   bool   `json:"devicesAutoUpdatesOn"`
	DevicesKeyDurationDays                 int    `json:"devicesKeyDurationDays"` // 1-180
	UsersApprovalOn                        bool   `json:"usersApprovalOn"`
	UsersRoleAllowedToJoinExternalTailnets string `json:"usersRoleAllowedToJoinExternalTailnets"`
	NetworkFlowLoggingOn                   bool   `json:"networkFlowLoggingOn"`
	RegionalRoutingOn                      bool   `json:"regionalRoutingOn"`
	PostureIdentityCollectionOn            bool   `json:"postureIdentityCollectionOn"`
	HTTPSEnabled                           bool   `json:"httpsEnabled"`
	ACLsExternallyManagedOn                bool   `json:"aclsExternallyManagedOn"`
	ACLsExternalLink                       string `json:"aclsExternalLink"`
}

// DefaultTailnetSettings are the settings of a new tailnet.
func DefaultTailnetSettings() TailnetSettings {
	return TailnetSettings{
		DevicesKeyDurationDays:                 180,
		UsersRoleAllowedToJoinExternalTailnets: "member",
	}
}

// Role is a user's role in the tailnet.
type Role string

// The roles, as Tailscale names them.
const (
	RoleOwner   Role = "owner"
	RoleAdmin   Role = "admin"
	RoleMember  Role = "member"
	RoleAuditor Role = "auditor"
)

// User is a person in the tailnet. LoginName is the email address.
type User struct {
	ID          string // e.g. "u4f8c1d"
	TailnetID   string
	LoginName   string // email, unique per tailnet (case-insensitive)
	DisplayName string
	Role        Role
	Created     time.Time
}

// PolicyFile is one saved version of the tailnet policy file.
type PolicyFile struct {
	TailnetID string
	Version   int64  // 1 for the first saved file, then +1 each save
	Text      string // exactly as submitted (HuJSON)
	ETag      string // hex SHA-256 of Text
	UpdatedBy string // actor id (user or key) that saved it
	Updated   time.Time
}
