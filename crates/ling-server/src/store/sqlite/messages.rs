//! Conversations, messages and read cursors on SQLite.

use async_trait::async_trait;
use ling_proto::messages::{
    Conversation, ConversationKind, HistoryPage, Message, MessageContent, ReadCursor, SystemEvent,
};
use ling_proto::{ConversationId, ErrorCode, Seq, UserId, relations};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::contacts::relation_in;
use super::{Guard, SqliteStore, from_json, to_json};
use crate::store::{
    Appended, HistoryBound, MessageStore, NewMessage, OnCommit, Pin, Recall, Relate, RelationRule, SendContext,
    SendFacts, SendRule, StoreError, StoreResult,
};

/// Unread counts stop here; clients show "9999+".
pub const UNREAD_CAP: u32 = 9999;

/// The relation kinds as an SQL list: they are not shown by themselves.
const RELATIONS: &str = "('edit', 'reaction')";

const MESSAGE_COLUMNS: &str =
    "conversation_id, seq, sender_id, client_msg_id, send_time, content, reply_to, changes, forwarded, mentions";

/// The earlier message with the same `(sender, client_msg_id)`. The
/// `client_msg_id <> ''` term repeats the partial index's condition: without it
/// SQLite cannot prove a bound parameter satisfies the index and scans the
/// whole table (found by `ling-bench`: 2,300 msg/s, 80 % of the writer's time
/// in B-tree scans, 2026-11-23).
const FIND_DUPLICATE: &str =
    "SELECT conversation_id, seq, sender_id, client_msg_id, send_time, content, reply_to, changes, forwarded, mentions
     FROM messages WHERE sender_id = ?1 AND client_msg_id = ?2 AND client_msg_id <> ''";

struct RawMessage {
    conversation_id: ConversationId,
    seq: Seq,
    sender_id: UserId,
    client_msg_id: String,
    send_time: i64,
    content: String,
    reply_to: Option<Seq>,
    changes: Option<String>,
    forwarded: bool,
    mentions: Option<String>,
}

fn raw_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<RawMessage> {
    Ok(RawMessage {
        conversation_id: r.get(at)?,
        seq: r.get(at + 1)?,
        sender_id: r.get(at + 2)?,
        client_msg_id: r.get(at + 3)?,
        send_time: r.get(at + 4)?,
        content: r.get(at + 5)?,
        reply_to: r.get(at + 6)?,
        changes: r.get(at + 7)?,
        forwarded: r.get(at + 8)?,
        mentions: r.get(at + 9)?,
    })
}

impl RawMessage {
    fn decode(self) -> StoreResult<Message> {
        Ok(Message {
            conversation_id: self.conversation_id,
            seq: self.seq,
            sender_id: self.sender_id,
            client_msg_id: self.client_msg_id,
            send_time: self.send_time,
            content: from_json(&self.content)?,
            reply_to: self.reply_to,
            changes: self.changes.as_deref().map(from_json).transpose()?.unwrap_or_default(),
            forwarded: self.forwarded,
            mentions: self.mentions.as_deref().map(from_json).transpose()?.unwrap_or_default(),
        })
    }
}

fn load_message(c: &Connection, conversation: ConversationId, seq: Seq) -> StoreResult<Option<Message>> {
    c.prepare_cached(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 AND seq = ?2"))?
        .query_row([conversation, seq], |r| raw_from_row(r, 0))
        .optional()?
        .map(RawMessage::decode)
        .transpose()
}

/// The facts about `user` in `conversation`, on any connection.
fn send_context_in(c: &Connection, user: UserId, conversation: ConversationId) -> StoreResult<Option<SendContext>> {
    let Some((kind, last_seq)) = c
        .prepare_cached("SELECT kind, last_seq FROM conversations WHERE id = ?1")?
        .query_row([conversation], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Seq>(1)?)))
        .optional()?
    else {
        return Ok(None);
    };
    let member_ids: Vec<UserId> = c
        .prepare_cached("SELECT user_id FROM conversation_members WHERE conversation_id = ?1")?
        .query_map([conversation], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let is_member = member_ids.contains(&user);
    let (kind, peer, group) = if kind == "direct" {
        (ConversationKind::Direct, member_ids.iter().copied().find(|u| *u != user), None)
    } else {
        let group = c
            .prepare_cached("SELECT id, dissolved FROM chat_groups WHERE conversation_id = ?1")?
            .query_row([conversation], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        (ConversationKind::Group, None, group)
    };
    Ok(Some(SendContext { kind, is_member, peer, group, member_ids, last_seq }))
}

/// The message already stored under `m`'s `(sender, client_msg_id)`, if any.
/// A `client_msg_id` names one message of its sender's, in one conversation:
/// reusing it in another is refused (`invalid_client_msg_id`) rather than
/// answered with an ack for a message somewhere else.
fn find_duplicate(c: &Connection, conversation: ConversationId, m: &NewMessage) -> StoreResult<Option<Message>> {
    if m.client_msg_id.is_empty() {
        return Ok(None);
    }
    let earlier = c
        .prepare_cached(FIND_DUPLICATE)?
        .query_row(params![m.sender, m.client_msg_id], |r| raw_from_row(r, 0))
        .optional()?
        .map(RawMessage::decode)
        .transpose()?;
    if earlier.as_ref().is_some_and(|e| e.conversation_id != conversation) {
        return Err(StoreError::Rejected(
            ErrorCode::InvalidClientMsgId,
            "that client_msg_id was already used for a message in another conversation".into(),
        ));
    }
    Ok(earlier)
}

/// Appends within the caller's transaction (see [`MessageStore::append`]).
/// The caller has looked for a duplicate first ([`find_duplicate`]; a
/// message the server writes has no `client_msg_id` and cannot have one):
/// one index lookup per send, not two.
pub(super) fn append_in(c: &Connection, conversation: ConversationId, m: NewMessage) -> StoreResult<Appended> {
    let (seq, send_time): (Seq, i64) = c
        .prepare_cached(
            "UPDATE conversations SET last_seq = last_seq + 1, last_time = max(last_time, ?1) WHERE id = ?2
             RETURNING last_seq, last_time",
        )?
        .query_row(params![m.now, conversation], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let content = to_json(&m.content)?;
    c.prepare_cached(
        "INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, send_time, kind, content, reply_to, forwarded, mentions)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        conversation,
        seq,
        m.sender,
        m.client_msg_id,
        send_time,
        m.content.kind(),
        content,
        m.reply_to,
        m.forwarded,
        if m.mentions.is_empty() { None } else { Some(to_json(&m.mentions)?) }
    ])?;
    if !m.client_msg_id.is_empty() {
        // Sending implies having read the conversation up to here.
        c.prepare_cached("UPDATE conversation_members SET read_seq = ?1 WHERE conversation_id = ?2 AND user_id = ?3 AND read_seq < ?1")?
            .execute(params![seq, conversation, m.sender])?;
    }
    if let Some(file) = m.content.file() {
        c.prepare_cached("INSERT OR IGNORE INTO conversation_files (file_id, conversation_id) VALUES (?1, ?2)")?
            .execute(params![file.id, conversation])?;
    }
    Ok(Appended {
        message: Message {
            conversation_id: conversation,
            seq,
            sender_id: m.sender,
            client_msg_id: m.client_msg_id,
            send_time,
            content: m.content,
            reply_to: m.reply_to,
            changes: Default::default(),
            forwarded: m.forwarded,
            mentions: m.mentions,
        },
        duplicate: false,
    })
}

/// The smallest seq in `1..=last_seq` whose `send_time` satisfies `after`
/// (a predicate that turns true once and stays true along seq), or
/// `last_seq + 1`. Seqs are gap-free and `send_time` never decreases along
/// them, so a binary search over the primary key replaces a time index.
fn first_seq_where(
    c: &Connection,
    conversation: ConversationId,
    last_seq: Seq,
    after: impl Fn(i64) -> bool,
) -> StoreResult<Seq> {
    let mut stmt = c.prepare_cached("SELECT send_time FROM messages WHERE conversation_id = ?1 AND seq = ?2")?;
    let (mut lo, mut hi) = (1, last_seq + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let time: i64 = stmt.query_row([conversation, mid], |r| r.get(0))?;
        if after(time) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(lo)
}

fn page(c: &Connection, conversation: ConversationId, bound: HistoryBound, limit: u32) -> StoreResult<HistoryPage> {
    /// A page bound in seqs only.
    enum SeqBound {
        Latest,
        After(Seq),
        Before(Seq),
    }
    let last_seq = || -> StoreResult<Seq> {
        Ok(c.prepare_cached("SELECT last_seq FROM conversations WHERE id = ?1")?
            .query_row([conversation], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    };
    let bound = match bound {
        HistoryBound::Latest => SeqBound::Latest,
        HistoryBound::AfterSeq(s) => SeqBound::After(s),
        HistoryBound::BeforeSeq(s) => SeqBound::Before(s),
        HistoryBound::AfterTime(t) => SeqBound::After(first_seq_where(c, conversation, last_seq()?, |x| x > t)? - 1),
        HistoryBound::BeforeTime(t) => SeqBound::Before(first_seq_where(c, conversation, last_seq()?, |x| x >= t)?),
    };
    let (filter, order, reverse, arg) = match bound {
        SeqBound::Latest => ("1", "seq DESC", true, 0),
        SeqBound::After(s) => ("seq > ?2", "seq ASC", false, s),
        SeqBound::Before(s) => ("seq < ?2", "seq DESC", true, s),
    };
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 AND {filter} AND ?2 = ?2 ORDER BY {order} LIMIT ?3"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let mut raws = stmt
        .query_map(params![conversation, arg, i64::from(limit) + 1], |r| raw_from_row(r, 0))?
        .collect::<Result<Vec<_>, _>>()?;
    let has_more = raws.len() > limit as usize;
    raws.truncate(limit as usize);
    if reverse {
        raws.reverse();
    }
    Ok(HistoryPage { messages: raws.into_iter().map(RawMessage::decode).collect::<StoreResult<_>>()?, has_more })
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn send_context(&self, user: UserId, conversation: ConversationId) -> StoreResult<Option<SendContext>> {
        self.read(move |c| send_context_in(c, user, conversation)).await
    }

    async fn append_checked(
        &self,
        conversation: ConversationId,
        message: NewMessage,
        rule: SendRule,
        on_commit: OnCommit<(Appended, Vec<UserId>)>,
    ) -> StoreResult<()> {
        self.queue_write_guarded(
            move |c| {
                if let Some(earlier) = find_duplicate(c, conversation, &message)? {
                    return Ok((Appended { message: earlier, duplicate: true }, Vec::new()));
                }
                let context = send_context_in(c, message.sender, conversation)?.ok_or(StoreError::NotFound)?;
                let relation = match (context.kind, context.peer) {
                    (ConversationKind::Direct, Some(peer)) => Some(relation_in(c, message.sender, peer)?),
                    _ => None,
                };
                let facts = SendFacts { context, relation };
                rule(&facts)?;
                Ok((append_in(c, conversation, message)?, facts.context.member_ids))
            },
            on_commit,
            // Everything is checked before the first write.
            Guard::WholeBatch,
        )
        .await
    }

    async fn message(&self, conversation: ConversationId, seq: Seq) -> StoreResult<Option<Message>> {
        self.read(move |c| load_message(c, conversation, seq)).await
    }

    async fn history(&self, conversation: ConversationId, bound: HistoryBound, limit: u32) -> StoreResult<HistoryPage> {
        self.read(move |c| page(c, conversation, bound, limit)).await
    }

    async fn conversations(&self, user: UserId) -> StoreResult<Vec<Conversation>> {
        self.read(move |c| {
            let sql = format!(
                "SELECT c.id, c.kind, c.last_seq, me.read_seq,
                        (SELECT count(*) FROM (SELECT 1 FROM messages u WHERE u.conversation_id = c.id AND u.seq > me.read_seq
                                               AND u.sender_id <> ?1 AND u.kind NOT IN {RELATIONS} LIMIT {UNREAD_CAP})),
                        (SELECT p.user_id FROM conversation_members p WHERE c.kind = 'direct' AND p.conversation_id = c.id AND p.user_id <> ?1),
                        (SELECT p.read_seq FROM conversation_members p WHERE c.kind = 'direct' AND p.conversation_id = c.id AND p.user_id <> ?1),
                        g.id,
                        (SELECT json_group_array(seq) FROM (SELECT seq FROM conversation_pins p
                            WHERE p.conversation_id = c.id ORDER BY p.pinned_at, p.seq)),
                        m.conversation_id, m.seq, m.sender_id, m.client_msg_id, m.send_time, m.content, m.reply_to, m.changes,
                        m.forwarded, m.mentions
                 FROM conversation_members me
                 JOIN conversations c ON c.id = me.conversation_id
                 LEFT JOIN chat_groups g ON g.conversation_id = c.id
                 LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = (
                     SELECT s.seq FROM messages s WHERE s.conversation_id = c.id AND s.kind NOT IN {RELATIONS}
                     ORDER BY s.seq DESC LIMIT 1)
                 WHERE me.user_id = ?1
                 ORDER BY coalesce(m.send_time, c.last_time) DESC, c.id DESC"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([user], |r| {
                let kind: String = r.get(1)?;
                let last = if r.get::<_, Option<i64>>(9)?.is_some() { Some(raw_from_row(r, 9)?) } else { None };
                let pins: String = r.get(8)?;
                Ok((
                    Conversation {
                        id: r.get(0)?,
                        kind: ConversationKind::parse(&kind).unwrap_or(ConversationKind::Group),
                        last_seq: r.get(2)?,
                        read_seq: r.get(3)?,
                        unread: r.get(4)?,
                        peer_id: r.get(5)?,
                        peer_read_seq: r.get(6)?,
                        group_id: r.get(7)?,
                        last_message: None,
                        pins: Vec::new(),
                    },
                    last,
                    pins,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (mut conv, last, pins) = row?;
                conv.last_message = last.map(RawMessage::decode).transpose()?;
                conv.pins = from_json(&pins)?;
                out.push(conv);
            }
            Ok(out)
        })
        .await
    }

    async fn mark_read(&self, user: UserId, conversation: ConversationId, seq: Seq) -> StoreResult<(Seq, bool)> {
        self.write(move |c| {
            let moved: Option<Seq> = c
                .prepare_cached(
                    "UPDATE conversation_members
                 SET read_seq = min(?1, (SELECT last_seq FROM conversations WHERE id = ?2))
                 WHERE conversation_id = ?2 AND user_id = ?3
                   AND read_seq < min(?1, (SELECT last_seq FROM conversations WHERE id = ?2))
                 RETURNING read_seq",
                )?
                .query_row(params![seq, conversation, user], |r| r.get(0))
                .optional()?;
            match moved {
                Some(cursor) => Ok((cursor, true)),
                None => {
                    let cursor = c
                        .prepare_cached(
                            "SELECT read_seq FROM conversation_members WHERE conversation_id = ?1 AND user_id = ?2",
                        )?
                        .query_row([conversation, user], |r| r.get(0))
                        .optional()?
                        .ok_or(StoreError::NotFound)?;
                    Ok((cursor, false))
                }
            }
        })
        .await
    }

    async fn read_cursors(&self, conversation: ConversationId) -> StoreResult<Vec<ReadCursor>> {
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT user_id, read_seq FROM conversation_members WHERE conversation_id = ?1 ORDER BY user_id",
            )?;
            let rows = stmt.query_map([conversation], |r| Ok(ReadCursor { user_id: r.get(0)?, seq: r.get(1)? }))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn recall(&self, recall: Recall, on_commit: OnCommit<Message>) -> StoreResult<()> {
        self.queue_write(
            move |c| {
                let Some(original) = load_message(c, recall.conversation, recall.seq)? else {
                    return Err(StoreError::NotFound);
                };
                if original.sender_id != recall.by {
                    return Err(StoreError::Rejected(
                        ErrorCode::NotOwnMessage,
                        "only the sender may recall a message".into(),
                    ));
                }
                match original.content {
                    MessageContent::Recalled => {
                        return Err(StoreError::Rejected(
                            ErrorCode::AlreadyRecalled,
                            "the message was already recalled".into(),
                        ));
                    }
                    MessageContent::Text { .. } | MessageContent::Image { .. } | MessageContent::File { .. } => {}
                    _ => {
                        return Err(StoreError::Rejected(
                            ErrorCode::InvalidRequest,
                            "only text, image and file messages can be recalled".into(),
                        ));
                    }
                }
                if recall.now - original.send_time > recall.window_ms {
                    return Err(StoreError::Rejected(
                        ErrorCode::RecallWindowPassed,
                        format!("messages can be recalled for {} seconds after sending", recall.window_ms / 1000),
                    ));
                }
                c.execute(
                    "UPDATE messages SET kind = 'recalled', content = ?1 WHERE conversation_id = ?2 AND seq = ?3",
                    params![to_json(&MessageContent::Recalled)?, recall.conversation, recall.seq],
                )?;
                let notice = NewMessage {
                    sender: recall.by,
                    client_msg_id: String::new(),
                    content: MessageContent::System {
                        event: SystemEvent::MessageRecalled { by: recall.by, seq: recall.seq },
                    },
                    reply_to: None,
                    now: recall.now,
                    forwarded: false,
                    mentions: Default::default(),
                };
                Ok(append_in(c, recall.conversation, notice)?.message)
            },
            on_commit,
        )
        .await
    }

    async fn pin(&self, pin: Pin, on_commit: OnCommit<Option<Message>>) -> StoreResult<()> {
        self.queue_write(
            move |c| {
                let target = load_message(c, pin.conversation, pin.seq)?.ok_or(StoreError::NotFound)?;
                if !target.content.is_said() {
                    return Err(StoreError::Rejected(
                        ErrorCode::InvalidRequest,
                        "this message cannot be pinned".into(),
                    ));
                }
                let changed = if pin.pinned {
                    let count: i64 = c
                        .prepare_cached("SELECT count(*) FROM conversation_pins WHERE conversation_id = ?1")?
                        .query_row([pin.conversation], |r| r.get(0))?;
                    let inserted = c
                        .prepare_cached(
                            "INSERT OR IGNORE INTO conversation_pins (conversation_id, seq, pinned_by, pinned_at)
                             VALUES (?1, ?2, ?3, ?4)",
                        )?
                        .execute(params![pin.conversation, pin.seq, pin.by, pin.now])?;
                    if inserted > 0 && count as usize >= pin.max {
                        return Err(StoreError::Rejected(
                            ErrorCode::TooManyPins,
                            format!("a conversation keeps at most {} pinned messages", pin.max),
                        ));
                    }
                    inserted > 0
                } else {
                    c.prepare_cached("DELETE FROM conversation_pins WHERE conversation_id = ?1 AND seq = ?2")?
                        .execute([pin.conversation, pin.seq])?
                        > 0
                };
                if !changed {
                    return Ok(None);
                }
                let event = if pin.pinned {
                    SystemEvent::MessagePinned { by: pin.by, seq: pin.seq }
                } else {
                    SystemEvent::MessageUnpinned { by: pin.by, seq: pin.seq }
                };
                let note = NewMessage {
                    sender: pin.by,
                    client_msg_id: String::new(),
                    content: MessageContent::System { event },
                    reply_to: None,
                    now: pin.now,
                    forwarded: false,
                    mentions: Default::default(),
                };
                Ok(Some(append_in(c, pin.conversation, note)?.message))
            },
            on_commit,
        )
        .await
    }

    async fn relate(
        &self,
        relate: Relate,
        rule: RelationRule,
        on_commit: OnCommit<Option<(Message, Vec<UserId>)>>,
    ) -> StoreResult<()> {
        self.queue_write(
            move |c| {
                let context = send_context_in(c, relate.by, relate.conversation)?.ok_or(StoreError::NotFound)?;
                let relation = match (context.kind, context.peer) {
                    (ConversationKind::Direct, Some(peer)) => Some(relation_in(c, relate.by, peer)?),
                    _ => None,
                };
                let facts = SendFacts { context, relation };
                let target_seq = relate.content.target().ok_or(StoreError::NotFound)?;
                let target = load_message(c, relate.conversation, target_seq)?.ok_or(StoreError::NotFound)?;
                if !rule(&facts, &target)? {
                    return Ok(None);
                }
                let stored = NewMessage {
                    sender: relate.by,
                    client_msg_id: String::new(),
                    content: relate.content,
                    reply_to: None,
                    now: relate.now,
                    forwarded: false,
                    mentions: Default::default(),
                };
                let message = append_in(c, relate.conversation, stored)?.message;
                fold_into_target(c, &target, &message)?;
                Ok(Some((message, facts.context.member_ids)))
            },
            on_commit,
        )
        .await
    }
}

/// Folds a stored relation into its target's row, keeping the text an
/// edit replaced.
fn fold_into_target(c: &Connection, target: &Message, relation: &Message) -> StoreResult<()> {
    let (mut content, mut changes) = (target.content.clone(), target.changes.clone());
    if !relations::fold(&mut content, &mut changes, relation) {
        return Ok(());
    }
    if content != target.content {
        c.prepare_cached(
            "INSERT INTO message_versions (conversation_id, seq, edit_seq, content) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![target.conversation_id, target.seq, relation.seq, to_json(&target.content)?])?;
    }
    c.prepare_cached(
        "UPDATE messages SET content = ?3, kind = ?4, changes = ?5 WHERE conversation_id = ?1 AND seq = ?2",
    )?
    .execute(params![
        target.conversation_id,
        target.seq,
        to_json(&content)?,
        content.kind(),
        to_json(&changes)?
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query plan of `sql`, one detail line each.
    fn plan(c: &Connection, sql: &str) -> String {
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
    }

    #[test]
    fn test_the_sql_list_of_relations_names_every_relation_kind() {
        assert_eq!(RELATIONS, format!("('{}')", MessageContent::RELATION_KINDS.join("', '")));
    }

    /// A fresh store with user 1 and one direct conversation (its id).
    async fn one_conversation() -> (tempfile::TempDir, SqliteStore, ConversationId) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("ling.db")).unwrap();
        let conversation = store
            .write(|c| {
                c.execute("INSERT INTO users (username, display_name, password_hash, recovery_hash, created_at) VALUES ('a','a','x','y',0)", [])?;
                c.execute("INSERT INTO conversations (kind, created_at) VALUES ('direct', 0)", [])?;
                Ok(c.last_insert_rowid())
            })
            .await
            .unwrap();
        (dir, store, conversation)
    }

    #[tokio::test]
    async fn test_time_bounds_page_like_seq_bounds_with_ties() {
        let (_dir, store, conversation) = one_conversation().await;
        // seq:   1   2   3   4   5   6
        // time: 10  10  20  20  20  30
        for (i, now) in [10, 10, 20, 20, 20, 30].into_iter().enumerate() {
            let m = NewMessage {
                sender: 1,
                client_msg_id: format!("m{i}"),
                content: MessageContent::text("x"),
                reply_to: None,
                now,
                forwarded: false,
                mentions: Default::default(),
            };
            let (on_commit, committed) = crate::store::awaited(|_| {});
            store.append(conversation, m, on_commit).await.unwrap();
            committed.await.unwrap();
        }
        let seqs = |bound: HistoryBound, limit: u32| {
            let store = store.clone();
            async move {
                let p = store.history(conversation, bound, limit).await.unwrap();
                (p.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), p.has_more)
            }
        };
        assert_eq!(seqs(HistoryBound::BeforeTime(20), 10).await, (vec![1, 2], false));
        assert_eq!(seqs(HistoryBound::BeforeTime(21), 2).await, (vec![4, 5], true));
        assert_eq!(seqs(HistoryBound::AfterTime(10), 2).await, (vec![3, 4], true));
        assert_eq!(seqs(HistoryBound::AfterTime(20), 10).await, (vec![6], false));
        assert_eq!(seqs(HistoryBound::AfterTime(5), 10).await.0, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(seqs(HistoryBound::BeforeTime(5), 10).await, (vec![], false));
        assert_eq!(seqs(HistoryBound::AfterTime(30), 10).await, (vec![], false));
        assert_eq!(seqs(HistoryBound::BeforeTime(99), 10).await.0, vec![1, 2, 3, 4, 5, 6]);
    }

    /// A send that fails after writing (here: its file is not in `files`,
    /// which only a bug past the routes' checks could cause) has no
    /// savepoint: its whole batch rolls back and fails, nothing of it is
    /// stored, seqs stay gap-free, and the next batch is served as usual.
    #[tokio::test]
    async fn test_a_send_failing_midway_rolls_back_its_batch_and_nothing_else() {
        let (_dir, store, conversation) = one_conversation().await;
        let text = |id: &str| NewMessage {
            sender: 1,
            client_msg_id: id.into(),
            content: MessageContent::text("x"),
            reply_to: None,
            now: 1,
            forwarded: false,
            mentions: Default::default(),
        };
        // Queues a send and gives its outcome to await later.
        #[allow(clippy::async_yields_async)]
        let send = |m: NewMessage| {
            let store = store.clone();
            async move {
                let (on_commit, committed) = crate::store::awaited(|_| {});
                store.append(conversation, m, on_commit).await.unwrap();
                committed
            }
        };
        send(text("before")).await.await.unwrap();
        // Held up by a slow write, the three below are taken as one batch.
        let slow = store.write(|_| {
            std::thread::sleep(std::time::Duration::from_millis(200));
            Ok(())
        });
        let (slow, outcomes) = tokio::join!(slow, async {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            let a = send(text("a")).await;
            let file = ling_proto::messages::FileRef {
                id: "no-such-file".into(),
                name: "x.bin".into(),
                mime: "application/octet-stream".into(),
                size: 1,
            };
            let broken = send(NewMessage { content: MessageContent::File { file }, ..text("broken") }).await;
            let b = send(text("b")).await;
            (a.await, broken.await, b.await)
        });
        slow.unwrap();
        let (a, broken, b) = outcomes;
        assert!(a.is_err() && broken.is_err(), "the batch failed: {a:?} {broken:?}");
        // "b" ran after the rollback, in a transaction of its own.
        assert_eq!(b.unwrap().0.message.seq, 2);
        let page = store.history(conversation, HistoryBound::Latest, 10).await.unwrap();
        let ids: Vec<_> = page.messages.iter().map(|m| (m.seq, m.client_msg_id.as_str())).collect();
        assert_eq!(ids, [(1, "before"), (2, "b")]);
        // A resend of the rolled-back "a" is stored anew.
        assert_eq!(send(text("a")).await.await.unwrap().0.message.seq, 3);
    }

    #[tokio::test]
    async fn test_hot_queries_use_indexes_not_scans() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("ling.db")).unwrap();
        let plans = store
            .read(|c| {
                Ok(vec![
                    plan(c, &FIND_DUPLICATE.replace("?1", "1").replace("?2", "'x'")),
                    plan(c, "SELECT * FROM messages WHERE conversation_id = 1 AND seq > 5 ORDER BY seq LIMIT 10"),
                    plan(c, "SELECT send_time FROM messages WHERE conversation_id = 1 AND seq = 7"),
                    plan(c, "SELECT user_id FROM conversation_members WHERE conversation_id = 1"),
                ])
            })
            .await
            .unwrap();
        assert!(plans[0].contains("messages_client_msg_id"), "dedupe must use its index: {}", plans[0]);
        for p in &plans {
            assert!(!p.starts_with("SCAN"), "a scan: {p}");
        }
        assert!(plans[1].contains("messages_seq") && plans[2].contains("messages_seq"), "{plans:?}");
    }
}
