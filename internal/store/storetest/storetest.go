// Package storetest gives tests a real store: SQLite in a temporary
// directory always, and PostgreSQL when POSTERN_TEST_POSTGRES names a
// server, each test in a fresh schema of its own.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/secret"
	"github.com/postern/postern/internal/store"
)

// PostgresEnv names the environment variable holding the PostgreSQL URL
// tests use, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "POSTERN_TEST_POSTGRES"

// Backend is one database kind to run a test on.
type Backend struct {
	Name string // "sqlite" or "postgres"
	// Open returns a store on a fresh, empty database, closed when the
	// test ends. It skips the test if the backend is not available.
	Open func(t testing.TB) store.Store
	// Options returns the options of a fresh, empty database, for tests
	// that open and close it themselves (restarts). It skips the test if
	// the backend is not available.
	Options func(t testing.TB) store.Options
}

// Backends returns the backends to run a shared suite on: SQLite, and
// PostgreSQL. Without POSTERN_TEST_POSTGRES the PostgreSQL backend skips
// its tests with the reason, except under CI=true, where it fails them:
// CI must never skip the PostgreSQL tests.
func Backends(t testing.TB) []Backend {
	t.Helper()
	pgURL := os.Getenv(PostgresEnv)
	if pgURL == "" && os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s is empty: the PostgreSQL tests must run in CI", PostgresEnv)
	}
	sqlite := Backend{Name: "sqlite", Options: SQLiteOptions}
	sqlite.Open = opener(sqlite.Options)
	pg := Backend{Name: "postgres", Options: func(t testing.TB) store.Options {
		t.Helper()
		if pgURL == "" {
			t.Skipf("PostgreSQL tests skipped: set %s to a server URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", PostgresEnv)
			return store.Options{} // not reached: Skipf stops the test
		}
		return PostgresOptions(t, pgURL)
	}}
	pg.Open = opener(pg.Options)
	return []Backend{sqlite, pg}
}

func opener(options func(testing.TB) store.Options) func(testing.TB) store.Store {
	return func(t testing.TB) store.Store {
		t.Helper()
		s, err := store.Open(context.Background(), options(t))
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

// New returns a store on a fresh SQLite database in a temporary
// directory, closed when the test ends. It has no tailnet yet; see
// NewTailnet.
func New(t testing.TB) store.Store {
	t.Helper()
	return opener(SQLiteOptions)(t)
}

// NewTailnet creates a tailnet with default settings in s.
func NewTailnet(t testing.TB, s store.Queries) postern.Tailnet {
	t.Helper()
	tn := postern.Tailnet{Name: "example.com", Settings: postern.DefaultTailnetSettings()}
	if err := s.CreateTailnet(context.Background(), &tn); err != nil {
		t.Fatalf("create tailnet: %v", err)
	}
	return tn
}

// Secrets returns a secret box with a random key.
func Secrets(t testing.TB) *secret.Box {
	t.Helper()
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	b, err := secret.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// SQLiteOptions returns options for a SQLite database in a new temporary
// data dir.
func SQLiteOptions(t testing.TB) store.Options {
	return store.Options{
		DataDir: t.TempDir(),
		Secrets: Secrets(t),
		Logger:  slog.New(slog.DiscardHandler),
	}
}

// PostgresOptions creates a schema with a random name on the server at
// baseURL, dropped when the test ends, and returns options whose
// Database URL puts it first on the search_path.
func PostgresOptions(t testing.TB, baseURL string) store.Options {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := openPostgres(baseURL)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	defer admin.Close()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "postern_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema on %s server: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := openPostgres(baseURL)
		if err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return store.Options{
		Database: u.String(),
		DataDir:  t.TempDir(),
		Secrets:  Secrets(t),
		Logger:   slog.New(slog.DiscardHandler),
	}
}

// openPostgres opens a plain database/sql handle on url.
func openPostgres(url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse URL: %w", err)
	}
	return stdlib.OpenDB(*cfg), nil
}

// OpenSQL opens a plain database/sql handle on the database o names, for
// tests that inspect what the store wrote. It is closed when the test ends.
func OpenSQL(t testing.TB, o store.Options) *sql.DB {
	t.Helper()
	var (
		db  *sql.DB
		err error
	)
	if o.Database == "" {
		db, err = sql.Open("sqlite", filepath.Join(o.DataDir, store.DatabaseFile)+"?_pragma=busy_timeout(10000)")
	} else {
		db, err = openPostgres(o.Database)
	}
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Row returns every column of the row of table whose id is id, exactly as
// stored (sealed secrets included), so a test can assert that a refused
// request changed nothing at all.
func Row(t testing.TB, db *sql.DB, table, id string) []any {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM `+table+` WHERE id = $1`, id)
	if err != nil {
		t.Fatalf("reading %s row %s: %v", table, id, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatalf("reading %s columns: %v", table, err)
	}
	if !rows.Next() {
		t.Fatalf("%s %s: no row", table, id)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatalf("scanning %s row %s: %v", table, id, err)
	}
	return vals
}
