//! [`Assistant`]: the server's AI assistant, as one person uses it — their
//! conversation with it, and in a conversation it is in, stopping a reply,
//! asking again, starting a new topic. Its replies reach the timeline like
//! any message (streaming first: `Event::AssistantStream`).

use std::sync::Arc;

use ling_proto::info::AssistantInfo;
use ling_proto::{ConversationId, Seq};

use crate::error::ClientResult;
use crate::inner::Inner;

/// The cache setting that keeps the server's assistant for offline starts.
const ASSISTANT: &str = "assistant";

/// The assistant's actions ([`crate::Client::assistant`]).
#[derive(Clone)]
pub struct Assistant {
    inner: Arc<Inner>,
}

impl Assistant {
    pub(crate) fn new(inner: Arc<Inner>) -> Assistant {
        Assistant { inner }
    }

    /// The server's assistant, if it has one: as the server says now, or
    /// as it said last time when it cannot be asked (offline).
    pub async fn info(&self) -> ClientResult<Option<AssistantInfo>> {
        match self.inner.api().info().await {
            Ok(info) => {
                let assistant = info.assistant;
                let saved = assistant.clone();
                self.inner.db(move |c| c.set_setting(ASSISTANT, &saved)).await?;
                Ok(assistant)
            }
            Err(e) => {
                tracing::debug!(error = %e, "the server's info could not be read: the assistant as last seen");
                Ok(self.inner.db(|c| c.setting::<Option<AssistantInfo>>(ASSISTANT)).await?.flatten())
            }
        }
    }

    /// The account's conversation with the assistant (made on first use; the
    /// assistant joins the contacts through the server's `contacts_changed`),
    /// listed before this returns.
    pub async fn chat(&self) -> ClientResult<ConversationId> {
        let id = self.inner.api().assistant_chat().await?.conversation_id;
        // A new conversation has no message that would list it.
        if self.inner.db(move |c| c.conversation(id)).await?.is_none() {
            self.inner.refresh_conversations().await?;
        }
        Ok(id)
    }

    /// Stops the reply to `question` (what it wrote is kept).
    pub async fn stop(&self, conversation_id: ConversationId, question: Seq) -> ClientResult<()> {
        self.inner.api().assistant_stop(conversation_id, question).await
    }

    /// Asks again for a reply to the account's question `question`.
    pub async fn regenerate(&self, conversation_id: ConversationId, question: Seq) -> ClientResult<()> {
        self.inner.api().assistant_regenerate(conversation_id, question).await
    }

    /// Starts a new topic: the assistant reads nothing said before.
    pub async fn new_topic(&self, conversation_id: ConversationId) -> ClientResult<()> {
        let note = self.inner.api().assistant_new_topic(conversation_id).await?;
        self.inner.store_messages(vec![note]).await
    }
}
