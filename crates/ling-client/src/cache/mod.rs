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

use ling_proto::messages::{Changes, Mentions, Message, MessageContent};
use ling_proto::{ConversationId, Millis, Seq, UserId};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ClientError, ClientResult};

mod conversations;
mod fts;
mod messages;

pub use messages::SeqBound;

mod contacts;
mod groups;

pub use conversations::ConversationSummary;
pub use messages::{Discarded, NewUpload, Upserted};

const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../../migrations/001_cache.sql")),
    (2, include_str!("../../migrations/002_search.sql")),
    (3, include_str!("../../migrations/003_contacts.sql")),
    (4, include_str!("../../migrations/004_uploads.sql")),
    (5, include_str!("../../migrations/005_relations.sql")),
    (6, include_str!("../../migrations/006_forwarded.sql")),
    (7, include_str!("../../migrations/007_pins.sql")),
    (8, include_str!("../../migrations/008_hidden.sql")),
    (9, include_str!("../../migrations/009_mentions.sql")),
    (10, include_str!("../../migrations/010_pins_seq.sql")),
];

/// Where a cached message stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SendStatus {
    /// A file message whose file is still to be uploaded (the send queue
    /// does that first, then sends it).
    Uploading,
    /// Written locally, not acknowledged yet (no seq).
    Sending,
    /// Stored by the server.
    Sent,
    /// Refused by the server; can be retried.
    Failed,
    /// The assistant's reply while it is being written: only in a timeline,
    /// never in the cache (the stored reply replaces it).
    Streaming,
}

impl SendStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SendStatus::Uploading => "uploading",
            SendStatus::Sending => "sending",
            SendStatus::Sent => "sent",
            SendStatus::Failed => "failed",
            SendStatus::Streaming => "streaming",
        }
    }

    fn parse(s: &str) -> SendStatus {
        match s {
            "uploading" => SendStatus::Uploading,
            "sending" => SendStatus::Sending,
            "failed" => SendStatus::Failed,
            _ => SendStatus::Sent,
        }
    }
}

/// A message as the cache holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    /// Uploading, sending, sent or failed.
    pub status: SendStatus,
    /// The server's error code for a failed send.
    pub error_code: Option<String>,
    /// What it says.
    pub content: MessageContent,
    /// The seq it answers.
    pub reply_to: Option<Seq>,
    /// What later relations changed (its edit, its reactions).
    pub changes: Changes,
    /// Forwarded from another conversation.
    pub forwarded: bool,
    /// Deleted on this device ("delete for me"): kept, never shown.
    pub hidden: bool,
    /// Who its text mentions.
    pub mentions: Mentions,
}

impl From<Message> for CachedMessage {
    /// A message as the server has it: sent.
    fn from(m: Message) -> CachedMessage {
        CachedMessage {
            conversation_id: m.conversation_id,
            seq: Some(m.seq),
            client_msg_id: (!m.client_msg_id.is_empty()).then_some(m.client_msg_id),
            sender_id: m.sender_id,
            send_time: m.send_time,
            status: SendStatus::Sent,
            error_code: None,
            content: m.content,
            reply_to: m.reply_to,
            changes: m.changes,
            forwarded: m.forwarded,
            hidden: false,
            mentions: m.mentions,
        }
    }
}

/// The local cache of one account on one server.
pub struct Cache {
    conn: Connection,
    /// The account's own user id, once known: messages from others count as unread.
    own_id: Option<UserId>,
}

/// A message's columns, read from `messages` (not aliased): a sending
/// message with an upload waiting is `uploading`.
const COLUMNS: &str = "conversation_id, seq, client_msg_id, sender_id, send_time,
    CASE WHEN status = 'sending' AND EXISTS (SELECT 1 FROM uploads WHERE uploads.client_msg_id = messages.client_msg_id)
      THEN 'uploading' ELSE status END,
    error_code, content, reply_to, changes, forwarded, hidden, mentions";

/// The relation kinds as an SQL list (see [`MessageContent::target`]):
/// stored, never shown by themselves.
const RELATIONS: &str = "('edit', 'reaction')";

/// A conversation's messages, to be read in time order: along
/// `messages_time`, so that a `LIMIT` reads only its rows. Pinned to that
/// index: without statistics SQLite picks the `(conversation_id, seq)` one
/// for a statement that reads every column and sorts the whole
/// conversation (38 ms at 100,000 messages for the newest one).
const BY_TIME: &str = "FROM messages INDEXED BY messages_time WHERE conversation_id = ?1";

fn from_row(r: &Row<'_>) -> rusqlite::Result<CachedMessage> {
    let status: String = r.get(5)?;
    Ok(CachedMessage {
        conversation_id: r.get(0)?,
        seq: r.get(1)?,
        client_msg_id: r.get(2)?,
        sender_id: r.get(3)?,
        send_time: r.get(4)?,
        status: SendStatus::parse(&status),
        error_code: r.get(6)?,
        content: json_column(r, 7)?,
        reply_to: r.get(8)?,
        changes: r.get::<_, Option<String>>(9)?.map(|raw| json_value(&raw, 9)).transpose()?.unwrap_or_default(),
        forwarded: r.get(10)?,
        hidden: r.get(11)?,
        mentions: r.get::<_, Option<String>>(12)?.map(|raw| json_value(&raw, 12)).transpose()?.unwrap_or_default(),
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
        let mut cache = Cache { conn, own_id: None };
        cache.own_id = cache.setting::<UserId>("own_id")?;
        Ok(cache)
    }

    /// Records whose cache this is (messages from anyone else count as unread).
    pub fn set_own_id(&mut self, id: UserId) -> ClientResult<()> {
        self.set_setting("own_id", &id)?;
        self.own_id = Some(id);
        Ok(())
    }

    /// A small stored value (JSON), if set.
    pub fn setting<T: DeserializeOwned>(&self, key: &str) -> ClientResult<Option<T>> {
        let raw: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        raw.map(|v| serde_json::from_str(&v).map_err(|e| ClientError::Storage(format!("setting {key}: {e}"))))
            .transpose()
    }

    /// Stores a small value as JSON.
    pub fn set_setting<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> ClientResult<()> {
        let json = to_json(value)?;
        self.conn
            .prepare_cached("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?
            .execute([key, &json])?;
        Ok(())
    }
}

/// Decodes a JSON column in a row mapper.
fn json_column<T: DeserializeOwned>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    json_value(&r.get::<_, String>(i)?, i)
}

fn json_value<T: DeserializeOwned>(raw: &str, i: usize) -> rusqlite::Result<T> {
    serde_json::from_str(raw)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

/// `mentions` as stored: NULL for no one.
fn mentions_json(mentions: &Mentions) -> ClientResult<Option<String>> {
    if mentions.is_empty() { Ok(None) } else { to_json(mentions).map(Some) }
}

/// `changes` as stored: NULL when there are none.
fn changes_json(changes: &Changes) -> ClientResult<Option<String>> {
    if changes.is_empty() { Ok(None) } else { to_json(changes).map(Some) }
}

/// Encodes a value for a JSON column.
fn to_json<T: Serialize + ?Sized>(value: &T) -> ClientResult<String> {
    serde_json::to_string(value).map_err(|e| ClientError::Storage(e.to_string()))
}

#[cfg(test)]
pub(crate) mod testing {
    pub use super::{Cache, CachedMessage, SendStatus};
    pub use ling_proto::messages::{Message, MessageContent};

    pub fn text(t: &str) -> MessageContent {
        MessageContent::text(t)
    }

    pub fn msg(conversation_id: i64, seq: i64, send_time: i64, client: &str, t: &str) -> Message {
        Message {
            conversation_id,
            seq,
            sender_id: 2,
            client_msg_id: client.into(),
            send_time,
            content: text(t),
            reply_to: None,
            changes: Default::default(),
            forwarded: false,
            mentions: Default::default(),
        }
    }

    pub fn open() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("cache.db")).unwrap();
        (dir, cache)
    }

    pub fn seqs(list: &[CachedMessage]) -> Vec<Option<i64>> {
        list.iter().map(|m| m.seq).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;

    /// The plan of each statement that reads a conversation by time: an
    /// index walk that sorts at most ties, never the whole conversation.
    #[test]
    fn test_reads_by_time_never_sort_the_conversation() {
        let (_dir, mut cache) = open();
        let rows: Vec<_> = (1..=500).map(|i| msg(7, i, i * 10, &format!("c{i}"), "x")).collect();
        cache.upsert_messages(&rows).unwrap();
        let statements = [
            super::conversations::newest_message_sql(),
            super::messages::message_list_sql(true),
            super::messages::message_list_sql(false),
        ];
        for sql in statements {
            let mut stmt = cache.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let params = rusqlite::params_from_iter([7, 0, 30].into_iter().take(stmt.parameter_count()));
            let plan: Vec<String> = stmt.query_map(params, |r| r.get(3)).unwrap().collect::<Result<_, _>>().unwrap();
            assert!(plan.iter().any(|step| step.contains("messages_time")), "{sql}: {plan:?}");
            assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE FOR ORDER BY")), "{sql}: {plan:?}");
        }
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
