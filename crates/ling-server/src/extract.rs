//! Extractors whose failures are [`ApiError`]s: JSON bodies, query strings,
//! path parameters and the authenticated caller.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use ling_proto::{ErrorCode, SessionId, UserId};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::credentials::token_hash;
use crate::error::ApiError;
use crate::state::{AppState, now_ms};

/// A JSON body; a bad one is answered `invalid_json` (or `payload_too_large`).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::BytesRejection(e)) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(ErrorCode::PayloadTooLarge, "the request body is too large"))
            }
            Err(e) => Err(ApiError::new(ErrorCode::InvalidJson, e.body_text())),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A query string; a bad one is answered `invalid_request`.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| ApiError::invalid(e.body_text()))
    }
}

/// Path parameters; a bad one is answered `invalid_request`.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e: PathRejection| ApiError::invalid(e.body_text()))
    }
}

/// The logged-in caller, from `Authorization: Bearer <token>` (or, for the
/// WebSocket only, `?token=`, since browsers cannot set headers there).
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    /// Who.
    pub user_id: UserId,
    /// Which device.
    pub session_id: SessionId,
}

/// Sessions' `last_seen_at` is written at most this often.
const TOUCH_EVERY_MS: i64 = 60_000;

impl AuthUser {
    /// Authenticates a token.
    pub async fn from_token(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
        let unauthorized =
            || ApiError::new(ErrorCode::Unauthorized, "log in again: the session is unknown or was revoked");
        if token.is_empty() || token.len() > 128 {
            return Err(unauthorized());
        }
        let row = state.store.session_by_token(token_hash(token)).await?.ok_or_else(unauthorized)?;
        let now = now_ms();
        if now - row.last_seen_at > TOUCH_EVERY_MS {
            let store = state.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.touch_session(row.id, now).await {
                    tracing::debug!(error = %e, "could not record session activity");
                }
            });
        }
        Ok(AuthUser { user_id: row.user_id, session_id: row.id })
    }
}

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "log in first: no `Authorization: Bearer` token"))?;
        AuthUser::from_token(state, token).await
    }
}
