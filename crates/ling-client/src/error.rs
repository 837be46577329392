//! The client core's errors: each has a stable code (for the UI to switch on)
//! and a sentence a person can act on.

use ling_proto::ErrorCode;
use serde::Serialize;

ling_proto::codes! {
    /// The client core's own error codes, beside the server's
    /// [`ErrorCode`] (the two never share a spelling).
    #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
    pub enum ClientCode {
        /// The typed server address cannot be read as one.
        InvalidAddress = "invalid_address",
        /// Plain http to a host on the internet, not confirmed.
        InsecureAddress = "insecure_address",
        /// Nothing answered at the address.
        Unreachable = "unreachable",
        /// Something answered that is not a Ling server.
        NotALingServer = "not_a_ling_server",
        /// The TLS handshake failed (an untrusted or wrong certificate).
        TlsFailure = "tls_failure",
        /// The server speaks another protocol version.
        IncompatibleVersion = "incompatible_version",
        /// A message the cache does not hold.
        MessageNotFound = "message_not_found",
        /// Something the person gave cannot be used as it is.
        InvalidInput = "invalid_input",
        /// The session has ended: log in again.
        LoggedOut = "logged_out",
        /// A file transfer was cancelled.
        Cancelled = "cancelled",
        /// A file to send can no longer be read (moved, deleted, no access).
        FileUnreadable = "file_unreadable",
        /// The local cache failed.
        StorageFailed = "storage_failed",
        /// No call in progress (or not the one named).
        NoCall = "no_call",
        /// More people than a call can hold.
        CallTooLarge = "call_too_large",
        /// A microphone, speaker or camera cannot be used.
        DeviceUnavailable = "device_unavailable",
        /// A media file cannot be used.
        MediaFile = "media_file",
        /// Media in a form Ling does not handle.
        UnsupportedMedia = "unsupported_media",
        /// An encoder or decoder failed.
        CodecFailed = "codec_failed",
        /// The call's connection could not be made or used.
        ConnectionFailed = "connection_failed",
        /// A signal for a peer the call has no connection to.
        UnknownPeer = "unknown_peer",
        /// A media file has nothing more.
        SourceEnded = "source_ended",
        /// Link previews are switched off in the settings.
        PreviewsOff = "previews_off",
        /// A link leads (or redirects) somewhere a preview may not go: not
        /// http(s), or not on the public internet.
        LinkBlocked = "link_blocked",
        /// A link's page (or picture) did not arrive in time.
        LinkTimeout = "link_timeout",
        /// A link's page could not be fetched (no answer, an error status,
        /// too many redirects).
        LinkFailed = "link_failed",
        /// A link's page is not a web page, or says nothing to preview.
        LinkUnsupported = "link_unsupported",
    }
}

/// Any code a client error carries: the server's or the core's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(untagged)]
pub enum Code {
    Server(ErrorCode),
    Client(ClientCode),
}

impl Code {
    /// The code as the UI receives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Server(code) => code.as_str(),
            Code::Client(code) => code.as_str(),
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<ClientCode> for Code {
    fn from(code: ClientCode) -> Code {
        Code::Client(code)
    }
}

impl From<ErrorCode> for Code {
    fn from(code: ErrorCode) -> Code {
        Code::Server(code)
    }
}

/// What went wrong in the client core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The typed server address cannot be read as one.
    #[error("\"{input}\" is not a server address: {reason}")]
    InvalidAddress {
        /// What the person typed.
        input: String,
        /// Why not.
        reason: String,
    },
    /// Plain HTTP to a host on the internet, not confirmed by the person.
    #[error("{host} would be reached without encryption (http); use https, or confirm that this is what you want")]
    InsecureAddress {
        /// The host.
        host: String,
    },
    /// Nothing answered at the address.
    #[error("the server at {address} did not answer; check the address or your network")]
    Unreachable {
        /// Where we knocked.
        address: String,
        /// The transport error, for support.
        detail: String,
    },
    /// Something answered, but not a Ling server.
    #[error("{address} answered, but it is not a Ling server")]
    NotALingServer {
        /// Where we knocked.
        address: String,
    },
    /// The TLS handshake failed (untrusted or mismatched certificate, ...).
    #[error("the secure connection to {address} failed: {detail}")]
    Tls {
        /// Where we knocked.
        address: String,
        /// What the TLS layer said.
        detail: String,
        /// The SHA-256 fingerprint of the certificate the server showed
        /// (`AB:CD:...`), for the person to compare with the one their
        /// administrator gave them.
        fingerprint: Option<String>,
    },
    /// A Ling server speaking another major version of the protocol.
    #[error("the server speaks protocol version {server}, this app speaks {client}; update the app or the server")]
    IncompatibleVersion {
        /// The server's protocol version.
        server: u32,
        /// Ours.
        client: u32,
    },
    /// No cached message has that client id in that conversation.
    #[error("no message {client_msg_id} in conversation {conversation_id}")]
    MessageNotFound {
        /// Where it was looked for.
        conversation_id: ling_proto::ConversationId,
        /// What was looked for.
        client_msg_id: String,
    },
    /// Something the person gave cannot be used as it is.
    #[error("{0}")]
    InvalidInput(String),
    /// Not logged in, or the session was revoked or expired: log in again.
    #[error("the session has ended; log in again")]
    LoggedOut,
    /// A file transfer was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// A file to send can no longer be read.
    #[error("{path} cannot be read: {detail}")]
    FileUnreadable {
        /// Where it was.
        path: String,
        /// What the system said.
        detail: String,
    },
    /// The local cache failed.
    #[error("the local cache failed: {0}")]
    Storage(String),
    /// The server refused a request.
    #[error("{message}")]
    Server {
        /// The server's code.
        code: ErrorCode,
        /// The server's message.
        message: String,
    },
    /// No link preview could be made.
    #[error("{message}")]
    Link {
        /// `previews_off`, `link_blocked`, `link_timeout`, `link_failed` or `link_unsupported`.
        code: ClientCode,
        /// Said for people.
        message: String,
    },
    /// A call could not be placed, answered or changed (a device, the
    /// connection, or no call in progress).
    #[error("{message}")]
    Call {
        /// `no_call`, `call_too_large`, or the call engine's (`device_unavailable`, `connection_failed`…).
        code: ClientCode,
        /// Said for people.
        message: String,
    },
}

impl ClientError {
    /// A stable code for the UI, the same style as the server's.
    pub fn code(&self) -> Code {
        let own = match self {
            ClientError::InvalidAddress { .. } => ClientCode::InvalidAddress,
            ClientError::InsecureAddress { .. } => ClientCode::InsecureAddress,
            ClientError::Unreachable { .. } => ClientCode::Unreachable,
            ClientError::NotALingServer { .. } => ClientCode::NotALingServer,
            ClientError::Tls { .. } => ClientCode::TlsFailure,
            ClientError::IncompatibleVersion { .. } => ClientCode::IncompatibleVersion,
            ClientError::MessageNotFound { .. } => ClientCode::MessageNotFound,
            ClientError::InvalidInput(_) => ClientCode::InvalidInput,
            ClientError::LoggedOut => ClientCode::LoggedOut,
            ClientError::Cancelled => ClientCode::Cancelled,
            ClientError::FileUnreadable { .. } => ClientCode::FileUnreadable,
            ClientError::Storage(_) => ClientCode::StorageFailed,
            ClientError::Server { code, .. } => return Code::Server(*code),
            ClientError::Call { code, .. } | ClientError::Link { code, .. } => *code,
        };
        Code::Client(own)
    }
}

impl From<ling_call::CallError> for ClientError {
    fn from(e: ling_call::CallError) -> Self {
        use ling_call::CallError as E;
        let code = match &e {
            E::DeviceUnavailable { .. } => ClientCode::DeviceUnavailable,
            E::File { .. } => ClientCode::MediaFile,
            E::Unsupported(_) => ClientCode::UnsupportedMedia,
            E::Codec { .. } => ClientCode::CodecFailed,
            E::Connection(_) => ClientCode::ConnectionFailed,
            E::UnknownPeer(_) => ClientCode::UnknownPeer,
            E::Ended => ClientCode::SourceEnded,
        };
        ClientError::Call { code, message: e.to_string() }
    }
}

/// Server codes that mean "not now" rather than "never": what was refused
/// is tried again later.
pub(crate) fn is_transient(code: ErrorCode) -> bool {
    matches!(code, ErrorCode::RateLimited | ErrorCode::Internal | ErrorCode::ShuttingDown)
}

/// Result of client calls.
pub type ClientResult<T> = Result<T, ClientError>;

/// A file-system failure on `path`, said as "`what` `path`: `e`".
pub(crate) fn io_error(what: &str, path: &std::path::Path, e: std::io::Error) -> ClientError {
    ClientError::Storage(format!("{what} {}: {e}", path.display()))
}

/// A file to send that cannot be read, as `map_err` takes it.
pub(crate) fn unreadable(path: &std::path::Path) -> impl Fn(std::io::Error) -> ClientError + '_ {
    move |e| ClientError::FileUnreadable { path: path.display().to_string(), detail: e.to_string() }
}

impl From<rusqlite::Error> for ClientError {
    fn from(e: rusqlite::Error) -> Self {
        ClientError::Storage(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_media_failure_keeps_the_call_engines_code() {
        use ling_call::CallError as E;
        let all = [
            E::DeviceUnavailable { device: "cam".into(), reason: "busy".into() },
            E::File { path: "a.wav".into(), reason: "missing".into() },
            E::Unsupported("44.1 kHz".into()),
            E::Codec { codec: "opus", reason: "bad packet".into() },
            E::Connection("ice".into()),
            E::UnknownPeer(7),
            E::Ended,
        ];
        for e in all {
            let wire = e.code();
            assert_eq!(ClientError::from(e).code(), wire);
        }
    }

    #[test]
    fn the_cores_codes_are_its_own_and_serialize_as_spelled() {
        for code in ClientCode::ALL {
            assert!(!ling_proto::error::ALL_CODES.contains(&code.as_str()), "{code:?} is also a server code");
            assert_eq!(serde_json::to_value(Code::from(*code)).unwrap(), code.as_str());
        }
        let server = Code::from(ErrorCode::NotFriends);
        assert_eq!(serde_json::to_value(server).unwrap(), "not_friends");
        assert_eq!(ClientError::Server { code: ErrorCode::NotFriends, message: String::new() }.code(), server);
    }
}
