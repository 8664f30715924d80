// Package keys mints and verifies Postern's secret keys: auth keys
// (tskey-auth-), API keys (tskey-api-) and OAuth client secrets
// (tskey-client-). A key's text is shown once; the store keeps only its
// SHA-256 hash, found again through the key id the text carries.
package keys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randString returns n random base62 characters.
func randString(n int) string {
	b := make([]byte, n)
	// rand.Read never fails (it crashes the program instead).
	rand.Read(b)
	for i := range b {
		b[i] = base62[int(b[i])%len(base62)]
	}
	return string(b)
}

// prefix returns the text prefix of keys of type t.
func prefix(t postern.KeyType) string { return "tskey-" + string(t) + "-" }

// Mint fills in k.ID (if empty) and k.Hash for a new key of type k.Type and
// returns the key's secret text. The text is never stored.
func Mint(k *postern.Key) string {
	if k.ID == "" {
		k.ID = "k" + randString(11) + "CNTRL"
	}
	text := prefix(k.Type) + k.ID + "-" + randString(32)
	k.Hash = Hash(text)
	return text
}

// Hash is the stored form of a key's text.
func Hash(text string) []byte {
	h := sha256.Sum256([]byte(text))
	return h[:]
}

// ID extracts the key id from a key's text, checking its type prefix.
func ID(text string, t postern.KeyType) (string, bool) {
	rest, ok := strings.CutPrefix(text, prefix(t))
	if !ok {
		return "", false
	}
	id, secret, ok := strings.Cut(rest, "-")
	if !ok || id == "" || secret == "" {
		return "", false
	}
	return id, true
}

// Authenticate finds the key that text names, checks its hash in constant
// time, and checks that it is of type t and usable at now. Every failure
// is EUNAUTHORIZED with a message fit for the user, which never says
// whether a key id exists.
func Authenticate(ctx context.Context, q store.Queries, text string, t postern.KeyType, now time.Time) (postern.Key, error) {
	invalid := postern.Errorf(postern.EUNAUTHORIZED, "invalid key")
	id, ok := ID(text, t)
	if !ok {
		return postern.Key{}, invalid
	}
	k, err := q.Key(ctx, id)
	if postern.IsNotFound(err) {
		return postern.Key{}, invalid
	}
	if err != nil {
		return postern.Key{}, err
	}
	if subtle.ConstantTimeCompare(k.Hash, Hash(text)) != 1 || k.Type != t {
		return postern.Key{}, invalid
	}
	switch {
	case !k.Revoked.IsZero():
		return postern.Key{}, postern.Errorf(postern.EUNAUTHORIZED, "key %s has been revoked", k.ID)
	case !k.Expires.IsZero() && !now.Before(k.Expires):
		return postern.Key{}, postern.Errorf(postern.EUNAUTHORIZED, "key %s expired at %s", k.ID, k.Expires.UTC().Format(time.RFC3339))
	case !k.Valid(now):
		return postern.Key{}, postern.Errorf(postern.EUNAUTHORIZED, "key %s was single-use and has already been used", k.ID)
	}
	return k, nil
}
