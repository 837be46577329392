-- Ling client cache, version 8: "delete for me". A message hidden on this
-- device keeps its row (seqs stay gap-free for catch-up and paging) but is
-- not shown, listed or found.
ALTER TABLE messages ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
