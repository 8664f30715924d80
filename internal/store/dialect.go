package store

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// dialect is the little that differs between the two databases: how
// placeholders are written and how a broken constraint is reported. The
// SQL itself is the same for both.
type dialect struct {
	name string // "sqlite" or "postgres"
}

var (
	sqliteDialect   = dialect{name: "sqlite"}
	postgresDialect = dialect{name: "postgres"}
)

// rebind rewrites the "?" placeholders of query to PostgreSQL's "$1",
// "$2", ... Question marks inside single-quoted literals are left alone.
// For SQLite it returns query unchanged.
func (d dialect) rebind(query string) string {
	if d.name != "postgres" || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	quoted := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// constraintColumns maps each named unique constraint (and primary key)
// of the schema to the "table.column, ..." list SQLite names in its error
// messages, since SQLite does not report constraint names.
var constraintColumns = map[string]string{
	"tailnets_pkey":              "tailnets.id",
	"users_pkey":                 "users.id",
	"users_login_uniq":           "users.tailnet_id, users.login_lower",
	"devices_pkey":               "devices.id",
	"devices_node_id_uniq":       "devices.node_id",
	"devices_name_uniq":          "devices.tailnet_id, devices.name",
	"devices_ipv4_uniq":          "devices.tailnet_id, devices.ipv4",
	"devices_ipv6_uniq":          "devices.tailnet_id, devices.ipv6",
	"devices_node_key_uniq":      "devices.node_key",
	"attributes_pkey":            "attributes.device_id, attributes.key_lower",
	"integrations_pkey":          "integrations.id",
	"integrations_provider_uniq": "integrations.tailnet_id, integrations.provider",
	"keys_pkey":                  "keys.id",
	"policy_files_pkey":          "policy_files.tailnet_id, policy_files.version",
	"audit_events_pkey":          "audit_events.id",
	"console_links_pkey":         "console_links.token_hash",
	"console_sessions_pkey":      "console_sessions.token_hash",
	"posture_history_pkey":       "posture_history.tailnet_id, posture_history.day, posture_history.posture",
}

// uniqueViolation returns the name of the unique constraint err broke, or
// "" if err is not a unique violation. Names are PostgreSQL's (the
// schema's CONSTRAINT names and <table>_pkey) for both databases.
func (d dialect) uniqueViolation(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.Code == "23505" {
			return pe.ConstraintName
		}
		return ""
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return ""
	}
	const (
		constraintPrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
		constraintUnique     = 2067 // SQLITE_CONSTRAINT_UNIQUE
	)
	if se.Code() != constraintUnique && se.Code() != constraintPrimaryKey {
		return ""
	}
	// The message reads "... UNIQUE constraint failed: t.a, t.b (2067)".
	msg := se.Error()
	const marker = "constraint failed: "
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return "unknown"
	}
	cols := msg[i+len(marker):]
	if i := strings.LastIndex(cols, " ("); i >= 0 {
		cols = cols[:i]
	}
	for name, c := range constraintColumns {
		if c == cols {
			return name
		}
	}
	return "unknown"
}

// foreignKeyViolation reports whether err is a broken foreign key.
func (d dialect) foreignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == 787 // SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// lockTimeout reports whether err is a wait for another writer's lock
// that timed out: SQLITE_BUSY, or PostgreSQL's lock_not_available.
func (d dialect) lockTimeout(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "55P03"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == 5 // SQLITE_BUSY and its extended codes
	}
	return false
}
