//! Remembering a session token ("remember me"): in the OS keychain (Keychain
//! on macOS, Credential Manager on Windows, the Secret Service on Linux) via
//! the `keyring` crate, or, where no keychain service runs (a headless Linux
//! box without a session bus), in a file only this user can read in the
//! account's directory. The caller learns which was used and says so.
//!
//! The keychain calls block (D-Bus, XPC), so async callers run them on a
//! blocking thread.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{ClientError, ClientResult, io_error};
use crate::private_file::write_private_atomic;

/// Where a token was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredIn {
    /// The OS keychain.
    Keychain,
    /// A 0600 file in the profile directory (no keychain service here).
    File,
}

/// Which stores to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStorePolicy {
    /// The keychain when one runs, else the file.
    KeychainOrFile,
    /// The file only (set `LING_TOKEN_STORE=file`; for bots and tests).
    FileOnly,
}

impl TokenStorePolicy {
    /// From `LING_TOKEN_STORE` (`file` forces the file; anything else is the default).
    pub fn from_env() -> TokenStorePolicy {
        match std::env::var("LING_TOKEN_STORE").as_deref() {
            Ok("file") => TokenStorePolicy::FileOnly,
            _ => TokenStorePolicy::KeychainOrFile,
        }
    }
}

/// The token of one account on one server.
#[derive(Debug, Clone)]
pub struct TokenSlot {
    user: String,
    file: PathBuf,
    policy: TokenStorePolicy,
}

const KEYCHAIN_SERVICE: &str = "app.ling.Ling";
const TOKEN_FILE: &str = "session.token";

impl TokenSlot {
    /// The slot for `username` on `server`, whose file lives in `account_dir`.
    pub fn new(server: &Url, username: &str, account_dir: &Path, policy: TokenStorePolicy) -> TokenSlot {
        TokenSlot {
            user: format!("{username}@{}", server.as_str().trim_end_matches('/')),
            file: account_dir.join(TOKEN_FILE),
            policy,
        }
    }

    fn keychain(&self) -> Option<keyring::Entry> {
        if self.policy == TokenStorePolicy::FileOnly {
            return None;
        }
        match keyring::Entry::new(KEYCHAIN_SERVICE, &self.user) {
            Ok(entry) => Some(entry),
            Err(e) => {
                tracing::info!(error = %e, "no keychain service here; a token file stands in");
                None
            }
        }
    }

    /// Stores the token: in the keychain if one answers, else in the file.
    pub fn save(&self, token: &str) -> ClientResult<StoredIn> {
        if let Some(entry) = self.keychain() {
            match entry.set_password(token) {
                Ok(()) => {
                    // A file from an earlier keychain-less run must not linger.
                    remove_file(&self.file)?;
                    return Ok(StoredIn::Keychain);
                }
                Err(e) => tracing::warn!(error = %e, "the keychain refused the token; a token file stands in"),
            }
        }
        write_private_atomic(&self.file, token.as_bytes())?;
        Ok(StoredIn::File)
    }

    /// The stored token, looking where it was put.
    pub fn load(&self, stored_in: StoredIn) -> ClientResult<Option<String>> {
        match stored_in {
            StoredIn::Keychain => {
                let Some(entry) = self.keychain() else { return Ok(None) };
                match entry.get_password() {
                    Ok(t) => Ok(Some(t)),
                    Err(keyring::Error::NoEntry) => Ok(None),
                    Err(e) => Err(ClientError::Storage(format!("reading the keychain: {e}"))),
                }
            }
            StoredIn::File => match fs::read_to_string(&self.file) {
                Ok(t) if !t.trim().is_empty() => Ok(Some(t.trim().to_owned())),
                Ok(_) => Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io_error("reading", &self.file, e)),
            },
        }
    }

    /// Forgets the token wherever it is.
    pub fn delete(&self) -> ClientResult<()> {
        if let Some(entry) = self.keychain() {
            match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => {}
                Err(e) => tracing::warn!(error = %e, "could not remove the token from the keychain"),
            }
        }
        remove_file(&self.file)
    }
}

fn remove_file(path: &Path) -> ClientResult<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("removing", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_without_a_keychain_the_token_goes_to_a_private_file_and_is_deleted_on_logout() {
        let dir = tempfile::tempdir().unwrap();
        let server: Url = "http://127.0.0.1:1/".parse().unwrap();
        let slot = TokenSlot::new(&server, "amy", dir.path(), TokenStorePolicy::FileOnly);
        assert_eq!(slot.load(StoredIn::File).unwrap(), None);
        assert_eq!(slot.save("tok-1").unwrap(), StoredIn::File);
        assert_eq!(slot.load(StoredIn::File).unwrap().as_deref(), Some("tok-1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(TOKEN_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        slot.delete().unwrap();
        assert_eq!(slot.load(StoredIn::File).unwrap(), None);
        slot.delete().unwrap();
    }
}
