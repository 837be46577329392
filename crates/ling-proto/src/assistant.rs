//! The server's AI assistant: `/v1/assistant/...` and the assistant routes of
//! a conversation. Its replies are `assistant` messages
//! ([`crate::messages::MessageContent::Assistant`]), streamed first as
//! `assistant_stream` frames ([`crate::ws::ServerFrame::AssistantStream`]).

use serde::{Deserialize, Serialize};

use crate::{ConversationId, Seq};

/// `POST /v1/assistant/chat`: the caller's one-to-one conversation with the
/// assistant (made on first use; no friend request needed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AssistantChat {
    /// The conversation.
    pub conversation_id: ConversationId,
}

/// `POST /v1/conversations/{id}/assistant/stop` and `.../regenerate`: which
/// question's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AssistantQuestion {
    /// The seq of the message the reply answers.
    pub question: Seq,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pin;
    use serde_json::json;

    #[test]
    fn test_assistant_request_shapes() {
        pin(&AssistantChat { conversation_id: 7 }, json!({ "conversation_id": 7 }));
        pin(&AssistantQuestion { question: 12 }, json!({ "question": 12 }));
    }
}
