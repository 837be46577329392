//! Errors as the UI receives them: `{code, message}`, the code stable (the UI
//! says it in the person's language), the message in English for logs and
//! support.

use ling_client::ClientError;
use serde::Serialize;
use ts_rs::TS;

/// A failed command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AppError {
    /// Stable, machine-readable: a `ling-client` or server error code, or one
    /// of the shell's own (`not_logged_in`, `io_failed`).
    pub code: String,
    /// A sentence in English.
    pub message: String,
    /// For `tls_failure`: the certificate's SHA-256 fingerprint.
    pub fingerprint: Option<String>,
    /// For errors about a server address (`unreachable`, `tls_failure`, ...): the address.
    pub address: Option<String>,
}

impl AppError {
    /// An error of the shell's own.
    pub fn new(code: &str, message: impl Into<String>) -> AppError {
        AppError { code: code.to_owned(), message: message.into(), fingerprint: None, address: None }
    }

    /// No account is logged in.
    pub fn not_logged_in() -> AppError {
        AppError::new("not_logged_in", "no account is logged in")
    }
}

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> AppError {
        let (fingerprint, address) = match &e {
            ClientError::Tls { fingerprint, address, .. } => (fingerprint.clone(), Some(address.clone())),
            ClientError::Unreachable { address, .. } | ClientError::NotALingServer { address } => {
                (None, Some(address.clone()))
            }
            ClientError::InsecureAddress { host } => (None, Some(host.clone())),
            _ => (None, None),
        };
        AppError { code: e.code().to_owned(), message: e.to_string(), fingerprint, address }
    }
}

impl From<tauri::Error> for AppError {
    fn from(e: tauri::Error) -> AppError {
        AppError::new("shell_failed", e.to_string())
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for AppError {}

/// What commands return.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use ling_client::ClientError;
    use ling_proto::ErrorCode;

    use super::AppError;

    #[test]
    fn client_errors_reach_the_ui_as_code_and_message_with_what_the_sentence_needs() {
        let tls = AppError::from(ClientError::Tls {
            address: "https://chat.example/".into(),
            detail: "unknown issuer".into(),
            fingerprint: Some("AB:CD".into()),
        });
        assert_eq!(tls.code, "tls_failure");
        assert_eq!(
            (tls.fingerprint.as_deref(), tls.address.as_deref()),
            (Some("AB:CD"), Some("https://chat.example/"))
        );
        let down =
            AppError::from(ClientError::Unreachable { address: "https://x.example/".into(), detail: "refused".into() });
        assert_eq!((down.code.as_str(), down.address.as_deref()), ("unreachable", Some("https://x.example/")));
        let refused =
            AppError::from(ClientError::Server { code: ErrorCode::NotFriends, message: "not friends".into() });
        assert_eq!((refused.code.as_str(), refused.message.as_str()), ("not_friends", "not friends"));
        assert_eq!(refused.address, None);
        let json = serde_json::to_value(&refused).unwrap();
        assert_eq!(json["code"], "not_friends", "the shape the UI reads");
        assert_eq!(json["message"], "not friends");
    }
}
