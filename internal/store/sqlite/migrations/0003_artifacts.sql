-- A database or chat export that an artifact extractor read.
CREATE TABLE artifact (
    id         INTEGER PRIMARY KEY,
    device_id  INTEGER NOT NULL REFERENCES device(id),
    source_id  INTEGER REFERENCES source(id),
    path       TEXT NOT NULL,
    sha256     TEXT NOT NULL DEFAULT '',
    extractor  TEXT NOT NULL,
    generation TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL,
    counts     TEXT NOT NULL DEFAULT '{}',
    warnings   TEXT NOT NULL DEFAULT '[]',
    started    TEXT NOT NULL,
    finished   TEXT,
    UNIQUE (device_id, path, extractor, sha256)
);

-- A person-like identity. jid is the canonical key: the phone JID
-- (digits@s.whatsapp.net) when known, else the LID JID, else, for chat
-- exports that show only a display name, "name:<device>:<name>".
CREATE TABLE account (
    id      INTEGER PRIMARY KEY,
    jid     TEXT NOT NULL UNIQUE,
    phone   TEXT,
    country TEXT,
    lid     TEXT UNIQUE
);
CREATE INDEX account_phone ON account(phone);

CREATE TABLE account_name (
    account_id INTEGER NOT NULL REFERENCES account(id),
    name       TEXT NOT NULL,
    device_id  INTEGER NOT NULL REFERENCES device(id),
    basis      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, name, device_id)
);

-- Which devices saw an account; owner = the phone's own account.
CREATE TABLE account_device (
    account_id INTEGER NOT NULL REFERENCES account(id),
    device_id  INTEGER NOT NULL REFERENCES device(id),
    owner      INTEGER NOT NULL DEFAULT 0,
    basis      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, device_id)
);

-- A group or one-to-one chat.
CREATE TABLE chat (
    id            INTEGER PRIMARY KEY,
    jid           TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    subject       TEXT NOT NULL DEFAULT '',
    created       TEXT,
    creator_id    INTEGER REFERENCES account(id),
    creator_basis TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE chat_device (
    chat_id   INTEGER NOT NULL REFERENCES chat(id),
    device_id INTEGER NOT NULL REFERENCES device(id),
    PRIMARY KEY (chat_id, device_id)
);

CREATE TABLE chat_subject (
    chat_id   INTEGER NOT NULL REFERENCES chat(id),
    subject   TEXT NOT NULL,
    time      TEXT NOT NULL DEFAULT '',
    actor_id  INTEGER REFERENCES account(id),
    device_id INTEGER NOT NULL REFERENCES device(id),
    PRIMARY KEY (chat_id, subject, time)
);

-- An account in a chat, as one device saw it.
CREATE TABLE member (
    chat_id    INTEGER NOT NULL REFERENCES chat(id),
    account_id INTEGER NOT NULL REFERENCES account(id),
    device_id  INTEGER NOT NULL REFERENCES device(id),
    role       TEXT NOT NULL DEFAULT 'member',
    role_raw   INTEGER,
    current    INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen  TEXT,
    PRIMARY KEY (chat_id, account_id, device_id)
);
CREATE INDEX member_account ON member(account_id);

CREATE TABLE message (
    id            INTEGER PRIMARY KEY,
    device_id     INTEGER NOT NULL REFERENCES device(id),
    artifact_id   INTEGER NOT NULL REFERENCES artifact(id),
    row_ref       TEXT NOT NULL,
    chat_id       INTEGER NOT NULL REFERENCES chat(id),
    sender_id     INTEGER REFERENCES account(id),
    time          TEXT NOT NULL,
    from_me       INTEGER NOT NULL DEFAULT 0,
    type          TEXT NOT NULL,
    type_raw      INTEGER,
    key_id        TEXT NOT NULL DEFAULT '',
    text          TEXT NOT NULL DEFAULT '',
    caption       TEXT NOT NULL DEFAULT '',
    media_sha256  TEXT REFERENCES content(sha256),
    media_path    TEXT NOT NULL DEFAULT '',
    media_mime    TEXT NOT NULL DEFAULT '',
    media_size    INTEGER,
    media_name    TEXT NOT NULL DEFAULT '',
    media_file_id INTEGER REFERENCES file(id),
    forwarded     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (artifact_id, row_ref)
);
CREATE INDEX message_chat_time ON message(chat_id, time);
CREATE INDEX message_media ON message(media_sha256);
CREATE INDEX message_sender ON message(sender_id);
CREATE INDEX message_device ON message(device_id);

-- A group system event.
CREATE TABLE event (
    id          INTEGER PRIMARY KEY,
    device_id   INTEGER NOT NULL REFERENCES device(id),
    artifact_id INTEGER NOT NULL REFERENCES artifact(id),
    row_ref     TEXT NOT NULL,
    chat_id     INTEGER NOT NULL REFERENCES chat(id),
    time        TEXT NOT NULL,
    action      TEXT NOT NULL,
    action_raw  INTEGER,
    actor_id    INTEGER REFERENCES account(id),
    old_value   TEXT NOT NULL DEFAULT '',
    new_value   TEXT NOT NULL DEFAULT '',
    UNIQUE (artifact_id, row_ref)
);
CREATE INDEX event_chat_time ON event(chat_id, time);

CREATE TABLE event_target (
    event_id   INTEGER NOT NULL REFERENCES event(id),
    account_id INTEGER NOT NULL REFERENCES account(id),
    PRIMARY KEY (event_id, account_id)
);

-- An invite link (or channel / click-to-chat link) and where it was seen.
CREATE TABLE invite_link (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    code        TEXT NOT NULL,
    url         TEXT NOT NULL DEFAULT '',
    device_id   INTEGER NOT NULL REFERENCES device(id),
    artifact_id INTEGER NOT NULL REFERENCES artifact(id),
    message_id  INTEGER REFERENCES message(id),
    chat_id     INTEGER REFERENCES chat(id),
    group_jid   TEXT NOT NULL DEFAULT '',
    time        TEXT,
    row_ref     TEXT NOT NULL DEFAULT '',
    UNIQUE (artifact_id, code, row_ref)
);
CREATE INDEX invite_link_code ON invite_link(code);

ALTER TABLE device ADD COLUMN owner_account_id INTEGER REFERENCES account(id);
ALTER TABLE device ADD COLUMN owner_basis TEXT NOT NULL DEFAULT '';
