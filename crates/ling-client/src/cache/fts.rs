//! Full-text search over the cache (the CJK treatment is in `crate::search`).

use ling_proto::ConversationId;
use ling_proto::messages::MessageContent;
use rusqlite::params;

use super::{COLUMNS, Cache, CachedMessage, from_row};
use crate::error::{ClientError, ClientResult};
use crate::search;

impl Cache {
    /// Indexes up to `max` messages not indexed yet, oldest first; returns how
    /// many it went through. Indexing costs several times a plain insert, so
    /// it trails the message writes: call it in the background until it
    /// returns 0, and catch-up never waits for it.
    pub fn index_pending(&mut self, max: u32) -> ClientResult<usize> {
        let tx = self.conn.transaction()?;
        let done = {
            let last: i64 = tx.query_row("SELECT last_indexed_id FROM fts_progress WHERE id = 1", [], |r| r.get(0))?;
            let mut select =
                tx.prepare_cached("SELECT id, content, hidden FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2")?;
            let rows: Vec<(i64, String, bool)> = select
                .query_map(params![last, max], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            let mut insert = tx.prepare_cached("INSERT INTO message_fts (rowid, body) VALUES (?1, ?2)")?;
            for (id, json, hidden) in &rows {
                if *hidden {
                    continue;
                }
                let content: MessageContent =
                    serde_json::from_str(json).map_err(|e| ClientError::Storage(format!("corrupt message: {e}")))?;
                let body = match &content {
                    MessageContent::Text { text, .. } | MessageContent::Assistant { text, .. } => text.as_str(),
                    MessageContent::Image { file, .. } | MessageContent::File { file } => file.name.as_str(),
                    _ => continue,
                };
                insert.execute(params![id, search::index_text(body)])?;
            }
            if let Some((id, ..)) = rows.last() {
                tx.execute("UPDATE fts_progress SET last_indexed_id = ?1 WHERE id = 1", [id])?;
            }
            rows.len()
        };
        tx.commit()?;
        Ok(done)
    }

    /// Messages written but not indexed yet.
    pub fn index_backlog(&self) -> ClientResult<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM messages WHERE id > (SELECT last_indexed_id FROM fts_progress WHERE id = 1)",
            [],
            |r| r.get(0),
        )?)
    }

    /// Messages matching what a person typed (text, and file names), newest
    /// first, in one conversation or all. Nothing to search for is no hits.
    pub fn search(
        &self,
        query: &str,
        conversation_id: Option<ConversationId>,
        limit: u32,
    ) -> ClientResult<Vec<CachedMessage>> {
        let Some(expr) = search::match_query(query) else { return Ok(Vec::new()) };
        let sql = format!(
            "SELECT {COLUMNS} FROM message_fts f JOIN messages ON messages.id = f.rowid
             WHERE message_fts MATCH ?1 AND (?2 IS NULL OR messages.conversation_id = ?2)
             ORDER BY f.rowid DESC LIMIT ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_map(params![expr, conversation_id, limit], from_row)?.collect::<Result<Vec<_>, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::testing::*;

    fn found(cache: &Cache, q: &str) -> Vec<String> {
        cache
            .search(q, None, 30)
            .unwrap()
            .into_iter()
            .map(|m| match m.content {
                MessageContent::Text { text, .. } => text,
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn test_search_finds_chinese_words_of_one_and_two_characters_and_english_any_case_or_accent() {
        let (_d, mut cache) = open();
        let texts = ["我们明天开会吧", "翎 is a chat app", "Café Meeting at noon", "开吧", "Rust 1.95 released"];
        let page: Vec<Message> =
            texts.iter().enumerate().map(|(i, t)| msg(7, i as i64 + 1, i as i64 * 10, &format!("m{i}"), t)).collect();
        cache.upsert_messages(&page).unwrap();
        assert!(found(&cache, "开会").is_empty(), "not indexed yet: indexing trails the writes");
        assert_eq!(cache.index_backlog().unwrap(), 5);
        while cache.index_pending(2).unwrap() > 0 {}
        assert_eq!(cache.index_backlog().unwrap(), 0);
        assert_eq!(found(&cache, "开会"), ["我们明天开会吧"]);
        assert_eq!(found(&cache, "明天"), ["我们明天开会吧"]);
        assert_eq!(found(&cache, "翎"), ["翎 is a chat app"]);
        assert_eq!(found(&cache, "开"), ["开吧", "我们明天开会吧"], "newest first");
        assert!(found(&cache, "会开").is_empty(), "bigrams keep the order of characters");
        assert_eq!(found(&cache, "cafe"), ["Café Meeting at noon"]);
        assert_eq!(found(&cache, "MEET"), ["Café Meeting at noon"], "the last word is a prefix");
        assert_eq!(found(&cache, "rust released"), ["Rust 1.95 released"]);
        assert!(found(&cache, "rust 开会").is_empty(), "every term must match");
        assert!(found(&cache, "").is_empty());
        assert!(cache.search("开", Some(8), 30).unwrap().is_empty(), "scoped to a conversation");
    }

    #[test]
    fn test_the_assistants_replies_are_found_by_their_words() {
        let (_d, mut cache) = open();
        let reply = MessageContent::Assistant {
            text: "**Paris** is the capital of `France`".into(),
            end: ling_proto::messages::ReplyEnd::Finished,
            code: None,
        };
        cache.upsert_messages(&[Message { content: reply, ..msg(7, 1, 10, "", "") }]).unwrap();
        cache.index_pending(100).unwrap();
        assert_eq!(cache.search("paris france", None, 30).unwrap().len(), 1, "Markdown's marks are no words");
    }

    #[test]
    fn test_a_recalled_message_is_no_longer_found() {
        let (_d, mut cache) = open();
        cache.upsert_messages(&[msg(7, 1, 10, "a", "secret plan")]).unwrap();
        cache.index_pending(100).unwrap();
        assert_eq!(found(&cache, "secret").len(), 1);
        cache.upsert_messages(&[Message { content: MessageContent::Recalled, ..msg(7, 1, 10, "a", "") }]).unwrap();
        assert!(found(&cache, "secret").is_empty());
    }
}
