-- Pinned messages, per conversation (the system notes say who pinned what).
CREATE TABLE conversation_pins (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    seq             INTEGER NOT NULL,
    pinned_by       INTEGER NOT NULL,
    pinned_at       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
