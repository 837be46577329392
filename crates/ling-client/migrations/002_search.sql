-- Full-text search over message text (see src/search.rs for the CJK treatment).
-- Contentless: the text lives in `messages`; the index holds only tokens.
CREATE VIRTUAL TABLE message_fts USING fts5(
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Indexing trails the message writes: every message with a larger id is still to index.
CREATE TABLE fts_progress (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    last_indexed_id INTEGER NOT NULL
);
INSERT INTO fts_progress (id, last_indexed_id) VALUES (1, 0);
