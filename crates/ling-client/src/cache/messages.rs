//! Messages in the cache: pending sends, acks, synced pages, OpenIM paging.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ling_proto::messages::{Mentions, Message, MessageContent, SendAck, SystemEvent};
use ling_proto::{ConversationId, Millis, Seq, UserId, relations};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{BY_TIME, COLUMNS, Cache, CachedMessage, RELATIONS, from_row, to_json};
use crate::error::{ClientError, ClientResult};

/// What [`Cache::upsert_messages`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Upserted {
    /// Messages the cache did not have.
    pub new: Vec<Message>,
    /// Messages it had, now changed: a pending send claimed, a recall.
    pub updated: Vec<Message>,
}

/// A file to upload before its message is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpload {
    /// Its message's client id.
    pub client_msg_id: String,
    /// The file on this machine.
    pub path: PathBuf,
}

/// What [`Cache::discard_unsent`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discarded {
    /// Where the message was.
    pub conversation_id: ConversationId,
    /// Its upload's file, if it had one still to upload.
    pub file: Option<PathBuf>,
}

fn path_text(path: &Path) -> ClientResult<&str> {
    path.to_str().ok_or_else(|| ClientError::InvalidInput(format!("{} is not a usable path", path.display())))
}

/// A message written before it is sent.
struct Pending<'a> {
    conversation_id: ConversationId,
    client_msg_id: &'a str,
    sender_id: UserId,
    content: &'a MessageContent,
    reply_to: Option<Seq>,
    now: Millis,
    forwarded: bool,
    mentions: &'a Mentions,
}

fn write_pending(conn: &Connection, p: Pending<'_>) -> ClientResult<()> {
    conn.prepare_cached(
        "INSERT INTO messages (conversation_id, seq, client_msg_id, sender_id, send_time, status, kind, content, reply_to, forwarded, mentions)
         VALUES (?1, NULL, ?2, ?3, ?4, 'sending', ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        p.conversation_id,
        p.client_msg_id,
        p.sender_id,
        p.now,
        p.content.kind(),
        to_json(p.content)?,
        p.reply_to,
        p.forwarded,
        super::mentions_json(p.mentions)?
    ])?;
    // The draft is the text being written: sending a text sends it, while a
    // file or image sent (or anything forwarded) meanwhile leaves it where it was.
    let sends_draft = matches!(p.content, MessageContent::Text { .. }) && !p.forwarded;
    conn.prepare_cached(
        "UPDATE conversations SET last_activity = max(last_activity, ?2), draft = CASE WHEN ?3 THEN '' ELSE draft END
         WHERE id = ?1",
    )?
    .execute(params![p.conversation_id, p.now, sends_draft])?;
    Ok(())
}

/// Moves each touched conversation's last seq and activity forward, and
/// counts new messages from others past both the read cursor and the last
/// seq the server reported (which its unread count already includes).
fn follow_conversations(tx: &Transaction<'_>, new: &[Message], own_id: Option<UserId>) -> ClientResult<()> {
    #[derive(Default)]
    struct Touch {
        max_seq: Seq,
        max_time: Millis,
        from_others: Vec<Seq>,
    }
    let mut touched: HashMap<ConversationId, Touch> = HashMap::new();
    for m in new {
        let t = touched.entry(m.conversation_id).or_default();
        t.max_seq = t.max_seq.max(m.seq);
        // A relation is not shown: it neither moves the chat up nor counts.
        if m.content.target().is_some() {
            continue;
        }
        t.max_time = t.max_time.max(m.send_time);
        if Some(m.sender_id) != own_id {
            t.from_others.push(m.seq);
        }
    }
    let mut get = tx.prepare_cached("SELECT last_seq, read_seq FROM conversations WHERE id = ?1")?;
    let mut set = tx.prepare_cached(
        "UPDATE conversations SET last_seq = max(last_seq, ?2), last_activity = max(last_activity, ?3),
           unread = min(9999, unread + ?4) WHERE id = ?1",
    )?;
    for (id, t) in touched {
        let Some((last_seq, read_seq)) =
            get.query_row([id], |r| Ok((r.get::<_, Seq>(0)?, r.get::<_, Seq>(1)?))).optional()?
        else {
            continue;
        };
        let unread = t.from_others.iter().filter(|&&s| s > last_seq && s > read_seq).count();
        set.execute(params![id, t.max_seq, t.max_time, unread])?;
    }
    Ok(())
}

/// Pin notes newer than what a conversation's pins are as of move them (in
/// seq order); an older one (a page of history loaded later) does not.
fn fold_pin_notes(tx: &Transaction<'_>, new: &[Message]) -> ClientResult<()> {
    let mut notes: Vec<(&Message, &SystemEvent)> = new
        .iter()
        .filter_map(|m| match &m.content {
            MessageContent::System {
                event: event @ (SystemEvent::MessagePinned { .. } | SystemEvent::MessageUnpinned { .. }),
            } => Some((m, event)),
            _ => None,
        })
        .collect();
    notes.sort_by_key(|(m, _)| (m.conversation_id, m.seq));
    for (m, event) in notes {
        let Some((json, as_of)) = tx
            .prepare_cached("SELECT pins, pins_seq FROM conversations WHERE id = ?1")?
            .query_row([m.conversation_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Seq>(1)?)))
            .optional()?
        else {
            continue;
        };
        if m.seq <= as_of {
            continue;
        }
        let mut pins: Vec<Seq> = serde_json::from_str(&json).unwrap_or_default();
        event.fold_pins(&mut pins);
        tx.prepare_cached("UPDATE conversations SET pins = ?2, pins_seq = ?3 WHERE id = ?1")?.execute(params![
            m.conversation_id,
            to_json(&pins)?,
            m.seq
        ])?;
    }
    Ok(())
}

/// A sent message as cached, with its row id.
fn load_sent(tx: &Transaction<'_>, conversation_id: ConversationId, seq: Seq) -> ClientResult<Option<(i64, Message)>> {
    let row = tx
        .prepare_cached(
            "SELECT id, sender_id, client_msg_id, send_time, content, reply_to, changes, forwarded, mentions FROM messages
             WHERE conversation_id = ?1 AND seq = ?2",
        )?
        .query_row(params![conversation_id, seq], |r| {
            let changes: Option<String> = r.get(6)?;
            let mentions: Option<String> = r.get(8)?;
            Ok((
                r.get::<_, i64>(0)?,
                Message {
                    conversation_id,
                    seq,
                    sender_id: r.get(1)?,
                    client_msg_id: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    send_time: r.get(3)?,
                    content: super::json_column(r, 4)?,
                    reply_to: r.get(5)?,
                    changes: changes.map(|c| super::json_value(&c, 6)).transpose()?.unwrap_or_default(),
                    forwarded: r.get(7)?,
                    mentions: mentions.map(|m| super::json_value(&m, 8)).transpose()?.unwrap_or_default(),
                },
            ))
        })
        .optional()?;
    Ok(row)
}

/// Writes a cached message's folded state back; its search entry follows
/// a changed text (at once if it was indexed, else when the indexer gets
/// to it).
fn store_folded(tx: &Transaction<'_>, id: i64, before: &MessageContent, after: &Message) -> ClientResult<()> {
    tx.prepare_cached("UPDATE messages SET content = ?2, kind = ?3, changes = ?4 WHERE id = ?1")?.execute(params![
        id,
        to_json(&after.content)?,
        after.content.kind(),
        super::changes_json(&after.changes)?
    ])?;
    if *before != after.content {
        tx.prepare_cached("DELETE FROM message_fts WHERE rowid = ?1")?.execute([id])?;
        let indexed: i64 = tx.query_row("SELECT last_indexed_id FROM fts_progress WHERE id = 1", [], |r| r.get(0))?;
        if id <= indexed
            && let MessageContent::Text { text, .. } = &after.content
        {
            tx.prepare_cached("INSERT INTO message_fts (rowid, body) VALUES (?1, ?2)")?
                .execute(params![id, crate::search::index_text(text)])?;
        }
    }
    Ok(())
}

/// Folds a relation just stored into its target, if cached: the target as
/// it now is, if that changed it.
fn fold_relation(tx: &Transaction<'_>, relation: &Message) -> ClientResult<Option<Message>> {
    let Some(seq) = relation.content.target() else { return Ok(None) };
    let Some((id, mut target)) = load_sent(tx, relation.conversation_id, seq)? else { return Ok(None) };
    let before = target.content.clone();
    if !relations::fold(&mut target.content, &mut target.changes, relation) {
        return Ok(None);
    }
    store_folded(tx, id, &before, &target)?;
    Ok(Some(target))
}

/// A message just stored (row `id`) with the relations cached before it
/// folded in: as it now is.
fn fold_earlier_relations(tx: &Transaction<'_>, id: i64, m: &Message) -> ClientResult<Message> {
    let relations: Vec<Message> = tx
        .prepare_cached(
            "SELECT seq, sender_id, send_time, content FROM messages WHERE conversation_id = ?1 AND target = ?2",
        )?
        .query_map(params![m.conversation_id, m.seq], |r| {
            Ok(Message {
                conversation_id: m.conversation_id,
                seq: r.get(0)?,
                sender_id: r.get(1)?,
                client_msg_id: String::new(),
                send_time: r.get(2)?,
                content: super::json_column(r, 3)?,
                reply_to: None,
                changes: Default::default(),
                forwarded: false,
                mentions: Default::default(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut folded = m.clone();
    let mut changed = false;
    for relation in &relations {
        changed |= relations::fold(&mut folded.content, &mut folded.changes, relation);
    }
    if changed {
        store_folded(tx, id, &m.content, &folded)?;
    }
    Ok(folded)
}

/// Merges the server's copy of a cached message into the cache's (either
/// may have folded relations the other has not): the merged message, if
/// that changed the cache's.
fn merge_copy(tx: &Transaction<'_>, copy: &Message) -> ClientResult<Option<Message>> {
    let Some((id, mut cached)) = load_sent(tx, copy.conversation_id, copy.seq)? else { return Ok(None) };
    if copy.changes.is_empty() && cached.changes.is_empty() {
        return Ok(None);
    }
    let before = cached.content.clone();
    if !relations::merge(&mut cached.content, &mut cached.changes, (&copy.content, &copy.changes)) {
        return Ok(None);
    }
    store_folded(tx, id, &before, &cached)?;
    Ok(Some(cached))
}

impl Cache {
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
        let none = Mentions::default();
        self.insert_pending_mentioning(conversation_id, client_msg_id, sender_id, content, reply_to, &none, now)
    }

    /// [`Cache::insert_pending`] for a text that mentions people.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_pending_mentioning(
        &self,
        conversation_id: ConversationId,
        client_msg_id: &str,
        sender_id: UserId,
        content: &MessageContent,
        reply_to: Option<Seq>,
        mentions: &Mentions,
        now: Millis,
    ) -> ClientResult<()> {
        let p =
            Pending { conversation_id, client_msg_id, sender_id, content, reply_to, now, forwarded: false, mentions };
        write_pending(&self.conn, p)
    }

    /// Writes messages forwarded into a conversation, to send in this
    /// order (their content names files already on the server: nothing to
    /// upload), each under its client id.
    pub fn insert_forwarded(
        &mut self,
        conversation_id: ConversationId,
        sender_id: UserId,
        messages: &[(String, MessageContent)],
        now: Millis,
    ) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        for (i, (client_msg_id, content)) in messages.iter().enumerate() {
            let now = now + i as Millis;
            let p = Pending {
                conversation_id,
                client_msg_id,
                sender_id,
                content,
                reply_to: None,
                now,
                forwarded: true,
                mentions: &Mentions::default(),
            };
            write_pending(&tx, p)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Writes a file message to send once its file (at `upload.path`) is
    /// uploaded: listed at once, out of the outbox until
    /// [`Cache::finish_upload`].
    pub fn insert_pending_upload(
        &mut self,
        conversation_id: ConversationId,
        upload: &NewUpload,
        sender_id: UserId,
        content: &MessageContent,
        now: Millis,
    ) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        let client_msg_id = &upload.client_msg_id;
        let mentions = &Mentions::default();
        let p = Pending {
            conversation_id,
            client_msg_id,
            sender_id,
            content,
            reply_to: None,
            now,
            forwarded: false,
            mentions,
        };
        write_pending(&tx, p)?;
        tx.prepare_cached("INSERT INTO uploads (client_msg_id, path) VALUES (?1, ?2)")?
            .execute(params![upload.client_msg_id, path_text(&upload.path)?])?;
        tx.commit()?;
        Ok(())
    }

    /// The oldest upload still to do (its message sending, not failed).
    pub fn next_upload(&self) -> ClientResult<Option<(ConversationId, NewUpload)>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT m.conversation_id, u.client_msg_id, u.path FROM uploads u
                 JOIN messages m ON m.client_msg_id = u.client_msg_id
                 WHERE m.status = 'sending' AND m.seq IS NULL ORDER BY m.id LIMIT 1",
            )?
            .query_row([], |r| {
                Ok((r.get(0)?, NewUpload { client_msg_id: r.get(1)?, path: r.get::<_, String>(2)?.into() }))
            })
            .optional()?;
        Ok(row)
    }

    /// An upload is done: its message names the server's file (`content`)
    /// and joins the outbox. `None` if the message no longer waits for it
    /// (discarded, or failed meanwhile).
    pub fn finish_upload(
        &mut self,
        client_msg_id: &str,
        content: &MessageContent,
    ) -> ClientResult<Option<CachedMessage>> {
        let tx = self.conn.transaction()?;
        let waiting = tx
            .prepare_cached(
                "UPDATE messages SET content = ?2, kind = ?3
                 WHERE client_msg_id = ?1 AND seq IS NULL AND status = 'sending'
                   AND EXISTS (SELECT 1 FROM uploads WHERE uploads.client_msg_id = messages.client_msg_id)",
            )?
            .execute(params![client_msg_id, to_json(content)?, content.kind()])?;
        if waiting == 0 {
            return Ok(None);
        }
        tx.prepare_cached("DELETE FROM uploads WHERE client_msg_id = ?1")?.execute([client_msg_id])?;
        tx.commit()?;
        self.message_by_client_id(client_msg_id)
    }

    /// Removes a message that was not sent and is not on its way: a failed
    /// one, or one whose file is still to upload. Sending ones cannot be
    /// discarded (the server may be storing them right now).
    pub fn discard_unsent(&mut self, client_msg_id: &str) -> ClientResult<Discarded> {
        let tx = self.conn.transaction()?;
        let file: Option<String> = tx
            .prepare_cached("SELECT path FROM uploads WHERE client_msg_id = ?1")?
            .query_row([client_msg_id], |r| r.get(0))
            .optional()?;
        let removed: Option<(i64, ConversationId)> = tx
            .prepare_cached(
                "DELETE FROM messages WHERE client_msg_id = ?1 AND seq IS NULL
                   AND (status = 'failed' OR EXISTS (SELECT 1 FROM uploads WHERE uploads.client_msg_id = messages.client_msg_id))
                 RETURNING id, conversation_id",
            )?
            .query_row([client_msg_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((id, conversation_id)) = removed else {
            return Err(ClientError::InvalidInput(
                "only a message that failed, or whose file is still uploading, can be discarded".into(),
            ));
        };
        tx.prepare_cached("DELETE FROM message_fts WHERE rowid = ?1")?.execute([id])?;
        tx.commit()?;
        Ok(Discarded { conversation_id, file: file.map(Into::into) })
    }

    /// Stores messages from the server (a synced page, a pushed message): a
    /// pending message with the same `client_msg_id` becomes sent; a seq
    /// already cached with other content is replaced (a recall, say), or
    /// merged with the cached copy when either has [`Changes`]; one seen
    /// before is left alone. A relation (an edit, a reaction) is stored
    /// and folded into its target if that is cached. Conversations' last
    /// seq, activity and unread count follow. Says which messages were new
    /// and which changed.
    pub fn upsert_messages(&mut self, messages: &[Message]) -> ClientResult<Upserted> {
        let own_id = self.own_id;
        let tx = self.conn.transaction()?;
        let mut out = Upserted::default();
        {
            let max_id_before: i64 = tx.query_row("SELECT coalesce(max(id), 0) FROM messages", [], |r| r.get(0))?;
            let mut claim = tx.prepare_cached(
                "UPDATE messages SET seq = ?1, send_time = ?2, status = 'sent', error_code = NULL, content = ?3, kind = ?4
                 WHERE client_msg_id = ?5 AND seq IS NULL",
            )?;
            // A copy with changes on either side is merged below instead.
            let mut upsert = tx.prepare_cached(
                "INSERT INTO messages (conversation_id, seq, client_msg_id, sender_id, send_time, status, kind, content, reply_to, changes, target, forwarded, mentions, mentions_me)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'sent', ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT (conversation_id, seq) DO UPDATE SET content = excluded.content, kind = excluded.kind
                   WHERE content != excluded.content AND messages.changes IS NULL AND excluded.changes IS NULL
                 ON CONFLICT (client_msg_id) DO NOTHING
                 RETURNING id",
            )?;
            let mut unindex = tx.prepare_cached("DELETE FROM message_fts WHERE rowid = ?1")?;
            for m in messages {
                let json = to_json(&m.content)?;
                let client_id = (!m.client_msg_id.is_empty()).then_some(m.client_msg_id.as_str());
                if let Some(id) = client_id
                    && claim.execute(params![m.seq, m.send_time, json, m.content.kind(), id])? > 0
                {
                    out.updated.push(m.clone());
                    continue;
                }
                let id: Option<i64> = upsert
                    .query_row(
                        params![
                            m.conversation_id,
                            m.seq,
                            client_id,
                            m.sender_id,
                            m.send_time,
                            m.content.kind(),
                            json,
                            m.reply_to,
                            super::changes_json(&m.changes)?,
                            m.content.target(),
                            m.forwarded,
                            super::mentions_json(&m.mentions)?,
                            own_id.is_some_and(|me| m.sender_id != me && m.mentions.includes(me))
                        ],
                        |r| r.get(0),
                    )
                    .optional()?;
                match id {
                    Some(id) if id > max_id_before => {
                        if m.content.target().is_some() {
                            out.new.push(m.clone());
                            if let Some(target) = fold_relation(&tx, m)? {
                                out.updated.push(target);
                            }
                        } else {
                            // Relations cached before it (it came from an older page) fold in now.
                            out.new.push(fold_earlier_relations(&tx, id, m)?);
                        }
                    }
                    Some(id) => {
                        if m.content == MessageContent::Recalled {
                            // A recalled message is no longer findable.
                            unindex.execute([id])?;
                        }
                        out.updated.push(m.clone());
                    }
                    None => {
                        if let Some(merged) = merge_copy(&tx, m)? {
                            out.updated.push(merged);
                        }
                    }
                }
            }
            follow_conversations(&tx, &out.new, own_id)?;
            fold_pin_notes(&tx, &out.new)?;
            // One deleted on this device stays out of sight when it changes.
            let mut hidden = tx
                .prepare_cached("SELECT hidden FROM messages WHERE conversation_id = ?1 AND seq = ?2 AND hidden = 1")?;
            out.updated.retain(|m| !hidden.exists(params![m.conversation_id, m.seq]).unwrap_or(false));
        }
        tx.commit()?;
        Ok(out)
    }

    /// Applies the server's ack to a pending send: it gets its seq and the
    /// server's time. Returns the message as now cached, if it was pending.
    pub fn apply_ack(&mut self, ack: &SendAck) -> ClientResult<Option<CachedMessage>> {
        let tx = self.conn.transaction()?;
        let changed = tx
            .prepare_cached(
                "UPDATE messages SET seq = ?1, send_time = ?2, status = 'sent', error_code = NULL
                 WHERE client_msg_id = ?3 AND seq IS NULL",
            )?
            .execute(params![ack.seq, ack.send_time, ack.client_msg_id])?;
        if changed > 0 {
            tx.prepare_cached(
                "UPDATE conversations SET last_seq = max(last_seq, ?2), last_activity = max(last_activity, ?3),
                   read_seq = max(read_seq, ?2) WHERE id = ?1",
            )?
            .execute(params![ack.conversation_id, ack.seq, ack.send_time])?;
        }
        tx.commit()?;
        if changed == 0 {
            return Ok(None);
        }
        self.get_message(ack.conversation_id, &ack.client_msg_id).map(Some)
    }

    /// Hides a sent message on this device ("delete for me"): it stays
    /// (seqs stay gap-free) but is not shown, listed or found. The message
    /// as now cached, if it was.
    pub fn hide_message(&self, conversation_id: ConversationId, seq: Seq) -> ClientResult<Option<CachedMessage>> {
        let id: Option<i64> = self
            .conn
            .prepare_cached("UPDATE messages SET hidden = 1 WHERE conversation_id = ?1 AND seq = ?2 RETURNING id")?
            .query_row(params![conversation_id, seq], |r| r.get(0))
            .optional()?;
        let Some(id) = id else { return Ok(None) };
        self.conn.prepare_cached("DELETE FROM message_fts WHERE rowid = ?1")?.execute([id])?;
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM messages WHERE id = ?1"))?
            .query_row([id], from_row)
            .optional()?)
    }

    /// Replaces a message's content with `recalled` (the server recalled it)
    /// and drops it from search. Returns whether it was cached.
    pub fn mark_recalled(&self, conversation_id: ConversationId, seq: Seq) -> ClientResult<bool> {
        let id: Option<i64> = self
            .conn
            .prepare_cached(
                "UPDATE messages SET content = ?3, kind = 'recalled' WHERE conversation_id = ?1 AND seq = ?2 RETURNING id",
            )?
            .query_row(params![conversation_id, seq, to_json(&MessageContent::Recalled)?], |r| r.get(0))
            .optional()?;
        if let Some(id) = id {
            self.conn.prepare_cached("DELETE FROM message_fts WHERE rowid = ?1")?.execute([id])?;
        }
        Ok(id.is_some())
    }

    /// Puts a failed send back in the outbox (the person pressed retry).
    pub fn retry(&self, client_msg_id: &str) -> ClientResult<bool> {
        let n = self.conn.execute(
            "UPDATE messages SET status = 'sending', error_code = NULL WHERE client_msg_id = ?1 AND status = 'failed'",
            [client_msg_id],
        )?;
        Ok(n > 0)
    }

    /// Marks a pending send as refused by the server, with its code.
    pub fn mark_failed(&self, client_msg_id: &str, code: &str) -> ClientResult<()> {
        self.conn.execute(
            "UPDATE messages SET status = 'failed', error_code = ?2 WHERE client_msg_id = ?1 AND seq IS NULL",
            params![client_msg_id, code],
        )?;
        Ok(())
    }

    /// Messages still to (re)send, oldest first (not those whose file is
    /// still to upload).
    pub fn outbox(&self) -> ClientResult<Vec<CachedMessage>> {
        Ok(self.outbox_after(0, usize::MAX)?.into_iter().map(|(_, m)| m).collect())
    }

    /// At most `limit` messages of the outbox written after the row `after`
    /// (0: from the start), oldest first, each with its row: a session sends
    /// what came after the last one it sent rather than reading the whole
    /// outbox again for every new message.
    pub fn outbox_after(&self, after: i64, limit: usize) -> ClientResult<Vec<(i64, CachedMessage)>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS}, id FROM messages WHERE status = 'sending' AND id > ?1
               AND NOT EXISTS (SELECT 1 FROM uploads WHERE uploads.client_msg_id = messages.client_msg_id)
             ORDER BY id LIMIT ?2"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![after, limit], |r| Ok((r.get(13)?, from_row(r)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// A conversation's messages without a seq (sending or failed), newest first.
    pub fn unsent(&self, conversation_id: ConversationId) -> ClientResult<Vec<CachedMessage>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM messages WHERE conversation_id = ?1 AND seq IS NULL ORDER BY id DESC"
        ))?;
        Ok(stmt.query_map([conversation_id], from_row)?.collect::<Result<Vec<_>, _>>()?)
    }

    /// A message by its client id alone, if cached.
    pub fn message_by_client_id(&self, client_msg_id: &str) -> ClientResult<Option<CachedMessage>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM messages WHERE client_msg_id = ?1"))?
            .query_row([client_msg_id], from_row)
            .optional()?)
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
        let mut stmt = self.conn.prepare_cached(&message_list_sql(is_reverse))?;
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

    /// The newest seq known for a conversation: listed by the server or cached (0 if none).
    pub fn newest_seq(&self, conversation_id: ConversationId) -> ClientResult<Seq> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT max(coalesce((SELECT last_seq FROM conversations WHERE id = ?1), 0),
                            coalesce((SELECT max(seq) FROM messages WHERE conversation_id = ?1), 0))",
            )?
            .query_row([conversation_id], |r| r.get(0))?)
    }

    /// The highest seq cached for a conversation (0 if none): catch-up starts after it.
    pub fn max_seq(&self, conversation_id: ConversationId) -> ClientResult<Seq> {
        Ok(self
            .conn
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM messages WHERE conversation_id = ?1")?
            .query_row([conversation_id], |r| r.get(0))?)
    }
}

/// [`Cache::get_message_list`]'s statement: `?1` the conversation, `?2`
/// the time, `?3` the count.
pub(super) fn message_list_sql(is_reverse: bool) -> String {
    if is_reverse {
        format!(
            "SELECT {COLUMNS} {BY_TIME} AND send_time > ?2 AND kind NOT IN {RELATIONS} AND hidden = 0
             ORDER BY send_time ASC, seq IS NULL ASC, seq ASC, id ASC LIMIT ?3"
        )
    } else {
        format!(
            "SELECT {COLUMNS} {BY_TIME} AND send_time < ?2 AND kind NOT IN {RELATIONS} AND hidden = 0
             ORDER BY send_time DESC, seq IS NULL DESC, seq DESC, id DESC LIMIT ?3"
        )
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
    use crate::cache::testing::*;

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

    fn upload(id: &str, path: &str) -> NewUpload {
        NewUpload { client_msg_id: id.into(), path: path.into() }
    }

    fn named(name: &str, id: &str) -> MessageContent {
        let file = ling_proto::messages::FileRef { id: id.into(), name: name.into(), size: 5, mime: String::new() };
        MessageContent::File { file }
    }

    #[test]
    fn test_a_file_waits_out_of_the_outbox_until_uploaded_and_then_joins_it() {
        let (_d, mut cache) = open();
        cache.insert_pending(7, "t1", 1, &text("before"), None, 1000).unwrap();
        cache.insert_pending_upload(7, &upload("f1", "/tmp/a.txt"), 1, &named("a.txt", ""), 1001).unwrap();
        cache.insert_pending(7, "t2", 1, &text("after"), None, 1002).unwrap();
        let listed = cache.unsent(7).unwrap();
        let status: Vec<_> = listed.iter().map(|m| (m.client_msg_id.as_deref().unwrap(), m.status)).collect();
        assert_eq!(status, [("t2", SendStatus::Sending), ("f1", SendStatus::Uploading), ("t1", SendStatus::Sending)]);
        let outbox: Vec<_> = cache.outbox().unwrap().into_iter().filter_map(|m| m.client_msg_id).collect();
        assert_eq!(outbox, ["t1", "t2"], "the file is not sent before it is uploaded");
        assert_eq!(cache.next_upload().unwrap(), Some((7, upload("f1", "/tmp/a.txt"))));

        // Uploaded: the message names the server's file and joins the outbox, in its place.
        let m = cache.finish_upload("f1", &named("a.txt", "F-1")).unwrap().expect("still waiting");
        assert_eq!((m.status, m.content.clone()), (SendStatus::Sending, named("a.txt", "F-1")));
        let outbox: Vec<_> = cache.outbox().unwrap().into_iter().filter_map(|m| m.client_msg_id).collect();
        assert_eq!(outbox, ["t1", "f1", "t2"]);
        assert_eq!(cache.next_upload().unwrap(), None);
        assert_eq!(cache.finish_upload("f1", &named("a.txt", "F-2")).unwrap(), None, "done once");
    }

    #[test]
    fn test_the_outbox_is_read_in_pages_after_the_last_row_sent() {
        let (_d, mut cache) = open();
        for (i, id) in ["a", "b", "c"].into_iter().enumerate() {
            cache.insert_pending(7, id, 1, &text(id), None, 1000 + i as i64).unwrap();
        }
        cache.insert_pending_upload(7, &upload("f", "/tmp/f.txt"), 1, &named("f.txt", ""), 1003).unwrap();
        cache.insert_pending(7, "d", 1, &text("d"), None, 1004).unwrap();
        let ids = |page: &[(i64, CachedMessage)]| -> Vec<String> {
            page.iter().filter_map(|(_, m)| m.client_msg_id.clone()).collect()
        };
        let first = cache.outbox_after(0, 2).unwrap();
        assert_eq!(ids(&first), ["a", "b"]);
        let rest = cache.outbox_after(first[1].0, 10).unwrap();
        assert_eq!(ids(&rest), ["c", "d"], "the file waits for its upload");
        assert!(rest[0].0 > first[1].0 && rest[1].0 > rest[0].0, "rows in order: {first:?} {rest:?}");
        assert!(cache.outbox_after(rest[1].0, 10).unwrap().is_empty());
        // Acked, a message leaves the outbox; the rest keep their rows.
        cache.upsert_messages(&[Message { sender_id: 1, ..msg(7, 1, 990, "a", "a") }]).unwrap();
        assert_eq!(ids(&cache.outbox_after(0, 10).unwrap()), ["b", "c", "d"]);
    }

    #[test]
    fn test_a_failed_upload_keeps_its_file_for_a_retry_and_can_be_discarded() {
        let (_d, mut cache) = open();
        let staged = upload("f1", "/acct/outgoing/x/a.png");
        cache.insert_pending_upload(7, &staged, 1, &named("a.png", ""), 1000).unwrap();
        cache.mark_failed("f1", "file_too_large").unwrap();
        assert_eq!(cache.next_upload().unwrap(), None, "a failed one waits for the person");
        assert_eq!(cache.get_message(7, "f1").unwrap().status, SendStatus::Failed);
        assert!(cache.retry("f1").unwrap());
        assert_eq!(cache.get_message(7, "f1").unwrap().status, SendStatus::Uploading, "retried: uploads again");
        assert_eq!(cache.next_upload().unwrap().map(|(_, u)| u), Some(staged.clone()));

        let gone = cache.discard_unsent("f1").unwrap();
        assert_eq!(gone, Discarded { conversation_id: 7, file: Some(staged.path) });
        assert!(cache.unsent(7).unwrap().is_empty());
        assert_eq!(cache.next_upload().unwrap(), None, "its upload went with it");
        assert_eq!(cache.discard_unsent("f1").unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn test_only_what_is_not_on_its_way_can_be_discarded() {
        let (_d, mut cache) = open();
        cache.insert_pending(7, "sending", 1, &text("on its way"), None, 1000).unwrap();
        cache.insert_pending(7, "refused", 1, &text("refused"), None, 1001).unwrap();
        cache.mark_failed("refused", "not_friends").unwrap();
        cache.upsert_messages(&[msg(7, 1, 900, "sent", "stored")]).unwrap();
        for id in ["sending", "sent"] {
            assert_eq!(cache.discard_unsent(id).unwrap_err().code(), "invalid_input", "{id}");
        }
        assert_eq!(cache.discard_unsent("refused").unwrap(), Discarded { conversation_id: 7, file: None });
        let left: Vec<_> = cache.get_message_list(7, 10, i64::MAX, false).unwrap();
        assert_eq!(left.iter().filter_map(|m| m.client_msg_id.as_deref()).collect::<Vec<_>>(), ["sending", "sent"]);
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
    fn test_an_ack_gives_the_pending_message_its_seq_and_a_failed_one_can_be_retried() {
        let (_d, mut cache) = open();
        cache.insert_pending(7, "c1", 1, &text("hi"), None, 1000).unwrap();
        let ack = SendAck { client_msg_id: "c1".into(), conversation_id: 7, seq: 3, send_time: 990 };
        let sent = cache.apply_ack(&ack).unwrap().unwrap();
        assert_eq!((sent.seq, sent.status, sent.send_time), (Some(3), SendStatus::Sent, 990));
        assert_eq!(cache.apply_ack(&ack).unwrap(), None, "a repeated ack changes nothing");
        cache.insert_pending(7, "c2", 1, &text("again"), None, 1001).unwrap();
        cache.mark_failed("c2", "rate_limited").unwrap();
        assert!(cache.retry("c2").unwrap());
        assert_eq!(cache.outbox().unwrap().len(), 1, "back in the outbox");
        assert!(!cache.retry("c1").unwrap(), "only failed sends are retried");
    }

    #[test]
    fn test_a_recall_notice_marks_the_cached_message_recalled() {
        let (_d, mut cache) = open();
        let done = cache.upsert_messages(&[msg(7, 1, 10, "a", "oops")]).unwrap();
        assert_eq!(done.new.len(), 1);
        assert!(cache.mark_recalled(7, 1).unwrap());
        assert_eq!(cache.get_message(7, "a").unwrap().content, MessageContent::Recalled);
        assert!(!cache.mark_recalled(7, 2).unwrap(), "not cached");
        let done = cache.upsert_messages(&[msg(7, 1, 10, "a", "oops")]).unwrap();
        assert_eq!(done.updated.len(), 1, "the server's copy wins on the next sync");
    }

    /// Lists conversation 7 (as the server's list would) with its last seq
    /// and read cursor at `seq`, and `pins`.
    fn list_conversation(cache: &mut Cache, kind: ling_proto::messages::ConversationKind, seq: i64, pins: Vec<i64>) {
        let direct = kind == ling_proto::messages::ConversationKind::Direct;
        let listed = ling_proto::messages::Conversation {
            id: 7,
            kind,
            peer_id: direct.then_some(2),
            group_id: (!direct).then_some(3),
            last_seq: seq,
            read_seq: seq,
            peer_read_seq: None,
            unread: 0,
            last_message: None,
            pins,
        };
        cache.upsert_conversations(&[listed]).unwrap();
    }

    fn relation(conversation_id: i64, seq: i64, sender_id: i64, content: MessageContent) -> Message {
        Message { sender_id, content, ..msg(conversation_id, seq, seq * 10, "", "") }
    }

    fn edit(seq: i64, target: i64, text: &str) -> Message {
        relation(7, seq, 2, MessageContent::Edit { target, text: text.into() })
    }

    fn react(seq: i64, target: i64, user: i64, emoji: &str, on: bool) -> Message {
        relation(7, seq, user, MessageContent::Reaction { target, emoji: emoji.into(), on })
    }

    fn shown(cache: &Cache, seq: i64) -> CachedMessage {
        cache.get_messages_by_seq(7, 1, SeqBound::Before(seq + 1)).unwrap().remove(0)
    }

    #[test]
    fn test_a_relation_folds_into_its_cached_target_and_counts_nowhere() {
        let (_d, mut cache) = open();
        cache.set_own_id(1).unwrap();
        list_conversation(&mut cache, ling_proto::messages::ConversationKind::Direct, 0, Vec::new());
        cache.upsert_messages(&[msg(7, 1, 10, "a", "lunch at 12"), msg(7, 2, 20, "b", "ok")]).unwrap();
        while cache.index_pending(100).unwrap() > 0 {}
        let unread_before = cache.conversation(7).unwrap().map(|c| c.unread);

        let done = cache.upsert_messages(&[edit(3, 1, "lunch at 1"), react(4, 2, 3, "👍", true)]).unwrap();
        assert_eq!(done.new.len(), 2, "relations are stored, so seqs stay gap-free");
        let updated: Vec<i64> = done.updated.iter().map(|m| m.seq).collect();
        assert_eq!(updated, [1, 2], "each target, as it now is");
        assert_eq!(shown(&cache, 1).content, text("lunch at 1"));
        assert_eq!(shown(&cache, 1).changes.edited.map(|e| e.seq), Some(3));
        assert_eq!(shown(&cache, 2).changes.reactions.len(), 1);
        // Search finds the new text at once, and not the old one.
        let hits = |q: &str| cache.search(q, None, 10).unwrap().len();
        assert_eq!((hits("lunch 1"), hits("12")), (1, 0));
        // Neither unread, nor the list's last message, nor its time.
        let c = cache.conversation(7).unwrap().unwrap();
        assert_eq!(Some(c.unread), unread_before);
        assert_eq!(c.unread, 2);
        assert_eq!(c.last_message.and_then(|m| m.seq), Some(2));
        assert_eq!(c.last_activity, 20);
        assert_eq!(c.last_seq, 4, "catch-up goes on from the relation");
        assert!(cache.get_message_list(7, 10, i64::MAX, false).unwrap().iter().all(|m| m.content.target().is_none()));
    }

    #[test]
    fn test_a_relation_stored_before_its_target_folds_in_when_the_target_arrives() {
        let (_d, mut cache) = open();
        // A live edit and reaction, then an older page with the target as it
        // was before them (the server read it earlier).
        cache.upsert_messages(&[edit(8, 5, "fixed"), react(9, 5, 3, "🎉", true)]).unwrap();
        let done = cache.upsert_messages(&[msg(7, 5, 50, "t", "fxied")]).unwrap();
        assert_eq!(done.new[0].content, text("fixed"), "told as it now is");
        assert_eq!(shown(&cache, 5).content, text("fixed"));
        assert_eq!(shown(&cache, 5).changes.reactions.len(), 1);
    }

    #[test]
    fn test_a_stale_copy_of_a_changed_message_does_not_undo_its_changes() {
        let (_d, mut cache) = open();
        cache.upsert_messages(&[msg(7, 1, 10, "a", "v1"), edit(2, 1, "v2"), react(3, 1, 3, "👍", true)]).unwrap();
        // The server's copy from before both (a page fetched again) changes nothing.
        let done = cache.upsert_messages(&[msg(7, 1, 10, "a", "v1")]).unwrap();
        assert!(done.updated.is_empty(), "{done:?}");
        assert_eq!(shown(&cache, 1).content, text("v2"));
        // A newer copy (a reaction the cache has not seen) merges in.
        let mut newer = msg(7, 1, 10, "a", "v2");
        newer.changes = shown(&cache, 1).changes;
        newer.changes.reactions.push(ling_proto::messages::ReactionMark {
            emoji: "❤️".into(),
            user_id: 4,
            seq: 6,
            on: true,
        });
        let done = cache.upsert_messages(&[newer]).unwrap();
        assert_eq!(done.updated.len(), 1);
        assert_eq!(ling_proto::relations::reaction_counts(&shown(&cache, 1).changes).len(), 2);
        assert_eq!(shown(&cache, 1).content, text("v2"));
    }

    #[test]
    fn test_pin_notes_move_the_conversations_pins_once() {
        use ling_proto::messages::SystemEvent;
        let (_d, mut cache) = open();
        list_conversation(&mut cache, ling_proto::messages::ConversationKind::Direct, 2, vec![1]);
        let note = |seq: i64, event: SystemEvent| relation(7, seq, 2, MessageContent::System { event });
        let pinned = note(3, SystemEvent::MessagePinned { by: 2, seq: 2 });
        cache.upsert_messages(std::slice::from_ref(&pinned)).unwrap();
        cache.upsert_messages(&[pinned]).unwrap();
        assert_eq!(cache.conversation(7).unwrap().unwrap().pins, [1, 2], "once");
        cache.upsert_messages(&[note(4, SystemEvent::MessageUnpinned { by: 2, seq: 1 })]).unwrap();
        assert_eq!(cache.conversation(7).unwrap().unwrap().pins, [2]);
    }

    #[test]
    fn test_older_pin_notes_loaded_later_do_not_move_the_pins() {
        use ling_proto::messages::SystemEvent;
        let (_d, mut cache) = open();
        let pins = |cache: &Cache| cache.conversation(7).unwrap().unwrap().pins;
        let note = |seq: i64, event: SystemEvent| relation(7, seq, 2, MessageContent::System { event });
        // The server's list at seq 14: message 5 pinned (pinned at 10,
        // unpinned at 12, pinned again at 14).
        list_conversation(&mut cache, ling_proto::messages::ConversationKind::Direct, 14, vec![5]);
        // Scrolling back loads the older notes, out of order: nothing moves.
        cache.upsert_messages(&[note(12, SystemEvent::MessageUnpinned { by: 2, seq: 5 })]).unwrap();
        cache.upsert_messages(&[note(10, SystemEvent::MessagePinned { by: 2, seq: 5 })]).unwrap();
        assert_eq!(pins(&cache), [5]);
        // A newer note does, once, and a stale copy of the list after it does not undo it.
        let unpinned = note(15, SystemEvent::MessageUnpinned { by: 2, seq: 5 });
        cache.upsert_messages(std::slice::from_ref(&unpinned)).unwrap();
        assert_eq!(pins(&cache), Vec::<i64>::new());
        list_conversation(&mut cache, ling_proto::messages::ConversationKind::Direct, 14, vec![5]);
        assert_eq!(pins(&cache), Vec::<i64>::new(), "the list was older than the note");
        // A catch-up page with several notes folds them in seq order.
        cache
            .upsert_messages(&[
                note(18, SystemEvent::MessageUnpinned { by: 2, seq: 6 }),
                note(16, SystemEvent::MessagePinned { by: 2, seq: 6 }),
                note(17, SystemEvent::MessagePinned { by: 2, seq: 7 }),
            ])
            .unwrap();
        assert_eq!(pins(&cache), [7]);
        // The list at a newer seq is taken as it is.
        list_conversation(&mut cache, ling_proto::messages::ConversationKind::Direct, 20, vec![7, 8]);
        assert_eq!(pins(&cache), [7, 8]);
    }

    #[test]
    fn test_a_message_deleted_for_me_is_kept_but_not_listed_or_found() {
        let (_d, mut cache) = open();
        cache.upsert_messages(&[msg(7, 1, 10, "a", "keep"), msg(7, 2, 20, "b", "secret")]).unwrap();
        while cache.index_pending(10).unwrap() > 0 {}
        let hidden = cache.hide_message(7, 2).unwrap().expect("cached");
        assert!(hidden.hidden);
        assert!(cache.search("secret", None, 10).unwrap().is_empty());
        assert_eq!(seqs(&cache.get_message_list(7, 10, i64::MAX, false).unwrap()), [Some(1)]);
        assert_eq!(cache.get_messages_by_seq(7, 10, SeqBound::Before(3)).unwrap().len(), 2, "the row stays");
        assert_eq!(cache.hide_message(7, 9).unwrap(), None, "not cached");
    }

    #[test]
    fn test_a_change_to_a_message_deleted_for_me_is_kept_quiet() {
        let (_d, mut cache) = open();
        cache.upsert_messages(&[msg(7, 1, 10, "a", "hi")]).unwrap();
        cache.hide_message(7, 1).unwrap();
        let done = cache.upsert_messages(&[react(2, 1, 3, "👍", true)]).unwrap();
        assert_eq!(done.new.len(), 1);
        assert!(done.updated.is_empty(), "nothing to show: {done:?}");
        assert!(cache.get_messages_by_seq(7, 1, SeqBound::Before(2)).unwrap()[0].hidden);
    }

    #[test]
    fn test_unread_mentions_of_me_are_listed_until_read() {
        use ling_proto::messages::Mentions;
        let (_d, mut cache) = open();
        cache.set_own_id(1).unwrap();
        list_conversation(&mut cache, ling_proto::messages::ConversationKind::Group, 0, Vec::new());
        let mention = |seq: i64, ids: Vec<i64>, all: bool| Message {
            mentions: Mentions { user_ids: ids, all },
            ..msg(7, seq, seq * 10, &format!("m{seq}"), "@you")
        };
        cache
            .upsert_messages(&[mention(1, vec![1], false), mention(2, vec![5], false), mention(3, vec![], true)])
            .unwrap();
        assert_eq!(cache.conversation(7).unwrap().unwrap().unread_mentions, [1, 3]);
        assert_eq!(shown(&cache, 1).mentions.user_ids, [1]);
        cache.apply_read(7, 1, 2).unwrap();
        assert_eq!(cache.conversation(7).unwrap().unwrap().unread_mentions, [3]);
    }

    #[test]
    fn test_a_changed_message_is_told_with_its_forwarded_mark_and_mentions() {
        use ling_proto::messages::Mentions;
        let (_d, mut cache) = open();
        let m = Message {
            forwarded: true,
            mentions: Mentions { user_ids: vec![4], all: false },
            ..msg(7, 1, 10, "a", "@Dan fwd")
        };
        cache.upsert_messages(&[m]).unwrap();
        let done = cache.upsert_messages(&[react(2, 1, 3, "👍", true)]).unwrap();
        let told = &done.updated[0];
        assert!(told.forwarded);
        assert_eq!(told.mentions.user_ids, [4]);
    }
}
