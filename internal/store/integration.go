package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/postern/postern"
)

// sealSecret seals an integration's client secret for storage. An empty
// secret is stored as "".
func (q *queries) sealSecret(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	if q.s.opts.Secrets == nil {
		return "", errors.New("seal integration secret: the store was opened without a secret box")
	}
	return q.s.opts.Secrets.Seal([]byte(plain))
}

func (q *queries) openSecret(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if q.s.opts.Secrets == nil {
		return "", errors.New("open integration secret: the store was opened without a secret box")
	}
	b, err := q.s.opts.Secrets.Open(sealed)
	return string(b), err
}

func (q *queries) CreateIntegration(ctx context.Context, in *postern.Integration) error {
	if in.ID == "" {
		in.ID = newIntegrationID()
	}
	if in.ConfigUpdated.IsZero() {
		in.ConfigUpdated = q.now()
	}
	sealed, err := q.sealSecret(in.ClientSecret)
	if err != nil {
		return fmt.Errorf("create integration: %w", err)
	}
	s := &in.Status
	report, err := encodeMatchReport(s.Unmatched)
	if err != nil {
		return fmt.Errorf("create integration: %w", err)
	}
	_, err = q.exec(ctx, `INSERT INTO integrations (id, tailnet_id, provider, cloud_id, client_id, tenant_id,
		client_secret_sealed, config_updated, last_sync, last_attempt, last_error, provider_host_count,
		matched_count, possible_matched_count, paused_until, last_duration, last_warning, declared_schema,
		sync_interval_seconds, last_match_report)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.ID, in.TailnetID, in.Provider, in.CloudID, in.ClientID, in.TenantID,
		sealed, toNanos(in.ConfigUpdated), toNanos(s.LastSync), toNanos(s.LastAttempt), s.Error, s.ProviderHostCount,
		s.MatchedCount, s.PossibleMatchedCount, toNanos(s.PausedUntil), int64(s.LastDuration), s.Warning, s.Schema,
		int64(in.SyncInterval/time.Second), report)
	if err != nil {
		return q.integrationWriteError(err, in, "create")
	}
	return nil
}

func (q *queries) integrationWriteError(err error, in *postern.Integration, op string) error {
	switch q.d.uniqueViolation(err) {
	case "":
	case "integrations_provider_uniq":
		return conflict("a %s integration exists in the tailnet", in.Provider)
	default:
		return conflict("an integration with id %q exists", in.ID)
	}
	if q.d.foreignKeyViolation(err) {
		return notFound("tailnet %q not found", in.TailnetID)
	}
	return fmt.Errorf("%s integration %s: %w", op, in.ID, err)
}

const integrationColumns = `id, tailnet_id, provider, cloud_id, client_id, tenant_id,
	client_secret_sealed, config_updated, last_sync, last_attempt, last_error, provider_host_count,
	matched_count, possible_matched_count, paused_until, last_duration, last_warning, declared_schema,
	sync_interval_seconds, last_match_report`

func (q *queries) scanIntegration(row interface{ Scan(...any) error }) (postern.Integration, error) {
	var (
		in                                                         postern.Integration
		sealed, report                                             string
		updated, lastSync, lastAttempt, paused, duration, interval int64
	)
	s := &in.Status
	err := row.Scan(&in.ID, &in.TailnetID, &in.Provider, &in.CloudID, &in.ClientID, &in.TenantID,
		&sealed, &updated, &lastSync, &lastAttempt, &s.Error, &s.ProviderHostCount,
		&s.MatchedCount, &s.PossibleMatchedCount, &paused, &duration, &s.Warning, &s.Schema,
		&interval, &report)
	if err != nil {
		return in, err
	}
	in.SyncInterval = time.Duration(interval) * time.Second
	if s.Unmatched, err = decodeMatchReport(report); err != nil {
		return in, fmt.Errorf("integration %s: %w", in.ID, err)
	}
	in.ConfigUpdated, s.LastSync, s.LastAttempt, s.PausedUntil = fromNanos(updated), fromNanos(lastSync), fromNanos(lastAttempt), fromNanos(paused)
	s.LastDuration = time.Duration(duration)
	if in.ClientSecret, err = q.openSecret(sealed); err != nil {
		return in, fmt.Errorf("integration %s: %w", in.ID, err)
	}
	return in, nil
}

func (q *queries) Integration(ctx context.Context, id string) (postern.Integration, error) {
	in, err := q.scanIntegration(q.queryRow(ctx, `SELECT `+integrationColumns+` FROM integrations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return in, notFound("integration %q not found", id)
	}
	if err != nil {
		return in, fmt.Errorf("read integration %s: %w", id, err)
	}
	return in, nil
}

func (q *queries) Integrations(ctx context.Context, tailnetID string) ([]postern.Integration, error) {
	rows, err := q.query(ctx, `SELECT `+integrationColumns+` FROM integrations WHERE tailnet_id = ? ORDER BY provider, id`, tailnetID)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	return collect(rows, q.scanIntegration, "list integrations")
}

// UpdateIntegration writes every field but ID and TailnetID, the secret
// sealed afresh.
func (q *queries) UpdateIntegration(ctx context.Context, in *postern.Integration) error {
	sealed, err := q.sealSecret(in.ClientSecret)
	if err != nil {
		return fmt.Errorf("update integration %s: %w", in.ID, err)
	}
	s := &in.Status
	report, err := encodeMatchReport(s.Unmatched)
	if err != nil {
		return fmt.Errorf("update integration %s: %w", in.ID, err)
	}
	err = q.execOne(ctx, notFound("integration %q not found", in.ID), `UPDATE integrations SET provider = ?, cloud_id = ?,
		client_id = ?, tenant_id = ?, client_secret_sealed = ?, config_updated = ?, last_sync = ?, last_attempt = ?,
		last_error = ?, provider_host_count = ?, matched_count = ?, possible_matched_count = ?, paused_until = ?,
		last_duration = ?, last_warning = ?, declared_schema = ?, sync_interval_seconds = ?, last_match_report = ?
		WHERE id = ?`,
		in.Provider, in.CloudID, in.ClientID, in.TenantID, sealed, toNanos(in.ConfigUpdated), toNanos(s.LastSync),
		toNanos(s.LastAttempt), s.Error, s.ProviderHostCount, s.MatchedCount, s.PossibleMatchedCount,
		toNanos(s.PausedUntil), int64(s.LastDuration), s.Warning, s.Schema, int64(in.SyncInterval/time.Second), report, in.ID)
	if err != nil && !postern.IsNotFound(err) {
		return q.integrationWriteError(err, in, "update")
	}
	return err
}

func (q *queries) UpdateIntegrationStatus(ctx context.Context, id string, s postern.IntegrationStatus) error {
	report, err := encodeMatchReport(s.Unmatched)
	if err != nil {
		return fmt.Errorf("update status of integration %s: %w", id, err)
	}
	err = q.execOneFast(ctx, notFound("integration %q not found", id), `UPDATE integrations SET last_sync = ?, last_attempt = ?,
		last_error = ?, provider_host_count = ?, matched_count = ?, possible_matched_count = ?, paused_until = ?,
		last_duration = ?, last_warning = ?, declared_schema = ?, last_match_report = ?
		WHERE id = ?`,
		toNanos(s.LastSync), toNanos(s.LastAttempt), s.Error, s.ProviderHostCount, s.MatchedCount, s.PossibleMatchedCount,
		toNanos(s.PausedUntil), int64(s.LastDuration), s.Warning, s.Schema, report, id)
	if err != nil && !postern.IsNotFound(err) {
		return fmt.Errorf("update status of integration %s: %w", id, err)
	}
	return err
}

func (q *queries) DeleteIntegration(ctx context.Context, id string) error {
	err := q.execOneFast(ctx, notFound("integration %q not found", id), `DELETE FROM integrations WHERE id = ?`, id)
	if err != nil && !postern.IsNotFound(err) {
		return fmt.Errorf("delete integration %s: %w", id, err)
	}
	return err
}

// encodeMatchReport is the TEXT a match report is stored as; "" for none.
func encodeMatchReport(r *postern.MatchReport) (string, error) {
	if r == nil {
		return "", nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("encode match report: %w", err)
	}
	return string(b), nil
}

func decodeMatchReport(s string) (*postern.MatchReport, error) {
	if s == "" {
		return nil, nil
	}
	r := new(postern.MatchReport)
	if err := json.Unmarshal([]byte(s), r); err != nil {
		return nil, fmt.Errorf("decode match report: %w", err)
	}
	return r, nil
}
