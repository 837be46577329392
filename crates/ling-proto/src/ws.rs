//! WebSocket frames on `GET /v1/ws`: JSON text frames tagged by `"type"`.
//!
//! The client sends [`ClientFrame`]s; the server pushes [`ServerFrame`]s. A
//! frame the server refuses is answered with [`ServerFrame::Error`] and the
//! connection stays open; only frames over the hard size limit, invalid
//! UTF-8, a revoked session or a client too slow to keep up close it.

use serde::{Deserialize, Serialize};

use crate::contacts::FriendRequest;
use crate::messages::{CallMedia, Message, MessageContent, SendAck};
use crate::users::UserProfile;
use crate::{ConversationId, ErrorCode, GroupId, Millis, Seq, SessionId, UserId};

/// Frames a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Send a message; answered by `ack` (or `error` with the same `client_msg_id`).
    Send {
        /// A UUID made by the client; resending it is answered with the first ack.
        client_msg_id: String,
        /// Where to.
        conversation_id: ConversationId,
        /// Text, image or file.
        content: MessageContent,
        /// The `seq` of a message it answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<Seq>,
        /// Forwarded from another conversation.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        forwarded: bool,
        /// Who its text mentions.
        #[serde(default, skip_serializing_if = "crate::messages::Mentions::is_empty")]
        mentions: crate::messages::Mentions,
    },
    /// "I am typing": relayed to the other members; send at most every 3 s.
    Typing {
        /// Where.
        conversation_id: ConversationId,
    },
    /// Move the read cursor.
    Read {
        /// Where.
        conversation_id: ConversationId,
        /// Everything up to here is read.
        seq: Seq,
    },
    /// Call signaling, relayed to `to_user` (every device, or `to_device`).
    Call {
        /// Made by the caller (a UUID); the same for every signal of one call.
        call_id: String,
        /// The direct or group conversation the call belongs to.
        conversation_id: ConversationId,
        /// The other party.
        to_user: UserId,
        /// One device of theirs, once it answered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_device: Option<SessionId>,
        /// The signal.
        signal: CallSignal,
    },
    /// Answered by `pong` with the same nonce (WebSocket pings work too).
    /// Stops the assistant's reply to `question` (asked by the caller);
    /// what it wrote so far is kept.
    AssistantStop {
        /// Where.
        conversation_id: ConversationId,
        /// The seq of the message it answers.
        question: Seq,
    },
    Ping {
        /// Echoed.
        #[serde(default)]
        nonce: u64,
    },
}

/// Call signaling between two devices. Tagged by `"signal"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "signal", rename_all = "snake_case")]
pub enum CallSignal {
    /// Ring the other party.
    Invite {
        /// Voice or video.
        media: CallMedia,
    },
    /// The callee's device is ringing.
    Ringing,
    /// The callee answered.
    Accept,
    /// The callee turned it down.
    Decline,
    /// The callee is in another call.
    Busy,
    /// The caller gave up before an answer.
    Cancel,
    /// An SDP offer.
    Offer {
        /// Session description.
        sdp: String,
    },
    /// An SDP answer.
    Answer {
        /// Session description.
        sdp: String,
    },
    /// A trickled ICE candidate.
    Ice {
        /// `candidate:...`; empty means end of candidates.
        candidate: String,
        /// The media section's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdp_mid: Option<String>,
        /// The media section's index.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdp_mline_index: Option<u16>,
    },
    /// Leave the call.
    Hangup,
    /// Nobody answered within the ringing time. Sent by the server (from the
    /// callee, `from_device` 0) to the caller; the callee's devices get a
    /// `cancel`. Never sent by a client.
    NoAnswer,
}

/// Frames the server pushes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The first frame on every connection.
    Hello {
        /// Who is connected.
        user_id: UserId,
        /// Which session.
        session_id: SessionId,
        /// The server's clock.
        server_time: Millis,
        /// The server pings this often and closes a connection silent for three times as long.
        heartbeat_secs: u32,
    },
    /// A message was stored.
    Ack(SendAck),
    /// A refused frame. `client_msg_id` / `call_id` say which one.
    Error {
        /// What went wrong.
        code: ErrorCode,
        /// For people.
        message: String,
        /// The refused `send`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<String>,
        /// The refused `call`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
    },
    /// A new message in one of the user's conversations (own sends included, for the other devices).
    Message {
        /// The message.
        message: Message,
    },
    /// A read cursor moved (the user's own on any device; in direct conversations also the peer's).
    Read {
        /// Where.
        conversation_id: ConversationId,
        /// Whose cursor.
        user_id: UserId,
        /// The new cursor.
        seq: Seq,
    },
    /// A friend came online or went offline.
    Presence {
        /// Who.
        user_id: UserId,
        /// Whether they have a live connection now.
        online: bool,
    },
    /// Someone is typing.
    Typing {
        /// Where.
        conversation_id: ConversationId,
        /// Who.
        user_id: UserId,
    },
    /// A friend request arrived, or one of the user's was answered.
    FriendRequest {
        /// The request as it stands.
        request: FriendRequest,
    },
    /// The friend list, friend groups or block list changed: refetch them.
    ContactsChanged,
    /// A group the user is in changed (members, name, roles...): refetch it.
    GroupChanged {
        /// Which.
        group_id: GroupId,
    },
    /// The user is no longer in this group (left, kicked): drop it, keep its history.
    GroupRemoved {
        /// Which.
        group_id: GroupId,
    },
    /// A new join request waits for this admin.
    GroupJoinRequest {
        /// Which group.
        group_id: GroupId,
    },
    /// Someone's profile changed.
    ProfileChanged {
        /// The new profile.
        user: UserProfile,
    },
    /// Call signaling from another device.
    Call {
        /// The call.
        call_id: String,
        /// Its conversation.
        conversation_id: ConversationId,
        /// Who sent it.
        from_user: UserId,
        /// From which of their devices: answer to this one.
        from_device: SessionId,
        /// The signal.
        signal: CallSignal,
    },
    /// Answers `ping`.
    Pong {
        /// Echoed.
        nonce: u64,
    },
    /// The assistant's reply to `question` from `offset` characters on is
    /// `text`: the next piece, or (`offset` 0, at least once a second) the
    /// whole text so far (ephemeral: only connections open now get it; the
    /// finished reply is an ordinary `assistant` message replying to
    /// `question`). The first frame of a reply has `offset` 0 and may have
    /// no text (it started thinking).
    AssistantStream {
        /// Where.
        conversation_id: ConversationId,
        /// The assistant's account (who will have written the reply).
        user_id: UserId,
        /// The seq of the message it answers.
        question: Seq,
        /// Characters (Unicode scalar values) of the reply before `text`; a
        /// client that holds fewer waits for the next whole text.
        offset: u32,
        /// What was added.
        text: String,
    },
}

/// WebSocket close codes the server uses (4000–4999 are the application's).
pub mod close {
    /// The session was revoked or logged out.
    pub const SESSION_REVOKED: u16 = 4001;
    /// The client did not read fast enough; reconnect and catch up by seq.
    pub const TOO_SLOW: u16 = 4002;
    /// Nothing was heard from the client for too long.
    pub const IDLE_TIMEOUT: u16 = 4003;
    /// The server is shutting down.
    pub const SHUTTING_DOWN: u16 = 1001;
    /// A frame over the hard limit.
    pub const TOO_BIG: u16 = 1009;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pin;
    use serde_json::json;

    #[test]
    fn test_client_frames_shapes() {
        pin(
            &ClientFrame::Send {
                client_msg_id: "c1".into(),
                conversation_id: 3,
                content: MessageContent::text("hi"),
                reply_to: None,
                forwarded: false,
                mentions: Default::default(),
            },
            json!({"type": "send", "client_msg_id": "c1", "conversation_id": 3, "content": {"kind": "text", "text": "hi"}}),
        );
        pin(&ClientFrame::Typing { conversation_id: 3 }, json!({"type": "typing", "conversation_id": 3}));
        pin(&ClientFrame::Read { conversation_id: 3, seq: 9 }, json!({"type": "read", "conversation_id": 3, "seq": 9}));
        pin(&ClientFrame::Ping { nonce: 1 }, json!({"type": "ping", "nonce": 1}));
        pin(
            &ClientFrame::AssistantStop { conversation_id: 3, question: 8 },
            json!({"type": "assistant_stop", "conversation_id": 3, "question": 8}),
        );
        pin(
            &ClientFrame::Call {
                call_id: "k".into(),
                conversation_id: 3,
                to_user: 2,
                to_device: None,
                signal: CallSignal::Invite { media: CallMedia::Audio },
            },
            json!({"type": "call", "call_id": "k", "conversation_id": 3, "to_user": 2, "signal": {"signal": "invite", "media": "audio"}}),
        );
    }

    #[test]
    fn test_call_signals_shapes() {
        pin(&CallSignal::Offer { sdp: "v=0".into() }, json!({"signal": "offer", "sdp": "v=0"}));
        pin(&CallSignal::Answer { sdp: "v=0".into() }, json!({"signal": "answer", "sdp": "v=0"}));
        pin(
            &CallSignal::Ice { candidate: "candidate:1".into(), sdp_mid: Some("0".into()), sdp_mline_index: Some(0) },
            json!({"signal": "ice", "candidate": "candidate:1", "sdp_mid": "0", "sdp_mline_index": 0}),
        );
        for (s, name) in [
            (CallSignal::Ringing, "ringing"),
            (CallSignal::Accept, "accept"),
            (CallSignal::Decline, "decline"),
            (CallSignal::Busy, "busy"),
            (CallSignal::Cancel, "cancel"),
            (CallSignal::Hangup, "hangup"),
            (CallSignal::NoAnswer, "no_answer"),
        ] {
            pin(&s, json!({"signal": name}));
        }
    }

    #[test]
    fn test_server_frames_shapes() {
        pin(
            &ServerFrame::Hello { user_id: 1, session_id: 2, server_time: 3, heartbeat_secs: 20 },
            json!({"type": "hello", "user_id": 1, "session_id": 2, "server_time": 3, "heartbeat_secs": 20}),
        );
        pin(
            &ServerFrame::Ack(SendAck { client_msg_id: "c".into(), conversation_id: 1, seq: 2, send_time: 3 }),
            json!({"type": "ack", "client_msg_id": "c", "conversation_id": 1, "seq": 2, "send_time": 3}),
        );
        pin(
            &ServerFrame::Error {
                code: ErrorCode::NotAMember,
                message: "m".into(),
                client_msg_id: Some("c".into()),
                call_id: None,
            },
            json!({"type": "error", "code": "not_a_member", "message": "m", "client_msg_id": "c"}),
        );
        pin(
            &ServerFrame::Read { conversation_id: 1, user_id: 2, seq: 3 },
            json!({"type": "read", "conversation_id": 1, "user_id": 2, "seq": 3}),
        );
        pin(
            &ServerFrame::Presence { user_id: 2, online: true },
            json!({"type": "presence", "user_id": 2, "online": true}),
        );
        pin(
            &ServerFrame::Typing { conversation_id: 1, user_id: 2 },
            json!({"type": "typing", "conversation_id": 1, "user_id": 2}),
        );
        pin(&ServerFrame::ContactsChanged, json!({"type": "contacts_changed"}));
        pin(&ServerFrame::GroupChanged { group_id: 4 }, json!({"type": "group_changed", "group_id": 4}));
        pin(&ServerFrame::GroupRemoved { group_id: 4 }, json!({"type": "group_removed", "group_id": 4}));
        pin(&ServerFrame::GroupJoinRequest { group_id: 4 }, json!({"type": "group_join_request", "group_id": 4}));
        pin(&ServerFrame::Pong { nonce: 7 }, json!({"type": "pong", "nonce": 7}));
        pin(
            &ServerFrame::AssistantStream {
                conversation_id: 3,
                user_id: 9,
                question: 8,
                offset: 5,
                text: "你好".into(),
            },
            json!({"type": "assistant_stream", "conversation_id": 3, "user_id": 9, "question": 8, "offset": 5, "text": "你好"}),
        );
        pin(
            &ServerFrame::Call {
                call_id: "k".into(),
                conversation_id: 3,
                from_user: 1,
                from_device: 5,
                signal: CallSignal::Hangup,
            },
            json!({"type": "call", "call_id": "k", "conversation_id": 3, "from_user": 1, "from_device": 5, "signal": {"signal": "hangup"}}),
        );
    }

    #[test]
    fn test_unknown_frame_type_is_a_parse_error() {
        assert!(serde_json::from_value::<ClientFrame>(json!({"type": "teleport"})).is_err());
    }
}
