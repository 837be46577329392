//! Account flows: register, log in (with or without "remember me"), log in
//! at start-up from a remembered token, reset a forgotten password with the
//! recovery code, log out.
//!
//! Auto-login works offline: when the server does not answer, the account
//! opens from its cache (the profile saved at the last login) and the
//! realtime session connects when it can. Only the server saying the token is
//! no longer valid forgets it.

use std::path::PathBuf;

use ling_proto::ErrorCode;
use ling_proto::auth::{LoginRequest, RegisterRequest, ResetPasswordRequest};
use ling_proto::users::Me;
use url::Url;

use crate::api::Api;
use crate::cache::Cache;
use crate::error::{ClientError, ClientResult};
use crate::profile::{KnownAccount, Profile};
use crate::tokens::{StoredIn, TokenSlot, TokenStorePolicy};

/// The cache file in an account's directory.
pub const CACHE_FILE: &str = "cache.db";

/// A logged-in account, ready for [`crate::Client::start`].
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// The server's API with this session's token.
    pub api: Api,
    /// Who is logged in (as last seen, when offline).
    pub me: Me,
    /// This account's directory (cache, files, token file).
    pub account_dir: PathBuf,
    /// Where the token was remembered; `None` without "remember me".
    pub token_in: Option<StoredIn>,
    /// Whether the server confirmed the session just now (false: opened
    /// offline from a remembered token).
    pub confirmed: bool,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct Registered {
    /// Logged in as the new account.
    pub session: LoggedIn,
    /// The recovery code, shown to the person once to keep.
    pub recovery_code: String,
}

/// How to log in.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// The name this device shows in the account's device list.
    pub device_name: String,
    /// Keep the token so the next start logs in by itself.
    pub remember: bool,
    /// Where a remembered token may go.
    pub token_policy: TokenStorePolicy,
}

/// Registers an account on `server` and logs it in.
pub async fn register(
    profile: &Profile,
    server: &Url,
    username: &str,
    password: &str,
    display_name: Option<&str>,
    opts: &LoginOptions,
) -> ClientResult<Registered> {
    let api = Api::new(server.clone())?;
    let req = RegisterRequest {
        username: username.to_owned(),
        password: password.to_owned(),
        display_name: display_name.map(str::to_owned),
        device_name: opts.device_name.clone(),
    };
    let resp = api.register(&req).await?;
    let session = finish_login(profile, api.with_token(&resp.session.token), resp.user, opts).await?;
    Ok(Registered { session, recovery_code: resp.recovery_code })
}

/// Logs in with a password.
pub async fn login(
    profile: &Profile,
    server: &Url,
    username: &str,
    password: &str,
    opts: &LoginOptions,
) -> ClientResult<LoggedIn> {
    let api = Api::new(server.clone())?;
    let req = LoginRequest {
        username: username.to_owned(),
        password: password.to_owned(),
        device_name: opts.device_name.clone(),
    };
    let resp = api.login(&req).await?;
    finish_login(profile, api.with_token(&resp.session.token), resp.user, opts).await
}

/// Remembers the token (if asked) and records the account as the last used.
/// ([`crate::Client::start`] keeps the profile in the cache for offline starts.)
async fn finish_login(profile: &Profile, api: Api, me: Me, opts: &LoginOptions) -> ClientResult<LoggedIn> {
    let server = api.base().clone();
    let account_dir = profile.account_dir(&server, me.id)?;
    let slot = TokenSlot::new(&server, &me.username, &account_dir, opts.token_policy);
    let token = api.token().unwrap_or_default().to_owned();
    let remember = opts.remember;
    let token_in =
        blocking(move || if remember { slot.save(&token).map(Some) } else { slot.delete().map(|()| None) }).await?;
    profile.use_account(KnownAccount { server, user_id: me.id, username: me.username.clone(), token_in })?;
    Ok(LoggedIn { api, me, account_dir, token_in, confirmed: true })
}

/// The last account's remembered token, if it has one: `(account, slot,
/// token)`. A token the store lost is forgotten.
async fn remembered(
    profile: &Profile,
    policy: TokenStorePolicy,
) -> ClientResult<Option<(KnownAccount, PathBuf, TokenSlot, String)>> {
    let settings = profile.settings()?;
    let Some(account) = settings.last_account().cloned() else { return Ok(None) };
    let Some(token_in) = account.token_in else { return Ok(None) };
    let account_dir = profile.account_dir(&account.server, account.user_id)?;
    let slot = TokenSlot::new(&account.server, &account.username, &account_dir, policy);
    let load_slot = slot.clone();
    let Some(token) = blocking(move || load_slot.load(token_in)).await? else {
        profile.forget_token(&account.server, account.user_id)?;
        return Ok(None);
    };
    Ok(Some((account, account_dir, slot, token)))
}

/// The profile the last [`crate::Client::start`] kept in the account's cache.
async fn cached_me(account_dir: &std::path::Path) -> ClientResult<Option<Me>> {
    let dir = account_dir.to_owned();
    blocking(move || Cache::open(&dir.join(CACHE_FILE))?.setting::<Me>("me")).await
}

/// At start-up: logs the last account in from its remembered token, if it
/// has one. `None` means the person must log in (no remembered token, or the
/// server said it is no longer valid, in which case it is forgotten).
pub async fn auto_login(profile: &Profile, policy: TokenStorePolicy) -> ClientResult<Option<LoggedIn>> {
    let Some((account, account_dir, slot, token)) = remembered(profile, policy).await? else { return Ok(None) };
    let token_in = account.token_in;
    let api = Api::new(account.server.clone())?.with_token(&token);
    match api.me().await {
        Ok(me) => Ok(Some(LoggedIn { api, me, account_dir, token_in, confirmed: true })),
        Err(ClientError::Server { code: ErrorCode::Unauthorized, .. }) => {
            blocking(move || slot.delete()).await?;
            profile.forget_token(&account.server, account.user_id)?;
            Ok(None)
        }
        Err(e @ (ClientError::Unreachable { .. } | ClientError::Tls { .. })) => {
            // Offline: open from the cache; the session connects when it can.
            match cached_me(&account_dir).await? {
                Some(me) => Ok(Some(LoggedIn { api, me, account_dir, token_in, confirmed: false })),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// At start-up, without waiting for the network: the last account from its
/// remembered token and the profile its cache keeps (`confirmed: false`), so
/// the app can show the cached chat list at once. The realtime session then
/// checks the token: a token the server no longer accepts ends in
/// [`crate::ConnectionState::LoggedOut`]. `None` when there is no remembered
/// token or nothing cached yet; then use [`auto_login`].
pub async fn open_remembered(profile: &Profile, policy: TokenStorePolicy) -> ClientResult<Option<LoggedIn>> {
    let Some((account, account_dir, _slot, token)) = remembered(profile, policy).await? else { return Ok(None) };
    let Some(me) = cached_me(&account_dir).await? else { return Ok(None) };
    if me.id != account.user_id {
        return Ok(None);
    }
    let api = Api::new(account.server.clone())?.with_token(&token);
    Ok(Some(LoggedIn { api, me, account_dir, token_in: account.token_in, confirmed: false }))
}

/// Replaces a forgotten password using the recovery code; returns the new
/// recovery code (the old one is used up). Every session of the account ends.
pub async fn reset_password(
    server: &Url,
    username: &str,
    recovery_code: &str,
    new_password: &str,
) -> ClientResult<String> {
    let req = ResetPasswordRequest {
        username: username.to_owned(),
        recovery_code: recovery_code.to_owned(),
        new_password: new_password.to_owned(),
    };
    Ok(Api::new(server.clone())?.reset_password(&req).await?.recovery_code)
}

/// Logs out: ends the session on the server (if it answers) and forgets the
/// remembered token. The account's cache stays for the next login.
pub async fn logout(profile: &Profile, session: &LoggedIn) -> ClientResult<()> {
    match session.api.logout().await {
        Ok(()) | Err(ClientError::Server { code: ErrorCode::Unauthorized, .. }) => {}
        Err(e @ (ClientError::Unreachable { .. } | ClientError::Tls { .. })) => {
            tracing::warn!(error = %e, "the server did not answer the logout; the token is forgotten here anyway");
        }
        Err(e) => return Err(e),
    }
    let server = session.api.base().clone();
    let slot = TokenSlot::new(&server, &session.me.username, &session.account_dir, TokenStorePolicy::from_env());
    blocking(move || slot.delete()).await?;
    profile.forget_token(&server, session.me.id)
}

/// Runs blocking work (SQLite, the keychain) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ClientResult<T> + Send + 'static,
) -> ClientResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ClientError::Storage(format!("a background task failed: {e}")))?
}
