-- A successful sync's notice (e.g. vendor records that competed for one
-- device), kept apart from last_error so a working integration never
-- looks broken.
ALTER TABLE integrations ADD COLUMN last_warning TEXT NOT NULL DEFAULT '';
