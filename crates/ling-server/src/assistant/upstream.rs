//! The model's side of the wire: an OpenAI-compatible Chat Completions
//! request with `stream: true`, and what its server-sent events and status
//! codes mean. Pure; `mod.rs` does the I/O.

use ling_proto::ErrorCode;
use serde::{Deserialize, Serialize};

use super::context::ChatMessage;

/// The request body of `POST {endpoint}/chat/completions`.
#[derive(Debug, Serialize)]
pub struct CompletionRequest<'a> {
    /// The model's name.
    pub model: &'a str,
    /// What it reads.
    pub messages: &'a [ChatMessage],
    /// Always true: the reply comes as server-sent events.
    pub stream: bool,
}

/// The URL of the completions endpoint under `base` (with or without a trailing slash).
pub fn completions_url(base: &str) -> String {
    format!("{}/chat/completions", base.trim_end_matches('/'))
}

/// What one server-sent event said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// More of the reply (possibly empty: a role announcement, a keep-alive).
    Delta(String),
    /// The model finished (`finish_reason` set, or `[DONE]`).
    Done,
    /// An error object in the stream.
    Failed,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

/// Reads one event's `data`; `Err` when it is not a chunk of a completion.
/// A chunk that both adds text and finishes reads as its text: the stream's
/// `[DONE]` or its end says the rest.
pub fn parse_event(data: &str) -> Result<Vec<Event>, ()> {
    let data = data.trim();
    if data == "[DONE]" {
        return Ok(vec![Event::Done]);
    }
    let chunk: Chunk = serde_json::from_str(data).map_err(|_| ())?;
    if chunk.error.is_some() {
        return Ok(vec![Event::Failed]);
    }
    let mut out = Vec::new();
    for choice in chunk.choices.into_iter().take(1) {
        if let Some(text) = choice.delta.and_then(|d| d.content).filter(|t| !t.is_empty()) {
            out.push(Event::Delta(text));
        }
        if choice.finish_reason.is_some() {
            out.push(Event::Done);
        }
    }
    Ok(out)
}

/// What an answer's HTTP status means for the person.
pub fn status_code(status: u16) -> ErrorCode {
    match status {
        429 => ErrorCode::AssistantRateLimited,
        408 | 504 => ErrorCode::AssistantTimeout,
        _ => ErrorCode::AssistantUnavailable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_chunks_deltas_finish_and_done() {
        let chunk = r#"{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"你好"},"finish_reason":null}]}"#;
        assert_eq!(parse_event(chunk), Ok(vec![Event::Delta("你好".into())]));
        let role = r#"{"choices":[{"index":0,"delta":{"role":"assistant"}}]}"#;
        assert_eq!(parse_event(role), Ok(vec![]));
        let last = r#"{"choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"stop"}]}"#;
        assert_eq!(parse_event(last), Ok(vec![Event::Delta("!".into()), Event::Done]));
        assert_eq!(parse_event(" [DONE]"), Ok(vec![Event::Done]));
        // Usage-only chunks (OpenAI's stream_options) have no choices.
        assert_eq!(parse_event(r#"{"choices":[],"usage":{"total_tokens":3}}"#), Ok(vec![]));
    }

    #[test]
    fn test_errors_and_garbage() {
        assert_eq!(parse_event(r#"{"error":{"message":"overloaded"}}"#), Ok(vec![Event::Failed]));
        assert_eq!(parse_event("{not json"), Err(()));
        assert_eq!(parse_event(r#"{"choices":"nope"}"#), Err(()));
    }

    #[test]
    fn test_statuses_and_urls() {
        assert_eq!(status_code(429), ErrorCode::AssistantRateLimited);
        assert_eq!(status_code(500), ErrorCode::AssistantUnavailable);
        assert_eq!(status_code(401), ErrorCode::AssistantUnavailable);
        assert_eq!(status_code(504), ErrorCode::AssistantTimeout);
        assert_eq!(completions_url("http://h:1/v1/"), "http://h:1/v1/chat/completions");
        assert_eq!(completions_url("http://h:1/v1"), "http://h:1/v1/chat/completions");
    }
}
