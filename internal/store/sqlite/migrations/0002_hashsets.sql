-- An imported hash list and its provenance.
CREATE TABLE hashset (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL CHECK (status IN ('alert', 'known', 'reference')),
    format      TEXT NOT NULL,
    version     TEXT NOT NULL DEFAULT '',
    profile     TEXT NOT NULL DEFAULT '',
    shape       TEXT NOT NULL DEFAULT '',
    file_name   TEXT NOT NULL,
    file_sha256 TEXT NOT NULL UNIQUE,
    imported_by TEXT NOT NULL,
    imported    TEXT NOT NULL,
    entries     INTEGER NOT NULL DEFAULT 0,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE hash_entry (
    id                  INTEGER PRIMARY KEY,
    set_id              INTEGER NOT NULL REFERENCES hashset(id) ON DELETE CASCADE,
    md5                 TEXT,
    sha1                TEXT,
    sha256              TEXT,
    pdq                 TEXT,
    pdq_quality         INTEGER,
    photodna            TEXT,
    category            INTEGER,
    series              TEXT NOT NULL DEFAULT '',
    tags                TEXT NOT NULL DEFAULT '',
    comments            TEXT NOT NULL DEFAULT '',
    victim_identified   INTEGER,
    offender_identified INTEGER,
    distributed         INTEGER,
    size                INTEGER NOT NULL DEFAULT -1,
    ref                 TEXT NOT NULL DEFAULT '',
    line                INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX hash_entry_set ON hash_entry(set_id);

-- A content matching a hash entry.
CREATE TABLE hit (
    sha256   TEXT NOT NULL REFERENCES content(sha256),
    entry_id INTEGER NOT NULL REFERENCES hash_entry(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL CHECK (kind IN ('md5', 'sha1', 'sha256', 'pdq')),
    distance INTEGER NOT NULL DEFAULT 0,
    variant  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (sha256, entry_id, kind)
) WITHOUT ROWID;
CREATE INDEX hit_entry ON hit(entry_id);
