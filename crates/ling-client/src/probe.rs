//! Checking a server address before saving it: `GET /v1/info`, with errors a
//! person can act on.

use std::time::Duration;

use ling_proto::PROTOCOL_VERSION;
use ling_proto::info::ServerInfo;
use url::Url;

use crate::address::{candidates, endpoint};
use crate::api::transport_error;
use crate::error::{ClientError, ClientResult};

/// A server that answered as a Ling server.
#[derive(Debug, Clone)]
pub struct ProbedServer {
    /// The base URL that worked (the one to save).
    pub base: Url,
    /// What it said about itself.
    pub info: ServerInfo,
}

/// How long a probe waits for an answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(8);

/// Tries each URL `input` may mean, in order, and returns the first Ling
/// server that answers. When none does, the most telling error wins: an
/// answer from something that is not a Ling server (or the wrong version)
/// over a TLS failure over no answer at all.
pub async fn probe(input: &str, allow_insecure: bool) -> ClientResult<ProbedServer> {
    let http = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .connect_timeout(Duration::from_secs(4))
        .build()
        .map_err(|e| ClientError::Unreachable { address: input.to_owned(), detail: e.to_string() })?;
    let mut best: Option<ClientError> = None;
    for base in candidates(input, allow_insecure)? {
        match probe_one(&http, &base).await {
            Ok(info) => return Ok(ProbedServer { base, info }),
            Err(ClientError::Tls { address, detail, fingerprint: None }) => {
                let fingerprint = crate::tls::peer_fingerprint(&base).await;
                let e = ClientError::Tls { address, detail, fingerprint };
                if best.as_ref().is_none_or(|b| rank(&e) > rank(b)) {
                    best = Some(e);
                }
            }
            Err(e) => {
                if best.as_ref().is_none_or(|b| rank(&e) > rank(b)) {
                    best = Some(e);
                }
            }
        }
    }
    Err(best
        .unwrap_or_else(|| ClientError::Unreachable { address: input.to_owned(), detail: "no address to try".into() }))
}

/// How much an error tells the person (higher is more).
fn rank(e: &ClientError) -> u8 {
    match e {
        ClientError::IncompatibleVersion { .. } => 4,
        ClientError::NotALingServer { .. } => 3,
        ClientError::Tls { .. } => 2,
        _ => 1,
    }
}

async fn probe_one(http: &reqwest::Client, base: &Url) -> ClientResult<ServerInfo> {
    let address = base.to_string();
    let resp = http.get(endpoint(base, "/v1/info")).send().await.map_err(|e| transport_error(&address, &e))?;
    let not_ling = || ClientError::NotALingServer { address: address.clone() };
    if !resp.status().is_success() {
        return Err(not_ling());
    }
    let body = resp.bytes().await.map_err(|e| transport_error(&address, &e))?;
    let info: ServerInfo = serde_json::from_slice(&body).map_err(|_| not_ling())?;
    if info.server != "ling" {
        return Err(not_ling());
    }
    if info.protocol != PROTOCOL_VERSION {
        return Err(ClientError::IncompatibleVersion { server: info.protocol, client: PROTOCOL_VERSION });
    }
    Ok(info)
}
