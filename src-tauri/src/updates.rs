//! Updates: tauri-plugin-updater against the endpoint this build names
//! (`plugins.updater` in `tauri.conf.json`, filled in by the release
//! workflow) or this machine names (`LING_UPDATE_ENDPOINT` and
//! `LING_UPDATE_PUBKEY`, which win). With no endpoint, updates are off and
//! nothing is ever fetched.
//!
//! When on, the app looks a few seconds after starting and then every six
//! hours; the settings show what it found and install it on request: the
//! download is checked against the public key (minisign) before anything is
//! installed, then the app restarts as the new version.

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_updater::UpdaterExt;
use ts_rs::TS;
use url::Url;

use crate::error::{AppError, AppResult, ShellCode};
use crate::live::now_ms;

/// The event carrying each new [`UpdateStatus`].
pub const EVENT: &str = "ling://update";

/// How long after starting the first look happens (the first screen first).
const FIRST_CHECK: Duration = Duration::from_secs(5);
/// How often to look again while the app runs.
const CHECK_EVERY: Duration = Duration::from_secs(6 * 3600);

/// Where updates come from, once it is known to be usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub endpoints: Vec<Url>,
    /// The minisign public key updates must be signed with (as `tauri signer
    /// generate` writes it: base64 of the key file).
    pub pubkey: String,
}

impl Source {
    /// Decides the source from the environment's `endpoint` and `pubkey`
    /// (each winning over the build's) and the build's `plugins.updater`
    /// section. `Ok(None)`: no endpoint anywhere, updates are off.
    pub fn resolve(endpoint: Option<&str>, pubkey: Option<&str>, built: Option<&Value>) -> AppResult<Option<Source>> {
        let built_endpoints: Vec<String> = built
            .and_then(|b| b.get("endpoints"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        let endpoints: Vec<String> = match endpoint.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => e.split_whitespace().map(str::to_owned).collect(),
            None => built_endpoints,
        };
        if endpoints.is_empty() {
            return Ok(None);
        }
        let pubkey = pubkey
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .or_else(|| built.and_then(|b| b.get("pubkey")).and_then(Value::as_str).map(|k| k.trim().to_owned()))
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                AppError::new(
                    ShellCode::UpdateMisconfigured,
                    "an update endpoint is set but no public key to check updates with (LING_UPDATE_PUBKEY)",
                )
            })?;
        let endpoints = endpoints
            .iter()
            .map(|e| {
                let url = Url::parse(e).map_err(|err| {
                    AppError::new(ShellCode::UpdateMisconfigured, format!("update endpoint {e}: {err}"))
                })?;
                if url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url)) {
                    Ok(url)
                } else {
                    Err(AppError::new(
                        ShellCode::UpdateMisconfigured,
                        format!("update endpoint {e}: only https (or http on this computer) is allowed"),
                    ))
                }
            })
            .collect::<AppResult<Vec<Url>>>()?;
        Ok(Some(Source { endpoints, pubkey }))
    }

    /// The plugin's configuration for this source (plain http only for an
    /// endpoint on this computer, which nobody else can answer for).
    pub fn plugin_config(&self) -> Value {
        json!({
            "endpoints": self.endpoints.iter().map(Url::as_str).collect::<Vec<_>>(),
            "pubkey": self.pubkey,
            "dangerousInsecureTransportProtocol": self.endpoints.iter().any(|u| u.scheme() == "http"),
            // The signature names the version it was made for: an old,
            // genuinely signed release cannot be passed off as a new one.
            "requireSignedVersion": true,
        })
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Decides the source from this process's environment and `config`'s
/// `plugins.updater`, and writes what the plugin must use back into it (the
/// plugin refuses to start without the section). The result goes to
/// [`Updates::new`].
pub fn configure(config: &mut tauri::Config) -> AppResult<Option<Source>> {
    let endpoint = std::env::var("LING_UPDATE_ENDPOINT").ok();
    let pubkey = std::env::var("LING_UPDATE_PUBKEY").ok();
    let source = Source::resolve(endpoint.as_deref(), pubkey.as_deref(), config.plugins.0.get("updater"));
    let section = match &source {
        Ok(Some(s)) => s.plugin_config(),
        _ => json!({ "endpoints": [], "pubkey": "" }),
    };
    config.plugins.0.insert("updater".into(), section);
    source
}

/// Where the updater stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum UpdateState {
    /// No update endpoint is configured: nothing is fetched.
    Off,
    /// Configured; not looked yet.
    Idle,
    Checking,
    UpToDate,
    /// A newer version is there (`available`).
    Available,
    /// Fetching it (`downloaded` of `total` bytes).
    Downloading,
    /// Checked and being installed; the app restarts next.
    Installing,
    /// The last step failed (`error`); `available` is kept if it was known.
    Failed,
}

/// A newer version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AvailableUpdate {
    pub version: String,
    /// The release notes, if the endpoint gave any.
    pub notes: Option<String>,
    /// Whether this copy of Ling can install it itself (one installed from
    /// a package or installer; not one built from source).
    pub installable: bool,
}

/// What the settings show about updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UpdateStatus {
    /// This app's version.
    pub current: String,
    pub state: UpdateState,
    pub available: Option<AvailableUpdate>,
    /// While downloading: bytes so far, and the whole if the server said.
    pub downloaded: Option<u64>,
    pub total: Option<u64>,
    /// When it last looked (Unix ms).
    pub checked_at: Option<i64>,
    pub error: Option<AppError>,
}

/// The updater's state, managed by the app.
pub struct Updates {
    /// An endpoint and key were given and make sense: checks may run.
    configured: bool,
    status: Mutex<UpdateStatus>,
    /// One check or install at a time.
    busy: tokio::sync::Mutex<()>,
}

impl Updates {
    pub fn new(current: String, source: &AppResult<Option<Source>>) -> Updates {
        let (state, error) = match source {
            Ok(Some(_)) => (UpdateState::Idle, None),
            Ok(None) => (UpdateState::Off, None),
            Err(e) => (UpdateState::Failed, Some(e.clone())),
        };
        let status =
            UpdateStatus { current, state, available: None, downloaded: None, total: None, checked_at: None, error };
        let configured = matches!(source, Ok(Some(_)));
        Updates { configured, status: Mutex::new(status), busy: tokio::sync::Mutex::new(()) }
    }

    pub fn status(&self) -> UpdateStatus {
        self.status.lock().unwrap().clone()
    }

    /// Changes the status and tells the UI.
    fn set(&self, app: &AppHandle, change: impl FnOnce(&mut UpdateStatus)) {
        let status = {
            let mut s = self.status.lock().unwrap();
            change(&mut s);
            s.clone()
        };
        let _ = app.emit(EVENT, status);
    }
}

/// The updater's errors as stable codes.
fn update_error(e: tauri_plugin_updater::Error) -> AppError {
    use tauri_plugin_updater::Error as E;
    let code = match &e {
        E::Minisign(_)
        | E::Base64(_)
        | E::SignatureUtf8(_)
        | E::SignedVersionMismatch { .. }
        | E::MissingSignedVersion => ShellCode::UpdateBadSignature,
        E::Reqwest(_) | E::Network(_) => ShellCode::UpdateUnreachable,
        E::ReleaseNotFound | E::Serialization(_) | E::Semver(_) | E::TargetNotFound(_) | E::TargetsNotFound(_) => {
            ShellCode::UpdateInvalid
        }
        E::AuthenticationFailed => ShellCode::UpdateNotPermitted,
        // pkexec, a graphical password prompt and sudo were each tried and
        // none installed the package: most often the password was refused
        // or the prompt cancelled.
        E::PackageInstallFailed | E::DebInstallFailed => ShellCode::UpdatePackageRefused,
        _ => ShellCode::UpdateInstallFailed,
    };
    AppError::new(code, e.to_string())
}

/// Whether this copy can replace itself: one the bundler made (it marks the
/// binary with its package type). A binary built from source is updated by
/// whoever built it.
fn installable() -> bool {
    tauri::utils::platform::bundle_type().is_some()
}

/// Asks the endpoint what it has now and records the answer (available or
/// up to date) in the status; a failure is left to the caller to record.
async fn look(app: &AppHandle, updates: &Updates) -> AppResult<Option<tauri_plugin_updater::Update>> {
    let found = app.updater().map_err(update_error)?.check().await.map_err(update_error)?;
    let available = found.as_ref().map(|u| AvailableUpdate {
        version: u.version.clone(),
        notes: u.body.clone(),
        installable: installable(),
    });
    if let Some(a) = &available {
        log::info!("update {} available", a.version);
    }
    updates.set(app, |s| {
        s.state = if available.is_some() { UpdateState::Available } else { UpdateState::UpToDate };
        s.available = available;
        s.checked_at = Some(now_ms());
    });
    Ok(found)
}

/// Looks for a newer version now.
pub async fn check(app: &AppHandle) -> AppResult<UpdateStatus> {
    let updates = app.state::<Updates>();
    if !updates.configured {
        return Ok(updates.status());
    }
    let _busy = updates.busy.lock().await;
    updates.set(app, |s| {
        s.state = UpdateState::Checking;
        s.error = None;
    });
    if let Err(e) = look(app, &updates).await {
        log::warn!("update check failed: {e}");
        updates.set(app, |s| {
            s.state = UpdateState::Failed;
            s.error = Some(e);
            s.checked_at = Some(now_ms());
        });
    }
    Ok(updates.status())
}

/// Looks at start and then every six hours (only when configured).
pub fn spawn_checks(app: &AppHandle) {
    let updates = app.state::<Updates>();
    if !updates.configured {
        match updates.status().error {
            Some(e) => log::warn!("updates are off: {e}"),
            None => log::info!("updates are off: no update endpoint is configured"),
        }
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(FIRST_CHECK).await;
        loop {
            // Waits for an install under way (one at a time).
            let _ = check(&app).await;
            tokio::time::sleep(CHECK_EVERY).await;
        }
    });
}

/// Downloads the update found, checks its signature, installs it and
/// restarts the app as the new version.
async fn install(app: &AppHandle) -> AppResult<()> {
    let updates = app.state::<Updates>();
    let _busy = updates.busy.lock().await;
    if !installable() {
        return Err(AppError::new(
            ShellCode::UpdateNotInstallable,
            "this copy of Ling was not installed from a package: update it the way it was installed",
        ));
    }
    // What the endpoint says now (the release may have been replaced since
    // the last look, say after a download that failed its check).
    let Some(update) = look(app, &updates).await? else {
        return Err(AppError::new(ShellCode::UpdateNotFound, "there is no newer version to install"));
    };
    updates.set(app, |s| {
        s.state = UpdateState::Downloading;
        s.downloaded = Some(0);
        s.total = None;
        s.error = None;
    });
    let mut got = 0u64;
    let mut told = std::time::Instant::now();
    let bytes = update
        .download(
            |chunk, total| {
                got += chunk as u64;
                // A few times a second is enough for a progress bar.
                if told.elapsed() >= Duration::from_millis(150) {
                    told = std::time::Instant::now();
                    updates.set(app, |s| {
                        s.downloaded = Some(got);
                        s.total = total;
                    });
                }
            },
            || {},
        )
        .await
        .map_err(update_error)?;
    updates.set(app, |s| {
        s.state = UpdateState::Installing;
        s.downloaded = Some(bytes.len() as u64);
    });
    // dpkg / rpm run through pkexec or sudo, and the installer on Windows:
    // blocking work, off the async threads.
    let installed = tauri::async_runtime::spawn_blocking(move || update.install(&bytes))
        .await
        .map_err(|e| AppError::new(ShellCode::UpdateInstallFailed, e.to_string()))?;
    installed.map_err(update_error)?;
    log::info!("update installed; restarting");
    app.restart()
}

/// The updater's status.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn update_status(updates: tauri::State<'_, Updates>) -> AppResult<UpdateStatus> {
    Ok(updates.status())
}

/// Looks for a newer version now (the settings' "Check now").
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn check_for_update(app: AppHandle) -> AppResult<UpdateStatus> {
    check(&app).await
}

/// Installs the update found and restarts; on failure the status says why
/// (and so does the error).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn install_update(app: AppHandle) -> AppResult<()> {
    let result = install(&app).await;
    if let Err(e) = &result {
        log::warn!("update failed: {e}");
        let e = e.clone();
        app.state::<Updates>().set(&app, |s| {
            s.state = UpdateState::Failed;
            s.error = Some(e);
        });
    }
    result
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Source, UpdateState, Updates, update_error};

    #[test]
    fn each_failure_has_the_code_that_says_what_to_do() {
        use tauri_plugin_updater::Error as E;
        let code = |e: E| update_error(e).code;
        assert_eq!(code(E::MissingSignedVersion), "update_bad_signature");
        assert_eq!(code(E::ReleaseNotFound), "update_invalid");
        assert_eq!(code(E::AuthenticationFailed), "update_not_permitted");
        assert_eq!(code(E::PackageInstallFailed), "update_package_refused");
        assert_eq!(code(E::DebInstallFailed), "update_package_refused");
        assert_eq!(code(E::TempDirNotFound), "update_install_failed");
    }

    #[test]
    fn updates_are_off_until_an_endpoint_is_named() {
        assert_eq!(Source::resolve(None, None, None), Ok(None));
        assert_eq!(Source::resolve(Some("  "), Some("key"), Some(&json!({ "endpoints": [], "pubkey": "" }))), Ok(None));
        let off = Updates::new("0.1.0".into(), &Ok(None));
        assert_eq!(off.status().state, UpdateState::Off);
        assert!(!off.configured);
    }

    #[test]
    fn the_build_names_the_source_and_the_environment_wins() {
        let built =
            json!({ "endpoints": ["https://updates.example/{{target}}/{{current_version}}"], "pubkey": "BUILT" });
        let s = Source::resolve(None, None, Some(&built)).unwrap().unwrap();
        assert_eq!(s.pubkey, "BUILT");
        assert_eq!(s.endpoints[0].as_str(), "https://updates.example/%7B%7Btarget%7D%7D/%7B%7Bcurrent_version%7D%7D");
        assert_eq!(s.plugin_config()["dangerousInsecureTransportProtocol"], false);
        let s =
            Source::resolve(Some("https://mirror.example/latest.json"), Some("MINE"), Some(&built)).unwrap().unwrap();
        assert_eq!((s.endpoints[0].as_str(), s.pubkey.as_str()), ("https://mirror.example/latest.json", "MINE"));
        // An endpoint of one's own, checked with the build's key.
        let s = Source::resolve(Some("https://mirror.example/latest.json"), None, Some(&built)).unwrap().unwrap();
        assert_eq!(s.pubkey, "BUILT");
    }

    #[test]
    fn plain_http_only_on_this_computer_and_never_without_a_key() {
        let local = Source::resolve(Some("http://127.0.0.1:8080/latest.json"), Some("K"), None).unwrap().unwrap();
        assert_eq!(local.plugin_config()["dangerousInsecureTransportProtocol"], true);
        assert!(Source::resolve(Some("http://localhost/latest.json"), Some("K"), None).unwrap().is_some());
        for bad in ["http://updates.example/latest.json", "ftp://127.0.0.1/x", "not a url"] {
            let e = Source::resolve(Some(bad), Some("K"), None).unwrap_err();
            assert_eq!(e.code, "update_misconfigured", "{bad}");
        }
        let e = Source::resolve(Some("https://updates.example/latest.json"), None, None).unwrap_err();
        assert_eq!(e.code, "update_misconfigured");
        let broken = Updates::new("0.1.0".into(), &Err(e));
        assert_eq!(broken.status().state, UpdateState::Failed);
        assert!(!broken.configured, "a broken configuration fetches nothing");
    }
}
