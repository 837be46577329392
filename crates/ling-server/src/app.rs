//! Assembles the router and runs the server.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use ling_proto::ErrorCode;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

use crate::blobs::LocalBlobs;
use crate::config::{Config, Durability, MAX_BODY_BYTES};
use crate::error::ApiError;
use crate::hub::local::LocalHub;
use crate::hub::{Fanout, Hub};
use crate::routes;
use crate::serve::{ServeLimits, serve};
use crate::state::{AppState, Shared, now_ms};
use crate::store::sqlite::SqliteStore;
use crate::throttle::AuthThrottle;

/// TLS from PEM files: the certificate chain and its private key.
fn tls_acceptor(cert: &std::path::Path, key: &std::path::Path) -> anyhow::Result<TlsAcceptor> {
    use anyhow::Context;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("reading the certificate {}", cert.display()))?;
    let key =
        PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading the private key {}", key.display()))?;
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and key do not make a TLS configuration")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

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
        .merge(routes::assistant::router())
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
    let hub: Arc<dyn Hub> = Arc::new(LocalHub::new(config.ws_queue));
    let (assistant, questions) = match crate::assistant::Assistant::open(&config, &store, now_ms()).await? {
        Some((assistant, questions)) => (Some(Arc::new(assistant)), Some(questions)),
        None => (None, None),
    };
    let state = AppState::new(Shared {
        store: Arc::new(store.clone()),
        fanout: Fanout::start(hub.clone()),
        hub,
        blobs: Arc::new(blobs),
        auth_throttle: AuthThrottle::new(&config),
        typing_throttle: Default::default(),
        config: config.clone(),
        shutdown: token.clone(),
        calls: Default::default(),
        assistant,
    });
    routes::assistant::recover(&state).await?;
    if let Some(questions) = questions {
        tokio::spawn(routes::assistant::drive(state.clone(), questions));
    }
    let limits = ServeLimits {
        header_timeout: Duration::from_secs(config.header_timeout_secs.max(1)),
        max_unauthenticated: config.max_unauthenticated_connections,
        drain: Duration::from_secs(10),
    };
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls_acceptor(cert, key)?),
        _ => None,
    };
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening ({})", if tls.is_some() { "https" } else { "http" });
    let stopping = token.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        stopping.cancel();
    });
    serve(listener, tls, app(state), limits, token.clone()).await;
    token.cancel();
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}
