//! Catch-up after every connect: the profile, the conversation list (read
//! cursors moved while offline are sent back), every conversation's missing
//! messages by seq in pages, contacts and groups. Each part answers into the
//! cache; a failure is logged and the rest goes on.

use std::collections::HashMap;
use std::sync::Arc;

use ling_proto::messages::HistoryQuery;
use ling_proto::ws::ClientFrame;
use ling_proto::{ConversationId, Seq};
use tracing::{instrument, warn};

use crate::error::ClientResult;
use crate::events::Event;
use crate::inner::Inner;
use crate::sync::{CatchUp, plan_catch_up};

/// Catch-up as a task: logs what failed.
#[instrument(skip_all)]
pub(crate) async fn catch_up_task(inner: Arc<Inner>) {
    if let Err(e) = catch_up(inner).await {
        warn!(error = %e, "catch-up failed; it runs again after the next connect");
    }
}

/// Brings the cache up to the server.
pub(crate) async fn catch_up(inner: Arc<Inner>) -> ClientResult<()> {
    inner.set_me(inner.api().me().await?).await?;

    // Read cursors this device moved while offline; the server's list would
    // otherwise move them back.
    let local_reads: HashMap<ConversationId, Seq> = inner.db(|c| c.read_seqs()).await?;
    let list = inner.api().conversations().await?.conversations;
    let mut pending_reads = Vec::new();
    for conv in &list {
        if let Some(&local) = local_reads.get(&conv.id)
            && local > conv.read_seq
        {
            pending_reads.push((conv.id, local));
        }
    }
    let plans: Vec<(ConversationId, Seq)> = list.iter().map(|c| (c.id, c.last_seq)).collect();
    inner.db(move |c| c.upsert_conversations(&list)).await?;
    for (conversation_id, seq) in pending_reads {
        let me = inner.own_id();
        inner.db(move |c| c.apply_read(conversation_id, me, seq)).await?;
        inner.send_read(conversation_id, seq);
    }
    inner.emit(Event::ConversationsChanged);

    // Contacts and groups first: the list's titles come from them.
    if let Err(e) = inner.refresh_contacts().await {
        warn!(error = %e, "could not refresh contacts");
    }
    if let Err(e) = inner.refresh_groups().await {
        warn!(error = %e, "could not refresh groups");
    }

    for (conversation_id, last_seq) in plans {
        let have = inner.db(move |c| c.max_seq(conversation_id)).await?;
        match plan_catch_up(have, last_seq) {
            CatchUp::Nothing => {}
            CatchUp::After(after) => inner.fetch_after(conversation_id, after, Some(last_seq)).await?,
            CatchUp::Newest => {
                let query = HistoryQuery { limit: Some(50), ..Default::default() };
                let page = inner.api().history(conversation_id, &query).await?;
                inner.store_messages(page.messages).await?;
            }
        }
    }
    inner.emit(Event::Synced);
    Ok(())
}

impl Inner {
    /// Sends a read cursor over the session (dropped if it is down: the next catch-up sends it).
    pub(crate) fn send_read(&self, conversation_id: ConversationId, seq: Seq) {
        let _ = self.send_frame(ClientFrame::Read { conversation_id, seq });
    }
}
