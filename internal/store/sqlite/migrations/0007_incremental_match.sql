-- The fingerprint of the hash sets a content was last matched against, so
-- that matching after an ingest compares only what is new, and everything
-- again when the sets change.
ALTER TABLE content ADD COLUMN matched TEXT;

-- Hits and media links look files up by content, then by device: one
-- covering index instead of a row fetch per candidate.
DROP INDEX file_sha256;
CREATE INDEX file_sha256_device ON file(sha256, device_id);
