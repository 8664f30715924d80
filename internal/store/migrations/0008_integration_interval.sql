-- Each integration's own sync interval in seconds (0: the server's
-- --sync-interval), and what the last successful sync could not match:
-- vendor records without a device and devices without a record, as JSON
-- ('' until a sync succeeds).
ALTER TABLE integrations ADD COLUMN sync_interval_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE integrations ADD COLUMN last_match_report TEXT NOT NULL DEFAULT '';
