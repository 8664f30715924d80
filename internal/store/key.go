package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/postern/postern"
)

// CreateKey stores k with its hash (never the key text). It assigns an
// ID if k has none, though the keys package normally chooses it, since
// the key text carries it.
func (q *queries) CreateKey(ctx context.Context, k *postern.Key) error {
	if k.ID == "" {
		k.ID = newKeyID()
	}
	if k.Created.IsZero() {
		k.Created = q.now()
	}
	if len(k.Hash) == 0 {
		return postern.Errorf(postern.EINVALID, "key %s has no hash", k.ID)
	}
	tags, err := toJSON(k.Tags)
	if err != nil {
		return err
	}
	scopes, err := toJSON(k.Scopes)
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, `INSERT INTO keys (id, tailnet_id, user_id, type, description, hash, created, expires,
		revoked, used, reusable, ephemeral, preauthorized, tags, scopes, client_id, access_token)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.TailnetID, k.UserID, string(k.Type), k.Description, hex.EncodeToString(k.Hash), toNanos(k.Created),
		toNanos(k.Expires), toNanos(k.Revoked), k.Used, k.Reusable, k.Ephemeral, k.Preauthorized, tags, scopes,
		k.ClientID, k.AccessToken)
	switch {
	case err == nil:
		return nil
	case q.d.uniqueViolation(err) != "":
		return conflict("a key with id %q exists", k.ID)
	case q.d.foreignKeyViolation(err):
		return notFound("tailnet %q not found", k.TailnetID)
	}
	return fmt.Errorf("create key %s: %w", k.ID, err)
}

const keyColumns = `id, tailnet_id, user_id, type, description, hash, created, expires,
	revoked, used, reusable, ephemeral, preauthorized, tags, scopes, client_id, access_token`

func scanKey(row interface{ Scan(...any) error }) (postern.Key, error) {
	var (
		k                         postern.Key
		typ, hash, tags, scopes   string
		created, expires, revoked int64
	)
	err := row.Scan(&k.ID, &k.TailnetID, &k.UserID, &typ, &k.Description, &hash, &created, &expires,
		&revoked, &k.Used, &k.Reusable, &k.Ephemeral, &k.Preauthorized, &tags, &scopes,
		&k.ClientID, &k.AccessToken)
	if err != nil {
		return k, err
	}
	k.Type = postern.KeyType(typ)
	k.Created, k.Expires, k.Revoked = fromNanos(created), fromNanos(expires), fromNanos(revoked)
	var e1, e2, e3 error
	k.Hash, e1 = hex.DecodeString(hash)
	k.Tags, e2 = fromJSON[string](tags)
	k.Scopes, e3 = fromJSON[string](scopes)
	if err := errors.Join(e1, e2, e3); err != nil {
		return k, fmt.Errorf("decode key %s: %w", k.ID, err)
	}
	return k, nil
}

func (q *queries) Key(ctx context.Context, id string) (postern.Key, error) {
	k, err := scanKey(q.queryRow(ctx, `SELECT `+keyColumns+` FROM keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return k, notFound("key %q not found", id)
	}
	if err != nil {
		return k, fmt.Errorf("read key %s: %w", id, err)
	}
	return k, nil
}

func (q *queries) Keys(ctx context.Context, tailnetID string) ([]postern.Key, error) {
	rows, err := q.query(ctx, `SELECT `+keyColumns+` FROM keys WHERE tailnet_id = ? ORDER BY created, id`, tailnetID)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return collect(rows, scanKey, "list keys")
}

// UpdateKey writes k's Revoked, Used, Expires and Description.
func (q *queries) UpdateKey(ctx context.Context, k *postern.Key) error {
	err := q.execOneFast(ctx, notFound("key %q not found", k.ID),
		`UPDATE keys SET revoked = ?, used = ?, expires = ?, description = ? WHERE id = ?`,
		toNanos(k.Revoked), k.Used, toNanos(k.Expires), k.Description, k.ID)
	if err != nil && !postern.IsNotFound(err) {
		return fmt.Errorf("update key %s: %w", k.ID, err)
	}
	return err
}

func (q *queries) DeleteKey(ctx context.Context, id string) error {
	err := q.execOneFast(ctx, notFound("key %q not found", id), `DELETE FROM keys WHERE id = ?`, id)
	if err != nil && !postern.IsNotFound(err) {
		return fmt.Errorf("delete key %s: %w", id, err)
	}
	return err
}
