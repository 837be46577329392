//! The typed event stream the shell listens to: everything that changed in
//! the cache or arrived live, already applied to the cache when it is sent.

use ling_proto::contacts::FriendRequest;
use ling_proto::users::UserProfile;
use ling_proto::{ConversationId, GroupId, Seq, UserId};
use serde::Serialize;

use crate::cache::CachedMessage;

/// Where the realtime session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Not started, or stopped.
    Offline,
    /// Opening the WebSocket.
    Connecting,
    /// Connected and authenticated (catch-up may still be running).
    Connected,
    /// Lost; the next attempt is due in `retry_in_ms`.
    Waiting {
        /// Milliseconds until the next attempt.
        retry_in_ms: u64,
    },
    /// The server ended the session (logged out elsewhere, revoked, password
    /// changed): log in again.
    LoggedOut,
}

/// Something the UI may want to redraw.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A message the cache did not have (pushed, synced, or sent from here).
    MessageNew {
        /// As cached.
        message: CachedMessage,
    },
    /// A cached message changed: acknowledged, failed, retried, content replaced.
    MessageUpdated {
        /// As cached now.
        message: CachedMessage,
    },
    /// A message that was not sent was discarded: it is gone.
    MessageRemoved {
        /// Its conversation.
        conversation_id: ConversationId,
        /// Its client id.
        client_msg_id: String,
    },
    /// How far a file message's upload is (at the start, each whole
    /// percent, the end).
    UploadProgress {
        /// Its conversation.
        conversation_id: ConversationId,
        /// The message's client id.
        client_msg_id: String,
        /// Bytes uploaded.
        sent: u64,
        /// Bytes in all.
        total: u64,
    },
    /// A message was recalled (its content is now `recalled`).
    MessageRecalled {
        /// Its conversation.
        conversation_id: ConversationId,
        /// Its seq.
        seq: Seq,
    },
    /// A conversation's row in the list changed (last message, unread, read cursors).
    ConversationUpdated {
        /// Which.
        conversation_id: ConversationId,
    },
    /// The whole conversation list was refreshed.
    ConversationsChanged,
    /// Friends, friend groups, the block list or pending requests changed (the cache has the new lists).
    ContactsChanged,
    /// A friend request arrived or one of the account's was answered.
    FriendRequest {
        /// The request.
        request: FriendRequest,
    },
    /// A group changed (refetched into the cache).
    GroupChanged {
        /// Which.
        group_id: GroupId,
    },
    /// The account left or was removed from a group (history stays).
    GroupRemoved {
        /// Which.
        group_id: GroupId,
    },
    /// (Admins) someone asks to join a group.
    GroupJoinRequest {
        /// Which.
        group_id: GroupId,
    },
    /// A profile changed (a friend's or the account's own).
    ProfileChanged {
        /// As now.
        user: UserProfile,
    },
    /// A friend came online or went offline.
    Presence {
        /// Who.
        user_id: UserId,
        /// Now.
        online: bool,
    },
    /// The assistant's reply to `question` grew by `text` after `offset`
    /// characters (ephemeral: the finished reply comes as a message
    /// replying to `question`; the timeline folds both).
    AssistantStream {
        /// Where.
        conversation_id: ConversationId,
        /// The assistant's account.
        user_id: UserId,
        /// The seq of the message it answers.
        question: Seq,
        /// Characters before `text`.
        offset: u32,
        /// What was added.
        text: String,
    },
    /// Someone is typing.
    Typing {
        /// Where.
        conversation_id: ConversationId,
        /// Who.
        user_id: UserId,
    },
    /// A read cursor moved.
    Read {
        /// Where.
        conversation_id: ConversationId,
        /// Whose.
        user_id: UserId,
        /// Up to which seq.
        seq: Seq,
    },
    /// The realtime session's state changed.
    Connection {
        /// Now.
        state: ConnectionState,
    },
    /// Catch-up after a connect finished: the cache has everything up to each conversation's last seq
    /// (or its newest page, for a long backlog).
    Synced,
    /// The call on this device changed (placed, rung, answered, someone
    /// joined or left, muted, ended): the whole of it.
    CallChanged {
        /// Now.
        call: crate::call_view::CallView,
    },
}
