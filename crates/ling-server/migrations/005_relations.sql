-- Relations (edits, reactions) fold into the message they change: its
-- `changes` (JSON of ling_proto::messages::Changes, NULL when none) and, for
-- an edit, its content. Every text an edit replaced is kept here.
ALTER TABLE messages ADD COLUMN changes TEXT;
CREATE TABLE message_versions (
    conversation_id INTEGER NOT NULL,
    seq             INTEGER NOT NULL,   -- the edited message
    edit_seq        INTEGER NOT NULL,   -- the edit that replaced this content
    content         TEXT    NOT NULL,   -- JSON of the content it had before
    PRIMARY KEY (conversation_id, seq, edit_seq)
);
