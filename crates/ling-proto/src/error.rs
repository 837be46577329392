//! Error codes: the stable, machine-readable half of every error.
//!
//! Every failed HTTP request answers with a status and an [`ErrorBody`]; every
//! refused WebSocket frame answers with a `ServerFrame::Error` carrying the
//! same fields. Clients switch on [`ErrorCode`], never on the message text.

use serde::{Deserialize, Serialize};

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorBody {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people (English).
    pub message: String,
}

/// Every error code the server sends. New codes may be added in a minor
/// version; a client that does not know one reads it as [`ErrorCode::Unknown`].
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $wire:literal,)*) => {
        /// A stable, machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[doc = $doc])* #[serde(rename = $wire)] $variant,)*
            /// A code this version does not know.
            #[serde(other, rename = "unknown")]
            Unknown,
        }

        impl ErrorCode {
            /// The code as it appears on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)*
                    ErrorCode::Unknown => "unknown",
                }
            }
        }

        /// Every code, as on the wire (without `unknown`). `docs/protocol.md`
        /// lists each one; a test keeps the two in step.
        pub const ALL_CODES: &[&str] = &[$($wire,)*];
    };
}

error_codes! {
    /// The body is not valid JSON, or not valid UTF-8, or does not match the expected shape.
    InvalidJson = "invalid_json",
    /// A field has a value that is not allowed (the message says which).
    InvalidRequest = "invalid_request",
    /// The request body is larger than the server accepts.
    PayloadTooLarge = "payload_too_large",
    /// No such endpoint, or the named thing does not exist (or is not the caller's to know about).
    NotFound = "not_found",
    /// The endpoint exists but not with this HTTP method.
    MethodNotAllowed = "method_not_allowed",
    /// Too many requests; slow down and retry later.
    RateLimited = "rate_limited",
    /// No token, or the token is unknown or revoked.
    Unauthorized = "unauthorized",
    /// Wrong username or password.
    InvalidCredentials = "invalid_credentials",
    /// The username breaks the username rules.
    InvalidUsername = "invalid_username",
    /// The password is too short or too long.
    WeakPassword = "weak_password",
    /// Someone already has that username.
    UsernameTaken = "username_taken",
    /// The recovery code does not match.
    InvalidRecoveryCode = "invalid_recovery_code",
    /// The server does not accept new accounts.
    RegistrationClosed = "registration_closed",
    /// The caller may not do this.
    Forbidden = "forbidden",
    /// The caller is not a member of the conversation or group.
    NotAMember = "not_a_member",
    /// The two users are not friends.
    NotFriends = "not_friends",
    /// One of the two users has blocked the other.
    Blocked = "blocked",
    /// The caller's role in the group is too low for this.
    InsufficientRole = "insufficient_role",
    /// The users are already friends.
    AlreadyFriends = "already_friends",
    /// A request to the same person is already pending.
    RequestPending = "request_pending",
    /// The friend request was already answered.
    RequestClosed = "request_closed",
    /// An action aimed at oneself that makes no sense (befriending oneself, ...).
    InvalidTarget = "invalid_target",
    /// The user is already in the group.
    AlreadyMember = "already_member",
    /// The group was dissolved; it can be read but not changed.
    GroupDissolved = "group_dissolved",
    /// The owner must transfer ownership before leaving.
    OwnerCannotLeave = "owner_cannot_leave",
    /// The group has as many members as the server allows.
    GroupFull = "group_full",
    /// Text longer than the server's limit.
    TextTooLong = "text_too_long",
    /// The message content is not valid for its kind.
    InvalidContent = "invalid_content",
    /// A text's link preview is malformed: its link is not in the text, a
    /// part is too long, or its image is not an uploaded image.
    InvalidPreview = "invalid_preview",
    /// `client_msg_id` is missing or malformed.
    InvalidClientMsgId = "invalid_client_msg_id",
    /// The message is older than the recall window.
    RecallWindowPassed = "recall_window_passed",
    /// Only the sender may do this to a message.
    NotOwnMessage = "not_own_message",
    /// The message was already recalled.
    AlreadyRecalled = "already_recalled",
    /// Only text messages can be edited, and not once recalled.
    NotEditable = "not_editable",
    /// The edit leaves the text as it was.
    EditUnchanged = "edit_unchanged",
    /// Not one emoji, or a message that takes no reactions (a notice, a recalled one).
    InvalidReaction = "invalid_reaction",
    /// The message has as many different emoji as the server allows.
    TooManyReactions = "too_many_reactions",
    /// The conversation has as many pinned messages as the server allows.
    TooManyPins = "too_many_pins",
    /// The upload is larger than the file limit.
    FileTooLarge = "file_too_large",
    /// The file name is empty, too long, or looks like a path.
    InvalidFileName = "invalid_file_name",
    /// The upload was empty.
    EmptyFile = "empty_file",
    /// The file is not an image the server could decode within its image limits.
    NotAnImage = "not_an_image",
    /// The account has as many live connections as the server allows.
    TooManyConnections = "too_many_connections",
    /// The request's headers or body did not arrive in time.
    RequestTimeout = "request_timeout",
    /// A WebSocket frame larger than the frame limit.
    FrameTooLarge = "frame_too_large",
    /// A WebSocket frame whose `type` is not known.
    UnknownFrame = "unknown_frame",
    /// A binary WebSocket frame (the protocol is JSON text only).
    UnsupportedFrame = "unsupported_frame",
    /// The call signal is not valid in the call's current state.
    InvalidCallSignal = "invalid_call_signal",
    /// The server has no assistant.
    AssistantOff = "assistant_off",
    /// The assistant's model could not be reached, or refused the request.
    AssistantUnavailable = "assistant_unavailable",
    /// The assistant's model is rate-limiting the server; ask again later.
    AssistantRateLimited = "assistant_rate_limited",
    /// The assistant's model did not start or finish its reply in time.
    AssistantTimeout = "assistant_timeout",
    /// The reply broke off (a cut or garbled stream, the server restarting).
    AssistantInterrupted = "assistant_interrupted",
    /// As many of the person's replies are running as the server allows (or of everyone's).
    AssistantBusy = "assistant_busy",
    /// The person asked the assistant more often than the server allows per minute.
    AssistantRequestLimit = "assistant_request_limit",
    /// Something failed on the server; details are in its log.
    Internal = "internal",
    /// The server is shutting down; reconnect shortly.
    ShuttingDown = "shutting_down",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pin;
    use serde_json::json;

    #[test]
    fn test_every_listed_code_round_trips() {
        for code in ALL_CODES {
            let parsed: ErrorCode = serde_json::from_value(json!(code)).unwrap();
            assert_eq!(parsed.as_str(), *code);
        }
    }

    #[test]
    fn test_unknown_code_from_a_newer_server_parses_as_unknown() {
        let parsed: ErrorCode = serde_json::from_value(json!("quota_exceeded")).unwrap();
        assert_eq!(parsed, ErrorCode::Unknown);
    }

    #[test]
    fn test_error_body_shape() {
        pin(
            &ErrorBody { code: ErrorCode::NotAMember, message: "not a member".into() },
            json!({"code": "not_a_member", "message": "not a member"}),
        );
    }

    #[test]
    fn test_protocol_doc_lists_every_code() {
        let doc = include_str!("../../../docs/protocol.md");
        for code in ALL_CODES {
            assert!(doc.contains(&format!("`{code}`")), "docs/protocol.md does not list `{code}`");
        }
    }
}
