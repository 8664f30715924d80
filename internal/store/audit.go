package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/postern/postern"
)

// appendAuditAttempts bounds retries after a random id collided.
const appendAuditAttempts = 4

// AppendAudit stores e, assigning its ID, and if unset its EventTime (now)
// and Type ("CONFIG").
func (q *queries) AppendAudit(ctx context.Context, e *postern.AuditEvent) error {
	if e.EventTime.IsZero() {
		e.EventTime = q.now()
	}
	if e.Type == "" {
		e.Type = "CONFIG"
	}
	tags, err := toJSON(e.Actor.Tags)
	if err != nil {
		return err
	}
	for _, raw := range []json.RawMessage{e.Old, e.New} {
		if len(raw) > 0 && !json.Valid(raw) {
			return postern.Errorf(postern.EINVALID, "audit event %s: old or new value is not valid JSON", e.EventName())
		}
	}
	for range appendAuditAttempts {
		id := randInt53()
		_, err = q.exec(ctx, `INSERT INTO audit_events (id, tailnet_id, event_time, type, event_group_id, origin,
				actor_id, actor_type, actor_login, actor_display_name, actor_tags, target_id, target_name, target_type,
				target_ephemeral, target_property, action, event_name, old_value, new_value, action_details, error)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, e.TailnetID, toNanos(e.EventTime), e.Type, e.EventGroupID, e.Origin,
			e.Actor.ID, e.Actor.Type, e.Actor.LoginName, e.Actor.DisplayName, tags, e.Target.ID, e.Target.Name, e.Target.Type,
			e.Target.IsEphemeral, e.Target.Property, e.Action, e.EventName(), string(e.Old), string(e.New), e.ActionDetails, e.Error)
		if err == nil {
			e.ID = id
			return nil
		}
		if q.d.uniqueViolation(err) == "" {
			break
		}
	}
	return fmt.Errorf("append audit event %s: %w", e.EventName(), err)
}

const auditColumns = `id, tailnet_id, event_time, type, event_group_id, origin,
	actor_id, actor_type, actor_login, actor_display_name, actor_tags, target_id, target_name, target_type,
	target_ephemeral, target_property, action, old_value, new_value, action_details, error`

func scanAudit(row interface{ Scan(...any) error }) (postern.AuditEvent, error) {
	var (
		e              postern.AuditEvent
		at             int64
		tags, old, new string
	)
	err := row.Scan(&e.ID, &e.TailnetID, &at, &e.Type, &e.EventGroupID, &e.Origin,
		&e.Actor.ID, &e.Actor.Type, &e.Actor.LoginName, &e.Actor.DisplayName, &tags, &e.Target.ID, &e.Target.Name, &e.Target.Type,
		&e.Target.IsEphemeral, &e.Target.Property, &e.Action, &old, &new, &e.ActionDetails, &e.Error)
	if err != nil {
		return e, err
	}
	e.EventTime = fromNanos(at)
	if old != "" {
		e.Old = json.RawMessage(old)
	}
	if new != "" {
		e.New = json.RawMessage(new)
	}
	if e.Actor.Tags, err = fromJSON[string](tags); err != nil {
		return e, fmt.Errorf("decode audit event %d: %w", e.ID, err)
	}
	return e, nil
}

// AuditEvents returns the events f selects, newest first. Actor matches
// the actor's id or login name (case-insensitively), Target the target's
// id or name, Event the exact event name.
func (q *queries) AuditEvents(ctx context.Context, f postern.AuditFilter) ([]postern.AuditEvent, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.TailnetID != "" {
		add(`tailnet_id = ?`, f.TailnetID)
	}
	if !f.Start.IsZero() {
		add(`event_time >= ?`, toNanos(f.Start))
	}
	if !f.End.IsZero() {
		add(`event_time < ?`, toNanos(f.End))
	}
	if f.Actor != "" {
		add(`(actor_id = ? OR lower(actor_login) = ?)`, f.Actor, strings.ToLower(f.Actor))
	}
	if f.Target != "" {
		add(`(target_id = ? OR target_name = ?)`, f.Target, f.Target)
	}
	if f.Event != "" {
		add(`event_name = ?`, f.Event)
	}
	if f.Before.ID != 0 {
		t := toNanos(f.Before.Time)
		add(`(event_time < ? OR (event_time = ? AND id < ?))`, t, t, f.Before.ID)
	}
	query := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY event_time DESC, id DESC`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return collect(rows, scanAudit, "list audit events")
}
