//! Server configuration: every flag also reads from a `LING_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use ling_proto::info::{IceServer, Limits};

/// The Ling chat server.
#[derive(Debug, Clone, Parser)]
#[command(name = "ling-server", version, about = "The Ling chat server", long_about = None)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "LING_LISTEN", default_value = "127.0.0.1:7878")]
    pub listen: SocketAddr,

    /// Directory for the database and uploaded files; created if missing.
    #[arg(long, env = "LING_DATA", default_value = "./ling-data")]
    pub data: PathBuf,

    /// The server's name, shown to people when they add it in the app.
    #[arg(long, env = "LING_NAME", default_value = "Ling")]
    pub name: String,

    /// PEM certificate chain; with --tls-key, serve HTTPS/WSS.
    #[arg(long, env = "LING_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert.
    #[arg(long, env = "LING_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// When an acknowledged message is safe: `full` syncs every commit to disk (survives power loss);
    /// `normal` leaves syncing to checkpoints (survives a crash of the server, not of the machine).
    #[arg(long, env = "LING_DURABILITY", value_enum, default_value_t = Durability::Full)]
    pub durability: Durability,

    /// Refuse new accounts (existing ones keep working).
    #[arg(long, env = "LING_REGISTRATION_CLOSED")]
    pub registration_closed: bool,

    /// Largest upload, in bytes (default 50 MiB).
    #[arg(long, env = "LING_MAX_FILE_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_file_bytes: u64,

    /// Longest text message, in characters.
    #[arg(long, env = "LING_MAX_TEXT_CHARS", default_value_t = 8000)]
    pub max_text_chars: u32,

    /// Largest group.
    #[arg(long, env = "LING_MAX_GROUP_MEMBERS", default_value_t = 500)]
    pub max_group_members: u32,

    /// ICE servers for calls, comma-separated `stun:` / `turn:` URLs.
    #[arg(long, env = "LING_ICE_SERVERS", value_delimiter = ',')]
    pub ice_servers: Vec<String>,

    /// Username for the `turn:` servers.
    #[arg(long, env = "LING_TURN_USERNAME")]
    pub turn_username: Option<String>,

    /// Credential for the `turn:` servers.
    #[arg(long, env = "LING_TURN_CREDENTIAL")]
    pub turn_credential: Option<String>,

    /// Seconds between WebSocket pings; a connection silent for three times as long is closed.
    #[arg(long, env = "LING_HEARTBEAT_SECS", default_value_t = 20)]
    pub heartbeat_secs: u32,

    /// Seconds a call rings before it counts as missed.
    #[arg(long, env = "LING_RING_SECS", default_value_t = 45)]
    pub ring_secs: u32,

    /// Frames queued for one WebSocket before the client counts as too slow and is disconnected.
    #[arg(long, env = "LING_WS_QUEUE", default_value_t = 1024)]
    pub ws_queue: usize,

    /// Login and password-reset attempts allowed per account from one address per minute (then `rate_limited`).
    #[arg(long, env = "LING_AUTH_ATTEMPTS_PER_MINUTE", default_value_t = 10)]
    pub auth_attempts_per_minute: u32,

    /// Login and password-reset attempts allowed from one address per minute, whatever the account.
    #[arg(long, env = "LING_AUTH_ATTEMPTS_PER_ADDRESS_PER_MINUTE", default_value_t = 30)]
    pub auth_attempts_per_address_per_minute: u32,

    /// Failed logins an account takes per hour from addresses it never logged in from; past that,
    /// only addresses it did log in from may try its password (until the hour has passed).
    #[arg(long, env = "LING_AUTH_FAILURES_PER_ACCOUNT_PER_HOUR", default_value_t = 100)]
    pub auth_failures_per_account_per_hour: u32,

    /// New accounts one address may register per hour.
    #[arg(long, env = "LING_REGISTRATIONS_PER_HOUR", default_value_t = 10)]
    pub registrations_per_hour: u32,

    /// Live WebSocket connections one account may hold (`too_many_connections` past it).
    #[arg(long, env = "LING_MAX_CONNECTIONS_PER_ACCOUNT", default_value_t = 20)]
    pub max_connections_per_account: usize,

    /// TCP connections that have not yet made an authenticated request, at most (more wait to be accepted).
    #[arg(long, env = "LING_MAX_UNAUTHENTICATED_CONNECTIONS", default_value_t = 1024)]
    pub max_unauthenticated_connections: usize,

    /// Seconds a client has to send a request's headers (also how long an idle
    /// kept-alive connection stays open); then the connection is closed.
    #[arg(long, env = "LING_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a request body may go without sending a byte (then `408 request_timeout`);
    /// a JSON body must also be complete within this time.
    #[arg(long, env = "LING_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub body_timeout_secs: u64,

    /// Reverse proxies whose `X-Forwarded-For` names the client's address (comma-separated IPs).
    /// Requests from other peers are counted by their own address.
    #[arg(long, env = "LING_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// The assistant: the base URL of an OpenAI-compatible Chat Completions API (the part before
    /// `/chat/completions`, e.g. `https://api.openai.com/v1` or Ollama's `http://127.0.0.1:11434/v1`).
    /// Without it the server has no assistant. The API key comes from `LING_ASSISTANT_API_KEY` or
    /// `--assistant-api-key-file`, never from a flag's value.
    #[arg(long, env = "LING_ASSISTANT_ENDPOINT", requires = "assistant_model")]
    pub assistant_endpoint: Option<String>,

    /// The model the assistant asks (`gpt-4o-mini`, `qwen2.5:7b`...).
    #[arg(long, env = "LING_ASSISTANT_MODEL", requires = "assistant_endpoint")]
    pub assistant_model: Option<String>,

    /// The assistant's name as people see it; without it, each app names it in its own language.
    #[arg(long, env = "LING_ASSISTANT_NAME")]
    pub assistant_name: Option<String>,

    /// A file whose text is the model's system prompt (instructions before every conversation).
    #[arg(long, env = "LING_ASSISTANT_SYSTEM_PROMPT_FILE")]
    pub assistant_system_prompt_file: Option<PathBuf>,

    /// A file holding the API key (its first line), instead of `LING_ASSISTANT_API_KEY`.
    #[arg(long, env = "LING_ASSISTANT_API_KEY_FILE")]
    pub assistant_api_key_file: Option<PathBuf>,

    /// Seconds to connect to the model's server (then `assistant_unavailable`).
    #[arg(long, env = "LING_ASSISTANT_CONNECT_TIMEOUT_SECS", default_value_t = 10.0)]
    pub assistant_connect_timeout_secs: f64,

    /// Seconds from asking to the reply's first words (then `assistant_timeout`).
    #[arg(long, env = "LING_ASSISTANT_FIRST_TOKEN_TIMEOUT_SECS", default_value_t = 60.0)]
    pub assistant_first_token_timeout_secs: f64,

    /// Seconds a whole reply may take (then it ends with `assistant_timeout`, keeping its text).
    #[arg(long, env = "LING_ASSISTANT_REPLY_TIMEOUT_SECS", default_value_t = 300.0)]
    pub assistant_reply_timeout_secs: f64,

    /// How much of a conversation the assistant reads, in estimated tokens (see docs/server.md).
    #[arg(long, env = "LING_ASSISTANT_CONTEXT_TOKENS", default_value_t = 4000)]
    pub assistant_context_tokens: u32,

    /// Longest reply, in characters (at most `--max-text-chars`); a longer one is cut there.
    #[arg(long, env = "LING_ASSISTANT_MAX_REPLY_CHARS", default_value_t = 8000)]
    pub assistant_max_reply_chars: u32,

    /// Replies one person may have running at once (then `assistant_busy`).
    #[arg(long, env = "LING_ASSISTANT_REPLIES_PER_PERSON", default_value_t = 2)]
    pub assistant_replies_per_person: u32,

    /// Replies running at once on the whole server (then `assistant_busy`).
    #[arg(long, env = "LING_ASSISTANT_MAX_REPLIES", default_value_t = 256)]
    pub assistant_max_replies: u32,

    /// Questions one person may ask per minute (then `assistant_request_limit`).
    #[arg(long, env = "LING_ASSISTANT_REQUESTS_PER_MINUTE", default_value_t = 20)]
    pub assistant_requests_per_minute: u32,

    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `ling_server=debug`.
    #[arg(long, env = "LING_LOG", default_value = "info")]
    pub log: String,

    /// Log as JSON lines instead of text.
    #[arg(long, env = "LING_LOG_JSON")]
    pub log_json: bool,
}

/// How far a commit goes before the server acknowledges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Durability {
    /// fsync at every commit (SQLite `synchronous = FULL`).
    Full,
    /// fsync at checkpoints only (SQLite `synchronous = NORMAL` in WAL mode).
    Normal,
}

/// Largest WebSocket frame the protocol accepts; larger ones get `frame_too_large`.
pub const MAX_FRAME_BYTES: u32 = 64 * 1024;
/// Frames past this close the connection (1009) without being read.
pub const HARD_FRAME_BYTES: usize = 1024 * 1024;
/// Largest JSON request body.
pub const MAX_BODY_BYTES: u32 = 256 * 1024;
/// How long a message may be recalled.
pub const RECALL_WINDOW_SECS: u32 = 120;
/// Largest history page.
pub const MAX_PAGE_SIZE: u32 = 200;
/// Default history page.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// An upload counts as an image only if it decodes in full within these
/// caps (`routes/files.rs`); a header's claim is not enough (a 100-byte file
/// can claim 30000x30000 pixels, and every client that showed it would try to
/// decode gigabytes). 40 megapixels is a 8000x5000 photo; decoded as RGBA, 160 MB.
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;
/// Longest side of an image.
pub const MAX_IMAGE_EDGE: u32 = 16_384;

impl Config {
    /// Defaults with the given data directory, listening on an ephemeral
    /// loopback port: for tests. Every test client comes from 127.0.0.1, so the
    /// per-address limits on registering and logging in are lifted; a test of
    /// those limits sets them.
    pub fn for_data_dir(data: impl Into<PathBuf>) -> Self {
        let mut c = Config::parse_from(["ling-server", "--listen", "127.0.0.1:0"]);
        c.data = data.into();
        c.registrations_per_hour = 1_000_000;
        c.auth_attempts_per_address_per_minute = 1_000_000;
        c
    }

    /// The limits as `/v1/info` reports them.
    pub fn limits(&self) -> Limits {
        Limits {
            max_text_chars: self.max_text_chars,
            max_file_bytes: self.max_file_bytes,
            max_frame_bytes: MAX_FRAME_BYTES,
            max_body_bytes: MAX_BODY_BYTES,
            max_group_members: self.max_group_members,
            recall_window_secs: RECALL_WINDOW_SECS,
            max_page_size: MAX_PAGE_SIZE,
            max_image_pixels: MAX_IMAGE_PIXELS,
            max_image_edge: MAX_IMAGE_EDGE,
        }
    }

    /// The ICE servers as `/v1/info` reports them.
    pub fn ice(&self) -> Vec<IceServer> {
        let (stun, turn): (Vec<_>, Vec<_>) = self
            .ice_servers
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .partition(|s| s.starts_with("stun:"));
        let mut out = Vec::new();
        if !stun.is_empty() {
            out.push(IceServer { urls: stun, username: None, credential: None });
        }
        if !turn.is_empty() {
            out.push(IceServer {
                urls: turn,
                username: self.turn_username.clone(),
                credential: self.turn_credential.clone(),
            });
        }
        out
    }

    /// How long a request body may take (see `--body-timeout-secs`).
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs.max(1))
    }

    /// The WebSocket heartbeat interval.
    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs(u64::from(self.heartbeat_secs.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_flags_have_env_vars_and_defaults() {
        let c = Config::parse_from(["ling-server"]);
        assert_eq!(c.listen.to_string(), "127.0.0.1:7878");
        assert_eq!(c.max_file_bytes, 52_428_800);
        let help = <Config as clap::CommandFactory>::command().render_long_help().to_string();
        for var in
            ["LING_LISTEN", "LING_DATA", "LING_TLS_CERT", "LING_TLS_KEY", "LING_MAX_FILE_BYTES", "LING_ICE_SERVERS"]
        {
            assert!(help.contains(var), "--help does not mention {var}");
        }
    }

    #[test]
    fn test_ice_servers_split_into_stun_and_turn_with_credentials() {
        let c = Config::parse_from([
            "ling-server",
            "--ice-servers",
            "stun:a:3478, turn:b:3478",
            "--turn-username",
            "u",
            "--turn-credential",
            "p",
        ]);
        let ice = c.ice();
        assert_eq!(ice.len(), 2);
        assert_eq!(ice[0].urls, vec!["stun:a:3478"]);
        assert_eq!(ice[1].username.as_deref(), Some("u"));
    }

    #[test]
    fn test_tls_cert_requires_key() {
        assert!(Config::try_parse_from(["ling-server", "--tls-cert", "c.pem"]).is_err());
    }
}
