-- Ling client cache, version 6: a message forwarded from another conversation is marked so.
ALTER TABLE messages ADD COLUMN forwarded INTEGER NOT NULL DEFAULT 0;
