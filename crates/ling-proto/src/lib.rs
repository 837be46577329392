//! Ling's wire protocol: every HTTP request and response body, every WebSocket
//! frame and every error code that crosses the network.
//!
//! This crate does no I/O. The server (`ling-server`) and the client core
//! (`ling-client`) both depend on it, so a change here is a protocol change:
//! the tests at the bottom of each module pin the JSON shapes, and
//! `docs/protocol.md` documents them for people.
//!
//! Conventions:
//! - identifiers are `i64` assigned by the server, except [`FileId`] (an opaque
//!   string) and `client_msg_id` (a UUIDv7 string made by the client);
//! - times are milliseconds since the Unix epoch ([`Millis`]);
//! - enums are tagged with a `snake_case` field (`"type"`, `"kind"`, ...);
//! - an optional field that is absent means "not set"; in `PATCH`-style
//!   requests a field set to `null` means "clear it" (see [`Patch`]).

/// `as_str` / `parse` for a unit enum by its wire names (the same as its serde
/// names, which a test checks), for storing it as text.
macro_rules! wire_names {
    ($ty:ty { $($variant:ident = $wire:literal),* $(,)? }) => {
        impl $ty {
            /// The wire name (also how it is stored).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }

            /// Back from the wire name.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($wire => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

/// Declares an error-code enum beside the server's [`ErrorCode`] (the client
/// core's, the desktop shell's): each variant serializes as its spelling,
/// with `as_str()` and `ALL`. The caller's attributes (docs, a TypeScript
/// derive) go on the enum; the caller needs `serde`.
#[macro_export]
macro_rules! codes {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[doc = $doc:literal])* $variant:ident = $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize)]
        $vis enum $name {
            $($(#[doc = $doc])* #[serde(rename = $wire)] $variant,)*
        }

        impl $name {
            /// Every code.
            pub const ALL: &[$name] = &[$($name::$variant,)*];

            /// The code as it is sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)*
                }
            }
        }
    };
}

pub mod assistant;
pub mod auth;
pub mod contacts;
pub mod error;
pub mod files;
pub mod groups;
pub mod info;
pub mod messages;
mod patch;
pub mod relations;
pub mod text;
pub mod users;
pub mod ws;

pub use error::{ErrorBody, ErrorCode};
pub use patch::Patch;

/// A user account.
pub type UserId = i64;
/// A group.
pub type GroupId = i64;
/// A conversation: one per friend pair, one per group.
pub type ConversationId = i64;
/// A message's position in its conversation: gap-free, starting at 1.
pub type Seq = i64;
/// A logged-in device (one login).
pub type SessionId = i64;
/// A user's own category of friends.
pub type FriendGroupId = i64;
/// An uploaded file.
pub type FileId = String;
/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// The protocol version this crate speaks; the server reports its own in
/// [`info::ServerInfo::protocol`]. Clients refuse a server with another major.
pub const PROTOCOL_VERSION: u32 = 1;

#[cfg(test)]
pub(crate) mod test_util {
    use serde::{Serialize, de::DeserializeOwned};

    /// Serializes `value`, checks the JSON equals `expected`, and checks it
    /// deserializes back to the same JSON: a wire shape pinned both ways.
    pub fn pin<T: Serialize + DeserializeOwned>(value: &T, expected: serde_json::Value) {
        let json = serde_json::to_value(value).expect("serialize");
        assert_eq!(json, expected, "wire shape changed");
        let back: T = serde_json::from_value(json.clone()).expect("deserialize");
        assert_eq!(serde_json::to_value(&back).expect("reserialize"), json, "round trip changed");
    }
}
