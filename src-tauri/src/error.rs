//! Errors as the UI receives them: `{code, message}`, the code stable (the UI
//! says it in the person's language), the message in English for logs and
//! support.

use ling_client::ClientError;
use ling_client::error::{ClientCode, Code};
use ling_proto::ErrorCode;
use serde::Serialize;
use ts_rs::TS;

ling_proto::codes! {
    /// The shell's own error codes, beside the server's and the client
    /// core's.
    #[derive(TS)]
    pub enum ShellCode {
        /// No account is logged in.
        NotLoggedIn = "not_logged_in",
        /// No server is chosen yet.
        NoServer = "no_server",
        /// A file could not be read or written.
        IoFailed = "io_failed",
        /// A link or file could not be opened.
        OpenFailed = "open_failed",
        /// The window or Tauri failed.
        ShellFailed = "shell_failed",
        /// Starting with the system could not be changed.
        AutostartFailed = "autostart_failed",
        /// A view (timeline, list) that was closed or never opened.
        ViewClosed = "view_closed",
        /// The update server could not be reached.
        UpdateUnreachable = "update_unreachable",
        /// The update is not signed by the publisher.
        UpdateBadSignature = "update_bad_signature",
        /// The update server's answer could not be read.
        UpdateInvalid = "update_invalid",
        /// The update could not be installed.
        UpdateInstallFailed = "update_install_failed",
        /// Installing needs permission that was not given.
        UpdateNotPermitted = "update_not_permitted",
        /// The package manager refused the update (or no password was given).
        UpdatePackageRefused = "update_package_refused",
        /// Updates are set up wrongly.
        UpdateMisconfigured = "update_misconfigured",
        /// This copy was not installed from a package.
        UpdateNotInstallable = "update_not_installable",
        /// There is no newer version.
        UpdateNotFound = "update_not_found",
    }
}

/// Every code a command can fail with: the server's or the client core's
/// ([`Code`]), or the shell's own. The UI's type check makes sure each has a
/// sentence in both languages (`ui/src/lib/errors.ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(untagged)]
pub enum AppCode {
    Core(Code),
    Shell(ShellCode),
}

impl AppCode {
    pub fn as_str(self) -> &'static str {
        match self {
            AppCode::Core(c) => c.as_str(),
            AppCode::Shell(c) => c.as_str(),
        }
    }
}

impl PartialEq<&str> for AppCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<ShellCode> for AppCode {
    fn from(c: ShellCode) -> AppCode {
        AppCode::Shell(c)
    }
}

impl From<Code> for AppCode {
    fn from(c: Code) -> AppCode {
        AppCode::Core(c)
    }
}

impl From<ClientCode> for AppCode {
    fn from(c: ClientCode) -> AppCode {
        AppCode::Core(c.into())
    }
}

impl From<ErrorCode> for AppCode {
    fn from(c: ErrorCode) -> AppCode {
        AppCode::Core(c.into())
    }
}

/// A failed command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AppError {
    /// Stable, machine-readable: a server or `ling-client` error code, or one
    /// of the shell's own (`not_logged_in`, `io_failed`).
    pub code: AppCode,
    /// A sentence in English.
    pub message: String,
    /// For `tls_failure`: the certificate's SHA-256 fingerprint.
    pub fingerprint: Option<String>,
    /// For errors about a server address (`unreachable`, `tls_failure`, ...): the address.
    pub address: Option<String>,
}

impl AppError {
    /// An error of the shell's own.
    pub fn new(code: impl Into<AppCode>, message: impl Into<String>) -> AppError {
        AppError { code: code.into(), message: message.into(), fingerprint: None, address: None }
    }

    /// No account is logged in.
    pub fn not_logged_in() -> AppError {
        AppError::new(ShellCode::NotLoggedIn, "no account is logged in")
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
        AppError { code: e.code().into(), message: e.to_string(), fingerprint, address }
    }
}

impl From<tauri::Error> for AppError {
    fn from(e: tauri::Error) -> AppError {
        AppError::new(ShellCode::ShellFailed, e.to_string())
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code.as_str())
    }
}

impl std::error::Error for AppError {}

/// What commands return.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use ling_client::ClientError;
    use ling_client::error::ClientCode;
    use ling_proto::ErrorCode;

    use super::{AppCode, AppError, ShellCode};

    /// Every code a command can fail with (the server's, the client
    /// core's, the shell's own) is said in both of the UI's languages. (The
    /// UI's type check says so too, from the generated `AppCode`.)
    #[test]
    fn every_error_code_has_a_sentence_in_english_and_chinese() {
        let mut codes: Vec<&str> = ling_proto::error::ALL_CODES.to_vec();
        codes.push(ErrorCode::Unknown.as_str());
        codes.extend(ClientCode::ALL.iter().map(|c| c.as_str()));
        codes.extend(ShellCode::ALL.iter().map(|c| c.as_str()));
        let all = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all, "no two codes share a spelling");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for language in ["en", "zh-CN"] {
            let text = std::fs::read_to_string(dir.join(format!("../ui/src/lib/i18n/{language}.ts"))).unwrap();
            let unsaid: Vec<&&str> = codes.iter().filter(|c| !text.contains(&format!("'error.{c}':"))).collect();
            assert!(unsaid.is_empty(), "no sentence in {language}.ts for {unsaid:?}");
        }
    }

    #[test]
    fn codes_reach_the_ui_as_their_spelling() {
        for (code, wire) in [
            (AppCode::from(ErrorCode::NotFriends), "not_friends"),
            (AppCode::from(ClientCode::NoCall), "no_call"),
            (AppCode::from(ShellCode::UpdateNotFound), "update_not_found"),
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), wire);
            assert_eq!(code, wire);
        }
    }

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
