//! Call signaling: relayed only between people allowed to call each other —
//! friends with no block in a direct conversation, fellow members of a live
//! group — and only as a call's state allows (`crate::calls`). The server
//! rings for `ring_secs`, answers "busy" for someone already in a call, and
//! leaves a call record in the conversation when a call ends. It does not
//! take part in the media.

use std::time::Duration;

use ling_proto::messages::MessageContent;
use ling_proto::ws::{CallSignal, ServerFrame};
use ling_proto::{ConversationId, ErrorCode, SessionId, UserId};

use crate::calls::Ended;
use crate::error::{ApiError, ApiResult};
use crate::extract::AuthUser;
use crate::routes::messages::{member_context, post_by_server, write_rule};
use crate::state::{AppState, now_ms};
use crate::validate;

/// The device id of signals the server itself sends.
const SERVER_DEVICE: SessionId = 0;

/// A `call` frame from a client.
pub struct Signal {
    /// The call.
    pub call_id: String,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// The other party.
    pub to_user: UserId,
    /// One of their devices.
    pub to_device: Option<SessionId>,
    /// What to relay.
    pub signal: CallSignal,
}

fn frame(
    call_id: &str,
    conversation_id: ConversationId,
    from: UserId,
    device: SessionId,
    signal: CallSignal,
) -> ServerFrame {
    ServerFrame::Call { call_id: call_id.to_owned(), conversation_id, from_user: from, from_device: device, signal }
}

/// Checks and relays one signal.
pub async fn relay(state: &AppState, from: AuthUser, s: Signal) -> ApiResult<()> {
    validate::client_msg_id(&s.call_id).map_err(|_| {
        ApiError::new(ErrorCode::InvalidCallSignal, "call_id must be 1 to 64 letters, digits, '-' or '_'")
    })?;
    if s.to_user == from.user_id {
        return Err(ApiError::new(ErrorCode::InvalidTarget, "you cannot call yourself"));
    }
    let ctx = member_context(state, from.user_id, s.conversation_id).await?;
    if !ctx.member_ids.contains(&s.to_user) {
        return Err(ApiError::new(ErrorCode::NotAMember, "that user is not in this conversation"));
    }
    // In a direct conversation the callee is the peer, so this one relation
    // serves the write rule too; in a group a block between two members still
    // stops their calls.
    let relation = state.store.relation(from.user_id, s.to_user).await?;
    write_rule(&ctx, Some(&relation))?;
    if relation.any_block() {
        return Err(ApiError::blocked());
    }
    let group = ctx.peer.is_none();
    let decision = state.calls.lock().expect("call book").apply(
        &s.call_id,
        s.conversation_id,
        group,
        from.user_id,
        s.to_user,
        &s.signal,
        now_ms(),
    )?;
    if decision.busy {
        // Already in another call: the caller hears "busy" from them.
        let busy = frame(&s.call_id, s.conversation_id, s.to_user, SERVER_DEVICE, CallSignal::Busy);
        state.hub.send_to_session(from.user_id, from.session_id, &busy);
    }
    if decision.relay {
        let answered_here = matches!(s.signal, CallSignal::Accept | CallSignal::Decline | CallSignal::Busy);
        let f = frame(&s.call_id, s.conversation_id, from.user_id, from.session_id, s.signal.clone());
        match s.to_device {
            Some(device) => state.hub.send_to_session(s.to_user, device, &f),
            None => crate::hub::send(&*state.hub, &[s.to_user], &f),
        }
        crate::hub::send(&*state.hub, &decision.also, &f);
        // The callee's other devices stop ringing once one of them answers.
        if answered_here {
            state.hub.send_to_other_sessions(from.user_id, from.session_id, &f);
        }
    }
    if decision.ring {
        ring(state.clone(), s.call_id.clone(), s.conversation_id, from.user_id, s.to_user);
    }
    if let Some(ended) = decision.ended {
        finish(state, &s.call_id, ended).await?;
    }
    Ok(())
}

/// Rings `callee` for `ring_secs`; unanswered by then, their devices stop
/// ringing, the caller hears "no answer", and the call may end as missed.
fn ring(state: AppState, call_id: String, conversation_id: ConversationId, caller: UserId, callee: UserId) {
    tokio::spawn(async move {
        let wait = Duration::from_secs(u64::from(state.config.ring_secs));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = state.shutdown.cancelled() => return,
        }
        let expired = state.calls.lock().expect("call book").ring_expired(&call_id, callee, now_ms());
        let Some(ended) = expired else { return };
        let stop = frame(&call_id, conversation_id, caller, SERVER_DEVICE, CallSignal::Cancel);
        crate::hub::send(&*state.hub, &[callee], &stop);
        let no_answer = frame(&call_id, conversation_id, callee, SERVER_DEVICE, CallSignal::NoAnswer);
        crate::hub::send(&*state.hub, &[caller], &no_answer);
        if let Some(ended) = ended
            && let Err(e) = finish(&state, &call_id, ended).await
        {
            tracing::warn!(error = %e.message, "could not record a missed call");
        }
    });
}

/// A call is over: whoever still rings stops, and the record goes into the
/// conversation (in the caller's name).
async fn finish(state: &AppState, call_id: &str, ended: Ended) -> ApiResult<()> {
    let stop = frame(call_id, ended.conversation_id, ended.caller, SERVER_DEVICE, CallSignal::Cancel);
    crate::hub::send(&*state.hub, &ended.stop_ringing, &stop);
    let record =
        MessageContent::CallRecord { media: ended.media, outcome: ended.outcome, duration_ms: ended.duration_ms };
    post_by_server(state, ended.conversation_id, ended.caller, record, &[]).await?;
    Ok(())
}

/// `user`'s last device went away: they leave every call they were in (the
/// others hear them hang up), and calls with nobody left end.
pub async fn user_gone(state: &AppState, user: UserId) {
    let left = state.calls.lock().expect("call book").leave_all(user, now_ms());
    for l in left {
        let hangup = frame(&l.call_id, l.conversation_id, user, SERVER_DEVICE, CallSignal::Hangup);
        crate::hub::send(&*state.hub, &l.others, &hangup);
        if let Some(ended) = l.ended
            && let Err(e) = finish(state, &l.call_id, ended).await
        {
            tracing::warn!(error = %e.message, "could not record a call");
        }
    }
}
