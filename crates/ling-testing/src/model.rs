//! A stand-in for an OpenAI-compatible Chat Completions server, for the
//! assistant's tests: real HTTP on 127.0.0.1:0, replies streamed as
//! server-sent events in chunks, or the failures a real one has (an error
//! status, silence, garbage, a stream cut in the middle). Each request takes
//! the next scripted [`Reply`] (then the default one) and is recorded.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};

/// How the stand-in answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// These pieces of text as chunks, `gap` apart; then, with `finish`, a
    /// `finish_reason` and `[DONE]`, without it the connection breaks.
    Stream { chunks: Vec<String>, gap: Duration, finish: bool },
    /// An error status with an OpenAI-style error body.
    Status(u16),
    /// The stream's headers, then nothing until the client gives up.
    Silent,
    /// One event whose data is not JSON.
    Garbage,
    /// `chunks` pieces `gap` apart, each the time it was sent (microseconds
    /// since the Unix epoch, then a space): what a server adds on the way
    /// shows at the far end. Then finished.
    Timed { chunks: usize, gap: Duration },
}

/// Microseconds since the Unix epoch, as [`Reply::Timed`] writes them.
pub fn now_micros() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

impl Reply {
    /// The pieces of text streamed at once and finished.
    pub fn text(chunks: &[&str]) -> Reply {
        Reply::Stream { chunks: chunks.iter().map(|c| c.to_string()).collect(), gap: Duration::ZERO, finish: true }
    }
}

/// A request the stand-in received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Its `Authorization` header.
    pub authorization: Option<String>,
    /// Its JSON body.
    pub body: serde_json::Value,
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
    /// What a request gets when nothing is scripted.
    otherwise: Mutex<Option<Reply>>,
}

/// The running stand-in (stops when dropped).
pub struct Model {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Model {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Model {
    /// Starts on a free port.
    pub async fn start() -> Model {
        let shared = Arc::new(Shared::default());
        let app = Router::new().route("/v1/chat/completions", post(complete)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the stand-in model");
        let addr = listener.local_addr().expect("its address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Model { addr, shared, task }
    }

    /// The base URL to give the server (`…/v1`).
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Answers the next request that comes with `reply`.
    pub fn then(&self, reply: Reply) {
        self.shared.script.lock().unwrap().push_back(reply);
    }

    /// Answers every request nothing is scripted for with `reply` (instead
    /// of a short greeting).
    pub fn otherwise(&self, reply: Reply) {
        *self.shared.otherwise.lock().unwrap() = Some(reply);
    }

    /// The requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }
}

/// One server-sent event carrying `data`.
fn event(data: &serde_json::Value) -> Bytes {
    Bytes::from(format!("data: {data}\n\n"))
}

fn chunk(text: &str, finish: Option<&str>) -> Bytes {
    event(&serde_json::json!({
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "model": "standin",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
    }))
}

async fn complete(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    shared.seen.lock().unwrap().push(Seen { authorization, body });
    let scripted = shared.script.lock().unwrap().pop_front();
    let reply = scripted
        .or_else(|| shared.otherwise.lock().unwrap().clone())
        .unwrap_or_else(|| Reply::text(&["Hello", ", world"]));
    let events: BoxStream<'static, Result<Bytes, std::io::Error>> = match reply {
        Reply::Status(code) => {
            let body =
                serde_json::json!({"error": {"message": "the stand-in says no", "type": "standin", "code": code}});
            return Response::builder()
                .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
        }
        Reply::Silent => stream::pending().boxed(),
        Reply::Garbage => stream::once(async { Ok(Bytes::from_static(b"data: {this is not json\n\n")) })
            .chain(stream::pending())
            .boxed(),
        Reply::Timed { chunks, gap } => {
            let pieces = stream::iter(0..chunks).then(move |_| async move {
                tokio::time::sleep(gap).await;
                Ok::<_, std::io::Error>(chunk(&format!("{} ", now_micros()), None))
            });
            let end = [Ok(chunk("", Some("stop"))), Ok(Bytes::from_static(b"data: [DONE]\n\n"))];
            pieces.chain(stream::iter(end)).boxed()
        }
        Reply::Stream { chunks, gap, finish } => {
            let pieces = stream::iter(chunks).then(move |text| async move {
                if !gap.is_zero() {
                    tokio::time::sleep(gap).await;
                }
                Ok::<_, std::io::Error>(chunk(&text, None))
            });
            if finish {
                let end = [Ok(chunk("", Some("stop"))), Ok(Bytes::from_static(b"data: [DONE]\n\n"))];
                pieces.chain(stream::iter(end)).boxed()
            } else {
                // What was sent reaches the client first (the server flushes
                // while the stream waits), then the connection breaks.
                let cut = stream::once(async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(std::io::Error::other("the stand-in cuts the stream"))
                });
                pieces.chain(cut).boxed()
            }
        }
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(events))
        .unwrap()
}
