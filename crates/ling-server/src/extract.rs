//! Extractors whose failures are [`ApiError`]s: JSON bodies, query strings,
//! path parameters and the authenticated caller.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use ling_proto::{ErrorCode, SessionId, UserId};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::credentials::token_hash;
use crate::error::ApiError;
use crate::serve::ConnState;
use crate::state::{AppState, now_ms};

/// A JSON body; a bad one is answered `invalid_json` (or `payload_too_large`),
/// and one that is not complete within `--body-timeout-secs`, `request_timeout`.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.config.body_timeout();
        let Ok(read) = tokio::time::timeout(limit, axum::Json::<T>::from_request(req, state)).await else {
            return Err(body_timeout(limit));
        };
        match read {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::BytesRejection(e)) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(ErrorCode::PayloadTooLarge, "the request body is too large"))
            }
            Err(e) => Err(ApiError::new(ErrorCode::InvalidJson, e.body_text())),
        }
    }
}

/// The refusal of a request body that did not arrive in time.
pub fn body_timeout(limit: std::time::Duration) -> ApiError {
    ApiError::new(ErrorCode::RequestTimeout, format!("the request body did not arrive within {} s", limit.as_secs()))
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

/// The client's address: the peer's, or, when the peer is one of
/// `--trusted-proxies`, the nearest address in `X-Forwarded-For` that is not
/// one of them (the right-most entries are the ones the proxies added).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        Ok(ClientAddr(client_addr(peer, forwarded, &state.config.trusted_proxies)))
    }
}

/// See [`ClientAddr`]; `forwarded` are the `X-Forwarded-For` header values in order.
pub fn client_addr<'a>(peer: IpAddr, forwarded: impl Iterator<Item = &'a str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded.flat_map(|v| v.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            // Garbage in the header: stop at the last address we could trust.
            Err(_) => break,
        }
    }
    client
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
        let auth = AuthUser::from_token(state, token).await?;
        authenticated(parts);
        Ok(auth)
    }
}

/// Marks the request's connection as authenticated (see `serve::ConnState`).
pub fn authenticated(parts: &Parts) {
    if let Some(conn) = parts.extensions.get::<std::sync::Arc<ConnState>>() {
        conn.authenticated();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn test_forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxy = ip("10.0.0.2");
        let trusted = [proxy, ip("10.0.0.3")];
        // Not a trusted peer: the header is the client's to forge.
        assert_eq!(client_addr(ip("203.0.113.5"), ["1.2.3.4"].into_iter(), &trusted), ip("203.0.113.5"));
        // Behind the proxy: the right-most address it did not add itself.
        assert_eq!(client_addr(proxy, ["1.2.3.4, 203.0.113.5"].into_iter(), &trusted), ip("203.0.113.5"));
        assert_eq!(client_addr(proxy, ["203.0.113.5", "10.0.0.3"].into_iter(), &trusted), ip("203.0.113.5"));
        // A forged entry past garbage is not believed; no header means the proxy itself.
        assert_eq!(client_addr(proxy, ["1.2.3.4, junk, 10.0.0.3"].into_iter(), &trusted), ip("10.0.0.3"));
        assert_eq!(client_addr(proxy, std::iter::empty(), &trusted), proxy);
    }
}
