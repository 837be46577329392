//! Finding people: search and public profiles.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use ling_proto::UserId;
use ling_proto::users::{UserProfile, UserSearchResponse};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, Json, Path, Query};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/users", get(search)).route("/v1/users/{id}", get(profile))
}

#[derive(Deserialize)]
struct SearchQuery {
    q: String,
}

async fn search(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<UserSearchResponse>> {
    let query = q.q.trim();
    if query.is_empty() || query.chars().count() > 64 {
        return Err(ApiError::invalid("q must be 1 to 64 characters"));
    }
    let users = state.store.search_users(auth.user_id, query.to_owned(), 20).await?;
    Ok(Json(UserSearchResponse { users }))
}

async fn profile(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<UserId>,
) -> ApiResult<Json<UserProfile>> {
    // Someone who blocked the caller looks like no one.
    if id != auth.user_id && state.store.relation(auth.user_id, id).await?.blocked_by {
        return Err(ApiError::not_found("user"));
    }
    state.store.profiles(vec![id]).await?.pop().map(Json).ok_or_else(|| ApiError::not_found("user"))
}
