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

    /// Every code a command can fail with (the server's, the client
    /// core's, the shell's own) is said in both of the UI's languages.
    #[test]
    fn every_error_code_has_a_sentence_in_english_and_chinese() {
        let s = String::new;
        let client = [
            ClientError::InvalidAddress { input: s(), reason: s() },
            ClientError::InsecureAddress { host: s() },
            ClientError::Unreachable { address: s(), detail: s() },
            ClientError::NotALingServer { address: s() },
            ClientError::Tls { address: s(), detail: s(), fingerprint: None },
            ClientError::IncompatibleVersion { server: 1, client: 2 },
            ClientError::MessageNotFound { conversation_id: 1, client_msg_id: s() },
            ClientError::InvalidInput(s()),
            ClientError::LoggedOut,
            ClientError::Cancelled,
            ClientError::Storage(s()),
        ];
        let mut codes: Vec<String> = ling_proto::error::ALL_CODES.iter().map(|c| (*c).to_owned()).collect();
        codes.push(ErrorCode::Unknown.as_str().to_owned());
        codes.extend(client.iter().map(|e| e.code().to_owned()));
        // The shell's own: every code given to `AppError::new` in its sources.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(dir.join("src")).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("AppError::new(\"").skip(1) {
                codes.push(part[..part.find('"').unwrap()].to_owned());
            }
        }
        codes.push(AppError::not_logged_in().code);
        codes.sort();
        codes.dedup();
        assert!(codes.len() > 60, "{codes:?}");
        for language in ["en", "zh-CN"] {
            let text = std::fs::read_to_string(dir.join(format!("../ui/src/lib/i18n/{language}.ts"))).unwrap();
            let unsaid: Vec<&String> = codes.iter().filter(|c| !text.contains(&format!("'error.{c}':"))).collect();
            assert!(unsaid.is_empty(), "no sentence in {language}.ts for {unsaid:?}");
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
