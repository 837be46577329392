//! The calls in progress, as the server sees them from their signals: who
//! was rung, who is in, since when. With it the server says "busy" for
//! someone already in a call, stops the ringing after a while (missed),
//! refuses signals that make no sense in a call's state, and leaves a call
//! record in the conversation when a call ends. The decisions are pure
//! (`CallBook::apply`, `CallBook::ring_expired`); `routes::calls` acts on them.

use std::collections::{BTreeSet, HashMap};

use ling_proto::messages::{CallMedia, CallOutcome};
use ling_proto::ws::CallSignal;
use ling_proto::{ConversationId, ErrorCode, Millis, UserId};

use crate::error::ApiError;

/// The most people in one call (a mesh: each sends to every other).
pub const MAX_CALL_MEMBERS: usize = 6;

/// One call.
#[derive(Debug, Clone)]
struct Call {
    conversation_id: ConversationId,
    /// A group conversation's call: a mesh that ends with its last member.
    group: bool,
    caller: UserId,
    media: CallMedia,
    /// Rung, not answered yet.
    ringing: BTreeSet<UserId>,
    /// In the call (the caller from the start).
    joined: BTreeSet<UserId>,
    /// When the first callee answered.
    answered_at: Option<Millis>,
    /// How the unanswered invitations ended, for the record.
    declined: bool,
    busy: bool,
}

/// A call that has ended: what its record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub conversation_id: ConversationId,
    pub caller: UserId,
    pub media: CallMedia,
    pub outcome: CallOutcome,
    pub duration_ms: u64,
    /// Still ringing when it ended: their devices are told to stop.
    pub stop_ringing: Vec<UserId>,
}

/// A call someone left by going away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    pub call_id: String,
    pub conversation_id: ConversationId,
    /// Still in the call: told that the one gone hung up.
    pub others: Vec<UserId>,
    pub ended: Option<Ended>,
}

/// What to do with a signal the rules let through.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Decision {
    /// Pass the signal on to its addressee.
    pub relay: bool,
    /// The callee is in another call: tell the caller so, from the callee.
    pub busy: bool,
    /// Start the ringing clock for the callee.
    pub ring: bool,
    /// Relay the signal to these people too (a cancel reaches everyone rung).
    pub also: Vec<UserId>,
    /// The call is over.
    pub ended: Option<Ended>,
}

/// The calls in progress.
#[derive(Debug, Default)]
pub struct CallBook {
    calls: HashMap<String, Call>,
}

fn refused(message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidCallSignal, message)
}

impl CallBook {
    /// Whether `user` is in a call (answered, or placing one).
    fn in_call(&self, user: UserId, except: &str) -> bool {
        self.calls.iter().any(|(id, c)| id != except && c.joined.contains(&user))
    }

    /// Applies a signal `from` → `to` in a conversation (`group`: a group
    /// conversation, where calls are a mesh and end with their last member).
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &mut self,
        call_id: &str,
        conversation_id: ConversationId,
        group: bool,
        from: UserId,
        to: UserId,
        signal: &CallSignal,
        now: Millis,
    ) -> Result<Decision, ApiError> {
        let existing = self.calls.get(call_id);
        if existing.is_some_and(|c| c.conversation_id != conversation_id) {
            return Err(refused("that call belongs to another conversation"));
        }
        let mut d = Decision::default();
        match signal {
            CallSignal::Invite { media } => {
                match existing {
                    None => {
                        if self.in_call(from, call_id) {
                            return Err(refused("you are already in a call"));
                        }
                        let call = Call {
                            conversation_id,
                            group,
                            caller: from,
                            media: *media,
                            ringing: BTreeSet::new(),
                            joined: BTreeSet::from([from]),
                            answered_at: None,
                            declined: false,
                            busy: false,
                        };
                        self.calls.insert(call_id.to_owned(), call);
                    }
                    Some(c) if c.joined.contains(&from) => {}
                    Some(_) => return Err(refused("only someone in the call can invite to it")),
                }
                let in_other_call = self.in_call(to, call_id);
                let call = self.calls.get_mut(call_id).expect("inserted above");
                if call.joined.contains(&to) || call.ringing.contains(&to) {
                    return Err(refused("they are already in this call"));
                }
                if call.joined.len() + call.ringing.len() >= MAX_CALL_MEMBERS {
                    return Err(refused("a call has at most 6 people"));
                }
                if in_other_call {
                    call.busy = true;
                    d.busy = true;
                    d.ended = self.end_if_over(call_id, now);
                } else {
                    call.ringing.insert(to);
                    d.relay = true;
                    d.ring = true;
                }
            }
            CallSignal::Ringing => {
                let c = existing.ok_or_else(|| refused("no such call"))?;
                if !c.ringing.contains(&from) {
                    return Err(refused("you are not being called"));
                }
                d.relay = true;
            }
            CallSignal::Accept => {
                if self.in_call(from, call_id) {
                    return Err(refused("you are already in another call"));
                }
                let c = self.calls.get_mut(call_id).ok_or_else(|| refused("no such call"))?;
                if !c.ringing.remove(&from) {
                    return Err(refused("you are not being called"));
                }
                // In a group mesh, everyone already in hears of the newcomer
                // too, and each of them connects to them.
                if c.group {
                    d.also = c.joined.iter().copied().filter(|u| *u != to).collect();
                }
                c.joined.insert(from);
                c.answered_at.get_or_insert(now);
                d.relay = true;
            }
            CallSignal::Decline | CallSignal::Busy => {
                let c = self.calls.get_mut(call_id).ok_or_else(|| refused("no such call"))?;
                if !c.ringing.remove(&from) {
                    return Err(refused("you are not being called"));
                }
                if matches!(signal, CallSignal::Busy) {
                    c.busy = true;
                } else {
                    c.declined = true;
                }
                d.relay = true;
                d.ended = self.end_if_over(call_id, now);
            }
            CallSignal::Cancel => {
                // A cancel for a call already over (sent to each callee of a
                // group) has nothing left to do.
                let Some(c) = self.calls.get(call_id) else { return Ok(d) };
                if c.caller != from || c.answered_at.is_some() {
                    return Err(refused("only the caller can cancel, before an answer"));
                }
                d.relay = true;
                d.also = c.ringing.iter().copied().filter(|u| *u != to).collect();
                d.ended = self.end(call_id, CallOutcome::Cancelled, now);
                if let Some(e) = d.ended.as_mut() {
                    // The cancel itself tells them.
                    e.stop_ringing.clear();
                }
            }
            CallSignal::Offer { .. } | CallSignal::Answer { .. } | CallSignal::Ice { .. } => {
                let c = existing.ok_or_else(|| refused("no such call"))?;
                let party = |u: UserId| c.joined.contains(&u) || c.ringing.contains(&u);
                if !party(from) || !party(to) {
                    return Err(refused("both sides must be in the call"));
                }
                d.relay = true;
            }
            CallSignal::NoAnswer => return Err(refused("only the server says no_answer")),
            CallSignal::Hangup => {
                // Hanging up on each member of a group call, or after the
                // call ended: passed on, nothing more.
                d.relay = true;
                let Some(c) = self.calls.get_mut(call_id) else { return Ok(d) };
                if c.ringing.contains(&from) {
                    return Err(refused("decline a call you have not answered"));
                }
                if c.joined.remove(&from) {
                    let caller_alone = c.caller == from && c.answered_at.is_none();
                    d.ended = if caller_alone {
                        self.end(call_id, CallOutcome::Cancelled, now)
                    } else {
                        self.end_if_over(call_id, now)
                    };
                }
            }
        }
        Ok(d)
    }

    /// The ringing time ran out for `callee`: their devices stop ringing and
    /// the caller hears "no answer" (`Some`, with the call's end if that was
    /// its last hope); `None` when they had answered or said no already.
    pub fn ring_expired(&mut self, call_id: &str, callee: UserId, now: Millis) -> Option<Option<Ended>> {
        let c = self.calls.get_mut(call_id)?;
        if !c.ringing.remove(&callee) {
            return None;
        }
        Some(self.end_if_over(call_id, now))
    }

    /// `user`'s last device went away: out of every call. Returns, for each
    /// call they were in, its id and conversation, who is still in it (to be
    /// told they hung up), and the call's end if that was it.
    pub fn leave_all(&mut self, user: UserId, now: Millis) -> Vec<Left> {
        let ids: Vec<String> = self
            .calls
            .iter()
            .filter(|(_, c)| c.joined.contains(&user) || c.ringing.contains(&user))
            .map(|(id, _)| id.clone())
            .collect();
        ids.into_iter()
            .filter_map(|id| {
                let c = self.calls.get_mut(&id)?;
                let was_in = c.joined.remove(&user);
                c.ringing.remove(&user);
                let conversation_id = c.conversation_id;
                let others: Vec<UserId> = if was_in { c.joined.iter().copied().collect() } else { Vec::new() };
                let caller_alone = c.caller == user && c.answered_at.is_none();
                let ended = if caller_alone {
                    let mut e = self.end(&id, CallOutcome::Cancelled, now);
                    // They were rung by someone who is gone: stop it.
                    if let Some(e) = e.as_mut() {
                        e.stop_ringing.retain(|u| *u != user);
                    }
                    e
                } else {
                    self.end_if_over(&id, now)
                };
                Some(Left { call_id: id, conversation_id, others, ended })
            })
            .collect()
    }

    /// Ends the call if nobody is left to talk to: a one-to-one call once
    /// either side is gone; a group call once at most one member is in and
    /// nobody is ringing.
    fn end_if_over(&mut self, call_id: &str, now: Millis) -> Option<Ended> {
        let c = self.calls.get(call_id)?;
        let over = if c.group {
            c.joined.len() <= 1 && c.ringing.is_empty()
        } else {
            c.joined.len() <= 1 && (c.answered_at.is_some() || c.ringing.is_empty())
        };
        if !over {
            return None;
        }
        let outcome = match (c.answered_at, c.busy, c.declined) {
            (Some(_), _, _) => CallOutcome::Completed,
            (None, true, _) => CallOutcome::Busy,
            (None, false, true) => CallOutcome::Declined,
            (None, false, false) => CallOutcome::Missed,
        };
        self.end(call_id, outcome, now)
    }

    fn end(&mut self, call_id: &str, outcome: CallOutcome, now: Millis) -> Option<Ended> {
        let c = self.calls.remove(call_id)?;
        let duration_ms = match (outcome, c.answered_at) {
            (CallOutcome::Completed, Some(at)) => u64::try_from(now - at).unwrap_or(0),
            _ => 0,
        };
        Some(Ended {
            conversation_id: c.conversation_id,
            caller: c.caller,
            media: c.media,
            outcome,
            duration_ms,
            stop_ringing: c.ringing.into_iter().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONV: ConversationId = 9;
    const A: UserId = 1;
    const B: UserId = 2;
    const C: UserId = 3;
    const VIDEO: CallSignal = CallSignal::Invite { media: CallMedia::Video };

    fn ok(book: &mut CallBook, group: bool, from: UserId, to: UserId, s: CallSignal, now: Millis) -> Decision {
        book.apply("k", CONV, group, from, to, &s, now).unwrap()
    }

    fn refused_code(book: &mut CallBook, from: UserId, to: UserId, s: CallSignal) -> ErrorCode {
        book.apply("k", CONV, false, from, to, &s, 0).unwrap_err().code
    }

    #[test]
    fn an_answered_call_ends_completed_with_its_talk_time() {
        let mut book = CallBook::default();
        let d = ok(&mut book, false, A, B, VIDEO, 1_000);
        assert!(d.relay && d.ring && d.ended.is_none());
        assert!(ok(&mut book, false, B, A, CallSignal::Ringing, 1_100).relay);
        ok(&mut book, false, B, A, CallSignal::Accept, 3_000);
        assert!(ok(&mut book, false, A, B, CallSignal::Offer { sdp: "v=0".into() }, 3_100).relay);
        let d = ok(&mut book, false, B, A, CallSignal::Hangup, 63_000);
        let ended = d.ended.unwrap();
        assert_eq!(
            (ended.outcome, ended.duration_ms, ended.caller, ended.media),
            (CallOutcome::Completed, 60_000, A, CallMedia::Video)
        );
        // After the end: a second hangup is passed on, and that is all.
        let d = ok(&mut book, false, A, B, CallSignal::Hangup, 63_100);
        assert!(d.relay && d.ended.is_none());
    }

    #[test]
    fn declined_cancelled_and_unanswered_calls_end_so() {
        let mut book = CallBook::default();
        ok(&mut book, false, A, B, VIDEO, 0);
        assert_eq!(ok(&mut book, false, B, A, CallSignal::Decline, 5).ended.unwrap().outcome, CallOutcome::Declined);

        ok(&mut book, false, A, B, VIDEO, 0);
        let ended = ok(&mut book, false, A, B, CallSignal::Cancel, 5).ended.unwrap();
        assert_eq!(ended.outcome, CallOutcome::Cancelled);

        ok(&mut book, false, A, B, VIDEO, 0);
        let ended = book.ring_expired("k", B, 45_000).unwrap().unwrap();
        assert_eq!((ended.outcome, ended.duration_ms), (CallOutcome::Missed, 0));
        assert_eq!(book.ring_expired("k", B, 45_001), None, "once");

        // Answered before the clock ran out: nothing to do.
        ok(&mut book, false, A, B, VIDEO, 0);
        ok(&mut book, false, B, A, CallSignal::Accept, 10);
        assert_eq!(book.ring_expired("k", B, 45_000), None);
        assert_eq!(
            refused_code(&mut book, A, B, CallSignal::Cancel),
            ErrorCode::InvalidCallSignal,
            "answered: hang up"
        );
    }

    #[test]
    fn someone_in_a_call_is_busy() {
        let mut book = CallBook::default();
        ok(&mut book, false, A, B, VIDEO, 0);
        ok(&mut book, false, B, A, CallSignal::Accept, 10);
        let d = book.apply("k2", 10, false, C, B, &VIDEO, 20).unwrap();
        assert!(d.busy && !d.relay && !d.ring);
        assert_eq!(d.ended.unwrap().outcome, CallOutcome::Busy);
        // And a callee may say so itself.
        let d = book.apply("k3", 11, false, C, A, &CallSignal::Invite { media: CallMedia::Audio }, 30).unwrap();
        assert!(d.busy, "A is in the first call too");
    }

    #[test]
    fn signals_out_of_place_are_refused() {
        let mut book = CallBook::default();
        for s in [CallSignal::Accept, CallSignal::Ringing, CallSignal::Offer { sdp: "x".into() }, CallSignal::NoAnswer]
        {
            assert_eq!(refused_code(&mut book, B, A, s), ErrorCode::InvalidCallSignal);
        }
        ok(&mut book, false, A, B, VIDEO, 0);
        assert_eq!(refused_code(&mut book, C, A, CallSignal::Accept), ErrorCode::InvalidCallSignal, "not rung");
        assert_eq!(refused_code(&mut book, B, A, CallSignal::Cancel), ErrorCode::InvalidCallSignal, "not the caller");
        assert_eq!(refused_code(&mut book, A, B, VIDEO), ErrorCode::InvalidCallSignal, "already rung");
        assert_eq!(refused_code(&mut book, B, A, CallSignal::Hangup), ErrorCode::InvalidCallSignal, "decline instead");
        let other_conv = book.apply("k", CONV + 1, false, A, B, &CallSignal::Hangup, 0).unwrap_err();
        assert_eq!(other_conv.code, ErrorCode::InvalidCallSignal);
        assert_eq!(refused_code(&mut book, B, A, CallSignal::NoAnswer), ErrorCode::InvalidCallSignal);
    }

    #[test]
    fn a_group_call_goes_on_until_its_last_member() {
        let mut book = CallBook::default();
        ok(&mut book, true, A, B, VIDEO, 0);
        ok(&mut book, true, A, C, VIDEO, 0);
        ok(&mut book, true, B, A, CallSignal::Accept, 1_000);
        // Carol does not answer: the call goes on without her.
        assert_eq!(book.ring_expired("k", C, 45_000), Some(None));
        // B invites her again mid-call, she joins, then leaves.
        ok(&mut book, true, B, C, VIDEO, 50_000);
        let accepted = ok(&mut book, true, C, B, CallSignal::Accept, 51_000);
        assert_eq!(accepted.also, vec![A], "the others in the call hear of her");
        assert!(ok(&mut book, true, C, A, CallSignal::Offer { sdp: "v=0".into() }, 51_100).relay);
        assert!(ok(&mut book, true, C, A, CallSignal::Hangup, 60_000).ended.is_none());
        assert!(ok(&mut book, true, C, B, CallSignal::Hangup, 60_000).ended.is_none(), "a hangup per member");
        assert!(ok(&mut book, true, A, B, CallSignal::Hangup, 70_000).ended.unwrap().outcome == CallOutcome::Completed);
    }

    #[test]
    fn a_call_holds_at_most_six() {
        let mut book = CallBook::default();
        for callee in 2..=6 {
            ok(&mut book, true, A, callee, VIDEO, 0);
        }
        let err = book.apply("k", CONV, true, A, 7, &VIDEO, 0).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidCallSignal);
        // One leaving makes room.
        ok(&mut book, true, 2, A, CallSignal::Decline, 10);
        ok(&mut book, true, A, 7, VIDEO, 20);
    }

    #[test]
    fn a_cancel_reaches_everyone_rung_and_a_departure_ends_what_it_must() {
        let mut book = CallBook::default();
        ok(&mut book, true, A, B, VIDEO, 0);
        ok(&mut book, true, A, C, VIDEO, 0);
        let d = ok(&mut book, true, A, B, CallSignal::Cancel, 10);
        assert_eq!(d.also, [C]);
        assert_eq!(d.ended.unwrap().outcome, CallOutcome::Cancelled);
        assert!(ok(&mut book, true, A, C, CallSignal::Cancel, 11).ended.is_none(), "the second cancel is a no-op");

        ok(&mut book, false, A, B, VIDEO, 0);
        ok(&mut book, false, B, A, CallSignal::Accept, 1_000);
        let left = book.leave_all(B, 5_000);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].others, [A]);
        assert_eq!(left[0].ended.as_ref().unwrap().outcome, CallOutcome::Completed);
        assert!(book.leave_all(B, 6_000).is_empty());

        // A caller gone while it rings: cancelled, the callee stops ringing.
        ok(&mut book, false, A, B, VIDEO, 0);
        let left = book.leave_all(A, 100);
        let ended = left[0].ended.as_ref().unwrap();
        assert_eq!((ended.outcome, ended.stop_ringing.as_slice()), (CallOutcome::Cancelled, &[B][..]));
    }
}
