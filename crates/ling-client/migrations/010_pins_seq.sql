-- Ling client cache, version 10: the seq each conversation's pins are as of
-- (the server's list at its last seq, or the newest pin note folded), so that
-- an older pin note (a page of history loaded later, a copy) cannot move them.
ALTER TABLE conversations ADD COLUMN pins_seq INTEGER NOT NULL DEFAULT 0;
