//! The server's AI assistant: an account of its own that answers in the
//! conversations it is a member of, from any OpenAI-compatible Chat
//! Completions API (`--assistant-endpoint`).
//!
//! A question is a person's text message in a one-to-one conversation with
//! it, or one that mentions it in a group. Its reply streams to the members'
//! open connections as `assistant_stream` frames while the model writes, and
//! is then stored as one ordinary `assistant` message replying to the
//! question (what catch-up, search and the clients' caches already handle).
//! A reply that fails, is stopped or cut, keeps what was written and says why
//! in its `end` and `code`. Each reply is recorded as running in the store
//! until its message is, so one a restart cut short still gets its note.
//!
//! The decisions are pure and unit-tested: what the model reads
//! (`context`), what its events mean (`upstream`), how a reply grows and
//! ends (`reply`), who may ask now (`limits`). This module holds the
//! assistant as configured and its replies in progress; the I/O (asking the
//! model, streaming, storing) is `routes::assistant`'s, as the calls' rules
//! are `calls`' and their acts `routes::calls`'.

pub(crate) mod context;
pub(crate) mod limits;
pub(crate) mod reply;
pub(crate) mod upstream;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ling_proto::info::AssistantInfo;
use ling_proto::messages::{Message, MessageContent};
use ling_proto::{ConversationId, ErrorCode, Millis, Seq, UserId};
use parking_lot::Mutex;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::store::{NewUser, ProfileChange, Store};
use limits::Limits;

/// The assistant account's username: not one a person can register (it
/// starts with `_`), so no one can take it or log in as it.
pub const USERNAME: &str = "_assistant";
/// Its display name when the operator gave none (the apps show their own).
const DEFAULT_NAME: &str = "Assistant";
/// Names a group message may call it by besides its own (`@assistant`, `@助手`).
const ALWAYS_NAMES: [&str; 3] = ["assistant", "ai", "助手"];

/// An API key, never printed.
pub(crate) struct ApiKey(pub(crate) String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(..)")
    }
}

/// A reply in progress.
struct Running {
    asker: UserId,
    stop: CancellationToken,
}

/// A message that may be a question to the assistant, for
/// `routes::assistant` to answer.
#[derive(Debug)]
pub struct Heard {
    /// The message.
    pub message: Message,
    /// Whether it calls the assistant by name (what a group needs).
    pub mentioned: bool,
}

/// The assistant as configured, with its account.
pub struct Assistant {
    /// Its account.
    pub user_id: UserId,
    name: Option<String>,
    pub(crate) model: String,
    pub(crate) url: String,
    pub(crate) key: Option<ApiKey>,
    pub(crate) system_prompt: Option<String>,
    pub(crate) http: reqwest::Client,
    pub(crate) first_token: Duration,
    pub(crate) whole: Duration,
    pub(crate) context_tokens: u32,
    pub(crate) max_chars: u32,
    pub(crate) limits: Arc<Limits>,
    running: Mutex<HashMap<(ConversationId, Seq), Running>>,
    heard: mpsc::UnboundedSender<Heard>,
}

impl std::fmt::Debug for Assistant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assistant").field("user_id", &self.user_id).field("model", &self.model).finish_non_exhaustive()
    }
}

/// The API key: `LING_ASSISTANT_API_KEY`, else the first line of `--assistant-api-key-file`.
fn api_key(config: &Config) -> anyhow::Result<Option<ApiKey>> {
    if let Ok(key) = std::env::var("LING_ASSISTANT_API_KEY")
        && !key.trim().is_empty()
    {
        return Ok(Some(ApiKey(key.trim().to_owned())));
    }
    let Some(path) = &config.assistant_api_key_file else { return Ok(None) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading the assistant's API key file {}: {e}", path.display()))?;
    let key = text.lines().next().unwrap_or("").trim().to_owned();
    anyhow::ensure!(!key.is_empty(), "the assistant's API key file {} is empty", path.display());
    Ok(Some(ApiKey(key)))
}

fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.001)).unwrap_or(Duration::from_secs(1))
}

impl Assistant {
    /// The assistant `config` asks for, its account made (or renamed) in
    /// `store`, and where the questions it hears arrive; `None` without
    /// `--assistant-endpoint`.
    pub async fn open(
        config: &Config,
        store: &dyn Store,
        now: Millis,
    ) -> anyhow::Result<Option<(Assistant, mpsc::UnboundedReceiver<Heard>)>> {
        let (Some(endpoint), Some(model)) = (&config.assistant_endpoint, &config.assistant_model) else {
            return Ok(None);
        };
        let url = reqwest::Url::parse(endpoint)
            .map_err(|e| anyhow::anyhow!("--assistant-endpoint {endpoint:?} is not a URL: {e}"))?;
        anyhow::ensure!(
            matches!(url.scheme(), "http" | "https"),
            "--assistant-endpoint must be an http:// or https:// URL"
        );
        let system_prompt = match &config.assistant_system_prompt_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("reading the assistant's system prompt {}: {e}", path.display()))?,
            ),
            None => None,
        };
        let name = config.assistant_name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        if let Some(n) = &name {
            crate::validate::name("--assistant-name", n, 64).map_err(|e| anyhow::anyhow!("{}", e.message))?;
        }
        let user_id = account(store, name.as_deref().unwrap_or(DEFAULT_NAME), now).await?;
        let http = reqwest::Client::builder()
            .connect_timeout(secs(config.assistant_connect_timeout_secs))
            .user_agent(concat!("ling-server/", env!("CARGO_PKG_VERSION")))
            .build()?;
        tracing::info!(user_id, model = %model, endpoint = %url, "assistant on");
        let (heard, questions) = mpsc::unbounded_channel();
        let assistant = Assistant {
            user_id,
            name,
            model: model.clone(),
            url: upstream::completions_url(url.as_str()),
            key: api_key(config)?,
            system_prompt,
            http,
            first_token: secs(config.assistant_first_token_timeout_secs),
            whole: secs(config.assistant_reply_timeout_secs),
            context_tokens: config.assistant_context_tokens.max(1),
            max_chars: config.assistant_max_reply_chars.clamp(1, config.max_text_chars),
            limits: Arc::new(Limits::new(
                config.assistant_replies_per_person,
                config.assistant_max_replies,
                config.assistant_requests_per_minute,
            )),
            running: Mutex::default(),
            heard,
        };
        Ok(Some((assistant, questions)))
    }

    /// What `/v1/info` says of it.
    pub fn info(&self) -> AssistantInfo {
        AssistantInfo { user_id: self.user_id, name: self.name.clone() }
    }

    /// Whether `text`, in a group, is a question to it.
    fn called_in(&self, text: &str) -> bool {
        let mut names: Vec<&str> = ALWAYS_NAMES.to_vec();
        if let Some(n) = &self.name {
            names.push(n);
        }
        context::mentions(text, &names)
    }

    /// A message was stored in a conversation with `members`: a person's
    /// text where the assistant is a member goes on to be answered (or not:
    /// in a group, only when it mentions the assistant).
    pub fn heard(&self, message: &Message, members: &[UserId]) {
        if message.sender_id == self.user_id || !members.contains(&self.user_id) {
            return;
        }
        let MessageContent::Text { text, .. } = &message.content else { return };
        let mentioned = self.called_in(text);
        let _ = self.heard.send(Heard { message: message.clone(), mentioned });
    }

    /// Records a reply to `question` as being written (by `asker`'s
    /// question); the token that stops it.
    pub(crate) fn writing(&self, conversation: ConversationId, question: Seq, asker: UserId) -> CancellationToken {
        let stop = CancellationToken::new();
        self.running.lock().insert((conversation, question), Running { asker, stop: stop.clone() });
        stop
    }

    /// The reply to `question` is written.
    pub(crate) fn written(&self, conversation: ConversationId, question: Seq) {
        self.running.lock().remove(&(conversation, question));
    }

    /// Whether a reply to `question` is being written.
    pub(crate) fn is_writing(&self, conversation: ConversationId, question: Seq) -> bool {
        self.running.lock().contains_key(&(conversation, question))
    }

    /// Stops the reply to `question`, keeping what it wrote: only who asked may.
    pub fn stop(&self, user: UserId, conversation: ConversationId, question: Seq) -> ApiResult<()> {
        let running = self.running.lock();
        let r = running.get(&(conversation, question)).ok_or_else(|| ApiError::not_found("reply in progress"))?;
        if r.asker != user {
            return Err(ApiError::new(ErrorCode::NotOwnMessage, "only who asked may stop the reply"));
        }
        r.stop.cancel();
        Ok(())
    }
}

/// The assistant's account: made with secrets no one knows the first time,
/// its display name kept as configured.
async fn account(store: &dyn Store, display_name: &str, now: Millis) -> anyhow::Result<UserId> {
    if let Some((id, _, _)) = store.credentials_by_username(USERNAME).await? {
        if store.me(id).await?.display_name != display_name {
            let change = ProfileChange { display_name: Some(display_name.to_owned()), ..Default::default() };
            store.update_profile(id, change).await?;
        }
        return Ok(id);
    }
    // A fresh session token's 256 random bits, hashed and forgotten.
    let unknowable = || crate::credentials::hash_secret(crate::credentials::new_token().0);
    let me = store
        .create_user(NewUser {
            username: USERNAME.into(),
            display_name: display_name.into(),
            password_hash: unknowable().await.map_err(|e| anyhow::anyhow!("{}", e.message))?,
            recovery_hash: unknowable().await.map_err(|e| anyhow::anyhow!("{}", e.message))?,
            now,
        })
        .await?;
    Ok(me.id)
}
