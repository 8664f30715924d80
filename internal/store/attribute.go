package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/postern/postern"
)

const attributeColumns = `device_id, key, kind, value, source, expiry, updated`

func scanAttribute(row interface{ Scan(...any) error }) (postern.Attribute, error) {
	var (
		a               postern.Attribute
		kind, text      string
		expiry, updated int64
	)
	if err := row.Scan(&a.DeviceID, &a.Key, &kind, &text, &a.Source, &expiry, &updated); err != nil {
		return a, err
	}
	k, err := postern.ParseKind(kind)
	if err == nil {
		a.Value, err = postern.ParseValue(k, text)
	}
	if err != nil {
		return a, fmt.Errorf("decode attribute %s of device %d: %w", a.Key, a.DeviceID, err)
	}
	a.Expiry, a.Updated = fromNanos(expiry), fromNanos(updated)
	return a, nil
}

func (q *queries) attributesWhere(ctx context.Context, what, where string, args ...any) ([]postern.Attribute, error) {
	rows, err := q.query(ctx, `SELECT `+attributeColumns+` FROM attributes WHERE `+where+` ORDER BY device_id, key_lower`, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return collect(rows, scanAttribute, "list "+what)
}

func (q *queries) Attributes(ctx context.Context, deviceID int64) ([]postern.Attribute, error) {
	return q.attributesWhere(ctx, "attributes of a device", `device_id = ?`, deviceID)
}

func (q *queries) TailnetAttributes(ctx context.Context, tailnetID string) ([]postern.Attribute, error) {
	return q.attributesWhere(ctx, "attributes of a tailnet", `tailnet_id = ?`, tailnetID)
}

func (q *queries) AttributesBySource(ctx context.Context, tailnetID, source string) ([]postern.Attribute, error) {
	return q.attributesWhere(ctx, "attributes by source", `tailnet_id = ? AND source = ?`, tailnetID, source)
}

// AttributeKinds picks, per lower-cased key, the row written first
// (earliest created, then lowest device id).
func (q *queries) AttributeKinds(ctx context.Context, tailnetID string) (map[string]AttributeKind, error) {
	rows, err := q.query(ctx, `SELECT key, kind FROM (
			SELECT key, kind, ROW_NUMBER() OVER (PARTITION BY key_lower ORDER BY created, device_id) AS n
			FROM attributes WHERE tailnet_id = ?
		) firsts WHERE n = 1`, tailnetID)
	if err != nil {
		return nil, fmt.Errorf("list attribute kinds: %w", err)
	}
	defer rows.Close()
	out := make(map[string]AttributeKind)
	for rows.Next() {
		var key, kind string
		if err := rows.Scan(&key, &kind); err != nil {
			return nil, fmt.Errorf("list attribute kinds: %w", err)
		}
		k, err := postern.ParseKind(kind)
		if err != nil {
			return nil, fmt.Errorf("decode kind of attribute %s: %w", key, err)
		}
		out[strings.ToLower(key)] = AttributeKind{Key: key, Kind: k}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list attribute kinds: %w", err)
	}
	return out, nil
}

// SetAttribute inserts a or replaces the device's attribute with the same
// key (compared case-insensitively; the first spelling is kept). Updated
// defaults to now, but when the kind and value are unchanged the stored
// Updated stays, so it records when the value last changed.
func (q *queries) SetAttribute(ctx context.Context, a postern.Attribute) error {
	if !a.Value.IsSet() {
		return postern.Errorf(postern.EINVALID, "attribute %s has no value", a.Key)
	}
	if a.Key == "" {
		return postern.Errorf(postern.EINVALID, "attribute key is empty")
	}
	now := q.now()
	if a.Updated.IsZero() {
		a.Updated = now
	}
	// Selecting from devices gives the device's tailnet and inserts
	// nothing if the device does not exist, so a missing device is not an
	// error that would abort a PostgreSQL transaction.
	err := q.execOneFast(ctx, notFound("device %d not found", a.DeviceID), `INSERT INTO attributes
			(device_id, tailnet_id, key, key_lower, kind, value, source, expiry, created, updated)
		SELECT id, tailnet_id, ?, ?, ?, ?, ?, ?, ?, ? FROM devices WHERE id = ?
		ON CONFLICT (device_id, key_lower) DO UPDATE SET
			kind = excluded.kind, value = excluded.value, source = excluded.source, expiry = excluded.expiry,
			updated = CASE WHEN attributes.kind = excluded.kind AND attributes.value = excluded.value
				THEN attributes.updated ELSE excluded.updated END`,
		a.Key, strings.ToLower(a.Key), a.Value.Kind().String(), a.Value.Text(), a.Source,
		toNanos(a.Expiry), toNanos(now), toNanos(a.Updated), a.DeviceID)
	if postern.IsNotFound(err) {
		return err
	}
	if err != nil {
		return fmt.Errorf("set attribute %s of device %d: %w", a.Key, a.DeviceID, err)
	}
	return nil
}

func (q *queries) DeleteAttribute(ctx context.Context, deviceID int64, key string) error {
	err := q.execOneFast(ctx, notFound("attribute %s of device %d not found", key, deviceID),
		`DELETE FROM attributes WHERE device_id = ? AND key_lower = ?`, deviceID, strings.ToLower(key))
	if err != nil && !postern.IsNotFound(err) {
		return fmt.Errorf("delete attribute %s of device %d: %w", key, deviceID, err)
	}
	return err
}

// DeleteExpiredAttributes removes, in one statement, the tailnet's
// attributes whose expiry is at or before now; an empty tailnetID means
// every tailnet.
func (q *queries) DeleteExpiredAttributes(ctx context.Context, tailnetID string, now time.Time) ([]postern.Attribute, error) {
	where, args := `expiry <> 0 AND expiry <= ?`, []any{toNanos(now)}
	if tailnetID != "" {
		where, args = `tailnet_id = ? AND `+where, append([]any{tailnetID}, args...)
	}
	return q.deleteAttributesWhere(ctx, "expired attributes", where, args...)
}

func (q *queries) DeleteAttributesBySource(ctx context.Context, tailnetID, source string) ([]postern.Attribute, error) {
	return q.deleteAttributesWhere(ctx, "attributes of source "+source, `tailnet_id = ? AND source = ?`, tailnetID, source)
}

func (q *queries) deleteAttributesWhere(ctx context.Context, what, where string, args ...any) ([]postern.Attribute, error) {
	rows, err := q.query(ctx, `DELETE FROM attributes WHERE `+where+` RETURNING `+attributeColumns, args...)
	if err != nil {
		return nil, fmt.Errorf("delete %s: %w", what, err)
	}
	return collect(rows, scanAttribute, "delete "+what)
}
