//! The send queue's uploads. A file message is listed at once, as
//! [`SendStatus::Uploading`](crate::cache::SendStatus), naming the file by
//! name and size; its file goes up in the background, one upload at a
//! time, oldest first; then the message names the server's file and joins
//! the outbox (the session sends it like any other). Progress is reported as
//! [`Event::UploadProgress`], each whole percent. A lost connection waits
//! and uploads again from the start; a refusal (the server's code, a file
//! that can no longer be read) fails the message, and a retry puts it back;
//! `SendQueue::discard` stops it. What is left at a restart is in the
//! cache (`uploads`), so it goes on from there.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ling_proto::ConversationId;
use ling_proto::messages::MessageContent;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;
use tracing::{debug, instrument, warn};

use crate::backoff::Backoff;
use crate::cache::NewUpload;
use crate::error::{ClientError, ClientResult, Code, is_transient};
use crate::events::{ConnectionState, Event};
use crate::files::{OnProgress, content_of, upload_file};
use crate::inner::Inner;

/// Where pasted bytes are kept until sent (see `SendQueue::stage_bytes`).
pub(crate) const OUTGOING: &str = "outgoing";

/// Where the upload task is told of new work, and where an upload in
/// flight can be stopped.
#[derive(Default)]
pub(crate) struct UploadQueue {
    kick: Notify,
    /// The upload in flight (its message's client id), to stop.
    current: Mutex<Option<(String, CancellationToken)>>,
}

impl UploadQueue {
    /// Something new to upload (a file sent, a failed one retried).
    pub(crate) fn kick(&self) {
        self.kick.notify_one();
    }

    /// Stops the upload of `client_msg_id`, if it is the one in flight.
    pub(crate) fn stop(&self, client_msg_id: &str) {
        let current = self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((id, token)) = current.as_ref()
            && id == client_msg_id
        {
            token.cancel();
        }
    }

    fn set_current(&self, current: Option<(String, CancellationToken)>) {
        *self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = current;
    }
}

/// What a failed upload means for its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterFailure {
    /// Not now (the network, the server restarting): upload again later.
    Later,
    /// Never as it is: the message fails with this code (retrying is the
    /// person's choice).
    Fail(Code),
    /// Stopped on purpose (discarded): nothing more to do.
    Stopped,
}

/// Decides what a failed upload means.
pub(crate) fn after_failure(error: &ClientError) -> AfterFailure {
    match error {
        ClientError::Cancelled => AfterFailure::Stopped,
        ClientError::Unreachable { .. } | ClientError::Tls { .. } | ClientError::LoggedOut => AfterFailure::Later,
        ClientError::Server { code, .. } if is_transient(*code) => AfterFailure::Later,
        e => AfterFailure::Fail(e.code()),
    }
}

/// Says when an upload's progress is worth telling: at the start, at each
/// whole percent, at the end.
#[derive(Debug, Default)]
pub(crate) struct ProgressGate {
    last: Option<u64>,
}

impl ProgressGate {
    /// Whether (`sent`, `total`) should be reported.
    pub(crate) fn pass(&mut self, sent: u64, total: u64) -> bool {
        let percent = sent.min(total).saturating_mul(100).checked_div(total).unwrap_or(100);
        if self.last == Some(percent) {
            return false;
        }
        self.last = Some(percent);
        true
    }
}

/// Uploads what the cache holds to upload, one at a time, until stopped.
#[instrument(skip_all)]
pub(crate) async fn upload_task(inner: Arc<Inner>, queue: Arc<UploadQueue>, stop: CancellationToken) {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    loop {
        let next = match inner.db(|c| c.next_upload()).await {
            Ok(next) => next,
            Err(e) => {
                warn!(error = %e, "could not read the uploads");
                None
            }
        };
        let Some((conversation_id, upload)) = next else {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = queue.kick.notified() => continue,
            }
        };
        let token = stop.child_token();
        queue.set_current(Some((upload.client_msg_id.clone(), token.clone())));
        let result = upload_one(&inner, conversation_id, &upload, &token).await;
        queue.set_current(None);
        if stop.is_cancelled() {
            return;
        }
        let error = match result {
            Ok(content) => {
                backoff.reset();
                if let Err(e) = finish(&inner, &upload, content).await {
                    warn!(error = %e, "could not queue an uploaded file's message");
                }
                continue;
            }
            Err(e) => e,
        };
        match after_failure(&error) {
            AfterFailure::Stopped => {}
            AfterFailure::Later => {
                let delay = backoff.next_delay();
                debug!(error = %error, ?delay, "an upload waits for the server");
                let mut state = inner.watch_state();
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                    _ = queue.kick.notified() => {}
                    _ = reconnected(&mut state) => {}
                }
            }
            AfterFailure::Fail(code) => {
                warn!(%code, error = %error, "an upload was refused");
                if let Err(e) = inner.fail_send(upload.client_msg_id.clone(), code).await {
                    warn!(error = %e, "could not mark a refused upload failed");
                }
            }
        }
    }
}

/// Returns once the session connects again: a change to `Connected` after
/// now (being connected already is not one, so a refusal while connected
/// waits out its backoff).
async fn reconnected(state: &mut watch::Receiver<ConnectionState>) {
    state.borrow_and_update();
    loop {
        if state.changed().await.is_err() {
            // The session is gone: never.
            return std::future::pending().await;
        }
        if *state.borrow_and_update() == ConnectionState::Connected {
            return;
        }
    }
}

/// Uploads one file, reporting progress; the message's content once up.
async fn upload_one(
    inner: &Arc<Inner>,
    conversation_id: ConversationId,
    upload: &NewUpload,
    token: &CancellationToken,
) -> ClientResult<MessageContent> {
    let gate = Mutex::new(ProgressGate::default());
    let (reporter, client_msg_id) = (Arc::downgrade(inner), upload.client_msg_id.clone());
    let progress: OnProgress = Arc::new(move |sent, total| {
        let pass = gate.lock().map(|mut g| g.pass(sent, total)).unwrap_or(false);
        if pass && let Some(inner) = reporter.upgrade() {
            inner.emit(Event::UploadProgress { conversation_id, client_msg_id: client_msg_id.clone(), sent, total });
        }
    });
    let info = upload_file(inner.api(), &upload.path, Some(progress), token).await?;
    let id = upload.client_msg_id.clone();
    let listed = inner.db(move |c| c.message_by_client_id(&id)).await?.map(|m| m.content);
    Ok(content_of(listed.as_ref(), &info))
}

/// The file is up: its message joins the outbox (unless it was discarded
/// meanwhile), and a staged copy goes.
async fn finish(inner: &Inner, upload: &NewUpload, content: MessageContent) -> ClientResult<()> {
    let id = upload.client_msg_id.clone();
    // A voice note one recorded goes into the file cache, to play back
    // without fetching it.
    if let MessageContent::Voice { file, .. } = &content
        && let Ok(dest) = crate::files::cache_path(inner.account_dir(), file)
        && let Some(dir) = dest.parent()
    {
        // Copied beside it first, so a file in the cache is always whole.
        let copy = dir.join(".voice-copy");
        let kept = tokio::fs::create_dir_all(dir).await.is_ok()
            && tokio::fs::copy(&upload.path, &copy).await.is_ok()
            && tokio::fs::rename(&copy, &dest).await.is_ok();
        debug!(kept, "a recorded voice note into the file cache");
    }
    let message = inner.db(move |c| c.finish_upload(&id, &content)).await?;
    remove_if_staged(inner.account_dir(), &upload.path).await;
    if let Some(message) = message {
        let conversation_id = message.conversation_id;
        inner.emit(Event::MessageUpdated { message });
        inner.emit(Event::ConversationUpdated { conversation_id });
        inner.outbox().again();
    }
    Ok(())
}

/// The directory made for a file staged in the account's `outgoing/` (a
/// copy staged with `SendQueue::stage_bytes`, a voice recording: one
/// directory each); `None` for a file from elsewhere, which is the person's.
pub(crate) fn staged_dir(account_dir: &Path, path: &Path) -> Option<PathBuf> {
    let outgoing = std::path::absolute(account_dir.join(OUTGOING)).ok()?;
    let path = std::path::absolute(path).ok()?;
    if path.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
        return None;
    }
    path.parent().filter(|d| d.parent() == Some(outgoing.as_path())).map(Path::to_path_buf)
}

/// Removes a file sent from the account's `outgoing/` and the directory
/// made for it ([`staged_dir`]); a file from elsewhere stays.
pub(crate) async fn remove_if_staged(account_dir: &Path, path: &Path) {
    let Some(dir) = staged_dir(account_dir, path) else { return };
    if let Err(e) = tokio::fs::remove_dir_all(&dir).await {
        debug!(error = %e, path = %path.display(), "a staged file was already gone");
    }
}

#[cfg(test)]
mod tests {
    use ling_proto::ErrorCode;

    use super::*;
    use crate::error::ClientCode;

    #[test]
    fn only_a_file_in_its_own_directory_in_outgoing_is_staged() {
        let account = Path::new("/data/acct");
        let staged = |p: &str| staged_dir(account, Path::new(p));
        assert_eq!(staged("/data/acct/outgoing/u1/note.ogg"), Some(PathBuf::from("/data/acct/outgoing/u1")));
        assert_eq!(staged("/home/me/photo.png"), None, "the person's own file");
        assert_eq!(staged("/data/acct/outgoing/note.ogg"), None, "not in a directory of its own");
        assert_eq!(staged("/data/acct/outgoing/u1/../../cache.db"), None);
        assert_eq!(staged("/data/acct/files/f1/note.ogg"), None);
    }

    #[test]
    fn progress_is_told_at_the_start_each_whole_percent_and_the_end() {
        let mut gate = ProgressGate::default();
        let told: Vec<u64> = (0..=1000).step_by(5).filter(|&sent| gate.pass(sent, 1000)).collect();
        assert_eq!(told.len(), 101, "0 % to 100 %: {told:?}");
        assert_eq!((told[0], told[1], *told.last().unwrap()), (0, 10, 1000));
        let mut gate = ProgressGate::default();
        assert!(gate.pass(0, 0), "an empty file is done at once");
        assert!(!gate.pass(0, 0));
        let mut gate = ProgressGate::default();
        assert!(gate.pass(7, 3) && !gate.pass(9, 3), "more than the size counts as done, once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_waits_for_a_new_connection_not_the_one_there_is() {
        let (tx, mut rx) = watch::channel(ConnectionState::Connected);
        let mut waiting = std::pin::pin!(reconnected(&mut rx));
        let quiet = tokio::time::timeout(Duration::from_secs(60), &mut waiting).await;
        assert!(quiet.is_err(), "connected already is not a reconnect");
        tx.send_replace(ConnectionState::Waiting { retry_in_ms: 500 });
        tx.send_replace(ConnectionState::Connecting);
        assert!(tokio::time::timeout(Duration::from_secs(1), &mut waiting).await.is_err());
        tx.send_replace(ConnectionState::Connected);
        tokio::time::timeout(Duration::from_secs(1), waiting).await.expect("connected again");
    }

    #[test]
    fn a_lost_connection_waits_and_a_refusal_fails_the_message() {
        let unreachable = ClientError::Unreachable { address: "http://x/".into(), detail: "refused".into() };
        assert_eq!(after_failure(&unreachable), AfterFailure::Later);
        let restarting = ClientError::Server { code: ErrorCode::ShuttingDown, message: String::new() };
        assert_eq!(after_failure(&restarting), AfterFailure::Later);
        let too_big = ClientError::Server { code: ErrorCode::FileTooLarge, message: String::new() };
        assert_eq!(after_failure(&too_big), AfterFailure::Fail(Code::Server(ErrorCode::FileTooLarge)));
        let gone = ClientError::FileUnreadable { path: "/tmp/x".into(), detail: "not found".into() };
        assert_eq!(after_failure(&gone), AfterFailure::Fail(Code::Client(ClientCode::FileUnreadable)));
        assert_eq!(after_failure(&ClientError::Cancelled), AfterFailure::Stopped);
    }
}
