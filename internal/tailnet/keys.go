package tailnet

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/keys"
	"github.com/postern/postern/internal/store"
)

// Key lifetimes. Like Tailscale: auth keys live at most 90 days, API
// keys (and OAuth clients) at most a year; 90 days unless asked.
const (
	DefaultKeyExpiry = 90 * 24 * time.Hour
	MaxAuthKeyExpiry = 90 * 24 * time.Hour
	MaxKeyExpiry     = 365 * 24 * time.Hour
)

// MaxExpiry is the longest lifetime a key of type t may be given.
func MaxExpiry(t postern.KeyType) time.Duration {
	if t == postern.KeyTypeAuth {
		return MaxAuthKeyExpiry
	}
	return MaxKeyExpiry
}

// KeyRequest describes a key to create.
type KeyRequest struct {
	Type        postern.KeyType
	UserID      string // owner; API keys act as this user
	Description string
	Expiry      time.Duration // 0 means DefaultKeyExpiry; at most MaxExpiry(Type)

	Reusable, Ephemeral, Preauthorized bool     // auth keys
	Tags                               []string // auth keys: tags given to devices
	Scopes                             []string // OAuth clients
	// ClientID names the OAuth client whose access token (or a key minted
	// with one) is creating this key, so the key is deleted with the
	// client; "" when a user creates it directly.
	ClientID string
}

// CreateKey mints a key, stores its hash and audits its creation. It
// returns the key's text, which is never stored, and the stored key.
func (s *Service) CreateKey(ctx context.Context, ac audit.Context, tailnetID string, r KeyRequest) (string, postern.Key, error) {
	if r.Expiry == 0 {
		r.Expiry = DefaultKeyExpiry
	}
	if max := MaxExpiry(r.Type); r.Expiry < time.Second || r.Expiry > max {
		return "", postern.Key{}, postern.Errorf(postern.EINVALID, "the expiry of %s keys must be from 1 second to %d days, got %s", r.Type, max/(24*time.Hour), r.Expiry)
	}
	if err := CheckTagSyntax(r.Tags); err != nil {
		return "", postern.Key{}, err
	}
	if r.Type != postern.KeyTypeAuth && (r.Reusable || r.Ephemeral || r.Preauthorized || len(r.Tags) > 0) {
		return "", postern.Key{}, postern.Errorf(postern.EINVALID, "only auth keys take reusable, ephemeral, preauthorized or tags")
	}
	now := s.now().UTC()
	tags := slices.Clone(r.Tags)
	slices.Sort(tags)
	k := postern.Key{
		TailnetID:     tailnetID,
		UserID:        r.UserID,
		Type:          r.Type,
		Description:   r.Description,
		Created:       now,
		Expires:       now.Add(r.Expiry),
		Reusable:      r.Reusable,
		Ephemeral:     r.Ephemeral,
		Preauthorized: r.Preauthorized,
		Tags:          slices.Compact(tags),
		Scopes:        r.Scopes,
		ClientID:      r.ClientID,
	}
	text := keys.Mint(&k)
	err := s.store.InTx(ctx, func(q store.Queries) error {
		if _, err := q.User(ctx, r.UserID); err != nil {
			return fmt.Errorf("key owner %q: %w", r.UserID, err)
		}
		if r.ClientID != "" {
			if c, err := q.Key(ctx, r.ClientID); err != nil || c.Type != postern.KeyTypeClient {
				return postern.Errorf(postern.EUNAUTHORIZED, "the OAuth client %s that this request's token came from no longer exists", r.ClientID)
			}
		}
		if err := q.CreateKey(ctx, &k); err != nil {
			return err
		}
		ev := ac.Event(now, tailnetID, postern.AuditTarget{ID: k.ID, Name: k.Description, Type: "API_KEY"}, "CREATE", nil, keySummary(k))
		return q.AppendAudit(ctx, &ev)
	})
	if err != nil {
		return "", postern.Key{}, fmt.Errorf("creating %s key: %w", r.Type, err)
	}
	return text, k, nil
}

// keySummary is what the audit log records of a key: never its hash.
func keySummary(k postern.Key) map[string]any {
	return map[string]any{
		"keyType": k.Type, "expires": k.Expires, "reusable": k.Reusable, "ephemeral": k.Ephemeral,
		"preauthorized": k.Preauthorized, "tags": k.Tags, "scopes": k.Scopes,
	}
}

// DeleteKey revokes and removes a key; devices that joined with it stay.
// Deleting an OAuth client also deletes every key minted from it: its
// access tokens, and the keys created with them (and, for a client
// created that way, its own in turn). Each key but a token is audited.
func (s *Service) DeleteKey(ctx context.Context, ac audit.Context, tailnetID, id string) error {
	err := s.store.InTx(ctx, func(q store.Queries) error {
		k, err := q.Key(ctx, id)
		if err != nil {
			return err
		}
		if k.TailnetID != tailnetID {
			return postern.ErrNotFound
		}
		doomed := []postern.Key{k}
		if k.Type == postern.KeyTypeClient {
			all, err := q.Keys(ctx, tailnetID)
			if err != nil {
				return err
			}
			doomed = append(doomed, mintedFrom(all, k.ID)...)
		}
		now := s.now()
		for _, d := range doomed {
			if err := q.DeleteKey(ctx, d.ID); err != nil {
				return err
			}
			if d.AccessToken {
				continue
			}
			ev := ac.Event(now, tailnetID, postern.AuditTarget{ID: d.ID, Name: d.Description, Type: "API_KEY"}, "REVOKE", keySummary(d), nil)
			if err := q.AppendAudit(ctx, &ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("deleting key %s: %w", id, err)
	}
	return nil
}

// mintedFrom returns the keys of all that the OAuth client clientID
// minted, directly or through a client it minted.
func mintedFrom(all []postern.Key, clientID string) []postern.Key {
	var out []postern.Key
	clients := []string{clientID}
	for len(clients) > 0 {
		c := clients[0]
		clients = clients[1:]
		for _, k := range all {
			if k.ClientID != c || k.ID == clientID {
				continue
			}
			out = append(out, k)
			if k.Type == postern.KeyTypeClient {
				clients = append(clients, k.ID)
			}
		}
	}
	return out
}

// AccessTokenLifetime is how long an OAuth access token lives.
const AccessTokenLifetime = time.Hour

// IssueAccessToken mints a short-lived API token for an OAuth client,
// carrying scopes (already checked to be within the client's). Tokens are
// not audited one by one: the client's creation and revocation are.
func (s *Service) IssueAccessToken(ctx context.Context, client postern.Key, scopes []string) (string, postern.Key, error) {
	now := s.now().UTC()
	k := postern.Key{
		TailnetID: client.TailnetID, UserID: client.UserID, Type: postern.KeyTypeAPI, AccessToken: true, ClientID: client.ID,
		Description: "OAuth access token", Created: now, Expires: now.Add(AccessTokenLifetime), Scopes: scopes,
	}
	text := keys.Mint(&k)
	err := s.store.InTx(ctx, func(q store.Queries) error {
		// A client deleted since it authenticated issues nothing.
		if _, err := q.Key(ctx, client.ID); err != nil {
			return err
		}
		return q.CreateKey(ctx, &k)
	})
	if err != nil {
		return "", k, fmt.Errorf("issuing an access token for OAuth client %s: %w", client.ID, err)
	}
	return text, k, nil
}

// IsAccessToken reports whether k is an OAuth access token rather than a
// key someone created; listings leave tokens out. Tokens are marked when
// issued, never recognised by a description a user could type.
func IsAccessToken(k postern.Key) bool {
	return k.Type == postern.KeyTypeAPI && k.AccessToken
}

// PurgeAccessTokens deletes OAuth access tokens that expired before now,
// which can never be used again, so the keys table does not grow by one
// row per token request forever.
func (s *Service) PurgeAccessTokens(ctx context.Context, tailnetID string) (int, error) {
	ks, err := s.store.Keys(ctx, tailnetID)
	if err != nil {
		return 0, fmt.Errorf("listing keys: %w", err)
	}
	now, n := s.now(), 0
	for _, k := range ks {
		if IsAccessToken(k) && !k.Expires.After(now) {
			if err := s.store.DeleteKey(ctx, k.ID); err != nil && !postern.IsNotFound(err) {
				return n, fmt.Errorf("deleting expired access token %s: %w", k.ID, err)
			}
			n++
		}
	}
	return n, nil
}
