//! [`Client`]: one logged-in account. Every read answers from the cache
//! first; writes go to the cache, then the server; the realtime session
//! (`session.rs`) and catch-up (`catch_up.rs`) keep the cache current and
//! report changes as [`Event`]s.

use std::path::Path;
use std::sync::Arc;

use ling_proto::users::Me;
use ling_proto::ws::{CallSignal, ClientFrame};
use ling_proto::{ConversationId, Millis, Seq, SessionId, UserId};
use tokio::sync::{Notify, broadcast, watch};
use tokio_util::sync::CancellationToken;
use tracing::{instrument, warn};

use crate::account::{CACHE_FILE, LoggedIn};
use crate::api::Api;
use crate::cache::{Cache, CachedMessage, ConversationSummary};
use crate::contacts::Contacts;
use crate::conversation_list::{ConversationListView, ListChange};
use crate::error::{ClientError, ClientResult};
use crate::events::{ConnectionState, Event};
use crate::groups::Groups;
use crate::inner::Inner;
use crate::send_queue::SendQueue;
use crate::timeline::{Change, LocalCalendar, Timeline, TimelineView};
use crate::uploads::UploadQueue;

/// How many events a slow listener may fall behind before it gets `Lagged`
/// (and should re-read what it shows from the cache).
const EVENT_BUFFER: usize = 4096;

/// Messages indexed for search per batch, between which writers get the cache.
const INDEX_BATCH: u32 = 500;

/// One logged-in account: its cache, its realtime session, its events.
/// Dropping it stops the session.
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    pub(crate) uploads: Arc<UploadQueue>,
    cancel: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// What an event means for the timeline of `conversation_id`.
fn timeline_change(conversation_id: ConversationId, event: Event) -> Option<Change> {
    match event {
        Event::MessageNew { message } | Event::MessageUpdated { message }
            if message.conversation_id == conversation_id =>
        {
            Some(Change::Upsert(Box::new(message)))
        }
        Event::MessageRecalled { conversation_id: c, seq } if c == conversation_id => Some(Change::Recall(seq)),
        Event::MessageRemoved { conversation_id: c, client_msg_id } if c == conversation_id => {
            Some(Change::Remove(client_msg_id))
        }
        Event::AssistantStream { conversation_id: c, user_id, question, offset, text } if c == conversation_id => {
            Some(Change::Stream { question, user: user_id, offset, text })
        }
        Event::ConversationsChanged => Some(Change::Reload),
        _ => None,
    }
}

/// What an event means for the conversation list.
fn list_change(event: &Event) -> Option<ListChange> {
    match event {
        Event::ConversationUpdated { conversation_id } => Some(ListChange::One(*conversation_id)),
        // Titles and avatars come from contacts, groups and profiles.
        Event::ConversationsChanged
        | Event::Synced
        | Event::ContactsChanged
        | Event::GroupChanged { .. }
        | Event::GroupRemoved { .. }
        | Event::ProfileChanged { .. } => Some(ListChange::All),
        _ => None,
    }
}

impl Client {
    /// Opens the account's cache (keeping the profile in it for offline
    /// starts) and starts its realtime session.
    pub async fn start(session: LoggedIn) -> ClientResult<Client> {
        let path = session.account_dir.join(CACHE_FILE);
        let me = session.me.clone();
        let cache = crate::account::blocking(move || {
            let mut cache = Cache::open(&path)?;
            cache.set_own_id(me.id)?;
            // For an offline start next time.
            cache.set_setting("me", &me)?;
            Ok(cache)
        })
        .await?;
        let (inner, control_rx) = Inner::new(session.api, session.me, session.account_dir, cache, EVENT_BUFFER);
        let cancel = CancellationToken::new();
        let uploads = Arc::new(UploadQueue::default());
        let tasks = vec![
            tokio::spawn(crate::session::session_task(inner.clone(), control_rx, cancel.clone())),
            tokio::spawn(index_task(Arc::downgrade(&inner), inner.index_kick().clone(), cancel.clone())),
            tokio::spawn(crate::uploads::upload_task(inner.clone(), uploads.clone(), cancel.clone())),
        ];
        inner.index_kick().notify_one();
        Ok(Client { inner, uploads, cancel, tasks })
    }

    /// Stops the session and waits for it to close the connection.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }

    /// Events from now on.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.inner.subscribe()
    }

    /// The realtime session's state now.
    pub fn state(&self) -> ConnectionState {
        self.inner.state()
    }

    /// Watches the realtime session's state.
    pub fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.inner.watch_state()
    }

    /// Skips the reconnect wait (say, the OS reports the network is back).
    pub fn reconnect_now(&self) {
        self.inner.reconnect_now().notify_one();
    }

    /// The logged-in account's profile.
    pub fn me(&self) -> Me {
        self.inner.me()
    }

    /// The server's API with this session's token, for what has no method here.
    pub fn api(&self) -> &Api {
        self.inner.api()
    }

    /// This account's directory.
    pub fn account_dir(&self) -> &Path {
        self.inner.account_dir()
    }

    /// The account's people: friends, friend groups, blocks, requests.
    pub fn contacts(&self) -> Contacts {
        Contacts::new(self.inner.clone())
    }

    /// The server's AI assistant, as this account uses it.
    pub fn assistant(&self) -> crate::assistant::Assistant {
        crate::assistant::Assistant::new(self.inner.clone())
    }

    /// The account's groups.
    pub fn groups(&self) -> Groups {
        Groups::new(self.inner.clone())
    }

    /// What the account sends: messages, files, retries.
    pub fn send_queue(&self) -> SendQueue {
        SendQueue::new(self.inner.clone(), self.uploads.clone())
    }

    // --- conversations and messages ---------------------------------------------

    /// The conversation list from the cache.
    pub async fn conversations(&self) -> ClientResult<Vec<ConversationSummary>> {
        self.inner.db(|c| c.conversations()).await
    }

    /// The conversation list, live: in list order now, every change as
    /// diffs (see [`crate::conversation_list`]).
    pub async fn conversation_list(&self) -> ClientResult<ConversationListView> {
        // Weak: an open view does not keep a stopped client alive.
        let inner = Arc::downgrade(&self.inner);
        let source: crate::conversation_list::Source = Arc::new(move |id| {
            let inner = inner.clone();
            Box::pin(async move {
                let inner = inner.upgrade().ok_or(ClientError::LoggedOut)?;
                match id {
                    Some(id) => inner.db(move |c| Ok(c.conversation(id)?.into_iter().collect())).await,
                    None => inner.db(|c| c.conversations()).await,
                }
            })
        });
        ConversationListView::start(self.inner.subscribe_view(), list_change, source).await
    }

    /// Unread messages outside muted conversations (the tray's count), from the cache.
    pub async fn unread_total(&self) -> ClientResult<u64> {
        self.inner.db(|c| c.unread_total()).await
    }

    /// One conversation of the list, from the cache.
    pub async fn conversation(&self, id: ConversationId) -> ClientResult<Option<ConversationSummary>> {
        self.inner.db(move |c| c.conversation(id)).await
    }

    /// OpenIM's `GetMessage`, from the cache.
    pub async fn get_message(
        &self,
        conversation_id: ConversationId,
        client_msg_id: &str,
    ) -> ClientResult<CachedMessage> {
        let id = client_msg_id.to_owned();
        self.inner.db(move |c| c.get_message(conversation_id, &id)).await
    }

    /// OpenIM's `GetMessageList`, from the cache.
    pub async fn get_message_list(
        &self,
        conversation_id: ConversationId,
        count: u32,
        start_time: Millis,
        is_reverse: bool,
    ) -> ClientResult<Vec<CachedMessage>> {
        self.inner.db(move |c| c.get_message_list(conversation_id, count, start_time, is_reverse)).await
    }

    /// History for scrolling back: up to `count` sent messages with seq below
    /// `before`, newest first; `None` asks for the newest page, which also
    /// starts with the messages not yet sent (sending or failed). Answered from the cache;
    /// where the cache has a hole, the page is fetched from the server first
    /// (and, offline, the cache's partial page is the answer).
    pub async fn history(
        &self,
        conversation_id: ConversationId,
        before: Option<Seq>,
        count: u32,
    ) -> ClientResult<Vec<CachedMessage>> {
        self.inner.history(conversation_id, before, count).await
    }

    /// The conversation's timeline, live: its newest page now, older pages
    /// on demand, every change as diffs (see [`crate::timeline`]). Messages
    /// from others past the read cursor are marked new.
    pub async fn timeline(&self, conversation_id: ConversationId) -> ClientResult<TimelineView> {
        let events = self.inner.subscribe_view();
        let read_seq = self.conversation(conversation_id).await?.map(|c| c.read_seq);
        let timeline = Timeline::new(self.me().id, read_seq, Arc::new(LocalCalendar));
        // Weak: an open view does not keep a stopped client alive.
        let inner = Arc::downgrade(&self.inner);
        let pages: crate::timeline::Pages = Arc::new(move |before, count| {
            let inner = inner.clone();
            Box::pin(async move {
                let inner = inner.upgrade().ok_or(ClientError::LoggedOut)?;
                inner.history(conversation_id, before, count).await
            })
        });
        TimelineView::start(conversation_id, timeline, events, timeline_change, pages).await
    }

    /// Full-text search of the cached history (text and file names).
    pub async fn search(
        &self,
        query: &str,
        conversation_id: Option<ConversationId>,
        limit: u32,
    ) -> ClientResult<Vec<CachedMessage>> {
        let q = query.to_owned();
        self.inner.db(move |c| c.search(&q, conversation_id, limit)).await
    }

    /// Messages written but not yet searchable (indexing trails by design).
    pub async fn search_backlog(&self) -> ClientResult<u64> {
        self.inner.db(|c| c.index_backlog()).await
    }

    /// Marks a conversation read up to `seq`: at once in the cache, then on
    /// the server (and on the account's other devices).
    pub async fn mark_read(&self, conversation_id: ConversationId, seq: Seq) -> ClientResult<()> {
        self.inner.read_up_to(conversation_id, seq).await?;
        self.inner.emit(Event::ConversationUpdated { conversation_id });
        Ok(())
    }

    /// Says which conversation the person reads live (`None`: none): its
    /// newest messages in view, the window focused. It is read up to its
    /// newest cached message now, and what arrives in it is read as it is
    /// stored, so its list row changes once and no round trip follows.
    pub async fn set_reading(&self, conversation_id: Option<ConversationId>) -> ClientResult<()> {
        self.inner.set_reading(conversation_id);
        let Some(id) = conversation_id else { return Ok(()) };
        let (newest, read) =
            self.inner.db(move |c| Ok((c.max_seq(id)?, c.conversation(id)?.map(|s| s.read_seq)))).await?;
        if read.is_some_and(|read| newest > read) {
            self.mark_read(id, newest).await?;
        }
        Ok(())
    }

    /// Tells the others this account is typing (send at most every 3 s).
    pub fn typing(&self, conversation_id: ConversationId) {
        let _ = self.inner.send_frame(ClientFrame::Typing { conversation_id });
    }

    /// Recalls one of the account's messages (within the server's window).
    pub async fn recall(&self, conversation_id: ConversationId, seq: Seq) -> ClientResult<()> {
        let notice = self.inner.api().recall(conversation_id, seq).await?;
        // Storing the notice recalls the cached message.
        self.inner.store_messages(vec![notice]).await
    }

    /// Edits one of the account's text messages: everyone's copy (and
    /// search) gets the new text, marked edited.
    pub async fn edit(&self, conversation_id: ConversationId, seq: Seq, text: &str) -> ClientResult<()> {
        let edit = self.inner.api().edit(conversation_id, seq, text).await?;
        // Storing the relation folds it into the cached message.
        self.inner.store_messages(vec![edit]).await
    }

    /// Adds (`on`) or takes back a reaction to a message.
    pub async fn react(&self, conversation_id: ConversationId, seq: Seq, emoji: &str, on: bool) -> ClientResult<()> {
        match self.inner.api().react(conversation_id, seq, emoji, on).await? {
            Some(reaction) => self.inner.store_messages(vec![reaction]).await,
            None => Ok(()),
        }
    }

    /// Deletes a message on this device only ("delete for me"): its row
    /// goes from the timeline, the list and search; others keep it.
    pub async fn delete_for_me(&self, conversation_id: ConversationId, seq: Seq) -> ClientResult<()> {
        if let Some(message) = self.inner.db(move |c| c.hide_message(conversation_id, seq)).await? {
            self.inner.emit(Event::MessageUpdated { message });
            self.inner.emit(Event::ConversationUpdated { conversation_id });
        }
        Ok(())
    }

    /// Pins or unpins a message in its conversation (for everyone in it).
    pub async fn pin_message(&self, conversation_id: ConversationId, seq: Seq, pinned: bool) -> ClientResult<()> {
        match self.inner.api().pin(conversation_id, seq, pinned).await? {
            // Storing the note moves the cached pins.
            Some(note) => self.inner.store_messages(vec![note]).await,
            None => Ok(()),
        }
    }

    /// Pins or unpins a conversation (local).
    pub async fn set_pinned(&self, conversation_id: ConversationId, pinned: bool) -> ClientResult<()> {
        self.inner.db(move |c| c.set_pinned(conversation_id, pinned)).await?;
        self.inner.emit(Event::ConversationUpdated { conversation_id });
        Ok(())
    }

    /// Mutes or unmutes a conversation (local).
    pub async fn set_muted(&self, conversation_id: ConversationId, muted: bool) -> ClientResult<()> {
        self.inner.db(move |c| c.set_muted(conversation_id, muted)).await?;
        self.inner.emit(Event::ConversationUpdated { conversation_id });
        Ok(())
    }

    /// Keeps a draft (local); the conversation list shows it.
    pub async fn set_draft(&self, conversation_id: ConversationId, draft: &str) -> ClientResult<()> {
        let d = draft.to_owned();
        self.inner.db(move |c| c.set_draft(conversation_id, &d)).await?;
        // Without this the list learnt of the draft only from the
        // conversation's next change (the flaky conversation_list test).
        self.inner.emit(Event::ConversationUpdated { conversation_id });
        Ok(())
    }

    /// Sends a call signal to `to_user` (or one of their devices).
    pub fn call_signal(
        &self,
        call_id: &str,
        conversation_id: ConversationId,
        to_user: UserId,
        to_device: Option<SessionId>,
        signal: CallSignal,
    ) -> ClientResult<()> {
        self.inner.send_call_frame(call_id, conversation_id, to_user, to_device, signal)
    }

    /// Starts placing and taking calls on this device, with the app's media.
    pub fn calls(
        &self,
        devices: Arc<dyn crate::calls::CallDevices>,
        bind_ip: std::net::IpAddr,
    ) -> Arc<crate::calls::Calls> {
        crate::calls::Calls::start(self.inner.clone(), devices, bind_ip)
    }

    /// Refetches everything the cache mirrors (what catch-up does after a connect).
    pub async fn refresh(&self) -> ClientResult<()> {
        crate::catch_up::catch_up(self.inner.clone()).await
    }

    /// The peer of a direct conversation with `user_id`, if they are a friend.
    pub async fn conversation_with(&self, user_id: UserId) -> ClientResult<Option<ConversationId>> {
        Ok(self.contacts().friends().await?.into_iter().find(|f| f.user.id == user_id).map(|f| f.conversation_id))
    }
}

/// Keeps the search index caught up with the message writes, in batches, in
/// the background (indexing costs several times a plain insert; catch-up
/// never waits for it).
#[instrument(skip_all)]
async fn index_task(inner: std::sync::Weak<Inner>, kick: Arc<Notify>, cancel: CancellationToken) {
    loop {
        let Some(strong) = inner.upgrade() else { return };
        let kicked = kick.notified();
        tokio::pin!(kicked);
        kicked.as_mut().enable();
        loop {
            match strong.db(|c| c.index_pending(INDEX_BATCH)).await {
                Ok(0) => break,
                Ok(_) => tokio::task::yield_now().await,
                Err(e) => {
                    warn!(error = %e, "search indexing failed");
                    break;
                }
            }
        }
        drop(strong);
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = kicked => {}
        }
    }
}
