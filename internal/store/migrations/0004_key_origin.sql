-- OAuth access tokens are marked as such, not by a description a user can
-- type, and every key minted with an OAuth client's token names that
-- client, so deleting the client can take them all with it.
ALTER TABLE keys ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE keys ADD COLUMN access_token BOOLEAN NOT NULL DEFAULT FALSE;
-- Tokens issued before this migration were API keys with scopes (keys a
-- user creates never have any) described as "oauth:<client id>".
UPDATE keys SET access_token = TRUE, client_id = substr(description, 7)
	WHERE type = 'api' AND scopes <> '[]' AND description LIKE 'oauth:%';
CREATE INDEX keys_client ON keys (client_id);
