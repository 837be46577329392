-- Ling client cache, version 1: one database per (server, account).
-- Shipped migrations are never edited: add 002_*.sql.

-- Every message of every conversation. A message the server has not acked
-- yet has no seq and status 'sending'.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL,
    seq             INTEGER,
    client_msg_id   TEXT UNIQUE,                     -- NULL for server-written messages
    sender_id       INTEGER NOT NULL,
    send_time       INTEGER NOT NULL,                -- server time once sent; local time while sending
    status          TEXT    NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    error_code      TEXT,                            -- the server's code for a failed send
    kind            TEXT    NOT NULL,
    content         TEXT    NOT NULL,                -- JSON of ling_proto::messages::MessageContent
    reply_to        INTEGER,
    UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_time ON messages(conversation_id, send_time, seq);
CREATE INDEX messages_outbox ON messages(status) WHERE status = 'sending';

-- The conversation list, rendered from here before the network answers.
CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('direct', 'group')),
    peer_id       INTEGER,
    group_id      INTEGER,
    last_seq      INTEGER NOT NULL DEFAULT 0,
    read_seq      INTEGER NOT NULL DEFAULT 0,
    peer_read_seq INTEGER,
    unread        INTEGER NOT NULL DEFAULT 0,
    last_activity INTEGER NOT NULL DEFAULT 0,
    pinned        INTEGER NOT NULL DEFAULT 0,
    muted         INTEGER NOT NULL DEFAULT 0,
    draft         TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX conversations_order ON conversations(pinned DESC, last_activity DESC);
