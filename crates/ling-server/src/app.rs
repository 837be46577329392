//! Assembles the router and runs the server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use ling_proto::ErrorCode;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

use crate::blobs::LocalBlobs;
use crate::config::{Config, Durability, MAX_BODY_BYTES};
use crate::error::ApiError;
use crate::hub::local::LocalHub;
use crate::routes;
use crate::state::{AppState, Shared};
use crate::store::sqlite::SqliteStore;
use crate::throttle::AuthThrottle;

/// The whole HTTP API over `state`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(routes::info::router())
        .merge(routes::accounts::router())
        .merge(routes::users::router())
        .merge(routes::contacts::router())
        .merge(routes::groups::router())
        .merge(routes::messages::router())
        .merge(routes::files::router())
        .merge(routes::ws::router())
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(ErrorCode::MethodNotAllowed, "that method is not allowed here")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES as usize))
        .layer(
            // Paths only: query strings may carry a WebSocket token.
            TraceLayer::new_for_http().make_span_with(
                |req: &Request<_>| tracing::info_span!("http", method = %req.method(), path = %req.uri().path()),
            ),
        )
        .with_state(state)
}

/// Opens the data directory, serves on `listener` until `shutdown` resolves,
/// then closes every connection and lets every acknowledged write reach disk.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data)?;
    let store = SqliteStore::open_with(&config.data.join("ling.db"), config.durability == Durability::Full)?;
    let blobs = LocalBlobs::open(&config.data.join("blobs"))?;
    let token = CancellationToken::new();
    let state = AppState::new(Shared {
        store: Arc::new(store.clone()),
        hub: Arc::new(LocalHub::new(config.ws_queue)),
        blobs: Arc::new(blobs),
        auth_throttle: AuthThrottle::per_minute(config.auth_attempts_per_minute),
        config: config.clone(),
        shutdown: token.clone(),
        calls: Default::default(),
    });
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let stop = {
        let token = token.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down");
            token.cancel();
        }
    };
    let addr = listener.local_addr()?;
    match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await?;
            let handle = axum_server::Handle::new();
            let on_stop = handle.clone();
            tokio::spawn(async move {
                stop.await;
                on_stop.graceful_shutdown(Some(Duration::from_secs(10)));
            });
            tracing::info!(%addr, "listening (https)");
            let std_listener = listener.into_std()?;
            axum_server::from_tcp_rustls(std_listener, tls)?.handle(handle).serve(service).await?;
        }
        _ => {
            tracing::info!(%addr, "listening (http)");
            axum::serve(listener, service).with_graceful_shutdown(stop).await?;
        }
    }
    token.cancel();
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}
