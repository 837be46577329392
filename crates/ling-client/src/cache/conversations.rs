//! The conversation list: the server's view (last seq, read cursors, unread)
//! plus local settings (pinned, muted, draft), with titles from the cached
//! contacts and groups, sorted pinned first and then by last activity.

use std::collections::HashMap;

use ling_proto::messages::{Conversation, ConversationKind, Message, ReadCursor};
use ling_proto::{ConversationId, FileId, GroupId, Millis, Seq, UserId};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{BY_TIME, COLUMNS, Cache, CachedMessage, RELATIONS, from_row, to_json};
use crate::error::ClientResult;

/// One row of the conversation list, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConversationSummary {
    /// The conversation.
    pub id: ConversationId,
    /// Direct or group.
    pub kind: ConversationKind,
    /// The other person, in a direct conversation.
    pub peer_id: Option<UserId>,
    /// The group, in a group conversation.
    pub group_id: Option<GroupId>,
    /// The friend's remark or name, or the group's name ("" until known).
    pub title: String,
    /// The friend's or group's avatar.
    pub avatar: Option<FileId>,
    /// The newest seq known.
    pub last_seq: Seq,
    /// This account's read cursor.
    pub read_seq: Seq,
    /// The peer's read cursor (direct only): drives read receipts.
    pub peer_read_seq: Option<Seq>,
    /// Messages from others past the read cursor (capped at 9999).
    pub unread: u32,
    /// When something last happened (ms).
    pub last_activity: Millis,
    /// Pinned to the top (local).
    pub pinned: bool,
    /// No notifications (local).
    pub muted: bool,
    /// Unsent text typed into the composer (local).
    pub draft: String,
    /// The newest message, cached or as the server last reported it.
    pub last_message: Option<CachedMessage>,
    /// Its pinned messages, oldest pinned first.
    pub pins: Vec<Seq>,
    /// Unread messages that mention this account (by name or `@all`),
    /// oldest first (at most 99): the "@" badge, and where "next mention" jumps.
    pub unread_mentions: Vec<Seq>,
}

const SUMMARY: &str = "c.id, c.kind, c.peer_id, c.group_id,
    coalesce(f.remark, u.display_name, g.name, ''), coalesce(u.avatar, g.avatar),
    c.last_seq, c.read_seq, c.peer_read_seq, c.unread, c.last_activity, c.pinned, c.muted, c.draft, c.last_message,
    c.pins,
    (SELECT json_group_array(seq) FROM (SELECT mm.seq FROM messages mm
        WHERE mm.conversation_id = c.id AND mm.mentions_me = 1 AND mm.hidden = 0 AND mm.seq > c.read_seq
        ORDER BY mm.seq LIMIT 99))
    FROM conversations c
    LEFT JOIN users u ON c.kind = 'direct' AND u.id = c.peer_id
    LEFT JOIN friends f ON c.kind = 'direct' AND f.user_id = c.peer_id
    LEFT JOIN groups g ON c.kind = 'group' AND g.id = c.group_id";

fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<(ConversationSummary, Option<String>)> {
    let kind: String = r.get(1)?;
    Ok((
        ConversationSummary {
            id: r.get(0)?,
            kind: ConversationKind::parse(&kind).unwrap_or(ConversationKind::Direct),
            peer_id: r.get(2)?,
            group_id: r.get(3)?,
            title: r.get(4)?,
            avatar: r.get(5)?,
            last_seq: r.get(6)?,
            read_seq: r.get(7)?,
            peer_read_seq: r.get(8)?,
            unread: r.get(9)?,
            last_activity: r.get(10)?,
            pinned: r.get(11)?,
            muted: r.get(12)?,
            draft: r.get(13)?,
            last_message: None,
            pins: super::json_column(r, 15)?,
            unread_mentions: super::json_column(r, 16)?,
        },
        r.get(14)?,
    ))
}

/// A conversation's newest message (`?1`): the last one sent, or one not
/// yet sent after it.
pub(super) fn newest_message_sql() -> String {
    format!(
        "SELECT {COLUMNS} {BY_TIME} AND kind NOT IN {RELATIONS} AND hidden = 0
         ORDER BY send_time DESC, seq IS NULL DESC, seq DESC, id DESC LIMIT 1"
    )
}

impl Cache {
    /// Stores the server's view of the conversation list, keeping local
    /// settings (pinned, muted, draft).
    pub fn upsert_conversations(&mut self, list: &[Conversation]) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO conversations (id, kind, peer_id, group_id, last_seq, read_seq, peer_read_seq, unread, last_activity, last_message, pins, pins_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?5)
                 ON CONFLICT (id) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq), read_seq = excluded.read_seq,
                   peer_read_seq = excluded.peer_read_seq, unread = excluded.unread,
                   last_activity = max(last_activity, excluded.last_activity), last_message = excluded.last_message,
                   pins = CASE WHEN excluded.pins_seq >= pins_seq THEN excluded.pins ELSE pins END,
                   pins_seq = max(pins_seq, excluded.pins_seq)",
            )?;
            for c in list {
                let activity = c.last_message.as_ref().map(|m| m.send_time).unwrap_or(0);
                let last = c.last_message.as_ref().map(to_json).transpose()?;
                stmt.execute(params![
                    c.id,
                    c.kind.as_str(),
                    c.peer_id,
                    c.group_id,
                    c.last_seq,
                    c.read_seq,
                    c.peer_read_seq,
                    c.unread,
                    activity,
                    last,
                    to_json(&c.pins)?
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The conversation list: pinned first, then by last activity.
    pub fn conversations(&self) -> ClientResult<Vec<ConversationSummary>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {SUMMARY} ORDER BY c.pinned DESC, c.last_activity DESC, c.id DESC"))?;
        let rows: Vec<_> = stmt.query_map([], summary_from_row)?.collect::<Result<_, _>>()?;
        rows.into_iter().map(|(s, last)| self.with_last_message(s, last)).collect()
    }

    /// One conversation of the list, if cached.
    pub fn conversation(&self, id: ConversationId) -> ClientResult<Option<ConversationSummary>> {
        let row = self
            .conn
            .prepare_cached(&format!("SELECT {SUMMARY} WHERE c.id = ?1"))?
            .query_row([id], summary_from_row)
            .optional()?;
        row.map(|(s, last)| self.with_last_message(s, last)).transpose()
    }

    /// Unread messages in conversations that are not muted (the tray's count):
    /// one query, no summaries built.
    pub fn unread_total(&self) -> ClientResult<u64> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT coalesce(sum(unread), 0) FROM conversations WHERE NOT muted")?
            .query_row([], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Whether the list has this conversation.
    pub fn has_conversation(&self, id: ConversationId) -> ClientResult<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM conversations WHERE id = ?1")?.exists([id])?)
    }

    /// This account's read cursor in each listed conversation.
    pub fn read_seqs(&self) -> ClientResult<HashMap<ConversationId, Seq>> {
        let mut stmt = self.conn.prepare_cached("SELECT id, read_seq FROM conversations")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Fills in the newest message: the newest cached one, unless the server
    /// reported a newer one that catch-up has not fetched yet.
    fn with_last_message(
        &self,
        mut summary: ConversationSummary,
        reported: Option<String>,
    ) -> ClientResult<ConversationSummary> {
        let cached = self.conn.prepare_cached(&newest_message_sql())?.query_row([summary.id], from_row).optional()?;
        let reported: Option<Message> = reported.and_then(|json| serde_json::from_str(&json).ok());
        summary.last_message = match (cached, reported) {
            (Some(c), Some(r)) if c.seq.is_some_and(|s| s < r.seq) => Some(r.into()),
            (None, Some(r)) => Some(r.into()),
            (cached, _) => cached,
        };
        Ok(summary)
    }

    /// Pins or unpins a conversation (local setting).
    pub fn set_pinned(&self, conversation_id: ConversationId, pinned: bool) -> ClientResult<()> {
        self.conn.execute("UPDATE conversations SET pinned = ?1 WHERE id = ?2", params![pinned, conversation_id])?;
        Ok(())
    }

    /// Mutes or unmutes a conversation (local setting: no notifications).
    pub fn set_muted(&self, conversation_id: ConversationId, muted: bool) -> ClientResult<()> {
        self.conn.execute("UPDATE conversations SET muted = ?1 WHERE id = ?2", params![muted, conversation_id])?;
        Ok(())
    }

    /// Keeps what was typed but not sent.
    pub fn set_draft(&self, conversation_id: ConversationId, draft: &str) -> ClientResult<()> {
        self.conn.execute("UPDATE conversations SET draft = ?1 WHERE id = ?2", params![draft, conversation_id])?;
        Ok(())
    }

    /// A read cursor moved (this account's on any device, or a peer's). The
    /// account's own cursor also recounts unread: zero once read up to the
    /// last seq, else the cached messages from others past it.
    pub fn apply_read(&mut self, conversation_id: ConversationId, user_id: UserId, seq: Seq) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        tx.prepare_cached(
            "INSERT INTO read_cursors (conversation_id, user_id, seq) VALUES (?1, ?2, ?3)
             ON CONFLICT (conversation_id, user_id) DO UPDATE SET seq = max(seq, excluded.seq)",
        )?
        .execute(params![conversation_id, user_id, seq])?;
        if Some(user_id) == self.own_id {
            tx.prepare_cached(
                "UPDATE conversations SET read_seq = max(read_seq, ?2),
                   unread = CASE WHEN max(read_seq, ?2) >= last_seq THEN 0 ELSE min(unread,
                     (SELECT count(*) FROM messages WHERE conversation_id = ?1 AND seq > max(read_seq, ?2) AND sender_id != ?3))
                   END
                 WHERE id = ?1",
            )?
            .execute(params![conversation_id, seq, user_id])?;
        } else {
            tx.prepare_cached(
                "UPDATE conversations SET peer_read_seq = max(coalesce(peer_read_seq, 0), ?2)
                 WHERE id = ?1 AND kind = 'direct' AND peer_id = ?3",
            )?
            .execute(params![conversation_id, seq, user_id])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces a conversation's read cursors as fetched from the server.
    pub fn replace_read_cursors(
        &mut self,
        conversation_id: ConversationId,
        cursors: &[ReadCursor],
    ) -> ClientResult<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM read_cursors WHERE conversation_id = ?1", [conversation_id])?;
        {
            let mut stmt =
                tx.prepare_cached("INSERT INTO read_cursors (conversation_id, user_id, seq) VALUES (?1, ?2, ?3)")?;
            for c in cursors {
                stmt.execute(params![conversation_id, c.user_id, c.seq])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// How many members other than the sender have read up to `seq` ("read by N").
    pub fn read_by(&self, conversation_id: ConversationId, seq: Seq, sender_id: UserId) -> ClientResult<u32> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM read_cursors WHERE conversation_id = ?1 AND seq >= ?2 AND user_id != ?3",
            )?
            .query_row(params![conversation_id, seq, sender_id], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::testing::*;

    fn conv(id: i64, time: i64, last_seq: i64, unread: u32) -> Conversation {
        Conversation {
            id,
            kind: ConversationKind::Direct,
            peer_id: Some(id + 100),
            group_id: None,
            last_seq,
            read_seq: last_seq - i64::from(unread),
            peer_read_seq: Some(0),
            unread,
            last_message: Some(msg(id, last_seq, time, "", "x")),
            pins: Vec::new(),
        }
    }

    fn order(cache: &Cache) -> Vec<(i64, u32)> {
        cache.conversations().unwrap().iter().map(|c| (c.id, c.unread)).collect()
    }

    #[test]
    fn test_conversations_list_pinned_first_then_by_activity_and_keep_local_settings() {
        let (_d, mut cache) = open();
        cache.upsert_conversations(&[conv(1, 100, 1, 0), conv(2, 300, 2, 2), conv(3, 200, 1, 1)]).unwrap();
        assert_eq!(order(&cache), vec![(2, 2), (3, 1), (1, 0)]);
        cache.set_pinned(1, true).unwrap();
        cache.set_draft(1, "half a thought").unwrap();
        cache.set_muted(1, true).unwrap();
        cache.upsert_conversations(&[conv(1, 100, 5, 5)]).unwrap();
        let first = &cache.conversations().unwrap()[0];
        assert_eq!((first.id, first.unread, first.pinned), (1, 5, true), "pinned first, and the pin survives a sync");
        assert_eq!((first.draft.as_str(), first.muted), ("half a thought", true));
        assert_eq!(first.last_message.as_ref().unwrap().seq, Some(5), "the server's last message before catch-up");
        assert_eq!(cache.unread_total().unwrap(), 3, "the muted conversation's 5 are not counted");
    }

    #[test]
    fn test_a_sent_text_clears_the_draft_and_a_sent_file_keeps_it() {
        let (_d, mut cache) = open();
        cache.upsert_conversations(&[conv(1, 100, 1, 0)]).unwrap();
        let draft = |cache: &Cache| cache.conversation(1).unwrap().unwrap().draft;
        cache.set_draft(1, "half a thought").unwrap();
        let file = MessageContent::File {
            file: ling_proto::messages::FileRef {
                id: String::new(),
                name: "a.pdf".into(),
                mime: String::new(),
                size: 3,
            },
        };
        let upload = super::super::NewUpload { client_msg_id: "f".into(), path: "/tmp/a.pdf".into() };
        cache.insert_pending_upload(1, &upload, 1, &file, 200).unwrap();
        assert_eq!(draft(&cache), "half a thought", "a file sent while typing leaves the text being typed");
        cache.insert_pending(1, "t", 1, &text("half a thought"), None, 300).unwrap();
        assert_eq!(draft(&cache), "", "the text sent was the draft");
    }

    #[test]
    fn test_new_messages_from_others_count_as_unread_once_and_reading_clears_them() {
        let (_d, mut cache) = open();
        cache.set_own_id(1).unwrap();
        cache.upsert_conversations(&[conv(7, 10, 1, 0)]).unwrap();
        let from = |seq, sender| Message { sender_id: sender, ..msg(7, seq, seq * 10, &format!("m{seq}"), "hi") };
        // seq 1 is what the server's list already counted; 2 and 3 are live.
        let done = cache.upsert_messages(&[from(1, 2), from(2, 2), from(3, 1)]).unwrap();
        assert_eq!(done.new.len(), 3);
        let c = cache.conversation(7).unwrap().unwrap();
        assert_eq!((c.last_seq, c.unread, c.last_activity), (3, 1, 30), "own messages are not unread");
        let again = cache.upsert_messages(&[from(2, 2)]).unwrap();
        assert!(again.new.is_empty() && again.updated.is_empty(), "a message seen twice counts once");
        assert_eq!(cache.conversation(7).unwrap().unwrap().unread, 1);
        cache.apply_read(7, 1, 3).unwrap();
        let c = cache.conversation(7).unwrap().unwrap();
        assert_eq!((c.read_seq, c.unread), (3, 0));
        cache.apply_read(7, 107, 2).unwrap();
        assert_eq!(cache.conversation(7).unwrap().unwrap().peer_read_seq, Some(2), "the peer's receipt");
        assert_eq!(cache.unread_total().unwrap(), 0);
        assert_eq!(cache.read_by(7, 2, 1).unwrap(), 1);
    }

    #[test]
    fn test_titles_come_from_friends_and_groups() {
        use ling_proto::contacts::Friend;
        use ling_proto::users::UserProfile;
        let (_d, mut cache) = open();
        let user = UserProfile {
            id: 101,
            username: "bo".into(),
            display_name: "Bo".into(),
            avatar: None,
            signature: String::new(),
        };
        cache
            .replace_friends(&[Friend {
                user,
                remark: Some("波波".into()),
                group_id: None,
                conversation_id: 1,
                online: true,
                since: 0,
            }])
            .unwrap();
        cache.upsert_conversations(&[conv(1, 100, 1, 0)]).unwrap();
        assert_eq!(cache.conversation(1).unwrap().unwrap().title, "波波");
        assert_eq!(cache.conversation(99).unwrap(), None);
    }
}
