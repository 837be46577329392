//! The conversation list: the server's view plus local settings (pinned, muted, draft).

use ling_proto::ConversationId;
use ling_proto::messages::{Conversation, ConversationKind};
use rusqlite::params;

use super::Cache;
use crate::error::ClientResult;

impl Cache {
    /// Stores the server's view of the conversation list, keeping local
    /// settings (pinned, muted, draft).
    pub fn upsert_conversations(&mut self, list: &[Conversation]) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO conversations (id, kind, peer_id, group_id, last_seq, read_seq, peer_read_seq, unread, last_activity)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq, read_seq = excluded.read_seq,
                   peer_read_seq = excluded.peer_read_seq, unread = excluded.unread, last_activity = excluded.last_activity",
            )?;
            for c in list {
                let kind = match c.kind {
                    ConversationKind::Direct => "direct",
                    ConversationKind::Group => "group",
                };
                let activity = c.last_message.as_ref().map(|m| m.send_time).unwrap_or(0);
                stmt.execute(params![
                    c.id,
                    kind,
                    c.peer_id,
                    c.group_id,
                    c.last_seq,
                    c.read_seq,
                    c.peer_read_seq,
                    c.unread,
                    activity
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Pins or unpins a conversation (local setting).
    pub fn set_pinned(&self, conversation_id: ConversationId, pinned: bool) -> ClientResult<()> {
        self.conn.execute("UPDATE conversations SET pinned = ?1 WHERE id = ?2", params![pinned, conversation_id])?;
        Ok(())
    }

    /// Conversation ids as the list shows them: pinned first, then by last activity.
    pub fn conversation_order(&self) -> ClientResult<Vec<(ConversationId, u32)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, unread FROM conversations ORDER BY pinned DESC, last_activity DESC, id DESC")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::testing::*;

    #[test]
    fn test_conversations_list_pinned_first_then_by_activity_and_keep_local_settings() {
        let (_d, mut cache) = open();
        let conv = |id: i64, time: i64, unread: u32| Conversation {
            id,
            kind: ConversationKind::Direct,
            peer_id: Some(id + 100),
            group_id: None,
            last_seq: 1,
            read_seq: 0,
            peer_read_seq: Some(0),
            unread,
            last_message: Some(msg(id, 1, time, "", "x")),
        };
        cache.upsert_conversations(&[conv(1, 100, 0), conv(2, 300, 2), conv(3, 200, 1)]).unwrap();
        assert_eq!(cache.conversation_order().unwrap(), vec![(2, 2), (3, 1), (1, 0)]);
        cache.set_pinned(1, true).unwrap();
        cache.upsert_conversations(&[conv(1, 100, 5)]).unwrap();
        assert_eq!(cache.conversation_order().unwrap()[0], (1, 5), "pinned first, and the pin survives a sync");
    }
}
