-- Ling client cache, version 7: each conversation's pinned messages (JSON
-- list of seqs, oldest pinned first), from the server's list and the pin
-- notes that arrive after it.
ALTER TABLE conversations ADD COLUMN pins TEXT NOT NULL DEFAULT '[]';
