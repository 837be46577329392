//! What a call looks like to a window: [`CallView`], the whole of the call
//! on this device as every `CallChanged` event carries it (its phase, how it
//! ended, its members with their state and quality).

use ling_proto::messages::CallMedia;
use ling_proto::{ConversationId, UserId};
use serde::Serialize;

/// Where this device stands in a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallPhase {
    /// Placing the call: the others are being rung.
    Calling,
    /// Being called: answer or decline.
    Incoming,
    /// Answered; the media is connecting or flowing.
    Active,
    /// Over (see `CallView::end`).
    Ended,
}

/// Why a call ended, as this device saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallEnd {
    /// Talked, then someone hung up.
    Completed,
    /// The other side said no.
    Declined,
    /// The other side was in another call.
    Busy,
    /// Nobody answered in time.
    NoAnswer,
    /// The caller gave up before an answer (for the callee: a missed call).
    Cancelled,
    /// Answered on another of one's own devices.
    AnsweredElsewhere,
    /// Declined on another of one's own devices.
    DeclinedElsewhere,
    /// The connection could not be made or was lost.
    Failed,
}

/// Where someone else stands in the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MemberState {
    /// Invited, not yet ringing.
    Invited,
    /// Their device rings.
    Ringing,
    /// Answered; connecting.
    Joining,
    /// Media flows.
    Connected,
    /// Said no, was busy, did not answer, or left.
    Left,
}

/// How someone's connection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallQuality {
    Good,
    Fair,
    Poor,
}

impl From<ling_call::Quality> for CallQuality {
    fn from(q: ling_call::Quality) -> Self {
        match q {
            ling_call::Quality::Good => CallQuality::Good,
            ling_call::Quality::Fair => CallQuality::Fair,
            ling_call::Quality::Poor => CallQuality::Poor,
        }
    }
}

/// Someone else in the call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallMember {
    pub user_id: UserId,
    pub state: MemberState,
    /// Their connection, once connected.
    pub quality: Option<CallQuality>,
    /// A picture from them arrived in the last second.
    pub video: bool,
}

/// The call as the window shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallView {
    pub call_id: String,
    pub conversation_id: ConversationId,
    /// Who placed it.
    pub caller: UserId,
    pub media: CallMedia,
    pub phase: CallPhase,
    pub end: Option<CallEnd>,
    pub members: Vec<CallMember>,
    pub muted: bool,
    pub camera_on: bool,
    /// When the first answer came (ms since the epoch).
    pub answered_at: Option<i64>,
    /// A device that failed during the call (said for people).
    pub device_problem: Option<String>,
    /// Counts the call's changes: of two views of one call, the one with
    /// the higher revision is newer (a command's answer can reach the
    /// window after a later `CallChanged`).
    pub revision: u32,
}

impl CallView {
    pub(crate) fn new(
        call_id: String,
        conversation_id: ConversationId,
        caller: UserId,
        media: CallMedia,
        phase: CallPhase,
    ) -> Self {
        CallView {
            call_id,
            conversation_id,
            caller,
            media,
            phase,
            end: None,
            members: Vec::new(),
            muted: false,
            camera_on: media == CallMedia::Video,
            answered_at: None,
            device_problem: None,
            revision: 0,
        }
    }
}
