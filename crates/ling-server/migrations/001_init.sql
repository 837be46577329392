-- Ling server schema, version 1. Shipped migrations are never edited: add 002_*.sql.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,          -- lower-case
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,                 -- argon2id PHC string
    recovery_hash TEXT    NOT NULL,                 -- argon2id PHC string of the recovery code
    avatar        TEXT,                             -- files.id
    signature     TEXT    NOT NULL DEFAULT '',
    phone         TEXT,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    token_hash   BLOB    NOT NULL UNIQUE,           -- SHA-256 of the bearer token
    device_name  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE conversations (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('direct', 'group')),
    last_seq   INTEGER NOT NULL DEFAULT 0,
    last_time  INTEGER NOT NULL DEFAULT 0,          -- send_time of last_seq; never decreases
    created_at INTEGER NOT NULL
);

CREATE TABLE direct_conversations (
    user_lo         INTEGER NOT NULL REFERENCES users(id),
    user_hi         INTEGER NOT NULL REFERENCES users(id),
    conversation_id INTEGER NOT NULL UNIQUE REFERENCES conversations(id),
    PRIMARY KEY (user_lo, user_hi),
    CHECK (user_lo < user_hi)
) WITHOUT ROWID;

-- Who may read a conversation, with their read cursor. Direct conversations keep
-- both members forever (history stays readable after unfriending); a group's
-- rows follow group_members.
CREATE TABLE conversation_members (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    user_id         INTEGER NOT NULL REFERENCES users(id),
    read_seq        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX conversation_members_user ON conversation_members(user_id);

CREATE TABLE messages (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    seq             INTEGER NOT NULL,
    sender_id       INTEGER NOT NULL REFERENCES users(id),
    client_msg_id   TEXT    NOT NULL,               -- '' for server-written messages
    send_time       INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    content         TEXT    NOT NULL,               -- JSON of ling_proto::messages::MessageContent
    reply_to        INTEGER,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_client_msg_id ON messages(sender_id, client_msg_id) WHERE client_msg_id <> '';
CREATE INDEX messages_time ON messages(conversation_id, send_time, seq);

CREATE TABLE friend_requests (
    id         INTEGER PRIMARY KEY,
    from_id    INTEGER NOT NULL REFERENCES users(id),
    to_id      INTEGER NOT NULL REFERENCES users(id),
    message    TEXT    NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'declined')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX friend_requests_pending ON friend_requests(from_id, to_id) WHERE status = 'pending';
CREATE INDEX friend_requests_to ON friend_requests(to_id, status);

CREATE TABLE friend_groups (
    id       INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    name     TEXT    NOT NULL,
    position INTEGER NOT NULL,
    UNIQUE (owner_id, name)
);

-- One row per direction: owner_id's view of friend_id.
CREATE TABLE friends (
    owner_id  INTEGER NOT NULL REFERENCES users(id),
    friend_id INTEGER NOT NULL REFERENCES users(id),
    remark    TEXT,
    group_id  INTEGER REFERENCES friend_groups(id) ON DELETE SET NULL,
    since     INTEGER NOT NULL,
    PRIMARY KEY (owner_id, friend_id)
) WITHOUT ROWID;

CREATE TABLE blocks (
    blocker_id INTEGER NOT NULL REFERENCES users(id),
    blocked_id INTEGER NOT NULL REFERENCES users(id),
    since      INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
) WITHOUT ROWID;
CREATE INDEX blocks_blocked ON blocks(blocked_id);

CREATE TABLE chat_groups (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    avatar          TEXT,
    announcement    TEXT    NOT NULL DEFAULT '',
    owner_id        INTEGER NOT NULL REFERENCES users(id),
    join_policy     TEXT    NOT NULL CHECK (join_policy IN ('open', 'approval')),
    conversation_id INTEGER NOT NULL UNIQUE REFERENCES conversations(id),
    dissolved       INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);

CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES chat_groups(id),
    user_id   INTEGER NOT NULL REFERENCES users(id),
    role      TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    nickname  TEXT,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members(user_id);

CREATE TABLE group_join_requests (
    id         INTEGER PRIMARY KEY,
    group_id   INTEGER NOT NULL REFERENCES chat_groups(id),
    user_id    INTEGER NOT NULL REFERENCES users(id),
    message    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (group_id, user_id)
);

CREATE TABLE files (
    id            TEXT    PRIMARY KEY,
    uploader_id   INTEGER NOT NULL REFERENCES users(id),
    name          TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    mime          TEXT    NOT NULL,
    sha256        TEXT    NOT NULL,                 -- names the blob on disk
    width         INTEGER,
    height        INTEGER,
    has_thumbnail INTEGER NOT NULL DEFAULT 0,
    is_avatar     INTEGER NOT NULL DEFAULT 0,       -- readable by anyone logged in
    created_at    INTEGER NOT NULL
);

-- A file becomes readable by a conversation's members once a message there refers to it.
CREATE TABLE conversation_files (
    file_id         TEXT    NOT NULL REFERENCES files(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    PRIMARY KEY (file_id, conversation_id)
) WITHOUT ROWID;
