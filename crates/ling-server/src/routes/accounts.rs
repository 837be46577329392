//! Register, log in and out, reset and change passwords, recovery codes,
//! device sessions, and one's own profile.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use ling_proto::auth::{
    ChangePasswordRequest, LoginRequest, LoginResponse, NewSession, RecoveryCodeResponse,
    RegenerateRecoveryCodeRequest, RegisterRequest, RegisterResponse, ResetPasswordRequest, SessionInfo,
};
use ling_proto::users::{Me, UpdateProfileRequest};
use ling_proto::ws::{ServerFrame, close};
use ling_proto::{ErrorCode, Patch, SessionId, UserId};

use crate::credentials::{hash_secret, new_recovery_code, new_token, normalize_recovery_code, verify_secret};
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, ClientAddr, Json, Path};
use crate::hub;
use crate::state::{AppState, now_ms};
use crate::store::{NewUser, ProfileChange, StoreError};
use crate::validate;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/register", post(register))
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/auth/reset-password", post(reset_password))
        .route("/v1/me", get(me).patch(update_me))
        .route("/v1/me/password", post(change_password))
        .route("/v1/me/recovery-code", post(regenerate_recovery_code))
        .route("/v1/sessions", get(sessions))
        .route("/v1/sessions/{id}", delete(revoke_session))
}

/// A session for `user` on a device whose name was validated.
async fn new_session(state: &AppState, user: UserId, device: String) -> ApiResult<NewSession> {
    let (token, hash) = new_token();
    let id = state.store.create_session(user, hash, device, now_ms()).await?;
    Ok(NewSession { id, token })
}

async fn register(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<RegisterResponse>)> {
    if state.config.registration_closed {
        return Err(ApiError::new(ErrorCode::RegistrationClosed, "this server does not accept new accounts"));
    }
    let username = validate::username(&req.username)?;
    validate::password(&req.password)?;
    state.auth_throttle.register(addr)?;
    let display_name = match req.display_name.as_deref() {
        Some(n) if !n.trim().is_empty() => validate::name("display_name", n, 64)?,
        _ => username.clone(),
    };
    let device = validate::device_name(&req.device_name)?;
    let recovery_code = new_recovery_code();
    let (password_hash, recovery_hash) =
        tokio::try_join!(hash_secret(req.password), hash_secret(normalize_recovery_code(&recovery_code)))?;
    let user = state
        .store
        .create_user(NewUser { username, display_name, password_hash, recovery_hash, now: now_ms() })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::new(ErrorCode::UsernameTaken, "that username is taken"),
            other => other.into(),
        })?;
    let session = new_session(&state, user.id, device).await?;
    tracing::info!(user = user.id, "account registered");
    Ok((StatusCode::CREATED, Json(RegisterResponse { user, session, recovery_code })))
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let username = req.username.trim().to_ascii_lowercase();
    let device = validate::device_name(&req.device_name)?;
    state.auth_throttle.attempt(&username, addr)?;
    let found = state.store.credentials_by_username(&username).await?;
    let (user_id, hash) = match found {
        Some((id, hash, _)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let ok = verify_secret(req.password, hash).await?;
    let Some(user_id) = user_id.filter(|_| ok) else {
        state.auth_throttle.failed(&username, addr);
        return Err(ApiError::new(ErrorCode::InvalidCredentials, "wrong username or password"));
    };
    state.auth_throttle.succeeded(&username, addr);
    let session = new_session(&state, user_id, device).await?;
    let user = state.store.me(user_id).await?;
    Ok(Json(LoginResponse { user, session }))
}

async fn logout(State(state): State<AppState>, auth: AuthUser) -> ApiResult<StatusCode> {
    state.store.delete_session(auth.user_id, auth.session_id).await?;
    state.hub.close_sessions(auth.user_id, &[auth.session_id], close::SESSION_REVOKED);
    Ok(StatusCode::NO_CONTENT)
}

async fn reset_password(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(req): Json<ResetPasswordRequest>,
) -> ApiResult<Json<RecoveryCodeResponse>> {
    validate::password(&req.new_password)?;
    let username = req.username.trim().to_ascii_lowercase();
    state.auth_throttle.attempt(&username, addr)?;
    let found = state.store.credentials_by_username(&username).await?;
    let (user_id, hash) = match found {
        Some((id, _, recovery)) => (Some(id), Some(recovery)),
        None => (None, None),
    };
    let ok = verify_secret(normalize_recovery_code(&req.recovery_code), hash).await?;
    let Some(user_id) = user_id.filter(|_| ok) else {
        state.auth_throttle.failed(&username, addr);
        return Err(ApiError::new(ErrorCode::InvalidRecoveryCode, "wrong username or recovery code"));
    };
    let recovery_code = new_recovery_code();
    let (password_hash, recovery_hash) =
        tokio::try_join!(hash_secret(req.new_password), hash_secret(normalize_recovery_code(&recovery_code)))?;
    state.store.set_password_hash(user_id, password_hash).await?;
    state.store.set_recovery_hash(user_id, recovery_hash).await?;
    let revoked = state.store.delete_sessions_except(user_id, None).await?;
    state.hub.close_sessions(user_id, &revoked, close::SESSION_REVOKED);
    tracing::info!(user = user_id, "password reset with the recovery code");
    Ok(Json(RecoveryCodeResponse { recovery_code }))
}

async fn me(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Me>> {
    Ok(Json(state.store.me(auth.user_id).await?))
}

async fn update_me(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<UpdateProfileRequest>,
) -> ApiResult<Json<Me>> {
    let change = ProfileChange {
        display_name: req.display_name.as_deref().map(|n| validate::name("display_name", n, 64)).transpose()?,
        signature: req.signature.as_deref().map(|s| validate::text("signature", s, 200)).transpose()?,
        phone: match req.phone {
            Patch::Set(p) if p.trim().is_empty() => Patch::Clear,
            Patch::Set(p) => Patch::Set(validate::phone(&p)?),
            other => other,
        },
        avatar: req.avatar,
    };
    if let Patch::Set(file) = &change.avatar {
        crate::routes::files::use_as_avatar(&state, auth.user_id, file).await?;
    }
    let me = state.store.update_profile(auth.user_id, change).await?;
    let profile = ling_proto::users::UserProfile {
        id: me.id,
        username: me.username.clone(),
        display_name: me.display_name.clone(),
        avatar: me.avatar.clone(),
        signature: me.signature.clone(),
    };
    let mut audience = state.store.friend_ids(auth.user_id).await?;
    let blocked = state.store.block_peers(auth.user_id).await?;
    audience.retain(|u| !blocked.contains(u));
    audience.push(auth.user_id);
    hub::send(&*state.hub, &audience, &ServerFrame::ProfileChanged { user: profile });
    Ok(Json(me))
}

async fn check_password(state: &AppState, user: UserId, password: String) -> ApiResult<()> {
    let (hash, _) = state.store.credentials_by_id(user).await?;
    if verify_secret(password, Some(hash)).await? {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::InvalidCredentials, "the current password is wrong"))
    }
}

async fn change_password(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    validate::password(&req.new_password)?;
    check_password(&state, auth.user_id, req.old_password).await?;
    state.store.set_password_hash(auth.user_id, hash_secret(req.new_password).await?).await?;
    let revoked = state.store.delete_sessions_except(auth.user_id, Some(auth.session_id)).await?;
    state.hub.close_sessions(auth.user_id, &revoked, close::SESSION_REVOKED);
    Ok(StatusCode::NO_CONTENT)
}

async fn regenerate_recovery_code(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<RegenerateRecoveryCodeRequest>,
) -> ApiResult<Json<RecoveryCodeResponse>> {
    check_password(&state, auth.user_id, req.password).await?;
    let recovery_code = new_recovery_code();
    state.store.set_recovery_hash(auth.user_id, hash_secret(normalize_recovery_code(&recovery_code)).await?).await?;
    Ok(Json(RecoveryCodeResponse { recovery_code }))
}

async fn sessions(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<SessionInfo>>> {
    let mut list = state.store.sessions(auth.user_id).await?;
    for s in &mut list {
        s.current = s.id == auth.session_id;
    }
    Ok(Json(list))
}

async fn revoke_session(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<SessionId>,
) -> ApiResult<StatusCode> {
    if !state.store.delete_session(auth.user_id, id).await? {
        return Err(ApiError::not_found("session"));
    }
    state.hub.close_sessions(auth.user_id, &[id], close::SESSION_REVOKED);
    Ok(StatusCode::NO_CONTENT)
}
