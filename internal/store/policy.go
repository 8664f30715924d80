package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/postern/postern"
)

func (q *queries) Policy(ctx context.Context, tailnetID string) (postern.PolicyFile, error) {
	var (
		p       postern.PolicyFile
		updated int64
	)
	err := q.queryRow(ctx, `SELECT tailnet_id, version, text, etag, updated_by, updated FROM policy_files
		WHERE tailnet_id = ? ORDER BY version DESC LIMIT 1`, tailnetID).
		Scan(&p.TailnetID, &p.Version, &p.Text, &p.ETag, &p.UpdatedBy, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound("no policy file saved for tailnet %q", tailnetID)
	}
	if err != nil {
		return p, fmt.Errorf("read policy file: %w", err)
	}
	p.Updated = fromNanos(updated)
	return p, nil
}

// savePolicyAttempts bounds SavePolicy's retries when a concurrent save
// took the version it chose.
const savePolicyAttempts = 8

// SavePolicy stores p as the tailnet's next version, setting Version,
// ETag (hex SHA-256 of Text) and, if zero, Updated.
func (q *queries) SavePolicy(ctx context.Context, p *postern.PolicyFile) error {
	sum := sha256.Sum256([]byte(p.Text))
	etag := hex.EncodeToString(sum[:])
	updated := p.Updated
	if updated.IsZero() {
		updated = q.now()
	}
	var err error
	for range savePolicyAttempts {
		var last int64
		if err = q.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM policy_files WHERE tailnet_id = ?`,
			p.TailnetID).Scan(&last); err != nil {
			return fmt.Errorf("save policy file: read last version: %w", err)
		}
		_, err = q.exec(ctx, `INSERT INTO policy_files (tailnet_id, version, text, etag, updated_by, updated)
			VALUES (?, ?, ?, ?, ?, ?)`, p.TailnetID, last+1, p.Text, etag, p.UpdatedBy, toNanos(updated))
		switch {
		case err == nil:
			p.Version, p.ETag, p.Updated = last+1, etag, updated
			return nil
		case q.d.uniqueViolation(err) != "":
			continue // another save took this version; take the next
		case q.d.foreignKeyViolation(err):
			return notFound("tailnet %q not found", p.TailnetID)
		}
		return fmt.Errorf("save policy file: %w", err)
	}
	return fmt.Errorf("save policy file: versions kept colliding: %w", err)
}
