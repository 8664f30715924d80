-- Postern's first schema. The same text runs on SQLite and PostgreSQL:
-- only TEXT, BIGINT and BOOLEAN columns; times are unix nanoseconds (UTC),
-- 0 meaning "never"; lists and settings are JSON text; ids come from Go.

CREATE TABLE tailnets (
	id       TEXT PRIMARY KEY,
	name     TEXT NOT NULL,
	settings TEXT NOT NULL,
	created  BIGINT NOT NULL
);
CREATE INDEX tailnets_created ON tailnets (created);

CREATE TABLE users (
	id           TEXT PRIMARY KEY,
	tailnet_id   TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
	login_name   TEXT NOT NULL,
	login_lower  TEXT NOT NULL,
	display_name TEXT NOT NULL,
	role         TEXT NOT NULL,
	created      BIGINT NOT NULL,
	CONSTRAINT users_login_uniq UNIQUE (tailnet_id, login_lower)
);

CREATE TABLE devices (
	id                  BIGINT PRIMARY KEY,
	node_id             TEXT NOT NULL,
	tailnet_id          TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
	user_id             TEXT NOT NULL,
	name                TEXT NOT NULL,
	hostname            TEXT NOT NULL,
	machine_key         TEXT NOT NULL,
	node_key            TEXT NOT NULL,
	disco_key           TEXT NOT NULL,
	os                  TEXT NOT NULL,
	os_version          TEXT NOT NULL,
	client_version      TEXT NOT NULL,
	tags                TEXT NOT NULL,
	ephemeral           BOOLEAN NOT NULL,
	authorized          BOOLEAN NOT NULL,
	ipv4                TEXT NOT NULL,
	ipv6                TEXT NOT NULL,
	advertised_routes   TEXT NOT NULL,
	enabled_routes      TEXT NOT NULL,
	created             BIGINT NOT NULL,
	last_seen           BIGINT NOT NULL,
	key_expiry          BIGINT NOT NULL,
	key_expiry_disabled BOOLEAN NOT NULL,
	serials             TEXT NOT NULL,
	macs                TEXT NOT NULL,
	posture_disabled    BOOLEAN NOT NULL,
	posture_updated     BIGINT NOT NULL,
	hostinfo            TEXT NOT NULL,
	CONSTRAINT devices_node_id_uniq UNIQUE (node_id),
	CONSTRAINT devices_name_uniq UNIQUE (tailnet_id, name),
	CONSTRAINT devices_ipv4_uniq UNIQUE (tailnet_id, ipv4),
	CONSTRAINT devices_ipv6_uniq UNIQUE (tailnet_id, ipv6)
);
CREATE UNIQUE INDEX devices_node_key_uniq ON devices (node_key) WHERE node_key <> '';
CREATE INDEX devices_machine_key ON devices (tailnet_id, machine_key);

CREATE TABLE attributes (
	device_id  BIGINT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	tailnet_id TEXT NOT NULL,
	key        TEXT NOT NULL,
	key_lower  TEXT NOT NULL,
	kind       TEXT NOT NULL,
	value      TEXT NOT NULL,
	source     TEXT NOT NULL,
	expiry     BIGINT NOT NULL,
	created    BIGINT NOT NULL,
	updated    BIGINT NOT NULL,
	PRIMARY KEY (device_id, key_lower)
);
CREATE INDEX attributes_source ON attributes (tailnet_id, source);
CREATE INDEX attributes_expiry ON attributes (tailnet_id, expiry) WHERE expiry <> 0;
CREATE INDEX attributes_key ON attributes (tailnet_id, key_lower);

CREATE TABLE integrations (
	id                     TEXT PRIMARY KEY,
	tailnet_id             TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
	provider               TEXT NOT NULL,
	cloud_id               TEXT NOT NULL,
	client_id              TEXT NOT NULL,
	tenant_id              TEXT NOT NULL,
	client_secret_sealed   TEXT NOT NULL,
	config_updated         BIGINT NOT NULL,
	last_sync              BIGINT NOT NULL,
	last_attempt           BIGINT NOT NULL,
	last_error             TEXT NOT NULL,
	provider_host_count    BIGINT NOT NULL,
	matched_count          BIGINT NOT NULL,
	possible_matched_count BIGINT NOT NULL,
	paused_until           BIGINT NOT NULL,
	last_duration          BIGINT NOT NULL,
	CONSTRAINT integrations_provider_uniq UNIQUE (tailnet_id, provider)
);

CREATE TABLE keys (
	id            TEXT PRIMARY KEY,
	tailnet_id    TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
	user_id       TEXT NOT NULL,
	type          TEXT NOT NULL,
	description   TEXT NOT NULL,
	hash          TEXT NOT NULL,
	created       BIGINT NOT NULL,
	expires       BIGINT NOT NULL,
	revoked       BIGINT NOT NULL,
	used          BIGINT NOT NULL,
	reusable      BOOLEAN NOT NULL,
	ephemeral     BOOLEAN NOT NULL,
	preauthorized BOOLEAN NOT NULL,
	tags          TEXT NOT NULL,
	scopes        TEXT NOT NULL
);
CREATE INDEX keys_tailnet ON keys (tailnet_id, created);

CREATE TABLE policy_files (
	tailnet_id TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
	version    BIGINT NOT NULL,
	text       TEXT NOT NULL,
	etag       TEXT NOT NULL,
	updated_by TEXT NOT NULL,
	updated    BIGINT NOT NULL,
	PRIMARY KEY (tailnet_id, version)
);

CREATE TABLE audit_events (
	id                 BIGINT PRIMARY KEY,
	tailnet_id         TEXT NOT NULL,
	event_time         BIGINT NOT NULL,
	type               TEXT NOT NULL,
	event_group_id     TEXT NOT NULL,
	origin             TEXT NOT NULL,
	actor_id           TEXT NOT NULL,
	actor_type         TEXT NOT NULL,
	actor_login        TEXT NOT NULL,
	actor_display_name TEXT NOT NULL,
	actor_tags         TEXT NOT NULL,
	target_id          TEXT NOT NULL,
	target_name        TEXT NOT NULL,
	target_type        TEXT NOT NULL,
	target_ephemeral   BOOLEAN NOT NULL,
	target_property    TEXT NOT NULL,
	action             TEXT NOT NULL,
	event_name         TEXT NOT NULL,
	old_value          TEXT NOT NULL,
	new_value          TEXT NOT NULL,
	action_details     TEXT NOT NULL,
	error              TEXT NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (tailnet_id, event_time);
CREATE INDEX audit_events_actor ON audit_events (tailnet_id, actor_id);
CREATE INDEX audit_events_target ON audit_events (tailnet_id, target_id);
