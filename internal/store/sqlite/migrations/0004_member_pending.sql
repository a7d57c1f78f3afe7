-- A member invited or added who has not joined yet (Android pending = 1).
ALTER TABLE member ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
