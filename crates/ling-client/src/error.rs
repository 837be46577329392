//! The client core's errors: each has a stable code (for the UI to switch on)
//! and a sentence a person can act on.

use ling_proto::ErrorCode;

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
    /// A call could not be placed, answered or changed (a device, the
    /// connection, or no call in progress).
    #[error("{message}")]
    Call {
        /// `no_call`, or the call engine's code (`device_unavailable`, `connection_failed`…).
        code: &'static str,
        /// Said for people.
        message: String,
    },
}

impl ClientError {
    /// A stable code for the UI, the same style as the server's.
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::InvalidAddress { .. } => "invalid_address",
            ClientError::InsecureAddress { .. } => "insecure_address",
            ClientError::Unreachable { .. } => "unreachable",
            ClientError::NotALingServer { .. } => "not_a_ling_server",
            ClientError::Tls { .. } => "tls_failure",
            ClientError::IncompatibleVersion { .. } => "incompatible_version",
            ClientError::MessageNotFound { .. } => "message_not_found",
            ClientError::InvalidInput(_) => "invalid_input",
            ClientError::LoggedOut => "logged_out",
            ClientError::Cancelled => "cancelled",
            ClientError::Storage(_) => "storage_failed",
            ClientError::Server { code, .. } => code.as_str(),
            ClientError::Call { code, .. } => code,
        }
    }
}

/// Result of client calls.
pub type ClientResult<T> = Result<T, ClientError>;

/// A file-system failure on `path`, said as "`what` `path`: `e`".
pub(crate) fn io_error(what: &str, path: &std::path::Path, e: std::io::Error) -> ClientError {
    ClientError::Storage(format!("{what} {}: {e}", path.display()))
}

impl From<rusqlite::Error> for ClientError {
    fn from(e: rusqlite::Error) -> Self {
        ClientError::Storage(e.to_string())
    }
}
