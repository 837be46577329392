//! Call signaling: relayed only between people allowed to call each other —
//! friends with no block in a direct conversation, fellow members of a live
//! group. The server does not take part in the media.

use ling_proto::ws::{CallSignal, ServerFrame};
use ling_proto::{ConversationId, ErrorCode, SessionId, UserId};

use crate::error::{ApiError, ApiResult};
use crate::extract::AuthUser;
use crate::routes::messages::{member_context, write_rule};
use crate::state::AppState;
use crate::validate;

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
    let answered_here = matches!(s.signal, CallSignal::Accept | CallSignal::Decline | CallSignal::Busy);
    let frame = ServerFrame::Call {
        call_id: s.call_id,
        conversation_id: s.conversation_id,
        from_user: from.user_id,
        from_device: from.session_id,
        signal: s.signal,
    };
    match s.to_device {
        Some(device) => state.hub.send_to_session(s.to_user, device, &frame),
        None => crate::hub::send(&*state.hub, &[s.to_user], &frame),
    }
    // The callee's other devices stop ringing once one of them answers.
    if answered_here {
        state.hub.send_to_other_sessions(from.user_id, from.session_id, &frame);
    }
    Ok(())
}
