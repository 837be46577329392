//! [`Inner`]: what one account's client shares between its parts (the
//! cache, the server's API, the event stream, the session's control
//! channel), and the operations they all use on it: reading history with
//! holes filled, storing what the server sent, sending frames. The parts
//! that drive it (`session`, `catch_up`, `calls`, `Client`) sit above it;
//! it knows none of them.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use ling_proto::messages::{HistoryQuery, Message, MessageContent, SystemEvent};
use ling_proto::users::Me;
use ling_proto::ws::{CallSignal, ClientFrame};
use ling_proto::{ConversationId, GroupId, Millis, Seq, SessionId, UserId};
use tokio::sync::{Notify, broadcast, mpsc, watch};

use crate::api::Api;
use crate::cache::{Cache, CachedMessage, SeqBound};
use crate::call_signals::CallInbox;
use crate::error::{ClientError, ClientResult, Code};
use crate::events::{ConnectionState, Event};
use crate::rows::{Folding, ViewEvents};
use crate::sync::page_is_complete;

/// Wakes the session's outbox pass. A pass sends the messages written after
/// the last one it sent on its connection (a new message is the newest row);
/// a message written earlier that is due again (a retry, a finished upload,
/// a transient refusal) makes the next pass look from the start.
#[derive(Default)]
pub(crate) struct OutboxKick {
    notify: Notify,
    from_start: AtomicBool,
}

impl OutboxKick {
    /// A new message was written.
    pub(crate) fn new_message(&self) {
        self.notify.notify_one();
    }

    /// A message written earlier is due again.
    pub(crate) fn again(&self) {
        self.from_start.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// Resolves at the next kick (or at once for one not yet waited for).
    pub(crate) async fn notified(&self) {
        self.notify.notified().await
    }

    /// Whether the next pass must look from the start; forgets it.
    pub(crate) fn take_from_start(&self) -> bool {
        self.from_start.swap(false, Ordering::SeqCst)
    }
}

/// The shared state of one account's client.
pub(crate) struct Inner {
    api: Api,
    me: RwLock<Me>,
    account_dir: PathBuf,
    cache: Arc<Mutex<Cache>>,
    events: broadcast::Sender<Event>,
    state: watch::Sender<ConnectionState>,
    control: mpsc::UnboundedSender<ClientFrame>,
    /// Wakes the session's outbox pass.
    outbox_kick: OutboxKick,
    /// Poked to skip the backoff wait (the network came back).
    reconnect_now: Notify,
    /// Poked when messages were written (search indexing follows).
    index_kick: Arc<Notify>,
    /// Where the session hands call signals (the calls' task).
    call_inbox: CallInbox,
    /// Marked each time the account's preferences are stored (a call in
    /// progress follows its sound settings).
    prefs_stored: watch::Sender<()>,
    /// Events emitted so far (held while one is sent, so that a view
    /// subscribing knows where it starts).
    emitted: Arc<Mutex<u64>>,
    /// The conversation the person is reading live (its newest messages in
    /// view): what arrives in it is read as it is stored.
    reading: Mutex<Option<ConversationId>>,
}

impl Inner {
    /// The shared state over `cache`, with an event stream of `event_buffer`
    /// and the receiving end of the session's control channel.
    pub(crate) fn new(
        api: Api,
        me: Me,
        account_dir: PathBuf,
        cache: Cache,
        event_buffer: usize,
    ) -> (Arc<Inner>, mpsc::UnboundedReceiver<ClientFrame>) {
        let (control, control_rx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            api,
            me: RwLock::new(me),
            account_dir,
            cache: Arc::new(Mutex::new(cache)),
            events: broadcast::channel(event_buffer).0,
            state: watch::channel(ConnectionState::Offline).0,
            control,
            outbox_kick: OutboxKick::default(),
            reconnect_now: Notify::new(),
            index_kick: Arc::new(Notify::new()),
            call_inbox: CallInbox::default(),
            prefs_stored: watch::channel(()).0,
            emitted: Arc::new(Mutex::new(0)),
            reading: Mutex::new(None),
        });
        (inner, control_rx)
    }

    /// The server's HTTP API, as this account.
    pub(crate) fn api(&self) -> &Api {
        &self.api
    }

    /// The account's own profile, as last known.
    pub(crate) fn me(&self) -> Me {
        self.me.read().map(|m| m.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// The account's directory (its cache, files, staged uploads).
    pub(crate) fn account_dir(&self) -> &std::path::Path {
        &self.account_dir
    }

    /// Wakes the session's outbox pass.
    pub(crate) fn outbox(&self) -> &OutboxKick {
        &self.outbox_kick
    }

    /// Poked to skip the backoff wait (the network came back).
    pub(crate) fn reconnect_now(&self) -> &Notify {
        &self.reconnect_now
    }

    /// Where the session hands call signals (the calls' task).
    pub(crate) fn call_inbox(&self) -> &CallInbox {
        &self.call_inbox
    }

    /// The realtime session's state now.
    pub(crate) fn state(&self) -> ConnectionState {
        *self.state.borrow()
    }

    /// Watches the realtime session's state.
    pub(crate) fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.state.subscribe()
    }

    /// The conversation read live, if any.
    pub(crate) fn reading(&self) -> Option<ConversationId> {
        *self.reading.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn set_reading(&self, conversation_id: Option<ConversationId>) {
        *self.reading.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = conversation_id;
    }

    /// Moves this account's read cursor: at once in the cache, then on the
    /// server (and on the account's other devices).
    pub(crate) async fn read_up_to(&self, conversation_id: ConversationId, seq: Seq) -> ClientResult<()> {
        let me = self.own_id();
        self.db(move |c| c.apply_read(conversation_id, me, seq)).await?;
        // Offline, catch-up sends the cursor after the next connect.
        let _ = self.send_frame(ClientFrame::Read { conversation_id, seq });
        Ok(())
    }

    /// Poked when messages were written (search indexing follows).
    pub(crate) fn index_kick(&self) -> &Arc<Notify> {
        &self.index_kick
    }

    /// History for scrolling back: up to `count` sent messages with seq below
    /// `before`, newest first; `None` asks for the newest page, which also
    /// starts with the messages not yet sent (sending or failed). Answered from the cache;
    /// where the cache has a hole, the page is fetched from the server first
    /// (and, offline, the cache's partial page is the answer).
    pub(crate) async fn history(
        &self,
        conversation_id: ConversationId,
        before: Option<Seq>,
        count: u32,
    ) -> ClientResult<Vec<CachedMessage>> {
        let count = count.clamp(1, 200);
        let read = move |c: &mut Cache| {
            let (bound, mut page) = match before {
                Some(b) => (b, Vec::new()),
                None => (c.newest_seq(conversation_id)? + 1, c.unsent(conversation_id)?),
            };
            page.extend(c.get_messages_by_seq(conversation_id, count, SeqBound::Before(bound))?);
            Ok((bound, page))
        };
        let (before, cached) = self.db(read).await?;
        let seqs: Vec<Seq> = cached.iter().filter_map(|m| m.seq).collect();
        if page_is_complete(before, count, &seqs) {
            return Ok(cached);
        }
        let query = HistoryQuery { before_seq: Some(before), limit: Some(count), ..Default::default() };
        match self.api.history(conversation_id, &query).await {
            Ok(page) => {
                self.store_messages(page.messages).await?;
                Ok(self.db(read).await?.1)
            }
            Err(e @ (ClientError::Unreachable { .. } | ClientError::Tls { .. })) => {
                tracing::debug!(error = %e, "offline: the cached part of the page");
                Ok(cached)
            }
            Err(e) => Err(e),
        }
    }

    /// Runs `f` on the cache off the async threads.
    pub(crate) async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Cache) -> ClientResult<T> + Send + 'static,
    ) -> ClientResult<T> {
        let cache = self.cache.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = cache.lock().map_err(|_| ClientError::Storage("the cache lock is poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| ClientError::Storage(format!("a cache task failed: {e}")))?
    }

    pub(crate) fn emit(&self, event: Event) {
        let mut emitted = self.emitted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *emitted += 1;
        // No listener is fine.
        let _ = self.events.send(event);
    }

    pub(crate) fn set_state(&self, state: ConnectionState) {
        if *self.state.borrow() != state {
            self.state.send_replace(state);
            self.emit(Event::Connection { state });
        }
    }

    pub(crate) fn own_id(&self) -> UserId {
        self.me.read().map(|m| m.id).unwrap_or_default()
    }

    /// Stores messages from the server and reports what changed.
    pub(crate) async fn store_messages(&self, messages: Vec<Message>) -> ClientResult<()> {
        if messages.is_empty() {
            return Ok(());
        }
        // What the cache now holds for each is the server's copy: no re-read.
        let done = self.db(move |c| c.upsert_messages(&messages)).await?;
        // A recall notice seen for the first time, live or in a catch-up,
        // recalls the cached message it names.
        let notices: Vec<(ConversationId, Seq)> = done
            .new
            .iter()
            .filter_map(|m| match m.content {
                MessageContent::System { event: SystemEvent::MessageRecalled { seq, .. } } => {
                    Some((m.conversation_id, seq))
                }
                _ => None,
            })
            .collect();
        let recalled = if notices.is_empty() {
            Vec::new()
        } else {
            self.db(move |c| {
                let mut changed = Vec::new();
                for (conversation_id, seq) in notices {
                    if c.mark_recalled(conversation_id, seq)? {
                        changed.push((conversation_id, seq));
                    }
                }
                Ok(changed)
            })
            .await?
        };
        for (conversation_id, seq) in recalled {
            self.emit(Event::MessageRecalled { conversation_id, seq });
        }
        // What arrives in the conversation read live is read before anyone
        // hears of it: its list row changes once.
        let me = self.own_id();
        let reading = self.reading();
        let arrived = done.new.iter().filter(|m| Some(m.conversation_id) == reading && m.sender_id != me);
        if let (Some(conversation_id), Some(seq)) = (reading, arrived.map(|m| m.seq).max()) {
            self.read_up_to(conversation_id, seq).await?;
        }
        let mut conversations: Vec<ConversationId> = Vec::new();
        for m in done.new {
            conversations.push(m.conversation_id);
            self.emit(Event::MessageNew { message: m.into() });
        }
        for m in done.updated {
            conversations.push(m.conversation_id);
            self.emit(Event::MessageUpdated { message: m.into() });
        }
        conversations.sort_unstable();
        conversations.dedup();
        for conversation_id in conversations {
            self.emit(Event::ConversationUpdated { conversation_id });
        }
        self.index_kick.notify_one();
        Ok(())
    }

    /// Fetches every page after `after` (up to `upto`, if given) and stores it.
    pub(crate) async fn fetch_after(
        &self,
        conversation_id: ConversationId,
        after: Seq,
        upto: Option<Seq>,
    ) -> ClientResult<()> {
        let mut after = after;
        loop {
            let query =
                HistoryQuery { after_seq: Some(after), limit: Some(crate::sync::CATCH_UP_PAGE), ..Default::default() };
            let page = self.api.history(conversation_id, &query).await?;
            let Some(last) = page.messages.last().map(|m| m.seq) else { return Ok(()) };
            self.store_messages(page.messages).await?;
            if !page.has_more || upto.is_some_and(|u| last >= u) {
                return Ok(());
            }
            after = last;
        }
    }

    /// A send (or its upload) refused for good: marked failed with its code.
    pub(crate) async fn fail_send(&self, client_msg_id: String, code: Code) -> ClientResult<()> {
        let message = self
            .db(move |c| {
                c.mark_failed(&client_msg_id, code.as_str())?;
                c.message_by_client_id(&client_msg_id)
            })
            .await?;
        if let Some(message) = message {
            self.emit(Event::MessageUpdated { message });
        }
        Ok(())
    }

    /// Refetches the conversation list into the cache.
    pub(crate) async fn refresh_conversations(&self) -> ClientResult<()> {
        let list = self.api.conversations().await?.conversations;
        self.db(move |c| c.upsert_conversations(&list)).await?;
        self.emit(Event::ConversationsChanged);
        Ok(())
    }

    /// The account's own profile as the server now has it: kept for offline starts.
    pub(crate) async fn set_me(&self, me: Me) -> ClientResult<()> {
        let saved = me.clone();
        self.db(move |c| c.set_setting("me", &saved)).await?;
        if let Ok(mut m) = self.me.write() {
            *m = me;
        }
        Ok(())
    }

    /// Refetches friends, friend groups, the block list and pending requests.
    pub(crate) async fn refresh_contacts(&self) -> ClientResult<()> {
        let (friends, groups, blocks, requests) = tokio::try_join!(
            self.api.friends(),
            self.api.friend_groups(),
            self.api.blocks(),
            self.api.friend_requests()
        )?;
        self.db(move |c| {
            c.replace_friends(&friends)?;
            c.replace_friend_groups(&groups)?;
            c.replace_blocks(&blocks)?;
            c.replace_friend_requests(&requests)
        })
        .await?;
        self.emit(Event::ContactsChanged);
        Ok(())
    }

    /// Refetches the account's groups.
    pub(crate) async fn refresh_groups(&self) -> ClientResult<()> {
        let groups = self.api.groups().await?;
        self.db(move |c| c.replace_groups(&groups)).await
    }

    /// Refetches one group and its members.
    pub(crate) async fn refresh_group(&self, group_id: GroupId) -> ClientResult<()> {
        let (group, members) = tokio::try_join!(self.api.group(group_id), self.api.group_members(group_id))?;
        self.db(move |c| {
            c.upsert_group(&group)?;
            c.replace_group_members(group_id, &members)
        })
        .await?;
        self.emit(Event::GroupChanged { group_id });
        Ok(())
    }

    /// Tells those following the preferences that they were stored anew.
    pub(crate) fn prefs_stored(&self) {
        self.prefs_stored.send_replace(());
    }

    /// Marked each time the preferences are stored from now on.
    pub(crate) fn prefs_changes(&self) -> watch::Receiver<()> {
        self.prefs_stored.subscribe()
    }

    /// Events from now on (for the crate's own listeners).
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Events from now on for a view, which counts what it folds of them.
    pub(crate) fn subscribe_view(&self) -> ViewEvents<Event> {
        let emitted = self.emitted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (folding, settled) = Folding::new(*emitted, self.emitted.clone());
        (self.events.subscribe(), folding, settled)
    }

    /// Sends a call signal to `to_user` (or one of their devices).
    pub(crate) fn send_call_frame(
        &self,
        call_id: &str,
        conversation_id: ConversationId,
        to_user: UserId,
        to_device: Option<SessionId>,
        signal: CallSignal,
    ) -> ClientResult<()> {
        self.send_frame(ClientFrame::Call { call_id: call_id.to_owned(), conversation_id, to_user, to_device, signal })
    }

    pub(crate) fn send_frame(&self, frame: ClientFrame) -> ClientResult<()> {
        self.control.send(frame).map_err(|_| ClientError::Unreachable {
            address: self.api.base().to_string(),
            detail: "the session has stopped".into(),
        })
    }
}

pub(crate) fn now_ms() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as Millis).unwrap_or_default()
}
