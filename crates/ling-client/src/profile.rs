//! The profile directory: known servers, the last server and account used,
//! and one directory per (server, account) holding its cache, files and (where
//! no keychain runs) its token.
//!
//! ```text
//! <root>/settings.json                      known servers, accounts, last used
//! <root>/accounts/<server>/<user id>/cache.db
//!                                   /files/<file id>/<name>
//!                                   /thumbnails/<file id>.jpg
//!                                   /session.token   (0600; only without a keychain)
//! ```
//!
//! `<root>` is the OS data directory (`~/.local/share/ling`,
//! `%APPDATA%\Ling\data`, `~/Library/Application Support/app.ling.Ling`), or
//! `profiles/<name>` under it for a named profile, so two accounts can run
//! side by side.

use std::fs;
use std::path::{Path, PathBuf};

use ling_proto::{Millis, UserId};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{ClientError, ClientResult, io_error};
use crate::private_file::write_private_atomic;
use crate::probe::ProbedServer;
use crate::tokens::StoredIn;

/// A server this profile has used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownServer {
    /// Its base URL, as probed.
    pub url: Url,
    /// Its name, as it gave it.
    pub name: String,
    /// When it was last chosen (ms).
    pub last_used_at: Millis,
}

/// An account this profile has logged in to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownAccount {
    /// Its server.
    pub server: Url,
    /// Its user id there.
    pub user_id: UserId,
    /// Its username.
    pub username: String,
    /// Where its token is remembered, if it is ("remember me").
    pub token_in: Option<StoredIn>,
}

/// What `settings.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Servers used, most recent first.
    #[serde(default)]
    pub servers: Vec<KnownServer>,
    /// Accounts logged in to, most recent first.
    #[serde(default)]
    pub accounts: Vec<KnownAccount>,
}

impl Settings {
    /// The server used last.
    pub fn last_server(&self) -> Option<&KnownServer> {
        self.servers.first()
    }

    /// The account used last, if it is on the last server.
    pub fn last_account(&self) -> Option<&KnownAccount> {
        let server = self.last_server()?;
        self.accounts.first().filter(|a| a.server == server.url)
    }
}

/// One profile's directory.
#[derive(Debug, Clone)]
pub struct Profile {
    root: PathBuf,
}

impl Profile {
    /// The OS data directory for Ling, or a named profile under it.
    pub fn default_root(name: Option<&str>) -> ClientResult<PathBuf> {
        let dirs = directories::ProjectDirs::from("app", "Ling", "Ling")
            .ok_or_else(|| ClientError::Storage("this system has no home directory to keep data in".into()))?;
        let base = dirs.data_dir().to_path_buf();
        Ok(match name {
            None | Some("") | Some("default") => base,
            Some(n) => {
                if !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    return Err(ClientError::InvalidInput(format!(
                        "profile names use letters, digits, - and _ only, not {n:?}"
                    )));
                }
                base.join("profiles").join(n)
            }
        })
    }

    /// Opens (creating, readable only by this user) the profile at `root`.
    pub fn open(root: impl Into<PathBuf>) -> ClientResult<Profile> {
        let root = root.into();
        create_private_dir(&root)?;
        Ok(Profile { root })
    }

    /// The profile's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The settings; a missing file is empty settings.
    pub fn settings(&self) -> ClientResult<Settings> {
        match fs::read(self.root.join("settings.json")) {
            Ok(raw) => serde_json::from_slice(&raw)
                .map_err(|e| ClientError::Storage(format!("settings.json is damaged ({e}); remove it to start over"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(io_error("reading", &self.root.join("settings.json"), e)),
        }
    }

    /// Writes the settings atomically (a crash leaves the old or the new file).
    pub fn save_settings(&self, settings: &Settings) -> ClientResult<()> {
        let json = serde_json::to_vec_pretty(settings).map_err(|e| ClientError::Storage(e.to_string()))?;
        write_private_atomic(&self.root.join("settings.json"), &json)
    }

    /// Records a probed server as the one in use.
    pub fn use_server(&self, server: &ProbedServer, now: Millis) -> ClientResult<()> {
        let mut s = self.settings()?;
        s.servers.retain(|k| k.url != server.base);
        s.servers
            .insert(0, KnownServer { url: server.base.clone(), name: server.info.name.clone(), last_used_at: now });
        self.save_settings(&s)
    }

    /// Records an account as the one in use (first in the list), and its
    /// server as the server in use.
    pub fn use_account(&self, account: KnownAccount) -> ClientResult<()> {
        let mut s = self.settings()?;
        let server = match s.servers.iter().position(|k| k.url == account.server) {
            Some(i) => s.servers.remove(i),
            None => KnownServer {
                url: account.server.clone(),
                name: account.server.host_str().unwrap_or_default().to_owned(),
                last_used_at: 0,
            },
        };
        s.servers.insert(0, server);
        s.accounts.retain(|a| !(a.server == account.server && a.user_id == account.user_id));
        s.accounts.insert(0, account);
        self.save_settings(&s)
    }

    /// Forgets where an account's token is (after logout).
    pub fn forget_token(&self, server: &Url, user_id: UserId) -> ClientResult<()> {
        let mut s = self.settings()?;
        for a in s.accounts.iter_mut().filter(|a| &a.server == server && a.user_id == user_id) {
            a.token_in = None;
        }
        self.save_settings(&s)
    }

    /// The directory of one account on one server (created on demand).
    pub fn account_dir(&self, server: &Url, user_id: UserId) -> ClientResult<PathBuf> {
        let dir = self.root.join("accounts").join(server_dir_name(server)).join(user_id.to_string());
        create_private_dir(&dir)?;
        Ok(dir)
    }
}

/// A directory name for a server: its host and port, with anything but
/// letters, digits, `.` and `-` replaced.
fn server_dir_name(server: &Url) -> String {
    let host = server.host_str().unwrap_or("server");
    let port = server.port_or_known_default().unwrap_or(0);
    let clean: String =
        host.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    format!("{clean}_{port}")
}

/// Creates a directory (and parents) that only this user can read.
pub(crate) fn create_private_dir(dir: &Path) -> ClientResult<()> {
    fs::create_dir_all(dir).map_err(|e| io_error("creating", dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| io_error("securing", dir, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ling_proto::info::{Limits, ServerInfo};

    fn probed(url: &str, name: &str) -> ProbedServer {
        let info = ServerInfo {
            server: "ling".into(),
            name: name.into(),
            version: "0".into(),
            protocol: 1,
            registration_open: true,
            limits: Limits {
                max_text_chars: 1,
                max_file_bytes: 1,
                max_frame_bytes: 1,
                max_body_bytes: 1,
                max_group_members: 1,
                recall_window_secs: 1,
                max_page_size: 1,
                max_image_pixels: 1,
                max_image_edge: 1,
            },
            ice_servers: vec![],
            assistant: None,
        };
        ProbedServer { base: url.parse().unwrap(), info }
    }

    #[test]
    fn test_known_servers_keep_the_last_used_first_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::open(dir.path().join("p")).unwrap();
        assert_eq!(profile.settings().unwrap(), Settings::default(), "a fresh profile knows nothing");
        profile.use_server(&probed("https://a.example/", "A"), 1).unwrap();
        profile.use_server(&probed("https://b.example/", "B"), 2).unwrap();
        profile.use_server(&probed("https://a.example/", "A"), 3).unwrap();
        let again = Profile::open(dir.path().join("p")).unwrap().settings().unwrap();
        assert_eq!(again.servers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(again.last_server().unwrap().last_used_at, 3);
    }

    #[test]
    fn test_the_last_account_is_the_one_on_the_last_server() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::open(dir.path()).unwrap();
        let a = "https://a.example/".parse::<Url>().unwrap();
        profile.use_server(&probed(a.as_str(), "A"), 1).unwrap();
        let account =
            KnownAccount { server: a.clone(), user_id: 4, username: "amy".into(), token_in: Some(StoredIn::File) };
        profile.use_account(account.clone()).unwrap();
        assert_eq!(profile.settings().unwrap().last_account(), Some(&account));
        profile.forget_token(&a, 4).unwrap();
        assert_eq!(profile.settings().unwrap().last_account().unwrap().token_in, None);
        profile.use_server(&probed("https://b.example/", "B"), 2).unwrap();
        assert_eq!(profile.settings().unwrap().last_account(), None, "no account yet on the new server");
    }

    #[test]
    fn test_account_directories_are_per_server_and_user_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::open(dir.path()).unwrap();
        let one = profile.account_dir(&"https://chat.example.com/".parse().unwrap(), 7).unwrap();
        let two = profile.account_dir(&"http://127.0.0.1:7878/".parse().unwrap(), 7).unwrap();
        assert!(one.ends_with("accounts/chat.example.com_443/7"));
        assert!(two.ends_with("accounts/127.0.0.1_7878/7"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&one).unwrap().permissions().mode() & 0o777, 0o700);
        }
    }

    #[test]
    fn test_named_profiles_live_under_the_data_directory_and_names_are_checked() {
        let default = Profile::default_root(None).unwrap();
        let work = Profile::default_root(Some("work")).unwrap();
        assert!(work.starts_with(&default) && work.ends_with("profiles/work"));
        assert_eq!(Profile::default_root(Some("../x")).unwrap_err().code(), "invalid_input");
    }
}
