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
