-- Ling client cache, version 9: mentions. Who a text mentions (JSON of
-- ling_proto::messages::Mentions, NULL for no one), and whether it mentions
-- this account (by name or @all), for the chat's "@" badge and jump.
ALTER TABLE messages ADD COLUMN mentions TEXT;
ALTER TABLE messages ADD COLUMN mentions_me INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_mentions_me ON messages(conversation_id, seq) WHERE mentions_me = 1;
