//! The accept loop: TCP (and TLS) connections served as HTTP/1.1 with
//! WebSocket upgrades, under limits a slow or hostile client cannot outwait.
//!
//! Why not `axum::serve` (2026-12): it gives hyper no timer, so a request
//! whose headers never finished stayed open indefinitely (an outside review
//! saw one open after 150 s), and it accepts as many connections as arrive.
//! Here:
//! - **Headers** must arrive within `--header-timeout-secs` (hyper's
//!   `header_read_timeout`, which also closes a kept-alive connection that
//!   sends no next request in that time). A TLS handshake gets the same time.
//! - **Bodies** are timed by their readers (`extract::Json`, uploads): see
//!   `--body-timeout-secs`.
//! - **Unauthenticated connections** are capped (`--max-unauthenticated-connections`):
//!   a connection holds a permit from accept until its first request with a
//!   valid token ([`ConnState::authenticated`]). With none left, new
//!   connections wait in the kernel's backlog instead of being served, so a
//!   flood of idle sockets cannot take the server's memory and descriptors,
//!   and each of them is closed by the header timeout.
//! - HTTP/1.1 only: what browsers, the app and reverse proxies use for the
//!   WebSocket, and one set of timeouts to reason about.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// How the accept loop treats connections.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Time for a request's headers (and a TLS handshake).
    pub header_timeout: Duration,
    /// Connections without an authenticated request, at most.
    pub max_unauthenticated: usize,
    /// How long shutdown waits for requests in progress.
    pub drain: Duration,
}

/// One connection's standing, in every request's extensions.
#[derive(Debug)]
pub struct ConnState {
    unauthenticated: Mutex<Option<OwnedSemaphorePermit>>,
}

impl ConnState {
    /// The connection made a request with a valid token: it no longer counts
    /// against the unauthenticated cap.
    pub fn authenticated(&self) {
        self.unauthenticated.lock().take();
    }

    /// Whether it still counts against the cap.
    pub fn is_unauthenticated(&self) -> bool {
        self.unauthenticated.lock().is_some()
    }
}

/// Serves `app` on `listener` until `shutdown` fires, then lets requests in
/// progress finish (up to `limits.drain`).
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    limits: ServeLimits,
    shutdown: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(limits.max_unauthenticated.max(1)));
    let tracker = TaskTracker::new();
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = shutdown.cancelled() => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or similar: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.cancelled() => break,
        };
        let _ = tcp.set_nodelay(true);
        let conn = Arc::new(ConnState { unauthenticated: Mutex::new(Some(permit)) });
        let (app, tls, shutdown) = (app.clone(), tls.clone(), shutdown.clone());
        tracker.spawn(async move {
            match tls {
                None => serve_connection(tcp, peer, conn, app, limits, shutdown).await,
                Some(acceptor) => match tokio::time::timeout(limits.header_timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => serve_connection(stream, peer, conn, app, limits, shutdown).await,
                    Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                },
            }
        });
    }
    tracker.close();
    if tokio::time::timeout(limits.drain, tracker.wait()).await.is_err() {
        tracing::warn!("requests still running at shutdown were cut off");
    }
}

async fn serve_connection<Io>(
    io: Io,
    peer: SocketAddr,
    conn: Arc<ConnState>,
    app: Router,
    limits: ServeLimits,
    shutdown: CancellationToken,
) where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(conn.clone());
        let app = app.clone();
        async move { Ok::<_, Infallible>(app.oneshot(req.map(axum::body::Body::new)).await.unwrap_or_else(|e| match e {})) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let connection = builder.serve_connection(TokioIo::new(io), service).with_upgrades();
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        }
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        }
    }
}
