//! `GET /v1/info`: what a client checks before it saves a server address.

use serde::{Deserialize, Serialize};

/// The server's self-description. Needs no login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ServerInfo {
    /// Always `"ling"`: how a client tells a Ling server from any other web server.
    pub server: String,
    /// The name its operator gave it ("ACME chat").
    pub name: String,
    /// The server's software version.
    pub version: String,
    /// The protocol version (see [`crate::PROTOCOL_VERSION`]).
    pub protocol: u32,
    /// Whether `POST /v1/auth/register` is open.
    pub registration_open: bool,
    /// The limits the server enforces.
    pub limits: Limits,
    /// STUN/TURN servers for calls.
    pub ice_servers: Vec<IceServer>,
    /// The server's AI assistant, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant: Option<AssistantInfo>,
}

/// The server's AI assistant: an account people chat with (`POST /v1/assistant/chat`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AssistantInfo {
    /// Its account.
    pub user_id: crate::UserId,
    /// The name its operator gave it; without one, clients name it in the person's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Limits the server enforces; exceeding one is answered with an error code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Limits {
    /// Characters (Unicode scalar values) in a text message.
    pub max_text_chars: u32,
    /// Bytes in an uploaded file.
    pub max_file_bytes: u64,
    /// Bytes in one WebSocket frame.
    pub max_frame_bytes: u32,
    /// Bytes in a JSON request body.
    pub max_body_bytes: u32,
    /// Members in a group.
    pub max_group_members: u32,
    /// How long after sending a message may be recalled.
    pub recall_window_secs: u32,
    /// Messages in one history page.
    pub max_page_size: u32,
    /// Pixels in an image (width × height); larger ones are plain files.
    #[serde(default)]
    pub max_image_pixels: u64,
    /// Pixels on an image's longer side.
    #[serde(default)]
    pub max_image_edge: u32,
}

/// One ICE server, as WebRTC's `RTCIceServer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IceServer {
    /// `stun:` or `turn:` URLs.
    pub urls: Vec<String>,
    /// For TURN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// For TURN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pin;
    use serde_json::json;

    #[test]
    fn test_server_info_shape() {
        pin(
            &ServerInfo {
                server: "ling".into(),
                name: "Ling".into(),
                version: "0.1.0".into(),
                protocol: 1,
                registration_open: true,
                limits: Limits {
                    max_text_chars: 8000,
                    max_file_bytes: 52_428_800,
                    max_frame_bytes: 65_536,
                    max_body_bytes: 262_144,
                    max_group_members: 500,
                    recall_window_secs: 120,
                    max_page_size: 200,
                    max_image_pixels: 40_000_000,
                    max_image_edge: 16_384,
                },
                ice_servers: vec![IceServer {
                    urls: vec!["stun:stun.example.org:3478".into()],
                    username: None,
                    credential: None,
                }],
                assistant: Some(AssistantInfo { user_id: 2, name: Some("Lingo".into()) }),
            },
            json!({
                "server": "ling", "name": "Ling", "version": "0.1.0", "protocol": 1,
                "registration_open": true,
                "limits": {
                    "max_text_chars": 8000, "max_file_bytes": 52_428_800, "max_frame_bytes": 65_536,
                    "max_body_bytes": 262_144, "max_group_members": 500, "recall_window_secs": 120,
                    "max_page_size": 200,
                    "max_image_pixels": 40_000_000,
                    "max_image_edge": 16_384
                },
                "ice_servers": [{"urls": ["stun:stun.example.org:3478"]}],
                "assistant": {"user_id": 2, "name": "Lingo"}
            }),
        );
    }
}
