package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/postern/postern/internal/secret"
)

// Options configure Open.
type Options struct {
	// Database selects the backend: "" means SQLite in DataDir/postern.db;
	// a postgres:// or postgresql:// URL means PostgreSQL.
	Database string
	// DataDir holds the SQLite database. It is created if missing.
	DataDir string
	// Secrets seals Integration.ClientSecret. nil means integrations with
	// a secret cannot be written or read.
	Secrets *secret.Box
	// Logger receives the store's logs; nil means discard.
	Logger *slog.Logger
	// Now is the clock for default timestamps; nil means time.Now.
	Now func() time.Time
	// LockTimeout is how long a write waits for another writer (possibly
	// another process) to finish before it fails; 0 means 10 seconds.
	LockTimeout time.Duration
	// SQLiteSynchronous is SQLite's synchronous setting: "full" (the
	// default when empty) syncs every commit to disk, so a committed
	// change survives a power failure; "normal" is faster but may lose
	// the last commits on power failure (never corrupts the database).
	SQLiteSynchronous string
}

// SQLite synchronous settings Options.SQLiteSynchronous accepts.
const (
	SyncFull   = "full"
	SyncNormal = "normal"
)

// sqliteSynchronous returns the pragma value for setting, or an error
// naming the values allowed.
func sqliteSynchronous(setting string) (string, error) {
	switch strings.ToLower(setting) {
	case "", SyncFull:
		return "FULL", nil
	case SyncNormal:
		return "NORMAL", nil
	}
	return "", fmt.Errorf("invalid SQLite synchronous setting %q: want %s or %s", setting, SyncFull, SyncNormal)
}

// DatabaseFile is the SQLite database's file name inside the data dir.
const DatabaseFile = "postern.db"

// defaultLockTimeout is Options.LockTimeout's default: SQLite's busy
// timeout and PostgreSQL's lock_timeout.
const defaultLockTimeout = 10 * time.Second

// Open connects to the database o selects, checks it is reachable,
// applies pending migrations, and returns the Store. Errors are one line
// that names the file or host:port involved, never a password.
func Open(ctx context.Context, o Options) (Store, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = defaultLockTimeout
	}
	var (
		db    *sql.DB
		d     dialect
		where string
		err   error
	)
	switch {
	case o.Database == "":
		db, where, err = openSQLite(ctx, o)
		d = sqliteDialect
	case strings.HasPrefix(o.Database, "postgres://"), strings.HasPrefix(o.Database, "postgresql://"):
		db, where, err = openPostgres(ctx, o.Database, o.LockTimeout)
		d = postgresDialect
	default:
		scheme, _, _ := strings.Cut(o.Database, ":")
		return nil, fmt.Errorf("unsupported database %q: want empty for SQLite in the data dir, or a postgres:// URL", scheme+":...")
	}
	if err != nil {
		return nil, err
	}
	s := &sqlStore{db: db, where: where, opts: o}
	s.queries = queries{x: db, d: d, s: s}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s database %s: %w", d.name, where, err)
	}
	o.Logger.Info("store opened", "backend", d.name, "database", where)
	return s, nil
}

// openSQLite opens (creating if needed) the SQLite database in dataDir.
func openSQLite(ctx context.Context, o Options) (*sql.DB, string, error) {
	dataDir, lockTimeout := o.DataDir, o.LockTimeout
	sync, err := sqliteSynchronous(o.SQLiteSynchronous)
	if err != nil {
		return nil, "", err
	}
	if dataDir == "" {
		return nil, "", errors.New("open SQLite database: no data dir given")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, "", fmt.Errorf("create data dir %s: %w", dataDir, pathCause(err))
	}
	// Probe writability first: SQLite's own error for a read-only dir
	// ("unable to open database file") does not say why.
	probe, err := os.CreateTemp(dataDir, ".postern-write-check-*")
	if err != nil {
		return nil, "", fmt.Errorf("data dir %s is not writable: %w", dataDir, pathCause(err))
	}
	probe.Close()
	os.Remove(probe.Name())

	path := filepath.Join(dataDir, DatabaseFile)
	if strings.ContainsAny(path, "?#") {
		return nil, "", fmt.Errorf("open SQLite database %s: the path may not contain '?' or '#'", path)
	}
	st, err := os.Stat(path)
	if err == nil && !st.Mode().IsRegular() {
		return nil, "", fmt.Errorf("open SQLite database %s: not a regular file", path)
	}
	// The database holds key hashes and sealed secrets, so it and its -wal
	// and -shm files are secret files: an existing one that group or
	// others may read is refused, as secret.key is. A new database file
	// is created private, before SQLite does, so that its -wal and -shm
	// files (which SQLite gives the database file's mode) are private too.
	// An empty file is an empty database.
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := secret.CheckFile(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("open SQLite database: %w", err)
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, "", fmt.Errorf("create SQLite database %s: %w", path, pathCause(err))
		}
		if err == nil {
			f.Close()
		}
	}
	// Every connection: wait for locks instead of failing, WAL so readers
	// never block the writer, foreign keys enforced, commits synced as
	// configured (FULL by default: in WAL mode NORMAL may lose the last
	// commits on power failure), and write
	// transactions that take the write lock at BEGIN, so that two
	// processes can never deadlock upgrading read locks.
	dsn := path + "?_pragma=busy_timeout(" + strconv.Itoa(int(lockTimeout/time.Millisecond)) + ")" +
		"&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(" + sync + ")&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, "", fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	if err := pingSQLite(ctx, db, lockTimeout); err != nil {
		db.Close()
		return nil, "", fmt.Errorf("open SQLite database %s: %s", path, oneLine(err.Error()))
	}
	return db, path, nil
}

// pingSQLite makes sure the file is a usable database: connecting alone
// succeeds on any file, reading the schema does not. Switching a new
// database to WAL needs a lock that SQLite does not wait for, so when two
// processes open a new database at once one of them is told it is busy:
// that is retried until lockTimeout.
func pingSQLite(ctx context.Context, db *sql.DB, lockTimeout time.Duration) error {
	deadline := time.Now().Add(lockTimeout)
	for {
		var n int
		err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n)
		if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// openPostgres connects to the PostgreSQL server that url names.
func openPostgres(ctx context.Context, url string, lockTimeout time.Duration) (*sql.DB, string, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL; give only its cause, if any.
		msg := "invalid PostgreSQL URL (want postgres://user:password@host:port/dbname, special characters percent-encoded)"
		if cause := errors.Unwrap(err); cause != nil {
			msg += ": " + cause.Error()
		}
		if cfg != nil && cfg.Password != "" {
			msg = strings.ReplaceAll(msg, cfg.Password, "xxxxx")
		}
		return nil, "", errors.New(oneLine(msg))
	}
	where := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	if strings.HasPrefix(cfg.Host, "/") {
		where = cfg.Host // a Unix socket directory
	}
	where += "/" + cfg.Database
	// Like SQLite's busy timeout: a writer waits this long for another's
	// lock (InTx's advisory lock included), then fails instead of hanging.
	if _, ok := cfg.RuntimeParams["lock_timeout"]; !ok {
		cfg.RuntimeParams["lock_timeout"] = strconv.Itoa(int(lockTimeout / time.Millisecond))
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		msg := oneLine(rootCause(err).Error())
		if cfg.Password != "" {
			msg = strings.ReplaceAll(msg, cfg.Password, "xxxxx")
		}
		return nil, "", fmt.Errorf("connect to PostgreSQL at %s: %s", where, msg)
	}
	return db, where, nil
}

// rootCause returns the innermost error of err's Unwrap chain.
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// pathCause strips the path from an *fs.PathError, for messages that name
// the path themselves.
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
