package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/postern/postern"
)

// SignInLink is a one-time admin console sign-in link. Only the hash of
// its token is stored.
type SignInLink struct {
	TokenHash []byte // SHA-256 of the token in the URL
	TailnetID string
	UserID    string
	Created   time.Time
	Expires   time.Time
	Used      time.Time // zero until the link is used
}

// Session is a signed-in admin console session. Only the hash of the
// cookie's token is stored; CSRFSecret keys the session's form tokens.
type Session struct {
	TokenHash  []byte // SHA-256 of the cookie value
	TailnetID  string
	UserID     string
	CSRFSecret []byte
	Method     string // how the user signed in: "link", later "oidc"
	Created    time.Time
	Expires    time.Time
}

// PostureCount is how many devices passed and failed one posture.
type PostureCount struct {
	Posture    string // e.g. "posture:latestMac"
	Pass, Fail int
}

// ComplianceDay is the compliance snapshot of one day (UTC).
type ComplianceDay struct {
	Day    time.Time // midnight UTC
	Counts []PostureCount
}

const dayLayout = "2006-01-02"

// CreateSignInLink stores a new link; its hash must be unique.
func (q *queries) CreateSignInLink(ctx context.Context, l SignInLink) error {
	if len(l.TokenHash) == 0 {
		return postern.Errorf(postern.EINVALID, "sign-in link has no token hash")
	}
	_, err := q.exec(ctx, `INSERT INTO console_links (token_hash, tailnet_id, user_id, created, expires, used)
		VALUES (?, ?, ?, ?, ?, 0)`, hex.EncodeToString(l.TokenHash), l.TailnetID, l.UserID,
		toNanos(l.Created), toNanos(l.Expires))
	switch {
	case err == nil:
		return nil
	case q.d.uniqueViolation(err) != "":
		return conflict("a sign-in link with this token exists")
	case q.d.foreignKeyViolation(err):
		return notFound("tailnet %q not found", l.TailnetID)
	}
	return fmt.Errorf("create sign-in link: %w", err)
}

// UseSignInLink marks the link with this hash used at now and returns it.
// A link that does not exist, has expired or was used already is
// ENOTFOUND; of two concurrent uses only one succeeds.
func (q *queries) UseSignInLink(ctx context.Context, tokenHash []byte, now time.Time) (SignInLink, error) {
	h := hex.EncodeToString(tokenHash)
	gone := notFound("sign-in link not found, expired or already used")
	if err := q.execOne(ctx, gone, `UPDATE console_links SET used = ? WHERE token_hash = ? AND used = 0 AND expires > ?`,
		toNanos(now), h, toNanos(now)); err != nil {
		if postern.IsNotFound(err) {
			return SignInLink{}, err
		}
		return SignInLink{}, fmt.Errorf("use sign-in link: %w", err)
	}
	var (
		l                      SignInLink
		created, expires, used int64
	)
	err := q.queryRow(ctx, `SELECT tailnet_id, user_id, created, expires, used FROM console_links WHERE token_hash = ?`, h).
		Scan(&l.TailnetID, &l.UserID, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return l, gone
	}
	if err != nil {
		return l, fmt.Errorf("read sign-in link: %w", err)
	}
	l.TokenHash = tokenHash
	l.Created, l.Expires, l.Used = fromNanos(created), fromNanos(expires), fromNanos(used)
	return l, nil
}

// CreateSession stores a new console session.
func (q *queries) CreateSession(ctx context.Context, s Session) error {
	if len(s.TokenHash) == 0 || len(s.CSRFSecret) == 0 {
		return postern.Errorf(postern.EINVALID, "session needs a token hash and a CSRF secret")
	}
	_, err := q.exec(ctx, `INSERT INTO console_sessions (token_hash, tailnet_id, user_id, csrf_secret, method, created, expires)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, hex.EncodeToString(s.TokenHash), s.TailnetID, s.UserID,
		hex.EncodeToString(s.CSRFSecret), s.Method, toNanos(s.Created), toNanos(s.Expires))
	switch {
	case err == nil:
		return nil
	case q.d.uniqueViolation(err) != "":
		return conflict("a session with this token exists")
	case q.d.foreignKeyViolation(err):
		return notFound("tailnet %q not found", s.TailnetID)
	}
	return fmt.Errorf("create session: %w", err)
}

// Session returns the session with this token hash, expired or not; the
// caller checks Expires.
func (q *queries) Session(ctx context.Context, tokenHash []byte) (Session, error) {
	var (
		s                Session
		csrf             string
		created, expires int64
	)
	err := q.queryRow(ctx, `SELECT tailnet_id, user_id, csrf_secret, method, created, expires FROM console_sessions
		WHERE token_hash = ?`, hex.EncodeToString(tokenHash)).Scan(&s.TailnetID, &s.UserID, &csrf, &s.Method, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return s, notFound("session not found")
	}
	if err != nil {
		return s, fmt.Errorf("read session: %w", err)
	}
	if s.CSRFSecret, err = hex.DecodeString(csrf); err != nil {
		return s, fmt.Errorf("decode session: %w", err)
	}
	s.TokenHash = tokenHash
	s.Created, s.Expires = fromNanos(created), fromNanos(expires)
	return s, nil
}

// DeleteSession ends a session; ending one that does not exist is not
// an error.
func (q *queries) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if _, err := q.exec(ctx, `DELETE FROM console_sessions WHERE token_hash = ?`, hex.EncodeToString(tokenHash)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredConsoleState removes sessions and sign-in links that
// expired at or before now, and returns how many rows it removed.
func (q *queries) DeleteExpiredConsoleState(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	for _, table := range []string{"console_sessions", "console_links"} {
		res, err := q.exec(ctx, `DELETE FROM `+table+` WHERE expires <= ?`, toNanos(now))
		if err != nil {
			return n, fmt.Errorf("delete expired %s: %w", table, err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}

// RecordCompliance stores the posture counts of day (its UTC date),
// replacing any snapshot of that day.
func (q *queries) RecordCompliance(ctx context.Context, tailnetID string, day time.Time, counts []PostureCount) error {
	d := day.UTC().Format(dayLayout)
	return Tx(ctx, q, func(tq Queries) error {
		t := tq.(*queries)
		if _, err := t.exec(ctx, `DELETE FROM posture_history WHERE tailnet_id = ? AND day = ?`, tailnetID, d); err != nil {
			return fmt.Errorf("record compliance of %s: %w", d, err)
		}
		for _, c := range counts {
			_, err := t.exec(ctx, `INSERT INTO posture_history (tailnet_id, day, posture, pass, fail) VALUES (?, ?, ?, ?, ?)`,
				tailnetID, d, c.Posture, c.Pass, c.Fail)
			if q.d.foreignKeyViolation(err) {
				return notFound("tailnet %q not found", tailnetID)
			}
			if err != nil {
				return fmt.Errorf("record compliance of %s for %s: %w", d, c.Posture, err)
			}
		}
		return nil
	})
}

// ComplianceHistory returns the snapshots of the days from since (its UTC
// date) on, oldest first, each day's postures sorted by name.
func (q *queries) ComplianceHistory(ctx context.Context, tailnetID string, since time.Time) ([]ComplianceDay, error) {
	rows, err := q.query(ctx, `SELECT day, posture, pass, fail FROM posture_history
		WHERE tailnet_id = ? AND day >= ? ORDER BY day, posture`, tailnetID, since.UTC().Format(dayLayout))
	if err != nil {
		return nil, fmt.Errorf("read compliance history: %w", err)
	}
	defer rows.Close()
	var out []ComplianceDay
	for rows.Next() {
		var (
			day string
			c   PostureCount
		)
		if err := rows.Scan(&day, &c.Posture, &c.Pass, &c.Fail); err != nil {
			return nil, fmt.Errorf("read compliance history: %w", err)
		}
		t, err := time.Parse(dayLayout, day)
		if err != nil {
			return nil, fmt.Errorf("read compliance history: bad day %q: %w", day, err)
		}
		if n := len(out); n == 0 || !out[n-1].Day.Equal(t) {
			out = append(out, ComplianceDay{Day: t})
		}
		last := &out[len(out)-1]
		last.Counts = append(last.Counts, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read compliance history: %w", err)
	}
	return out, nil
}
