-- Admin console state: one-time sign-in links, sessions, and a daily
-- snapshot of posture compliance for the overview chart. Tokens are kept
-- only as hex SHA-256 hashes. Same portable SQL as 0001.

CREATE TABLE console_links (
	token_hash TEXT PRIMARY KEY,
	tailnet_id TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL,
	created    BIGINT NOT NULL,
	expires    BIGINT NOT NULL,
	used       BIGINT NOT NULL
);
CREATE INDEX console_links_expires ON console_links (expires);

CREATE TABLE console_sessions (
	token_hash  TEXT PRIMARY KEY,
	tailnet_id  TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
	user_id     TEXT NOT NULL,
	csrf_secret TEXT NOT NULL,
	method      TEXT NOT NULL,
	created     BIGINT NOT NULL,
	expires     BIGINT NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires);

CREATE TABLE posture_history (
	tailnet_id TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
	day        TEXT NOT NULL,
	posture    TEXT NOT NULL,
	pass       BIGINT NOT NULL,
	fail       BIGINT NOT NULL,
	PRIMARY KEY (tailnet_id, day, posture)
);
