package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded schema change, applied once and recorded by
// name in schema_migrations.
type migration struct {
	name string // file name, e.g. "0001_init.sql"
	sql  string
}

// migrations returns the embedded migrations in name order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// migrate applies every migration not yet recorded, each in its own
// transaction together with its record. Two processes starting at once
// are serialised: on SQLite by BEGIN IMMEDIATE, on PostgreSQL by an
// advisory lock held for the transaction.
func (s *sqlStore) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		applied, err := s.applyMigration(ctx, m)
		if err != nil {
			return fmt.Errorf("apply %s: %w", m.name, err)
		}
		if applied {
			s.opts.Logger.Info("applied database migration", "migration", m.name, "backend", s.Backend())
		}
	}
	return nil
}

// migrationLockID is the PostgreSQL advisory lock key of migrations.
const migrationLockID = 7_301_455_120

func (s *sqlStore) applyMigration(ctx context.Context, m migration) (applied bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if s.Backend() == "postgres" {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLockID)); err != nil {
			return false, fmt.Errorf("take migration lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name    TEXT PRIMARY KEY,
		applied BIGINT NOT NULL
	)`); err != nil {
		return false, fmt.Errorf("create schema_migrations: %w", err)
	}
	var one int
	err = tx.QueryRowContext(ctx, s.queries.d.rebind("SELECT 1 FROM schema_migrations WHERE name = ?"), m.name).Scan(&one)
	switch {
	case err == nil:
		return false, tx.Rollback()
	case !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("read schema_migrations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, s.queries.d.rebind("INSERT INTO schema_migrations (name, applied) VALUES (?, ?)"),
		m.name, toNanos(s.opts.Now())); err != nil {
		return false, fmt.Errorf("record migration: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return true, nil
}
