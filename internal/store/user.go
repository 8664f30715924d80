package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/postern/postern"
)

func (q *queries) CreateUser(ctx context.Context, u *postern.User) error {
	if u.ID == "" {
		u.ID = newUserID()
	}
	if u.Created.IsZero() {
		u.Created = q.now()
	}
	if u.Role == "" {
		u.Role = postern.RoleMember
	}
	_, err := q.exec(ctx, `INSERT INTO users (id, tailnet_id, login_name, login_lower, display_name, role, created)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.TailnetID, u.LoginName, strings.ToLower(u.LoginName), u.DisplayName, string(u.Role), toNanos(u.Created))
	if err != nil {
		return q.userWriteError(err, u, "create")
	}
	return nil
}

// userWriteError turns a failed user write into a coded error.
func (q *queries) userWriteError(err error, u *postern.User, op string) error {
	switch q.d.uniqueViolation(err) {
	case "":
	case "users_login_uniq":
		return conflict("a user with login name %q exists", u.LoginName)
	default:
		return conflict("a user with id %q exists", u.ID)
	}
	if q.d.foreignKeyViolation(err) {
		return notFound("tailnet %q not found", u.TailnetID)
	}
	return fmt.Errorf("%s user %s: %w", op, u.LoginName, err)
}

const userColumns = `id, tailnet_id, login_name, display_name, role, created`

func scanUser(row interface{ Scan(...any) error }) (postern.User, error) {
	var (
		u       postern.User
		role    string
		created int64
	)
	err := row.Scan(&u.ID, &u.TailnetID, &u.LoginName, &u.DisplayName, &role, &created)
	u.Role = postern.Role(role)
	u.Created = fromNanos(created)
	return u, err
}

func (q *queries) User(ctx context.Context, id string) (postern.User, error) {
	u, err := scanUser(q.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("user %q not found", id)
	}
	if err != nil {
		return u, fmt.Errorf("read user %s: %w", id, err)
	}
	return u, nil
}

func (q *queries) UserByLoginName(ctx context.Context, tailnetID, loginName string) (postern.User, error) {
	u, err := scanUser(q.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE tailnet_id = ? AND login_lower = ?`,
		tailnetID, strings.ToLower(loginName)))
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("user %q not found", loginName)
	}
	if err != nil {
		return u, fmt.Errorf("read user %s: %w", loginName, err)
	}
	return u, nil
}

func (q *queries) Users(ctx context.Context, tailnetID string) ([]postern.User, error) {
	rows, err := q.query(ctx, `SELECT `+userColumns+` FROM users WHERE tailnet_id = ? ORDER BY created, login_lower`, tailnetID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return collect(rows, scanUser, "list users")
}

func (q *queries) UpdateUser(ctx context.Context, u *postern.User) error {
	err := q.execOne(ctx, notFound("user %q not found", u.ID),
		`UPDATE users SET login_name = ?, login_lower = ?, display_name = ?, role = ? WHERE id = ?`,
		u.LoginName, strings.ToLower(u.LoginName), u.DisplayName, string(u.Role), u.ID)
	if err != nil && !postern.IsNotFound(err) {
		return q.userWriteError(err, u, "update")
	}
	return err
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error), what string) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
