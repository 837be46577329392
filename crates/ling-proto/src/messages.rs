//! Messages and conversations: `/v1/conversations`.
//!
//! Each conversation numbers its messages with a server-assigned, gap-free
//! `seq` starting at 1; `(conversation_id, seq)` names a message. The server
//! also stamps `send_time`, which never decreases along `seq`.

use serde::{Deserialize, Serialize};

use crate::groups::Role;
use crate::{ConversationId, FileId, GroupId, Millis, Seq, UserId};

/// What a message says. Tagged by `"kind"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageContent {
    /// Plain text; emoji are just Unicode. Never interpreted as markup.
    Text {
        /// 1 to `max_text_chars` characters.
        text: String,
        /// What the first link in `text` leads to, as the sender's client
        /// read it (readers never fetch it themselves).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        preview: Option<LinkPreview>,
    },
    /// An uploaded image, shown inline.
    Image {
        /// The uploaded file (must be an image).
        file: FileRef,
        /// Pixels, as the server measured them at upload. A client may leave
        /// both out when sending: the server fills them in.
        #[serde(default)]
        width: u32,
        /// Pixels.
        #[serde(default)]
        height: u32,
    },
    /// An uploaded file, shown as a card.
    File {
        /// The uploaded file.
        file: FileRef,
    },
    /// A recorded voice note: Opus in Ogg (the upload must sniff as
    /// `audio/opus`), at most [`VOICE_MAX_MS`] long.
    Voice {
        /// The uploaded recording.
        file: FileRef,
        /// How long it plays, 1 to [`VOICE_MAX_MS`].
        duration_ms: u64,
        /// Its loudness over time, at most [`WAVEFORM_BARS`] values from 0
        /// (silence) to 255, drawn as bars.
        #[serde(default)]
        waveform: Vec<u8>,
    },
    /// The record of a call, written by the server when a call ends.
    CallRecord {
        /// Voice or video.
        media: CallMedia,
        /// How it ended.
        outcome: CallOutcome,
        /// Talk time, zero unless the call was answered.
        duration_ms: u64,
    },
    /// Something that happened in the conversation, written by the server.
    System {
        /// What happened.
        event: SystemEvent,
    },
    /// A message its sender recalled; its content is gone from the server.
    Recalled,
    /// A reply of the server's assistant, written by the server once it
    /// ended (while it streams, members see `assistant_stream` frames). Its
    /// message's `reply_to` is the question.
    Assistant {
        /// Markdown, as the model wrote it; what was written before a stop or
        /// a failure is kept (possibly nothing).
        text: String,
        /// How it ended.
        end: ReplyEnd,
        /// Why it failed, with `end` = `failed`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<crate::ErrorCode>,
    },
    /// A relation, written by the server: the sender's text message at
    /// `target` now says `text`. Not shown by itself; clients fold it into the
    /// target (the `relations` module folds it).
    Edit {
        /// The edited message.
        target: Seq,
        /// Its new text.
        text: String,
    },
    /// A relation, written by the server: the sender added (`on`) or took
    /// back an emoji reaction to the message at `target`. Not shown by itself.
    Reaction {
        /// The message reacted to.
        target: Seq,
        /// One emoji.
        emoji: String,
        /// Added, or taken back.
        on: bool,
    },
}

/// How an assistant's reply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReplyEnd {
    /// The model finished it.
    Finished,
    /// Someone pressed Stop.
    Stopped,
    /// It reached the server's reply length limit.
    Cut,
    /// It failed (the content's `code` says why); the question can be asked again.
    Failed,
}

impl MessageContent {
    /// The `kind` tag as on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            MessageContent::Text { .. } => "text",
            MessageContent::Image { .. } => "image",
            MessageContent::File { .. } => "file",
            MessageContent::Voice { .. } => "voice",
            MessageContent::CallRecord { .. } => "call_record",
            MessageContent::System { .. } => "system",
            MessageContent::Recalled => "recalled",
            MessageContent::Assistant { .. } => "assistant",
            MessageContent::Edit { .. } => "edit",
            MessageContent::Reaction { .. } => "reaction",
        }
    }

    /// The message a relation changes (an edit, a reaction); `None` for a
    /// message shown by itself. Relations take seqs like any message (so
    /// catch-up stays gap-free) but are never shown, counted unread, listed
    /// as a conversation's last message or notified.
    pub fn target(&self) -> Option<Seq> {
        match self {
            MessageContent::Edit { target, .. } | MessageContent::Reaction { target, .. } => Some(*target),
            _ => None,
        }
    }

    /// Whether it is something someone said (text, an image, a file, a
    /// call, the assistant's reply): what takes reactions and pins, unlike a
    /// notice, a relation or a recalled message.
    pub fn is_said(&self) -> bool {
        matches!(
            self,
            MessageContent::Text { .. }
                | MessageContent::Image { .. }
                | MessageContent::File { .. }
                | MessageContent::Voice { .. }
                | MessageContent::CallRecord { .. }
                | MessageContent::Assistant { .. }
        )
    }

    /// The `kind`s of relations, as stored (SQL filters name them).
    pub const RELATION_KINDS: [&'static str; 2] = ["edit", "reaction"];

    /// The file this content refers to, if any.
    pub fn file(&self) -> Option<&FileRef> {
        match self {
            MessageContent::Image { file, .. } | MessageContent::File { file } | MessageContent::Voice { file, .. } => {
                Some(file)
            }
            MessageContent::Text { preview: Some(LinkPreview { image: Some(image), .. }), .. } => Some(&image.file),
            _ => None,
        }
    }

    /// A text without a link preview.
    pub fn text(text: impl Into<String>) -> MessageContent {
        MessageContent::Text { text: text.into(), preview: None }
    }
}

/// What a link leads to: made by the sender's client, which fetched the page
/// (with strict limits: see `docs/protocol.md`), and sent with the text. The
/// server checks its shape (`invalid_preview`); its image is an uploaded file
/// like any other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LinkPreview {
    /// The link as the text has it (http or https, at most 2,048 bytes).
    pub url: String,
    /// The page's title (at most 200 characters).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Its description (at most 500 characters).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The site's name (at most 100 characters).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub site: String,
    /// Its picture, uploaded by the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<PreviewImage>,
}

impl LinkPreview {
    /// Bytes of `url`, at most.
    pub const MAX_URL_BYTES: usize = 2048;
    /// Characters of `title`, at most.
    pub const MAX_TITLE_CHARS: usize = 200;
    /// Characters of `description`, at most.
    pub const MAX_DESCRIPTION_CHARS: usize = 500;
    /// Characters of `site`, at most.
    pub const MAX_SITE_CHARS: usize = 100;
}

/// A link preview's picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PreviewImage {
    /// The uploaded image (the server fills the details, as for an image
    /// message).
    pub file: FileRef,
    /// Pixels, as the server measured them.
    #[serde(default)]
    pub width: u32,
    /// Pixels.
    #[serde(default)]
    pub height: u32,
}

/// The longest voice note, in milliseconds (5 minutes).
pub const VOICE_MAX_MS: u64 = 5 * 60 * 1000;

/// A voice note's waveform has at most this many bars.
pub const WAVEFORM_BARS: usize = 64;

/// A file as a message refers to it. The server fills `name`, `size` and
/// `mime` from the upload; a client sends only `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileRef {
    /// From the upload response.
    pub id: FileId,
    /// The uploaded name.
    #[serde(default)]
    pub name: String,
    /// Bytes.
    #[serde(default)]
    pub size: u64,
    /// As detected from the content.
    #[serde(default)]
    pub mime: String,
}

/// Voice or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallMedia {
    /// Voice only.
    Audio,
    /// Voice and camera.
    Video,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// Answered, then hung up.
    Completed,
    /// Rang out unanswered.
    Missed,
    /// Turned down.
    Declined,
    /// The caller gave up before an answer.
    Cancelled,
    /// The callee was in another call.
    Busy,
}

/// A change the server records in a conversation. Tagged by `"event"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SystemEvent {
    /// Two users became friends: the first message of their conversation.
    FriendsConnected,
    /// `by` made the group.
    GroupCreated {
        /// The creator.
        by: UserId,
        /// Its first name.
        name: String,
    },
    /// Users joined: invited by `by`, or by themselves when `by` is absent.
    MembersJoined {
        /// The inviter or approver.
        by: Option<UserId>,
        /// Who joined.
        user_ids: Vec<UserId>,
    },
    /// A member left.
    MemberLeft {
        /// Who left.
        user_id: UserId,
    },
    /// A member was removed.
    MemberKicked {
        /// Who removed them.
        by: UserId,
        /// Who was removed.
        user_id: UserId,
    },
    /// The group got a new name.
    GroupRenamed {
        /// Who renamed it.
        by: UserId,
        /// The new name.
        name: String,
    },
    /// The announcement changed.
    AnnouncementChanged {
        /// Who changed it.
        by: UserId,
        /// The new text.
        announcement: String,
    },
    /// The group's image changed.
    GroupAvatarChanged {
        /// Who changed it.
        by: UserId,
    },
    /// The join policy changed.
    JoinPolicyChanged {
        /// The owner.
        by: UserId,
        /// The new policy.
        join_policy: crate::groups::JoinPolicy,
    },
    /// A member's role changed.
    RoleChanged {
        /// The owner.
        by: UserId,
        /// Whose role.
        user_id: UserId,
        /// The new role.
        role: Role,
    },
    /// The group has a new owner.
    OwnershipTransferred {
        /// The old owner.
        from: UserId,
        /// The new owner.
        to: UserId,
    },
    /// The owner dissolved the group.
    GroupDissolved {
        /// The owner.
        by: UserId,
    },
    /// A message was recalled: clients replace the message at `seq` with [`MessageContent::Recalled`].
    MessageRecalled {
        /// Its sender.
        by: UserId,
        /// Which message.
        seq: Seq,
    },
    /// `by` started a new topic with the assistant: it reads nothing before this.
    NewTopic {
        /// Who.
        by: UserId,
    },
    /// `by` pinned the message at `seq` (the conversation's `pins` now hold it).
    MessagePinned {
        /// Who.
        by: UserId,
        /// Which message.
        seq: Seq,
    },
    /// `by` unpinned the message at `seq`.
    MessageUnpinned {
        /// Who.
        by: UserId,
        /// Which message.
        seq: Seq,
    },
}

impl SystemEvent {
    /// The pins after this event, from `pins` before it (oldest pinned first;
    /// events other than pinning leave them as they were).
    pub fn fold_pins(&self, pins: &mut Vec<Seq>) -> bool {
        match *self {
            SystemEvent::MessagePinned { seq, .. } if !pins.contains(&seq) => {
                pins.push(seq);
                true
            }
            SystemEvent::MessageUnpinned { seq, .. } if pins.contains(&seq) => {
                pins.retain(|s| *s != seq);
                true
            }
            _ => false,
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Its position in the conversation.
    pub seq: Seq,
    /// Who sent it (for server-written kinds: the user who caused it).
    pub sender_id: UserId,
    /// The sender's id for it; empty for server-written messages.
    pub client_msg_id: String,
    /// When the server stored it.
    pub send_time: Millis,
    /// What it says.
    pub content: MessageContent,
    /// The message it answers, in the same conversation.
    pub reply_to: Option<Seq>,
    /// The relations folded into it so far (its edit, its reactions); absent
    /// when none.
    #[serde(default, skip_serializing_if = "Changes::is_empty")]
    pub changes: Changes,
    /// Its sender forwarded it from another conversation (absent: false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forwarded: bool,
    /// Who its text mentions (absent: no one).
    #[serde(default, skip_serializing_if = "Mentions::is_empty")]
    pub mentions: Mentions,
}

/// Who a text message mentions: people by id (its text says `@` and their
/// name), or everyone in the group (`@all`, owners and admins only). A
/// mention notifies even in a muted conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Mentions {
    /// People mentioned, each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_ids: Vec<UserId>,
    /// `@all`: everyone in the group.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
}

impl Mentions {
    /// No one.
    pub fn is_empty(&self) -> bool {
        self.user_ids.is_empty() && !self.all
    }

    /// Whether `user` is mentioned (by name, or by `@all`).
    pub fn includes(&self, user: UserId) -> bool {
        self.all || self.user_ids.contains(&user)
    }
}

/// What later relations changed about a message, folded (by the
/// `relations` module, which builds on these types): both the server and a
/// client keep this beside the message, and folding the same relations in
/// any order gives the same result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Changes {
    /// The newest edit: the message's content holds its text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<Edited>,
    /// Each person's reaction with each emoji, including ones taken back
    /// (`on: false`, kept so that an older relation folded later cannot
    /// bring them back).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<ReactionMark>,
}

impl Changes {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.edited.is_none() && self.reactions.is_empty()
    }
}

/// The newest edit of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Edited {
    /// The edit's seq.
    pub seq: Seq,
    /// When it was made.
    pub time: Millis,
}

/// One person's reaction with one emoji, as its newest relation left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReactionMark {
    /// The emoji.
    pub emoji: String,
    /// Who.
    pub user_id: UserId,
    /// The seq of the relation that set it.
    pub seq: Seq,
    /// On, or taken back.
    pub on: bool,
}

/// `POST /v1/conversations/{id}/messages/{seq}/edit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EditRequest {
    /// The new text (1 to `max_text_chars` characters).
    pub text: String,
}

/// `POST /v1/conversations/{id}/pins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PinRequest {
    /// The message.
    pub seq: Seq,
    /// Pin it, or unpin it.
    pub pinned: bool,
}

/// `POST /v1/conversations/{id}/messages/{seq}/reactions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReactRequest {
    /// One emoji.
    pub emoji: String,
    /// Add it, or take it back.
    pub on: bool,
}

/// `POST /v1/conversations/{id}/messages` (the same as the WebSocket `send` frame).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SendMessageRequest {
    /// A UUID the client makes (v7 recommended); resending the same one is answered with the first ack.
    pub client_msg_id: String,
    /// Text, image or file; other kinds are the server's to write.
    pub content: MessageContent,
    /// The `seq` of a message in the same conversation this answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Seq>,
    /// Forwarded from another conversation: shown marked so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forwarded: bool,
    /// Who its text mentions.
    #[serde(default, skip_serializing_if = "Mentions::is_empty")]
    pub mentions: Mentions,
}

/// The server's receipt for a stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SendAck {
    /// Echoed.
    pub client_msg_id: String,
    /// Where it was stored.
    pub conversation_id: ConversationId,
    /// Its position.
    pub seq: Seq,
    /// The server's time for it.
    pub send_time: Millis,
}

/// Direct (a friend pair) or group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Two friends.
    Direct,
    /// A group's conversation.
    Group,
}

wire_names!(ConversationKind { Direct = "direct", Group = "group" });

/// One conversation in the caller's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Conversation {
    /// Its id.
    pub id: ConversationId,
    /// Direct or group.
    pub kind: ConversationKind,
    /// For direct: the other person.
    pub peer_id: Option<UserId>,
    /// For group: the group.
    pub group_id: Option<GroupId>,
    /// The newest `seq` (0 if empty): fetch up to here to be caught up.
    pub last_seq: Seq,
    /// The caller's read cursor.
    pub read_seq: Seq,
    /// For direct: the other person's read cursor (read receipts).
    pub peer_read_seq: Option<Seq>,
    /// Messages after `read_seq` sent by others.
    pub unread: u32,
    /// The newest message.
    pub last_message: Option<Message>,
    /// Its pinned messages, oldest pinned first (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<Seq>,
}

/// `GET /v1/conversations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConversationList {
    /// Newest activity first.
    pub conversations: Vec<Conversation>,
}

/// `GET /v1/conversations/{id}/messages`. Give at most one of the four bounds;
/// with none, the newest page. Pages are keyset, never offset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryQuery {
    /// Messages with `seq > after_seq`, oldest first (catch-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_seq: Option<Seq>,
    /// Messages with `seq < before_seq`, the newest of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_seq: Option<Seq>,
    /// Messages with `send_time > after_time`, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_time: Option<Millis>,
    /// Messages with `send_time < before_time`, the newest of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_time: Option<Millis>,
    /// 1 to `max_page_size`; default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// A page of history, always in ascending `seq` order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryPage {
    /// Ascending by `seq`.
    pub messages: Vec<Message>,
    /// Whether more messages lie further in the direction asked.
    pub has_more: bool,
}

/// `POST /v1/conversations/{id}/read` (the same as the WebSocket `read` frame).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MarkReadRequest {
    /// Everything up to here is read; a cursor never moves back.
    pub seq: Seq,
}

/// One member's read cursor, from `GET /v1/conversations/{id}/read-cursors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReadCursor {
    /// The member.
    pub user_id: UserId,
    /// Their cursor.
    pub seq: Seq,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pin;
    use serde_json::json;

    #[test]
    fn test_text_message_shape() {
        pin(
            &Message {
                conversation_id: 7,
                seq: 12,
                sender_id: 1,
                client_msg_id: "0190a5f4-0000-7000-8000-000000000000".into(),
                send_time: 1_700_000_000_123,
                content: MessageContent::text("开会 👋"),
                reply_to: Some(11),
                changes: Default::default(),
                forwarded: false,
                mentions: Default::default(),
            },
            json!({
                "conversation_id": 7, "seq": 12, "sender_id": 1,
                "client_msg_id": "0190a5f4-0000-7000-8000-000000000000",
                "send_time": 1_700_000_000_123_i64,
                "content": {"kind": "text", "text": "开会 👋"},
                "reply_to": 11
            }),
        );
    }

    #[test]
    fn test_content_kinds_shapes() {
        let file = FileRef { id: "f".into(), name: "a.png".into(), size: 3, mime: "image/png".into() };
        let file_json = json!({"id": "f", "name": "a.png", "size": 3, "mime": "image/png"});
        pin(
            &MessageContent::Image { file: file.clone(), width: 4, height: 5 },
            json!({"kind": "image", "file": file_json, "width": 4, "height": 5}),
        );
        // What a client sends: the file's id alone.
        let sent: MessageContent = serde_json::from_value(json!({"kind": "image", "file": {"id": "f1"}})).unwrap();
        assert!(matches!(sent, MessageContent::Image { width: 0, height: 0, .. }), "{sent:?}");
        pin(
            &MessageContent::Text {
                text: "see https://x.test/a".into(),
                preview: Some(LinkPreview {
                    url: "https://x.test/a".into(),
                    title: "A".into(),
                    description: String::new(),
                    site: "X".into(),
                    image: Some(PreviewImage { file: file.clone(), width: 4, height: 5 }),
                }),
            },
            json!({"kind": "text", "text": "see https://x.test/a", "preview": {
                "url": "https://x.test/a", "title": "A", "site": "X",
                "image": {"file": file_json, "width": 4, "height": 5}
            }}),
        );
        pin(
            &MessageContent::Voice { file: file.clone(), duration_ms: 4200, waveform: vec![0, 128, 255] },
            json!({"kind": "voice", "file": file_json, "duration_ms": 4200, "waveform": [0, 128, 255]}),
        );
        pin(&MessageContent::File { file }, json!({"kind": "file", "file": file_json}));
        pin(
            &MessageContent::CallRecord { media: CallMedia::Video, outcome: CallOutcome::Missed, duration_ms: 0 },
            json!({"kind": "call_record", "media": "video", "outcome": "missed", "duration_ms": 0}),
        );
        pin(&MessageContent::Recalled, json!({"kind": "recalled"}));
        pin(
            &MessageContent::System { event: SystemEvent::MessagePinned { by: 1, seq: 3 } },
            json!({"kind": "system", "event": {"event": "message_pinned", "by": 1, "seq": 3}}),
        );
        pin(
            &MessageContent::Edit { target: 4, text: "fixed".into() },
            json!({"kind": "edit", "target": 4, "text": "fixed"}),
        );
        pin(
            &MessageContent::Reaction { target: 4, emoji: "👍".into(), on: true },
            json!({"kind": "reaction", "target": 4, "emoji": "👍", "on": true}),
        );
        pin(
            &Changes {
                edited: Some(Edited { seq: 9, time: 5 }),
                reactions: vec![ReactionMark { emoji: "👍".into(), user_id: 2, seq: 8, on: false }],
            },
            json!({"edited": {"seq": 9, "time": 5}, "reactions": [{"emoji": "👍", "user_id": 2, "seq": 8, "on": false}]}),
        );
        pin(
            &MessageContent::System { event: SystemEvent::MessageRecalled { by: 1, seq: 3 } },
            json!({"kind": "system", "event": {"event": "message_recalled", "by": 1, "seq": 3}}),
        );
        pin(
            &MessageContent::System { event: SystemEvent::MembersJoined { by: None, user_ids: vec![2] } },
            json!({"kind": "system", "event": {"event": "members_joined", "by": null, "user_ids": [2]}}),
        );
        pin(
            &MessageContent::System { event: SystemEvent::FriendsConnected },
            json!({"kind": "system", "event": {"event": "friends_connected"}}),
        );
        pin(
            &MessageContent::System { event: SystemEvent::NewTopic { by: 4 } },
            json!({"kind": "system", "event": {"event": "new_topic", "by": 4}}),
        );
        pin(
            &MessageContent::Assistant { text: "**hi**".into(), end: ReplyEnd::Finished, code: None },
            json!({"kind": "assistant", "text": "**hi**", "end": "finished"}),
        );
        pin(
            &MessageContent::Assistant {
                text: "par".into(),
                end: ReplyEnd::Failed,
                code: Some(crate::ErrorCode::AssistantInterrupted),
            },
            json!({"kind": "assistant", "text": "par", "end": "failed", "code": "assistant_interrupted"}),
        );
    }

    #[test]
    fn test_a_client_may_send_a_file_ref_with_only_its_id() {
        let c: MessageContent = serde_json::from_value(json!({"kind": "file", "file": {"id": "abc"}})).unwrap();
        assert_eq!(c.file().unwrap().id, "abc");
        assert_eq!(c.kind(), "file");
    }

    #[test]
    fn test_conversation_shape() {
        pin(
            &Conversation {
                id: 7,
                kind: ConversationKind::Direct,
                peer_id: Some(2),
                group_id: None,
                last_seq: 12,
                read_seq: 10,
                peer_read_seq: Some(12),
                unread: 2,
                last_message: None,
                pins: Vec::new(),
            },
            json!({
                "id": 7, "kind": "direct", "peer_id": 2, "group_id": null, "last_seq": 12,
                "read_seq": 10, "peer_read_seq": 12, "unread": 2, "last_message": null
            }),
        );
    }

    #[test]
    fn test_send_ack_history_and_read_shapes() {
        pin(
            &SendMessageRequest {
                client_msg_id: "c".into(),
                content: MessageContent::text("hi"),
                reply_to: None,
                forwarded: false,
                mentions: Default::default(),
            },
            json!({"client_msg_id": "c", "content": {"kind": "text", "text": "hi"}}),
        );
        pin(
            &SendAck { client_msg_id: "c".into(), conversation_id: 1, seq: 2, send_time: 3 },
            json!({"client_msg_id": "c", "conversation_id": 1, "seq": 2, "send_time": 3}),
        );
        pin(
            &HistoryQuery { after_seq: Some(5), limit: Some(10), ..Default::default() },
            json!({"after_seq": 5, "limit": 10}),
        );
        pin(&HistoryPage { messages: vec![], has_more: false }, json!({"messages": [], "has_more": false}));
        pin(&MarkReadRequest { seq: 4 }, json!({"seq": 4}));
        pin(&ReadCursor { user_id: 1, seq: 4 }, json!({"user_id": 1, "seq": 4}));
    }

    #[test]
    fn test_pin_events_fold_into_the_pins_once() {
        let mut pins = vec![2];
        assert!(SystemEvent::MessagePinned { by: 1, seq: 5 }.fold_pins(&mut pins));
        assert!(!SystemEvent::MessagePinned { by: 1, seq: 5 }.fold_pins(&mut pins), "pinned already");
        assert_eq!(pins, [2, 5]);
        assert!(SystemEvent::MessageUnpinned { by: 1, seq: 2 }.fold_pins(&mut pins));
        assert!(!SystemEvent::MessageUnpinned { by: 1, seq: 9 }.fold_pins(&mut pins));
        assert!(!SystemEvent::NewTopic { by: 1 }.fold_pins(&mut pins));
        assert_eq!(pins, [5]);
    }
}
