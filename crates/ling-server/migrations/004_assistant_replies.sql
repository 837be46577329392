-- The assistant's replies in progress: a row from the moment a reply starts
-- until its message is stored. Rows left at startup are replies a stopped
-- server cut short; each is ended with an `assistant_interrupted` note.
CREATE TABLE assistant_replies (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    question        INTEGER NOT NULL,               -- the seq it answers
    asker_id        INTEGER NOT NULL REFERENCES users(id),
    started_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, question)
) WITHOUT ROWID;
