//! [`SendQueue`]: what the account sends. A message is cached as `sending`
//! (a file as `uploading`) and listed at once; the session's outbox puts it
//! on the wire when connected, and again after every reconnect until the
//! server acknowledges it; a file goes up first (see [`crate::uploads`]).
//! What is queued survives a restart. A refusal fails the message with the
//! server's code; [`SendQueue::retry`] puts it back, [`SendQueue::discard`]
//! takes it away.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ling_proto::messages::{FileRef, LinkPreview, Mentions, MessageContent, VOICE_MAX_MS};
use ling_proto::{ConversationId, Seq};
use tracing::{debug, instrument};

use crate::cache::{CachedMessage, NewUpload};
use crate::error::{ClientError, ClientResult, unreadable};
use crate::events::Event;
use crate::files::{file_name, safe_name};
use crate::inner::{Inner, now_ms};
use crate::profile::create_private_dir;
use crate::uploads::{OUTGOING, UploadQueue, remove_if_staged};
use crate::voice::RecordedVoice;

/// The account's send queue ([`crate::Client::send_queue`]).
#[derive(Clone)]
pub struct SendQueue {
    inner: Arc<Inner>,
    uploads: Arc<UploadQueue>,
}

/// A text to send ([`SendQueue::send_text_with`]).
#[derive(Debug, Clone, Default)]
pub struct TextToSend {
    /// What it says.
    pub text: String,
    /// The message it answers.
    pub reply_to: Option<Seq>,
    /// Who it mentions.
    pub mentions: Mentions,
    /// What its first link leads to.
    pub preview: Option<LinkPreview>,
}

/// Messages, and chats, one forward may name.
pub const MAX_FORWARD: usize = 50;

impl SendQueue {
    pub(crate) fn new(inner: Arc<Inner>, uploads: Arc<UploadQueue>) -> SendQueue {
        SendQueue { inner, uploads }
    }

    /// Sends a message: cached as `sending` first, then put on the wire when
    /// connected (and again after every reconnect until acknowledged). A
    /// text clears the conversation's draft (it was what was typed).
    #[instrument(skip_all, fields(conversation_id))]
    pub async fn send(
        &self,
        conversation_id: ConversationId,
        content: MessageContent,
        reply_to: Option<Seq>,
    ) -> ClientResult<CachedMessage> {
        self.queue(conversation_id, content, reply_to, Mentions::default()).await
    }

    async fn queue(
        &self,
        conversation_id: ConversationId,
        content: MessageContent,
        reply_to: Option<Seq>,
        mentions: Mentions,
    ) -> ClientResult<CachedMessage> {
        if let MessageContent::Text { text, .. } = &content
            && text.trim().is_empty()
        {
            return Err(ClientError::InvalidInput("a message needs some text".into()));
        }
        let client_msg_id = uuid::Uuid::now_v7().to_string();
        let sender = self.inner.own_id();
        let message = self
            .inner
            .db(move |c| {
                // A text sent clears the draft in the same write.
                c.insert_pending_mentioning(
                    conversation_id,
                    &client_msg_id,
                    sender,
                    &content,
                    reply_to,
                    &mentions,
                    now_ms(),
                )?;
                c.get_message(conversation_id, &client_msg_id)
            })
            .await?;
        self.inner.emit(Event::MessageNew { message: message.clone() });
        self.inner.emit(Event::ConversationUpdated { conversation_id });
        self.inner.outbox().new_message();
        Ok(message)
    }

    /// Forwards sent messages (text, images, files: their files are not
    /// uploaded again) to each of `to`, in their order, marked forwarded.
    /// Anything else (a call record, a notice, a recalled message, one not
    /// sent yet) is refused before anything is queued.
    pub async fn forward(&self, messages: &[CachedMessage], to: &[ConversationId]) -> ClientResult<()> {
        if messages.is_empty() || to.is_empty() {
            return Err(ClientError::InvalidInput("choose messages and where to forward them".into()));
        }
        if messages.len() > MAX_FORWARD || to.len() > MAX_FORWARD {
            return Err(ClientError::InvalidInput(format!(
                "at most {MAX_FORWARD} messages to at most {MAX_FORWARD} chats at once"
            )));
        }
        let mut contents = Vec::with_capacity(messages.len());
        for m in messages {
            let forwardable = matches!(
                m.content,
                MessageContent::Text { .. }
                    | MessageContent::Image { .. }
                    | MessageContent::File { .. }
                    | MessageContent::Voice { .. }
            );
            if !forwardable || m.seq.is_none() || m.content.file().is_some_and(|f| f.id.is_empty()) {
                return Err(ClientError::InvalidInput("only sent texts, images and files can be forwarded".into()));
            }
            contents.push(m.content.clone());
        }
        let sender = self.inner.own_id();
        for &conversation_id in to {
            let batch: Vec<(String, MessageContent)> =
                contents.iter().map(|c| (uuid::Uuid::now_v7().to_string(), c.clone())).collect();
            let ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
            let queued = self
                .inner
                .db(move |c| {
                    c.insert_forwarded(conversation_id, sender, &batch, now_ms())?;
                    ids.iter().map(|id| c.get_message(conversation_id, id)).collect::<ClientResult<Vec<_>>>()
                })
                .await?;
            for message in queued {
                self.inner.emit(Event::MessageNew { message });
            }
            self.inner.emit(Event::ConversationUpdated { conversation_id });
        }
        self.inner.outbox().new_message();
        Ok(())
    }

    /// Sends a text with what may come with it: a reply, mentions (checked
    /// by the server: members only, `@all` for a group's owner and admins),
    /// a link preview (made with [`crate::Client::link_preview`]).
    pub async fn send_text_with(
        &self,
        conversation_id: ConversationId,
        text: TextToSend,
    ) -> ClientResult<CachedMessage> {
        let TextToSend { text, reply_to, mentions, preview } = text;
        self.queue(conversation_id, MessageContent::Text { text, preview }, reply_to, mentions).await
    }

    /// Sends text.
    pub async fn send_text(&self, conversation_id: ConversationId, text: &str) -> ClientResult<CachedMessage> {
        self.send(conversation_id, MessageContent::text(text.to_owned()), None).await
    }

    /// Puts a failed message back in the outbox.
    pub async fn retry(&self, client_msg_id: &str) -> ClientResult<()> {
        let id = client_msg_id.to_owned();
        let message = self
            .inner
            .db(move |c| {
                if !c.retry(&id)? {
                    return Err(ClientError::InvalidInput("only a failed message can be retried".into()));
                }
                c.message_by_client_id(&id)
            })
            .await?;
        if let Some(message) = message {
            self.inner.emit(Event::MessageUpdated { message });
        }
        // A failed upload uploads again; a failed send is sent again.
        self.uploads.kick();
        self.inner.outbox().again();
        Ok(())
    }

    /// Removes a message that was not sent: a failed one, or a file still
    /// uploading (its upload stops). One on its way cannot be taken back.
    pub async fn discard(&self, client_msg_id: &str) -> ClientResult<()> {
        let id = client_msg_id.to_owned();
        // Removed first: an upload that ends meanwhile finds nothing to send.
        let discarded = self.inner.db(move |c| c.discard_unsent(&id)).await?;
        self.uploads.stop(client_msg_id);
        if let Some(file) = &discarded.file {
            remove_if_staged(self.inner.account_dir(), file).await;
        }
        let conversation_id = discarded.conversation_id;
        self.inner.emit(Event::MessageRemoved { conversation_id, client_msg_id: client_msg_id.to_owned() });
        self.inner.emit(Event::ConversationUpdated { conversation_id });
        // The cache may give the newest row's number to the next message: the
        // outbox's next pass looks from the start rather than past it.
        self.inner.outbox().again();
        Ok(())
    }

    /// Sends a recorded voice note ([`crate::Client::record_voice`]): listed
    /// at once as uploading, like a file, and sent as a voice message once
    /// its file is up; the staged file goes then.
    pub async fn send_voice(
        &self,
        conversation_id: ConversationId,
        note: &RecordedVoice,
    ) -> ClientResult<CachedMessage> {
        let path = PathBuf::from(&note.path);
        let meta = tokio::fs::metadata(&path).await.map_err(unreadable(&path))?;
        if note.duration_ms == 0 || note.duration_ms > VOICE_MAX_MS {
            return Err(ClientError::InvalidInput("a voice note lasts up to five minutes".into()));
        }
        let file = FileRef { id: String::new(), name: file_name(&path)?, size: meta.len(), mime: "audio/opus".into() };
        let content = MessageContent::Voice { file, duration_ms: note.duration_ms, waveform: note.waveform.clone() };
        self.queue_upload(conversation_id, path, content).await
    }

    /// Lists `content` as uploading and hands its file to the upload task.
    async fn queue_upload(
        &self,
        conversation_id: ConversationId,
        path: PathBuf,
        content: MessageContent,
    ) -> ClientResult<CachedMessage> {
        let path = std::path::absolute(&path).map_err(unreadable(&path))?;
        let upload = NewUpload { client_msg_id: uuid::Uuid::now_v7().to_string(), path };
        let sender = self.inner.own_id();
        let message = self
            .inner
            .db(move |c| {
                c.insert_pending_upload(conversation_id, &upload, sender, &content, now_ms())?;
                c.get_message(conversation_id, &upload.client_msg_id)
            })
            .await?;
        debug!(client_msg_id = ?message.client_msg_id, "a file queued to upload");
        self.inner.emit(Event::MessageNew { message: message.clone() });
        self.inner.emit(Event::ConversationUpdated { conversation_id });
        self.uploads.kick();
        Ok(message)
    }

    /// Sends a file. Its message is listed at once, uploading (named by
    /// the file's name and size); the send queue uploads the file, with
    /// [`crate::Event::UploadProgress`], then sends it, as an image when the
    /// server read it as one, else as a file (see [`crate::uploads`]). It
    /// survives a restart; [`SendQueue::discard`] stops it. The file is read
    /// when its turn comes: until then it must stay where it is.
    pub async fn send_file(&self, conversation_id: ConversationId, path: &Path) -> ClientResult<CachedMessage> {
        let name = file_name(path)?;
        let meta = tokio::fs::metadata(path).await.map_err(unreadable(path))?;
        if !meta.is_file() {
            return Err(ClientError::InvalidInput(format!("{} is not a file", path.display())));
        }
        let content =
            MessageContent::File { file: FileRef { id: String::new(), name, size: meta.len(), mime: String::new() } };
        self.queue_upload(conversation_id, path.to_path_buf(), content).await
    }

    /// Keeps pasted or dropped bytes (an image from the clipboard) as a
    /// private file in the account's directory, to send with
    /// [`SendQueue::send_file`]; it is removed once sent or discarded.
    pub async fn stage_bytes(&self, name: &str, bytes: Vec<u8>) -> ClientResult<PathBuf> {
        let name = Path::new(name)
            .file_name()
            .map(|n| safe_name(&n.to_string_lossy()))
            .filter(|n| n != "file")
            .unwrap_or_else(|| "pasted.png".into());
        let dir = self.inner.account_dir().join(OUTGOING).join(uuid::Uuid::now_v7().to_string());
        let path = dir.join(name);
        crate::account::blocking(move || {
            create_private_dir(&dir)?;
            crate::private_file::write_private_atomic(&path, &bytes)?;
            Ok(path)
        })
        .await
    }
}
