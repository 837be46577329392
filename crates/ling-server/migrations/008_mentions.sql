-- Who a text message mentions (JSON of ling_proto::messages::Mentions, NULL for no one).
ALTER TABLE messages ADD COLUMN mentions TEXT;
