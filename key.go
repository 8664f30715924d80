package postern

import "time"

// KeyType is what a key is for.
type KeyType string

// Key types, as Tailscale names them.
const (
	KeyTypeAuth   KeyType = "auth"   // tskey-auth-: joins devices
	KeyTypeAPI    KeyType = "api"    // tskey-api-: calls the API as its user
	KeyTypeClient KeyType = "client" // tskey-client-: an OAuth client's secret
)

// Key is an auth key, API key or OAuth client. The secret is shown once at
// creation; only its SHA-256 hash is stored.
type Key struct {
	ID          string // the public part, e.g. "kXy12abCNTRL"
	TailnetID   string
	UserID      string // who created it; API keys act as this user
	Type        KeyType
	Description string
	Hash        []byte // SHA-256 of the full secret key text

	Created time.Time
	Expires time.Time // zero means it never expires
	Revoked time.Time // zero means not revoked
	Used    int       // times an auth key was used to join

	// Auth key capabilities.
	Reusable      bool
	Ephemeral     bool
	Preauthorized bool
	Tags          []string

	// Scopes of an OAuth client, or of an OAuth access token.
	Scopes []string

	// ClientID names the OAuth client whose access token minted this key
	// (for an access token, the client that issued it); "" for a key a
	// user made. Deleting the client deletes these keys too.
	ClientID string
	// AccessToken marks an API key issued by the OAuth token endpoint
	// rather than created by a user.
	AccessToken bool
}

// Valid reports whether k can be used at now: not revoked, not expired, and
// for a single-use auth key, not used yet.
func (k *Key) Valid(now time.Time) bool {
	if !k.Revoked.IsZero() {
		return false
	}
	if !k.Expires.IsZero() && !now.Before(k.Expires) {
		return false
	}
	if k.Type == KeyTypeAuth && !k.Reusable && k.Used > 0 {
		return false
	}
	return true
}
