package tailnet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/keys"
	"github.com/postern/postern/internal/store"
)

// MaxKeyExpiry is the longest lifetime a key may be given.
const MaxKeyExpiry = 365 * 24 * time.Hour

// KeyRequest describes a key to create.
type KeyRequest struct {
	Type        postern.KeyType
	UserID      string // owner; API keys act as this user
	Description string
	Expiry      time.Duration // 0 means the default of 90 days

	Reusable, Ephemeral, Preauthorized bool     // auth keys
	Tags                               []string // auth keys: tags given to devices
	Scopes                             []string // OAuth clients
}

// CreateKey mints a key, stores its hash and audits its creation. It
// returns the key's text, which is never stored, and the stored key.
func (s *Service) CreateKey(ctx context.Context, ac audit.Context, tailnetID string, r KeyRequest) (string, postern.Key, error) {
	if r.Expiry == 0 {
		r.Expiry = 90 * 24 * time.Hour
	}
	if r.Expiry < 0 || r.Expiry > MaxKeyExpiry {
		return "", postern.Key{}, postern.Errorf(postern.EINVALID, "key expiry %s is out of range (1s to %s)", r.Expiry, MaxKeyExpiry)
	}
	for _, t := range r.Tags {
		if !strings.HasPrefix(t, "tag:") || len(t) == len("tag:") {
			return "", postern.Key{}, postern.Errorf(postern.EINVALID, "tag %q must look like tag:name", t)
		}
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
	}
	text := keys.Mint(&k)
	err := s.store.InTx(ctx, func(q store.Queries) error {
		if _, err := q.User(ctx, r.UserID); err != nil {
			return fmt.Errorf("key owner %q: %w", r.UserID, err)
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
func (s *Service) DeleteKey(ctx context.Context, ac audit.Context, tailnetID, id string) error {
	err := s.store.InTx(ctx, func(q store.Queries) error {
		k, err := q.Key(ctx, id)
		if err != nil {
			return err
		}
		if k.TailnetID != tailnetID {
			return postern.ErrNotFound
		}
		if err := q.DeleteKey(ctx, id); err != nil {
			return err
		}
		ev := ac.Event(s.now(), tailnetID, postern.AuditTarget{ID: k.ID, Name: k.Description, Type: "API_KEY"}, "REVOKE", keySummary(k), nil)
		return q.AppendAudit(ctx, &ev)
	})
	if err != nil {
		return fmt.Errorf("deleting key %s: %w", id, err)
	}
	return nil
}

// AccessTokenLifetime is how long an OAuth access token lives.
const AccessTokenLifetime = time.Hour

// IssueAccessToken mints a short-lived API token for an OAuth client,
// carrying scopes (already checked to be within the client's). Tokens are
// not audited one by one: the client's creation and revocation are.
func (s *Service) IssueAccessToken(ctx context.Context, client postern.Key, scopes []string) (string, postern.Key, error) {
	now := s.now().UTC()
	k := postern.Key{
		TailnetID: client.TailnetID, UserID: client.UserID, Type: postern.KeyTypeAPI,
		Description: accessTokenPrefix + client.ID, Created: now, Expires: now.Add(AccessTokenLifetime), Scopes: scopes,
	}
	text := keys.Mint(&k)
	if err := s.store.CreateKey(ctx, &k); err != nil {
		return "", k, fmt.Errorf("issuing an access token for OAuth client %s: %w", client.ID, err)
	}
	return text, k, nil
}

// accessTokenPrefix starts the description of an OAuth access token, which
// is stored as an API key limited to its scopes.
const accessTokenPrefix = "oauth:"

// IsAccessToken reports whether k is an OAuth access token rather than a
// key someone created; listings leave tokens out.
func IsAccessToken(k postern.Key) bool {
	return k.Type == postern.KeyTypeAPI && strings.HasPrefix(k.Description, accessTokenPrefix)
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
