//! The server in use, logging in and out, who is logged in and the connection.

use ling_client::account::{self, LoginOptions};
use ling_client::{ConnectionState, probe};
use ling_proto::users::Me;
use serde::Serialize;
use tauri::{AppHandle, State};
use ts_rs::TS;

use crate::error::{AppError, AppResult, ShellCode};
use crate::live;
use crate::state::AppState;

/// Where the app stands at start-up (and after a reload of the UI).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Startup {
    /// First run: no server chosen yet.
    ChooseServer,
    /// A server is chosen; nobody is logged in.
    Login {
        /// The server.
        server: ServerView,
        /// The username last used here, to fill in.
        username: Option<String>,
    },
    /// Logged in (from the cache when the network has not answered yet).
    Ready {
        /// The server.
        server: ServerView,
        /// Who.
        me: Me,
        /// Where the realtime session stands.
        connection: ConnectionState,
    },
}

/// A server as the UI shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ServerView {
    /// The address that worked.
    pub url: String,
    /// The name its operator gave it.
    pub name: String,
    /// Whether new accounts may register (unknown, `true`, until probed).
    pub registration_open: bool,
}

/// A new account.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RegisteredView {
    /// Logged in as.
    pub me: Me,
    /// Shown once, to keep: it resets a forgotten password.
    pub recovery_code: String,
}

fn device_name() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty());
    match host {
        Some(h) => format!("Ling on {h}"),
        None => format!("Ling desktop ({})", std::env::consts::OS),
    }
}

impl ServerView {
    fn new(url: &url::Url, name: &str, registration_open: bool) -> ServerView {
        ServerView { url: url.to_string(), name: name.to_owned(), registration_open }
    }
}

/// The server in use (whether it takes registrations is known only when
/// probed: assumed until then; the server refuses if not).
fn server_view(profile: &ling_client::profile::Profile) -> AppResult<Option<ServerView>> {
    let settings = profile.settings()?;
    Ok(settings.last_server().map(|s| ServerView::new(&s.url, &s.name, true)))
}

fn last_server_url(state: &AppState) -> AppResult<url::Url> {
    let settings = state.profile.settings()?;
    settings
        .last_server()
        .map(|s| s.url.clone())
        .ok_or_else(|| AppError::new(ShellCode::NoServer, "choose a server first"))
}

fn login_options(state: &AppState, remember: bool) -> LoginOptions {
    LoginOptions { device_name: device_name(), remember, token_policy: state.token_policy }
}

/// Where the app stands: opens the remembered account from its cache at once
/// (the network is not waited for), or says which screen to show.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn startup(app: AppHandle, state: State<'_, AppState>) -> AppResult<Startup> {
    let _guard = state.transition.lock().await;
    let Some(server) = server_view(&state.profile)? else { return Ok(Startup::ChooseServer) };
    if let Some(s) = state.current() {
        let connection = s.client.state();
        return Ok(Startup::Ready { server, me: s.client.me(), connection });
    }
    let remembered = match account::open_remembered(&state.profile, state.token_policy).await? {
        Some(l) => Some(l),
        None => account::auto_login(&state.profile, state.token_policy).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not log in with the remembered token");
            None
        }),
    };
    match remembered {
        Some(logged_in) => {
            let me = logged_in.me.clone();
            let connection = live::start(&app, &state, logged_in).await?;
            Ok(Startup::Ready { server, me, connection })
        }
        None => {
            let username = state.profile.settings()?.accounts.first().map(|a| a.username.clone());
            Ok(Startup::Login { server, username })
        }
    }
}

/// Checks a typed server address and, if a Ling server answers, makes it the
/// server to log in to.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_server(state: State<'_, AppState>, address: String, allow_insecure: bool) -> AppResult<ServerView> {
    let probed = probe::probe(&address, allow_insecure).await?;
    state.profile.use_server(&probed, live::now_ms())?;
    Ok(ServerView::new(&probed.base, &probed.info.name, probed.info.registration_open))
}

/// Logs in with a password (`remember`: log in by itself next time).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn login(
    app: AppHandle,
    state: State<'_, AppState>,
    username: String,
    password: String,
    remember: bool,
) -> AppResult<Me> {
    let _guard = state.transition.lock().await;
    let server = last_server_url(&state)?;
    let logged_in =
        account::login(&state.profile, &server, username.trim(), &password, &login_options(&state, remember)).await?;
    let me = logged_in.me.clone();
    live::start(&app, &state, logged_in).await?;
    Ok(me)
}

/// Registers an account and logs it in (remembered).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn register(
    app: AppHandle,
    state: State<'_, AppState>,
    username: String,
    password: String,
    display_name: Option<String>,
) -> AppResult<RegisteredView> {
    let _guard = state.transition.lock().await;
    let server = last_server_url(&state)?;
    let display_name = display_name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let registered = account::register(
        &state.profile,
        &server,
        username.trim(),
        &password,
        display_name,
        &login_options(&state, true),
    )
    .await?;
    let me = registered.session.me.clone();
    live::start(&app, &state, registered.session).await?;
    Ok(RegisteredView { me, recovery_code: registered.recovery_code })
}

/// Sets a new password with the recovery code; returns the new recovery code.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn reset_password(
    state: State<'_, AppState>,
    username: String,
    recovery_code: String,
    new_password: String,
) -> AppResult<String> {
    let server = last_server_url(&state)?;
    Ok(account::reset_password(&server, username.trim(), recovery_code.trim(), &new_password).await?)
}

/// Logs out: ends the session on the server and forgets the remembered token.
/// The cache stays for the next login.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn logout(app: AppHandle, state: State<'_, AppState>) -> AppResult<()> {
    let _guard = state.transition.lock().await;
    live::stop(&app, &state, true).await
}

/// Forgets the chosen server (logging out first), back to the first screen.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn switch_server(app: AppHandle, state: State<'_, AppState>) -> AppResult<()> {
    let _guard = state.transition.lock().await;
    live::stop(&app, &state, true).await?;
    let mut settings = state.profile.settings()?;
    settings.servers.clear();
    state.profile.save_settings(&settings)?;
    Ok(())
}

/// Who is logged in.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub fn me(state: State<'_, AppState>) -> AppResult<Me> {
    Ok(state.session()?.client.me())
}

/// The realtime session's state now.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub fn connection(state: State<'_, AppState>) -> AppResult<ConnectionState> {
    Ok(state.session()?.client.state())
}

/// Tries to connect now instead of waiting for the next attempt.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub fn reconnect_now(state: State<'_, AppState>) -> AppResult<()> {
    state.session()?.client.reconnect_now();
    Ok(())
}
