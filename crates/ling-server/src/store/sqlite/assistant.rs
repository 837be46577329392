//! The assistant's replies in progress on SQLite.

use async_trait::async_trait;
use ling_proto::{ConversationId, Millis, Seq, UserId};
use rusqlite::params;

use super::SqliteStore;
use crate::store::{AssistantStore, StoreResult};

#[async_trait]
impl AssistantStore for SqliteStore {
    async fn begin_reply(
        &self,
        conversation: ConversationId,
        question: Seq,
        asker: UserId,
        now: Millis,
    ) -> StoreResult<bool> {
        self.write(move |c| {
            let n = c.execute(
                "INSERT OR IGNORE INTO assistant_replies (conversation_id, question, asker_id, started_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![conversation, question, asker, now],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn end_reply(&self, conversation: ConversationId, question: Seq) -> StoreResult<()> {
        self.write(move |c| {
            c.execute(
                "DELETE FROM assistant_replies WHERE conversation_id = ?1 AND question = ?2",
                params![conversation, question],
            )?;
            Ok(())
        })
        .await
    }

    async fn open_replies(&self) -> StoreResult<Vec<(ConversationId, Seq, Millis)>> {
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT conversation_id, question, started_at FROM assistant_replies ORDER BY started_at, conversation_id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}
