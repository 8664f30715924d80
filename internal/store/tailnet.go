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
	dns, err := encodeDNS(t.DNS)
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, `INSERT INTO tailnets (id, name, settings, dns, created) VALUES (?, ?, ?, ?, ?)`,
		t.ID, t.Name, string(settings), dns, toNanos(t.Created))
	if q.d.uniqueViolation(err) != "" {
		return conflict("a tailnet with id %q exists", t.ID)
	}
	if err != nil {
		return fmt.Errorf("create tailnet: %w", err)
	}
	return nil
}

const tailnetColumns = `id, name, settings, dns, created`

// encodeDNS is the dns column for d: empty for the zero DNS (a tailnet
// created without one reads back the default), JSON otherwise.
func encodeDNS(d postern.DNS) (string, error) {
	if d.Nameservers == nil && d.SearchPaths == nil && d.SplitDNS == nil && !d.MagicDNS {
		return "", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode tailnet dns: %w", err)
	}
	return string(b), nil
}

// decodeDNS reads the dns column: the default when never set, and empty
// lists rather than nil ones.
func decodeDNS(s string) (postern.DNS, error) {
	if s == "" {
		return postern.DefaultDNS(), nil
	}
	var d postern.DNS
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return d, err
	}
	if d.Nameservers == nil {
		d.Nameservers = []string{}
	}
	if d.SearchPaths == nil {
		d.SearchPaths = []string{}
	}
	if d.SplitDNS == nil {
		d.SplitDNS = map[string][]string{}
	}
	return d, nil
}

func scanTailnet(row interface{ Scan(...any) error }) (postern.Tailnet, error) {
	var (
		t        postern.Tailnet
		settings string
		dns      string
		created  int64
	)
	if err := row.Scan(&t.ID, &t.Name, &settings, &dns, &created); err != nil {
		return t, err
	}
	// Decode over the defaults, so settings added later read back with
	// their default values.
	t.Settings = postern.DefaultTailnetSettings()
	if err := json.Unmarshal([]byte(settings), &t.Settings); err != nil {
		return t, fmt.Errorf("decode settings of tailnet %s: %w", t.ID, err)
	}
	d, err := decodeDNS(dns)
	if err != nil {
		return t, fmt.Errorf("decode dns of tailnet %s: %w", t.ID, err)
	}
	t.DNS = d
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

func (q *queries) UpdateTailnetDNS(ctx context.Context, id string, d postern.DNS) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode tailnet dns: %w", err)
	}
	err = q.execOneFast(ctx, notFound("tailnet %q not found", id), `UPDATE tailnets SET dns = ? WHERE id = ?`, string(b), id)
	if err != nil && !postern.IsNotFound(err) {
		return fmt.Errorf("update dns of tailnet %s: %w", id, err)
	}
	return err
}
