package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/postern/postern"
)

func (q *queries) CreateTailnet(ctx context.Context, t *postern.Tailnet) error {
	if t.ID == "" {
		t.ID = newTailnetID()
	}
	if t.Created.IsZero() {
		t.Created = q.now()
	}
	settings, err := json.Marshal(t.Settings)
	if err != nil {
		return fmt.Errorf("encode tailnet settings: %w", err)
	}
	_, err = q.exec(ctx, `INSERT INTO tailnets (id, name, settings, created) VALUES (?, ?, ?, ?)`,
		t.ID, t.Name, string(settings), toNanos(t.Created))
	if q.d.uniqueViolation(err) != "" {
		return conflict("a tailnet with id %q exists", t.ID)
	}
	if err != nil {
		return fmt.Errorf("create tailnet: %w", err)
	}
	return nil
}

const tailnetColumns = `id, name, settings, created`

func scanTailnet(row interface{ Scan(...any) error }) (postern.Tailnet, error) {
	var (
		t        postern.Tailnet
		settings string
		created  int64
	)
	if err := row.Scan(&t.ID, &t.Name, &settings, &created); err != nil {
		return t, err
	}
	// Decode over the defaults, so settings added later read back with
	// their default values.
	t.Settings = postern.DefaultTailnetSettings()
	if err := json.Unmarshal([]byte(settings), &t.Settings); err != nil {
		return t, fmt.Errorf("decode settings of tailnet %s: %w", t.ID, err)
	}
	t.Created = fromNanos(created)
	return t, nil
}

func (q *queries) DefaultTailnet(ctx context.Context) (postern.Tailnet, error) {
	t, err := scanTailnet(q.queryRow(ctx, `SELECT `+tailnetColumns+` FROM tailnets ORDER BY created, id LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound("no tailnet exists yet")
	}
	if err != nil {
		return t, fmt.Errorf("read default tailnet: %w", err)
	}
	return t, nil
}

func (q *queries) Tailnet(ctx context.Context, id string) (postern.Tailnet, error) {
	t, err := scanTailnet(q.queryRow(ctx, `SELECT `+tailnetColumns+` FROM tailnets WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound("tailnet %q not found", id)
	}
	if err != nil {
		return t, fmt.Errorf("read tailnet %s: %w", id, err)
	}
	return t, nil
}

func (q *queries) UpdateTailnetSettings(ctx context.Context, id string, s postern.TailnetSettings) error {
	settings, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode tailnet settings: %w", err)
	}
	err = q.execOneFast(ctx, notFound("tailnet %q not found", id), `UPDATE tailnets SET settings = ? WHERE id = ?`, string(settings), id)
	if err != nil && !postern.IsNotFound(err) {
		return fmt.Errorf("update settings of tailnet %s: %w", id, err)
	}
	return err
}
