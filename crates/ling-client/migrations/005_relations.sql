-- Ling client cache, version 5: relations. Edits and reactions are stored
-- as messages of their own (kind 'edit' / 'reaction': seqs stay gap-free for
-- catch-up) and folded into the message they change: its `changes` (JSON of
-- ling_proto::messages::Changes, NULL when none) and, for an edit, its content.
ALTER TABLE messages ADD COLUMN changes TEXT;
-- A relation's target seq, so that one stored before its target (the target
-- fetched later, from an older page) is folded in when the target arrives.
ALTER TABLE messages ADD COLUMN target INTEGER;
CREATE INDEX messages_target ON messages(conversation_id, target) WHERE target IS NOT NULL;
