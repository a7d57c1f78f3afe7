-- Case settings: case id, name, creation time, audit public key.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The chain of custody (package audit): append-only, hash-chained.
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    time      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    object    TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_action ON audit(action);

CREATE TABLE audit_checkpoint (
    seq       INTEGER PRIMARY KEY,
    hash      TEXT NOT NULL,
    time      TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL
);

-- One seized item.
CREATE TABLE device (
    id        INTEGER PRIMARY KEY,
    label     TEXT NOT NULL UNIQUE,
    suspect   TEXT NOT NULL DEFAULT '',
    country   TEXT NOT NULL DEFAULT '',
    place     TEXT NOT NULL DEFAULT '',
    seized_at TEXT,
    notes     TEXT NOT NULL DEFAULT '',
    created   TEXT NOT NULL
);

-- The acquisition record of one evidence source of a device.
CREATE TABLE source (
    id               INTEGER PRIMARY KEY,
    device_id        INTEGER NOT NULL REFERENCES device(id),
    kind             TEXT NOT NULL,
    path             TEXT NOT NULL,
    size             INTEGER NOT NULL DEFAULT 0,
    container_md5    TEXT,
    container_sha1   TEXT,
    container_sha256 TEXT,
    operator         TEXT NOT NULL,
    host             TEXT NOT NULL DEFAULT '',
    tool             TEXT NOT NULL,
    started          TEXT NOT NULL,
    finished         TEXT,
    status           TEXT NOT NULL,
    files            INTEGER NOT NULL DEFAULT 0,
    bytes            INTEGER NOT NULL DEFAULT 0,
    errors           INTEGER NOT NULL DEFAULT 0,
    verified         TEXT,
    verify_status    TEXT,
    UNIQUE (device_id, path)
);

-- One distinct content. origin 'chat': known only by the SHA-256 a chat
-- database gives for a media file that is on no seized device.
CREATE TABLE content (
    sha256      TEXT PRIMARY KEY,
    md5         TEXT,
    sha1        TEXT,
    size        INTEGER NOT NULL DEFAULT -1,
    mime        TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL DEFAULT '',
    pdq         TEXT,
    pdq_quality INTEGER,
    exif        TEXT,
    error       TEXT,
    origin      TEXT NOT NULL DEFAULT 'file'
) WITHOUT ROWID;
CREATE INDEX content_md5 ON content(md5);
CREATE INDEX content_sha1 ON content(sha1);
CREATE INDEX content_kind ON content(kind);

-- One place a content was found.
CREATE TABLE file (
    id          INTEGER PRIMARY KEY,
    device_id   INTEGER NOT NULL REFERENCES device(id),
    source_id   INTEGER NOT NULL REFERENCES source(id),
    path        TEXT NOT NULL,
    parent_path TEXT NOT NULL DEFAULT '',
    sha256      TEXT REFERENCES content(sha256),
    size        INTEGER NOT NULL,
    mtime       TEXT,
    atime       TEXT,
    ctime       TEXT,
    btime       TEXT,
    deleted     INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    UNIQUE (source_id, path)
);
CREATE INDEX file_sha256 ON file(sha256);
CREATE INDEX file_device_path ON file(device_id, path);

-- An analyst's category for a content; the newest row is the decision.
CREATE TABLE decision (
    id       INTEGER PRIMARY KEY,
    sha256   TEXT NOT NULL REFERENCES content(sha256),
    category INTEGER,
    profile  TEXT NOT NULL,
    actor    TEXT NOT NULL,
    time     TEXT NOT NULL,
    reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX decision_sha256 ON decision(sha256);
