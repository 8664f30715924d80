// Package store owns Postern's persistent state: one interface, Store,
// implemented once in SQL that both SQLite (modernc.org/sqlite, the
// embedded default) and PostgreSQL (pgx) run, with embedded migrations.
//
// The store knows nothing of policy or posture semantics; it keeps what it
// is given. Integration secrets are sealed with AES-GCM before they reach
// the database and opened when read.
package store

import (
	"context"
	"time"

	"github.com/postern/postern"
)

// Store is the database. Its Queries run outside any transaction; InTx runs
// fn in one transaction, committed if fn returns nil and rolled back
// otherwise. Every write that touches more than one row goes through InTx.
type Store interface {
	Queries
	InTx(ctx context.Context, fn func(q Queries) error) error
	// Backend names the database kind: "sqlite" or "postgres".
	Backend() string
	Close() error
}

// Queries are the reads and writes of the store. Lookups that find nothing
// return an error for which postern.IsNotFound is true; writes that would
// break a uniqueness rule return postern.ECONFLICT.
type Queries interface {
	// Tailnets.
	CreateTailnet(ctx context.Context, t *postern.Tailnet) error // assigns ID if empty
	DefaultTailnet(ctx context.Context) (postern.Tailnet, error) // the first tailnet created
	Tailnet(ctx context.Context, id string) (postern.Tailnet, error)
	UpdateTailnetSettings(ctx context.Context, id string, s postern.TailnetSettings) error
	UpdateTailnetDNS(ctx context.Context, id string, d postern.DNS) error // replaces the whole DNS configuration

	// Users. LoginName is unique per tailnet, compared case-insensitively.
	CreateUser(ctx context.Context, u *postern.User) error // assigns ID if empty
	User(ctx context.Context, id string) (postern.User, error)
	UserByLoginName(ctx context.Context, tailnetID, loginName string) (postern.User, error)
	Users(ctx context.Context, tailnetID string) ([]postern.User, error)
	UpdateUser(ctx context.Context, u *postern.User) error

	// Devices. CreateDevice assigns ID and NodeID, and allocates IPv4 and
	// IPv6 addresses unique in the tailnet when they are not set; it is safe
	// to call concurrently. Name must be unique per tailnet.
	CreateDevice(ctx context.Context, d *postern.Device) error
	Device(ctx context.Context, id int64) (postern.Device, error)
	DeviceByNodeID(ctx context.Context, nodeID string) (postern.Device, error)
	DeviceByNodeKey(ctx context.Context, nodeKey string) (postern.Device, error)
	DeviceByMachineKey(ctx context.Context, tailnetID, machineKey string) (postern.Device, error)
	Devices(ctx context.Context, tailnetID string) ([]postern.Device, error)
	// StaleEphemeralDevices lists ephemeral devices, of every tailnet,
	// neither created nor seen since before.
	StaleEphemeralDevices(ctx context.Context, before time.Time) ([]postern.Device, error)
	UpdateDevice(ctx context.Context, d *postern.Device) error // every field but ID, NodeID, TailnetID, Created
	TouchDevice(ctx context.Context, id int64, lastSeen time.Time) error
	DeleteDevice(ctx context.Context, id int64) error // also deletes its attributes

	// Posture attributes, unique by (device, key).
	Attributes(ctx context.Context, deviceID int64) ([]postern.Attribute, error)
	TailnetAttributes(ctx context.Context, tailnetID string) ([]postern.Attribute, error)
	AttributesBySource(ctx context.Context, tailnetID, source string) ([]postern.Attribute, error)
	// AttributeKinds returns, for every key set on any device of the
	// tailnet, the key as first written and its kind, keyed by the key in
	// lower case (keys are unique case-insensitively, typed tailnet-wide).
	AttributeKinds(ctx context.Context, tailnetID string) (map[string]AttributeKind, error)
	SetAttribute(ctx context.Context, a postern.Attribute) error // insert or replace
	DeleteAttribute(ctx context.Context, deviceID int64, key string) error
	// DeleteExpiredAttributes removes attributes whose expiry is at or
	// before now and returns what it removed.
	DeleteExpiredAttributes(ctx context.Context, tailnetID string, now time.Time) ([]postern.Attribute, error)
	DeleteAttributesBySource(ctx context.Context, tailnetID, source string) ([]postern.Attribute, error)

	// Posture integrations; at most one per provider per tailnet.
	CreateIntegration(ctx context.Context, in *postern.Integration) error // assigns ID if empty
	Integration(ctx context.Context, id string) (postern.Integration, error)
	Integrations(ctx context.Context, tailnetID string) ([]postern.Integration, error)
	UpdateIntegration(ctx context.Context, in *postern.Integration) error // config and status
	UpdateIntegrationStatus(ctx context.Context, id string, s postern.IntegrationStatus) error
	DeleteIntegration(ctx context.Context, id string) error

	// Keys (auth keys, API keys, OAuth clients). Only hashes are stored.
	CreateKey(ctx context.Context, k *postern.Key) error
	Key(ctx context.Context, id string) (postern.Key, error)
	Keys(ctx context.Context, tailnetID string) ([]postern.Key, error)
	UpdateKey(ctx context.Context, k *postern.Key) error // Revoked, Used, Expires, Description
	DeleteKey(ctx context.Context, id string) error

	// Policy file versions. Policy returns the newest; postern.ENOTFOUND if
	// none was ever saved. SavePolicy assigns the next Version.
	Policy(ctx context.Context, tailnetID string) (postern.PolicyFile, error)
	SavePolicy(ctx context.Context, p *postern.PolicyFile) error

	// Audit log, newest first.
	AppendAudit(ctx context.Context, e *postern.AuditEvent) error // assigns ID
	AuditEvents(ctx context.Context, f postern.AuditFilter) ([]postern.AuditEvent, error)

	// Admin console state (console.go): one-time sign-in links and
	// sessions, stored by token hash, and daily posture compliance.
	CreateSignInLink(ctx context.Context, l SignInLink) error
	UseSignInLink(ctx context.Context, tokenHash []byte, now time.Time) (SignInLink, error)
	CreateSession(ctx context.Context, s Session) error
	Session(ctx context.Context, tokenHash []byte) (Session, error)
	DeleteSession(ctx context.Context, tokenHash []byte) error
	DeleteExpiredConsoleState(ctx context.Context, now time.Time) (int64, error)
	RecordCompliance(ctx context.Context, tailnetID string, day time.Time, counts []PostureCount) error
	ComplianceHistory(ctx context.Context, tailnetID string, since time.Time) ([]ComplianceDay, error)
}

// AttributeKind is the first-written spelling and kind of an attribute key.
type AttributeKind struct {
	Key  string
	Kind postern.Kind
}
