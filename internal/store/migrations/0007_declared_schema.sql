-- The attribute schema a vendor declared at its integration's last
-- successful sync (a custom feed's), which becomes the catalogue of its
-- namespace for policy checks; '' until one.
ALTER TABLE integrations ADD COLUMN declared_schema TEXT NOT NULL DEFAULT '';
