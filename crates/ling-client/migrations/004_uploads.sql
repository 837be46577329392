-- Ling client cache, version 4: the send queue's uploads. A file message is
-- written to `messages` at once (status 'sending', its content naming the
-- file by name and size only) and waits here, out of the outbox, until its
-- file is uploaded; then its content names the server's file and this row
-- goes. A failed upload keeps its row, so a retry uploads again; a restart
-- finds it here.
CREATE TABLE uploads (
    client_msg_id TEXT    PRIMARY KEY REFERENCES messages(client_msg_id) ON DELETE CASCADE,
    path          TEXT    NOT NULL                   -- the file on this machine (under the account's
                                                     -- outgoing/: a staged copy, removed once sent)
) WITHOUT ROWID;
