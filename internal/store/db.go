package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/postern/postern"
)

// execer is what queries need of a *sql.DB or *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlStore is the Store over database/sql.
type sqlStore struct {
	queries
	db    *sql.DB
	where string // file path or host:port/dbname, for messages
	opts  Options

	savepoints atomic.Int64 // names nested savepoints uniquely
}

// queries implements Queries on a database handle or a transaction. When
// tx is true, x is a *sql.Tx and nested transactions become savepoints.
type queries struct {
	x  execer
	d  dialect
	s  *sqlStore
	tx bool

	// stmts are statements prepared on the transaction x, by query text,
	// so a transaction that repeats a write (a sync setting thousands of
	// attributes) prepares it once. The transaction closes them.
	stmts map[string]*sql.Stmt
}

func (s *sqlStore) Backend() string { return s.queries.d.name }

func (s *sqlStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s database %s: %w", s.queries.d.name, s.where, err)
	}
	return nil
}

// txLockKey is the first key of PostgreSQL's two-key advisory lock that
// InTx takes; the second is a hash of the schema, so databases in other
// schemas (tests) do not wait for each other.
const txLockKey = 0x706f7374 // "post"

// InTx runs fn in a new transaction. Write transactions run one at a
// time on both databases: SQLite's BEGIN IMMEDIATE takes the write lock
// at the start, and on PostgreSQL InTx first takes a transaction-scoped
// advisory lock. So what fn reads no other InTx can change until fn's
// transaction ends, and read-check-write sequences (an auth key's use
// count) need no further locking. Single writes outside InTx are not
// held back on PostgreSQL; each is atomic on its own.
func (s *sqlStore) InTx(ctx context.Context, fn func(q Queries) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.beginError(err)
	}
	if s.Backend() == "postgres" {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", txLockKey); err != nil {
			tx.Rollback()
			return s.beginError(err)
		}
	}
	// Roll back on every way out but a commit, panics included, so a
	// SQLite write lock is never left held.
	done := false
	defer func() {
		if !done {
			tx.Rollback()
		}
	}()
	if err := fn(&queries{x: tx, d: s.queries.d, s: s, tx: true}); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// InTx runs fn in a savepoint of q's transaction, or in a new transaction
// if q is not in one, so a function given Queries can group its writes
// whatever it was given.
func (q *queries) InTx(ctx context.Context, fn func(q Queries) error) error {
	if !q.tx {
		return q.s.InTx(ctx, fn)
	}
	return q.savepoint(ctx, func() error { return fn(q) })
}

// Tx runs fn in a transaction: a new one if q is a Store or a Store's
// plain Queries, or a savepoint nested in q's transaction if q came from
// InTx. If fn fails, none of its writes remain.
func Tx(ctx context.Context, q Queries, fn func(q Queries) error) error {
	type txer interface {
		InTx(ctx context.Context, fn func(q Queries) error) error
	}
	if t, ok := q.(txer); ok {
		return t.InTx(ctx, fn)
	}
	return fmt.Errorf("run transaction: %T cannot start one", q)
}

// savepoint runs fn inside a savepoint, rolling back to it if fn fails.
// Outside a transaction it just runs fn: every statement then commits on
// its own and a failed one changes nothing.
func (q *queries) savepoint(ctx context.Context, fn func() error) error {
	if !q.tx {
		return fn()
	}
	name := "sp" + strconv.FormatInt(q.s.savepoints.Add(1), 10)
	if _, err := q.x.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("create savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if _, rerr := q.x.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back to savepoint: %w", rerr))
		}
		q.x.ExecContext(ctx, "RELEASE SAVEPOINT "+name)
		return err
	}
	if _, err := q.x.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// exec runs a write. In a PostgreSQL transaction it runs inside a
// savepoint: PostgreSQL aborts the whole transaction on a failed
// statement, SQLite only the statement, and callers rely on SQLite's
// behaviour (a conflict inside InTx leaves the transaction usable).
func (q *queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = q.d.rebind(query)
	if !q.tx || q.d.name != "postgres" {
		return q.x.ExecContext(ctx, query, args...)
	}
	var res sql.Result
	err := q.savepoint(ctx, func() error {
		var err error
		res, err = q.x.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func (q *queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.x.QueryContext(ctx, q.d.rebind(query), args...)
}

func (q *queries) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return q.x.QueryRowContext(ctx, q.d.rebind(query), args...)
}

// now is the store's clock, in UTC.
func (q *queries) now() time.Time { return q.s.opts.Now().UTC() }

// execFast runs a write without exec's savepoint, saving two round trips
// on PostgreSQL. Use it only for statements that break no constraint
// whatever their arguments, so they fail only when the database does.
func (q *queries) execFast(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = q.d.rebind(query)
	tx, ok := q.x.(*sql.Tx)
	if !ok {
		return q.x.ExecContext(ctx, query, args...)
	}
	st := q.stmts[query]
	if st == nil {
		var err error
		if st, err = tx.PrepareContext(ctx, query); err != nil {
			return nil, fmt.Errorf("prepare statement: %w", err)
		}
		if q.stmts == nil {
			q.stmts = map[string]*sql.Stmt{}
		}
		q.stmts[query] = st
	}
	return st.ExecContext(ctx, args...)
}

// execOne runs a write that must touch one row; if it touches none, it
// returns notFound.
func (q *queries) execOne(ctx context.Context, notFound error, query string, args ...any) error {
	res, err := q.exec(ctx, query, args...)
	return oneRow(res, err, notFound)
}

// execOneFast is execOne with execFast.
func (q *queries) execOneFast(ctx context.Context, notFound error, query string, args ...any) error {
	res, err := q.execFast(ctx, query, args...)
	return oneRow(res, err, notFound)
}

// oneRow checks that a write succeeded and touched a row.
func oneRow(res sql.Result, err error, notFound error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("count changed rows: %w", err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// beginError explains a failure to start a transaction: when another
// writer held the lock too long, EUNAVAILABLE, else the cause.
func (s *sqlStore) beginError(err error) error {
	if s.queries.d.lockTimeout(err) {
		return &postern.Error{
			Code:    postern.EUNAVAILABLE,
			Message: fmt.Sprintf("the database is busy: another write held it for over %v", s.opts.LockTimeout),
			Err:     err,
		}
	}
	return fmt.Errorf("begin transaction: %w", err)
}
