//! `GET /v1/info` and `GET /healthz`: no login needed.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use ling_proto::PROTOCOL_VERSION;
use ling_proto::info::ServerInfo;

use crate::extract::Json;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/info", get(info)).route("/healthz", get(healthz))
}

async fn info(State(state): State<AppState>) -> Json<ServerInfo> {
    let c = &state.config;
    Json(ServerInfo {
        server: "ling".into(),
        name: c.name.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        protocol: PROTOCOL_VERSION,
        registration_open: !c.registration_closed,
        limits: c.limits(),
        ice_servers: c.ice(),
        assistant: state.assistant.as_ref().map(|a| a.info()),
    })
}

async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "connections": state.hub.connection_count() }))
}
