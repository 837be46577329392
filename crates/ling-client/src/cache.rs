//! The local cache: one SQLite database per (server, account), so the app
//! opens instantly and history reads offline.
//!
//! Paging follows the OpenIM SDK: [`Cache::get_message_list`] with
//! `is_reverse = false` returns messages with `send_time < start_time`,
//! newest first; with `true`, `send_time > start_time`, oldest first. Ties on
//! `send_time` are ordered by seq. Keyset queries on
//! `(conversation_id, send_time, seq)`, never OFFSET. An empty page is not an
//! error; a missing message is.

use std::path::Path;

use ling_proto::messages::{Conversation, ConversationKind, Message, MessageContent};
use ling_proto::{ConversationId, Millis, Seq, UserId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::{ClientError, ClientResult};
use crate::search;

const MIGRATIONS: &[(u32, &str)] =
    &[(1, include_str!("../migrations/001_cache.sql")), (2, include_str!("../migrations/002_search.sql"))];

/// Where a cached message stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStatus {
    /// Written locally, not acknowledged yet (no seq).
    Sending,
    /// Stored by the server.
    Sent,
    /// Refused by the server; can be retried.
    Failed,
}

impl SendStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SendStatus::Sending => "sending",
            SendStatus::Sent => "sent",
            SendStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> SendStatus {
        match s {
            "sending" => SendStatus::Sending,
            "failed" => SendStatus::Failed,
            _ => SendStatus::Sent,
        }
    }
}

/// A message as the cache holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedMessage {
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Its seq; `None` while sending.
    pub seq: Option<Seq>,
    /// The sender's id for it (`None` for server-written messages).
    pub client_msg_id: Option<String>,
    /// Who sent it.
    pub sender_id: UserId,
    /// Server time once sent; local time while sending.
    pub send_time: Millis,
    /// Sending, sent or failed.
    pub status: SendStatus,
    /// The server's error code for a failed send.
    pub error_code: Option<String>,
    /// What it says.
    pub content: MessageContent,
    /// The seq it answers.
    pub reply_to: Option<Seq>,
}

/// The local cache of one account on one server.
pub struct Cache {
    conn: Connection,
}

const COLUMNS: &str =
    "conversation_id, seq, client_msg_id, sender_id, send_time, status, error_code, content, reply_to";

fn from_row(r: &Row<'_>) -> rusqlite::Result<CachedMessage> {
    let status: String = r.get(5)?;
    let content: String = r.get(7)?;
    Ok(CachedMessage {
        conversation_id: r.get(0)?,
        seq: r.get(1)?,
        client_msg_id: r.get(2)?,
        sender_id: r.get(3)?,
        send_time: r.get(4)?,
        status: SendStatus::parse(&status),
        error_code: r.get(6)?,
        content: serde_json::from_str(&content)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e)))?,
        reply_to: r.get(8)?,
    })
}

impl Cache {
    /// Opens (creating and migrating) the cache at `path`.
    pub fn open(path: &Path) -> ClientResult<Cache> {
        let mut conn = Connection::open(path)?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(ClientError::Storage(format!("could not enable WAL (got {mode})")));
        }
        let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", version)?;
            tx.commit()?;
        }
        Ok(Cache { conn })
    }

    /// Writes a message about to be sent (before anything goes on the wire).
    pub fn insert_pending(
        &self,
        conversation_id: ConversationId,
        client_msg_id: &str,
        sender_id: UserId,
        content: &MessageContent,
        reply_to: Option<Seq>,
        now: Millis,
    ) -> ClientResult<()> {
        let json = serde_json::to_string(content).map_err(|e| ClientError::Storage(e.to_string()))?;
        self.conn.execute(
            "INSERT INTO messages (conversation_id, seq, client_msg_id, sender_id, send_time, status, kind, content, reply_to)
             VALUES (?1, NULL, ?2, ?3, ?4, 'sending', ?5, ?6, ?7)",
            params![conversation_id, client_msg_id, sender_id, now, content.kind(), json, reply_to],
        )?;
        Ok(())
    }

    /// Stores messages from the server (a synced page, a pushed message, an
    /// ack's message): a pending message with the same `client_msg_id`
    /// becomes sent; a seq already cached is replaced (a recall, say).
    pub fn upsert_messages(&mut self, messages: &[Message]) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        {
            let mut claim = tx.prepare_cached(
                "UPDATE messages SET seq = ?1, send_time = ?2, status = 'sent', error_code = NULL, content = ?3, kind = ?4
                 WHERE client_msg_id = ?5 AND seq IS NULL",
            )?;
            let mut upsert = tx.prepare_cached(
                "INSERT INTO messages (conversation_id, seq, client_msg_id, sender_id, send_time, status, kind, content, reply_to)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'sent', ?6, ?7, ?8)
                 ON CONFLICT (conversation_id, seq) DO UPDATE SET content = excluded.content, kind = excluded.kind
                 ON CONFLICT (client_msg_id) DO NOTHING",
            )?;
            for m in messages {
                let json = serde_json::to_string(&m.content).map_err(|e| ClientError::Storage(e.to_string()))?;
                let client_id = (!m.client_msg_id.is_empty()).then_some(m.client_msg_id.as_str());
                if let Some(id) = client_id
                    && claim.execute(params![m.seq, m.send_time, json, m.content.kind(), id])? > 0
                {
                    continue;
                }
                upsert.execute(params![
                    m.conversation_id,
                    m.seq,
                    client_id,
                    m.sender_id,
                    m.send_time,
                    m.content.kind(),
                    json,
                    m.reply_to
                ])?;
                if m.content == MessageContent::Recalled {
                    // A recalled message is no longer findable.
                    tx.prepare_cached(
                        "DELETE FROM message_fts WHERE rowid = (SELECT id FROM messages WHERE conversation_id = ?1 AND seq = ?2)",
                    )?
                    .execute(params![m.conversation_id, m.seq])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Marks a pending send as refused by the server, with its code.
    pub fn mark_failed(&self, client_msg_id: &str, code: &str) -> ClientResult<()> {
        self.conn.execute(
            "UPDATE messages SET status = 'failed', error_code = ?2 WHERE client_msg_id = ?1 AND seq IS NULL",
            params![client_msg_id, code],
        )?;
        Ok(())
    }

    /// Messages still to (re)send, oldest first.
    pub fn outbox(&self) -> ClientResult<Vec<CachedMessage>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM messages WHERE status = 'sending' ORDER BY id"))?;
        Ok(stmt.query_map([], from_row)?.collect::<Result<Vec<_>, _>>()?)
    }

    /// One message by its client id; a missing one is `message_not_found`.
    pub fn get_message(&self, conversation_id: ConversationId, client_msg_id: &str) -> ClientResult<CachedMessage> {
        let row = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM messages WHERE conversation_id = ?1 AND client_msg_id = ?2"
            ))?
            .query_row(params![conversation_id, client_msg_id], from_row)
            .optional()?;
        row.ok_or_else(|| ClientError::MessageNotFound { conversation_id, client_msg_id: client_msg_id.to_owned() })
    }

    /// OpenIM's `GetMessageList`: `is_reverse = false` gives up to `count`
    /// messages with `send_time < start_time`, newest first; `true` gives those
    /// with `send_time > start_time`, oldest first. Ties by seq (pending last).
    pub fn get_message_list(
        &self,
        conversation_id: ConversationId,
        count: u32,
        start_time: Millis,
        is_reverse: bool,
    ) -> ClientResult<Vec<CachedMessage>> {
        let sql = if is_reverse {
            format!(
                "SELECT {COLUMNS} FROM messages WHERE conversation_id = ?1 AND send_time > ?2
                 ORDER BY send_time ASC, seq IS NULL ASC, seq ASC, id ASC LIMIT ?3"
            )
        } else {
            format!(
                "SELECT {COLUMNS} FROM messages WHERE conversation_id = ?1 AND send_time < ?2
                 ORDER BY send_time DESC, seq IS NULL DESC, seq DESC, id DESC LIMIT ?3"
            )
        };
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_map(params![conversation_id, start_time, count], from_row)?.collect::<Result<Vec<_>, _>>()?)
    }

    /// Paging by seq: up to `count` sent messages with `seq < before`
    /// (newest first) or, with `after`, `seq > after` (oldest first).
    pub fn get_messages_by_seq(
        &self,
        conversation_id: ConversationId,
        count: u32,
        bound: SeqBound,
    ) -> ClientResult<Vec<CachedMessage>> {
        let (filter, order, arg) = match bound {
            SeqBound::Before(s) => ("seq < ?2", "seq DESC", s),
            SeqBound::After(s) => ("seq > ?2", "seq ASC", s),
        };
        let sql =
            format!("SELECT {COLUMNS} FROM messages WHERE conversation_id = ?1 AND {filter} ORDER BY {order} LIMIT ?3");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_map(params![conversation_id, arg, count], from_row)?.collect::<Result<Vec<_>, _>>()?)
    }

    /// The highest seq cached for a conversation (0 if none): catch-up starts after it.
    pub fn max_seq(&self, conversation_id: ConversationId) -> ClientResult<Seq> {
        Ok(self
            .conn
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM messages WHERE conversation_id = ?1")?
            .query_row([conversation_id], |r| r.get(0))?)
    }

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

    /// Indexes up to `max` messages not indexed yet, oldest first; returns how
    /// many it went through. Indexing costs several times a plain insert, so
    /// it trails the message writes: call it in the background until it
    /// returns 0, and catch-up never waits for it.
    pub fn index_pending(&mut self, max: u32) -> ClientResult<usize> {
        let tx = self.conn.transaction()?;
        let done = {
            let last: i64 = tx.query_row("SELECT last_indexed_id FROM fts_progress WHERE id = 1", [], |r| r.get(0))?;
            let mut select =
                tx.prepare_cached("SELECT id, content FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2")?;
            let rows: Vec<(i64, String)> =
                select.query_map(params![last, max], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
            let mut insert = tx.prepare_cached("INSERT INTO message_fts (rowid, body) VALUES (?1, ?2)")?;
            for (id, json) in &rows {
                let content: MessageContent =
                    serde_json::from_str(json).map_err(|e| ClientError::Storage(format!("corrupt message: {e}")))?;
                let body = match &content {
                    MessageContent::Text { text } => text.as_str(),
                    MessageContent::Image { file, .. } | MessageContent::File { file } => file.name.as_str(),
                    _ => continue,
                };
                insert.execute(params![id, search::index_text(body)])?;
            }
            if let Some((id, _)) = rows.last() {
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
            "SELECT {COLUMNS} FROM message_fts f JOIN messages m ON m.id = f.rowid
             WHERE message_fts MATCH ?1 AND (?2 IS NULL OR m.conversation_id = ?2)
             ORDER BY m.send_time DESC, m.id DESC LIMIT ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_map(params![expr, conversation_id, limit], from_row)?.collect::<Result<Vec<_>, _>>()?)
    }
}

/// A seq bound for [`Cache::get_messages_by_seq`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqBound {
    /// `seq < n`, newest first.
    Before(Seq),
    /// `seq > n`, oldest first.
    After(Seq),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> MessageContent {
        MessageContent::Text { text: t.into() }
    }

    fn msg(conversation_id: i64, seq: i64, send_time: i64, client: &str, t: &str) -> Message {
        Message {
            conversation_id,
            seq,
            sender_id: 2,
            client_msg_id: client.into(),
            send_time,
            content: text(t),
            reply_to: None,
        }
    }

    fn open() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("cache.db")).unwrap();
        (dir, cache)
    }

    fn seqs(list: &[CachedMessage]) -> Vec<Option<i64>> {
        list.iter().map(|m| m.seq).collect()
    }

    #[test]
    fn test_a_pending_message_becomes_sent_when_its_ack_arrives() {
        let (_d, mut cache) = open();
        cache.insert_pending(7, "c1", 1, &text("hi"), None, 1000).unwrap();
        let pending = cache.get_message(7, "c1").unwrap();
        assert_eq!((pending.seq, pending.status), (None, SendStatus::Sending));
        assert_eq!(cache.outbox().unwrap().len(), 1);
        cache.upsert_messages(&[Message { sender_id: 1, ..msg(7, 4, 990, "c1", "hi") }]).unwrap();
        let sent = cache.get_message(7, "c1").unwrap();
        assert_eq!((sent.seq, sent.status, sent.send_time), (Some(4), SendStatus::Sent, 990));
        assert!(cache.outbox().unwrap().is_empty());
        // The same message seen again (catch-up after the ack) is not doubled.
        cache.upsert_messages(&[Message { sender_id: 1, ..msg(7, 4, 990, "c1", "hi") }]).unwrap();
        assert_eq!(cache.get_messages_by_seq(7, 10, SeqBound::After(0)).unwrap().len(), 1);
    }

    #[test]
    fn test_a_refused_send_is_failed_with_the_servers_code_and_leaves_the_outbox() {
        let (_d, cache) = open();
        cache.insert_pending(7, "c1", 1, &text("hi"), None, 1000).unwrap();
        cache.mark_failed("c1", "not_friends").unwrap();
        let m = cache.get_message(7, "c1").unwrap();
        assert_eq!((m.status, m.error_code.as_deref()), (SendStatus::Failed, Some("not_friends")));
        assert!(cache.outbox().unwrap().is_empty());
    }

    #[test]
    fn test_a_missing_message_is_an_error_with_a_code() {
        let (_d, cache) = open();
        let e = cache.get_message(7, "nope").unwrap_err();
        assert_eq!(e.code(), "message_not_found");
    }

    #[test]
    fn test_get_message_list_follows_openim_semantics_with_ties_by_seq() {
        let (_d, mut cache) = open();
        // seq:  1   2   3   4   5      (and one in another conversation)
        // time: 10  20  20  30  40
        let page = [
            msg(7, 1, 10, "a", "1"),
            msg(7, 2, 20, "b", "2"),
            msg(7, 3, 20, "c", "3"),
            msg(7, 4, 30, "d", "4"),
            msg(7, 5, 40, "e", "5"),
            msg(8, 1, 25, "x", "other"),
        ];
        cache.upsert_messages(&page).unwrap();
        assert_eq!(
            seqs(&cache.get_message_list(7, 2, 30, false).unwrap()),
            vec![Some(3), Some(2)],
            "older than 30, newest first"
        );
        assert_eq!(
            seqs(&cache.get_message_list(7, 10, 20, true).unwrap()),
            vec![Some(4), Some(5)],
            "newer than 20, oldest first"
        );
        assert_eq!(seqs(&cache.get_message_list(7, 10, 15, true).unwrap()), vec![Some(2), Some(3), Some(4), Some(5)]);
        assert!(cache.get_message_list(7, 10, 10, false).unwrap().is_empty(), "an empty page is not an error");
        assert!(cache.get_message_list(9, 10, i64::MAX, false).unwrap().is_empty());
        // A pending message sorts after sent ones at the same time.
        cache.insert_pending(7, "p", 1, &text("pending"), None, 40).unwrap();
        let newest = cache.get_message_list(7, 2, i64::MAX, false).unwrap();
        assert_eq!(seqs(&newest), vec![None, Some(5)]);
    }

    #[test]
    fn test_paging_by_seq_and_the_catch_up_point() {
        let (_d, mut cache) = open();
        let page: Vec<Message> = (1..=10).map(|s| msg(7, s, s * 10, &format!("m{s}"), "x")).collect();
        cache.upsert_messages(&page).unwrap();
        assert_eq!(
            seqs(&cache.get_messages_by_seq(7, 3, SeqBound::Before(5)).unwrap()),
            vec![Some(4), Some(3), Some(2)]
        );
        assert_eq!(seqs(&cache.get_messages_by_seq(7, 3, SeqBound::After(8)).unwrap()), vec![Some(9), Some(10)]);
        assert_eq!(cache.max_seq(7).unwrap(), 10);
        assert_eq!(cache.max_seq(99).unwrap(), 0);
    }

    #[test]
    fn test_a_recalled_message_replaces_the_cached_one() {
        let (_d, mut cache) = open();
        cache.upsert_messages(&[msg(7, 1, 10, "a", "oops")]).unwrap();
        let recalled = Message { content: MessageContent::Recalled, ..msg(7, 1, 10, "a", "") };
        cache.upsert_messages(&[recalled]).unwrap();
        assert_eq!(cache.get_message(7, "a").unwrap().content, MessageContent::Recalled);
    }

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

    fn found(cache: &Cache, q: &str) -> Vec<String> {
        cache
            .search(q, None, 30)
            .unwrap()
            .into_iter()
            .map(|m| match m.content {
                MessageContent::Text { text } => text,
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
    fn test_a_recalled_message_is_no_longer_found() {
        let (_d, mut cache) = open();
        cache.upsert_messages(&[msg(7, 1, 10, "a", "secret plan")]).unwrap();
        cache.index_pending(100).unwrap();
        assert_eq!(found(&cache, "secret").len(), 1);
        cache.upsert_messages(&[Message { content: MessageContent::Recalled, ..msg(7, 1, 10, "a", "") }]).unwrap();
        assert!(found(&cache, "secret").is_empty());
    }

    #[test]
    fn test_reopening_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        {
            let mut cache = Cache::open(&path).unwrap();
            cache.upsert_messages(&[msg(7, 1, 10, "a", "kept")]).unwrap();
            cache.insert_pending(7, "p", 1, &text("unsent"), None, 20).unwrap();
        }
        let cache = Cache::open(&path).unwrap();
        assert_eq!(cache.get_message(7, "a").unwrap().content, text("kept"));
        assert_eq!(cache.outbox().unwrap().len(), 1, "unsent messages survive a restart");
    }
}
