-- Ling client cache, version 3: everything besides messages that the UI
-- renders before the network answers. Each table mirrors a server list and is
-- replaced whole when that list is refetched.

-- Profiles as last seen: friends, group members, people who asked.
CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    username     TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    avatar       TEXT,
    signature    TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE friend_groups (
    id       INTEGER PRIMARY KEY,
    name     TEXT    NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE friends (
    user_id         INTEGER PRIMARY KEY REFERENCES users(id),
    remark          TEXT,
    group_id        INTEGER,
    conversation_id INTEGER NOT NULL,
    online          INTEGER NOT NULL DEFAULT 0,
    since           INTEGER NOT NULL
);
CREATE INDEX friends_conversation ON friends(conversation_id);

CREATE TABLE blocks (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    since   INTEGER NOT NULL
);

-- Pending friend requests, both ways.
CREATE TABLE friend_requests (
    id         INTEGER PRIMARY KEY,
    from_id    INTEGER NOT NULL REFERENCES users(id),
    to_id      INTEGER NOT NULL REFERENCES users(id),
    message    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE groups (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    avatar          TEXT,
    announcement    TEXT    NOT NULL,
    owner_id        INTEGER NOT NULL,
    join_policy     TEXT    NOT NULL,
    member_count    INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    dissolved       INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX groups_conversation ON groups(conversation_id);

CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    role      TEXT    NOT NULL,
    nickname  TEXT,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

-- How far each member has read each conversation ("read by N", receipts).
CREATE TABLE read_cursors (
    conversation_id INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

-- Small values: the account's own profile (JSON of ling_proto::users::Me), ...
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The server's last message of each conversation, shown in the list before
-- catch-up has fetched it (JSON of ling_proto::messages::Message).
ALTER TABLE conversations ADD COLUMN last_message TEXT;
