//! What to notify, decided without I/O: a new message or an incoming call
//! becomes a [`Notice`] or nothing. A notice carries no sentence of its own:
//! its parts are keys ([`NoticeText`]) that the app fills in the person's
//! language (the desktop app gets the UI's translations for them).

use ling_proto::messages::{CallMedia, MessageContent};
use ling_proto::{ConversationId, Millis, UserId};

use crate::cache::{CachedMessage, ConversationSummary};
use crate::call_view::{CallPhase, CallView};

/// How old a message may be and still be notified. Older ones reach the
/// cache in a catch-up after time away, and the chat list shows them: a night
/// offline does not end in a flood of notifications.
pub const NOTIFY_WITHIN_MS: Millis = 10 * 60 * 1000;

/// The longest text a notification shows of a message (in characters).
pub const PREVIEW_CHARS: usize = 120;

/// Where the person is, as far as notifying goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    /// The account's own id (its messages from other devices are not news).
    pub me: UserId,
    /// Notifications are on in the settings.
    pub enabled: bool,
    /// The app's window has the focus: the person sees what arrives.
    pub focused: bool,
    /// Now, in ms since the epoch.
    pub now: Millis,
}

/// A part of a notification, filled in the person's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeText {
    /// Said as it is (a name, the text of a message).
    Verbatim(String),
    /// The app's name (a conversation without a title).
    AppName,
    /// "[image]"
    Image,
    /// "[voice message]"
    Voice,
    /// "[file] {name}"
    File { name: String },
    /// "[call]"
    CallRecord,
    /// "Incoming voice call"
    IncomingVoiceCall,
    /// "Incoming video call"
    IncomingVideoCall,
    /// "The assistant could not answer" (a reply that failed with no text)
    AssistantFailed,
    /// "{name} reacted {emoji} to your message"
    Reacted { name: String, emoji: String },
}

impl NoticeText {
    /// The UI's message key for this part (`None` for verbatim text).
    pub fn key(&self) -> Option<&'static str> {
        Some(match self {
            NoticeText::Verbatim(_) => return None,
            NoticeText::AppName => "app.name",
            NoticeText::Image => "notice.image",
            NoticeText::Voice => "notice.voice",
            NoticeText::File { .. } => "notice.file",
            NoticeText::CallRecord => "notice.call",
            NoticeText::IncomingVoiceCall => "notice.incomingVoiceCall",
            NoticeText::IncomingVideoCall => "notice.incomingVideoCall",
            NoticeText::AssistantFailed => "notice.assistantFailed",
            NoticeText::Reacted { .. } => "notice.reacted",
        })
    }
}

/// A notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Clicking it opens this conversation.
    pub conversation_id: ConversationId,
    pub title: NoticeText,
    pub body: NoticeText,
    /// An incoming call: the window comes up too.
    pub raise_window: bool,
}

/// Whether a new message is notified: one from someone else, acknowledged
/// by the server, fresh, unread, in a conversation that is not muted, with
/// notifications on and the window in the background.
pub fn for_message(message: &CachedMessage, conversation: &ConversationSummary, at: Situation) -> Option<Notice> {
    let seq = message.seq?;
    let news = message.sender_id != at.me
        && at.now.saturating_sub(message.send_time) <= NOTIFY_WITHIN_MS
        && at.enabled
        && !at.focused
        // A mention is heard even in a muted chat.
        && (!conversation.muted || message.mentions.includes(at.me))
        && conversation.read_seq < seq;
    if !news {
        return None;
    }
    let body = preview(&message.content)?;
    let title = if conversation.title.is_empty() {
        NoticeText::AppName
    } else {
        NoticeText::Verbatim(conversation.title.clone())
    };
    Some(Notice { conversation_id: conversation.id, title, body, raise_window: false })
}

/// Whether a reaction is notified: only one added to the person's own
/// message (`target_sender`), by someone else, when they asked for it
/// (`wanted`: off by default, reactions are not news) and a message would
/// be notified there (fresh, not muted, notifications on, window in the
/// background). `name` is who reacted, as the person calls them.
pub fn for_reaction(
    reaction: &CachedMessage,
    target_sender: UserId,
    name: &str,
    wanted: bool,
    conversation: &ConversationSummary,
    at: Situation,
) -> Option<Notice> {
    let MessageContent::Reaction { emoji, on: true, .. } = &reaction.content else { return None };
    let news = wanted
        && target_sender == at.me
        && reaction.sender_id != at.me
        && reaction.seq.is_some()
        && at.now.saturating_sub(reaction.send_time) <= NOTIFY_WITHIN_MS
        && at.enabled
        && !at.focused
        && !conversation.muted;
    if !news {
        return None;
    }
    let title = if conversation.title.is_empty() {
        NoticeText::AppName
    } else {
        NoticeText::Verbatim(conversation.title.clone())
    };
    let body = NoticeText::Reacted { name: name.to_owned(), emoji: emoji.clone() };
    Some(Notice { conversation_id: conversation.id, title, body, raise_window: false })
}

/// Whether a call is notified: one that rings here while the window is in
/// the background (notifications off or not: a call is not a message).
pub fn for_call(call: &CallView, caller_name: Option<&str>, focused: bool) -> Option<Notice> {
    if call.phase != CallPhase::Incoming || focused {
        return None;
    }
    let title =
        caller_name.filter(|n| !n.is_empty()).map_or(NoticeText::AppName, |n| NoticeText::Verbatim(n.to_owned()));
    let body = match call.media {
        CallMedia::Video => NoticeText::IncomingVideoCall,
        CallMedia::Audio => NoticeText::IncomingVoiceCall,
    };
    Some(Notice { conversation_id: call.conversation_id, title, body, raise_window: true })
}

/// The assistant's Markdown as one line of its words: no code fences, list
/// bullets, heading or quote marks, emphasis or backticks; links keep their
/// text. (The chat list's preview does the same: `markdownLine` in the UI.)
pub fn markdown_line(text: &str) -> String {
    let mut words = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with("```") {
            continue;
        }
        let mut rest = line;
        for mark in ["#", ">", "-", "*", "+"] {
            if let Some(after) = rest.strip_prefix(mark) {
                let after = after.trim_start_matches(mark);
                if after.starts_with(' ') {
                    rest = after;
                    break;
                }
            }
        }
        if let Some((n, after)) = rest.split_once(['.', ')'])
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && after.starts_with(' ')
        {
            rest = after;
        }
        words.push(unlink(rest).replace(['*', '_', '`', '~'], ""));
    }
    words.join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `[text](url)` as `text`.
fn unlink(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|i| open + i) else { break };
        let Some(end) = rest[close..].find(')').map(|i| close + i) else { break };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A message in a notification's words (`None`: nothing worth showing).
pub fn preview(content: &MessageContent) -> Option<NoticeText> {
    Some(match content {
        MessageContent::Text { text, .. } if !text.is_empty() => {
            let line: String = text.chars().take(PREVIEW_CHARS).collect();
            NoticeText::Verbatim(line.replace('\n', " "))
        }
        MessageContent::Assistant { text, .. } if !text.trim().is_empty() => {
            NoticeText::Verbatim(markdown_line(text).chars().take(PREVIEW_CHARS).collect())
        }
        MessageContent::Assistant { end: ling_proto::messages::ReplyEnd::Failed, .. } => NoticeText::AssistantFailed,
        MessageContent::Text { .. } | MessageContent::Assistant { .. } => return None,
        MessageContent::Image { .. } => NoticeText::Image,
        MessageContent::Voice { .. } => NoticeText::Voice,
        MessageContent::File { file } => NoticeText::File { name: file.name.clone() },
        MessageContent::CallRecord { .. } => NoticeText::CallRecord,
        MessageContent::System { .. }
        | MessageContent::Recalled
        | MessageContent::Edit { .. }
        | MessageContent::Reaction { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use ling_proto::messages::{CallOutcome, ConversationKind, FileRef, Mentions};

    use super::*;
    use crate::cache::SendStatus;

    const ME: UserId = 1;
    const BOB: UserId = 2;
    const NOW: Millis = 1_700_000_000_000;

    fn background() -> Situation {
        Situation { me: ME, enabled: true, focused: false, now: NOW }
    }

    fn conversation() -> ConversationSummary {
        ConversationSummary {
            id: 7,
            kind: ConversationKind::Direct,
            peer_id: Some(BOB),
            group_id: None,
            title: "Bob".into(),
            avatar: None,
            last_seq: 5,
            read_seq: 4,
            peer_read_seq: None,
            unread: 1,
            last_activity: NOW,
            pinned: false,
            muted: false,
            draft: String::new(),
            last_message: None,
            pins: Vec::new(),
            unread_mentions: Vec::new(),
        }
    }

    fn from_bob(content: MessageContent) -> CachedMessage {
        CachedMessage {
            conversation_id: 7,
            seq: Some(5),
            client_msg_id: None,
            sender_id: BOB,
            send_time: NOW - 1_000,
            status: SendStatus::Sent,
            error_code: None,
            content,
            reply_to: None,
            changes: Default::default(),
            forwarded: false,
            hidden: false,
            mentions: Default::default(),
        }
    }

    fn text(t: &str) -> MessageContent {
        MessageContent::text(t)
    }

    #[test]
    fn a_fresh_unread_message_from_someone_else_is_notified_with_its_chat_as_title() {
        let notice = for_message(&from_bob(text("lunch?")), &conversation(), background()).unwrap();
        assert_eq!(
            notice,
            Notice {
                conversation_id: 7,
                title: NoticeText::Verbatim("Bob".into()),
                body: NoticeText::Verbatim("lunch?".into()),
                raise_window: false
            }
        );
    }

    #[test]
    fn nothing_is_notified_that_the_person_sees_chose_not_to_hear_or_already_knows() {
        let m = from_bob(text("hi"));
        let c = conversation();
        let mut own = m.clone();
        own.sender_id = ME;
        let mut pending = m.clone();
        pending.seq = None;
        let mut stale = m.clone();
        stale.send_time = NOW - NOTIFY_WITHIN_MS - 1;
        let muted = ConversationSummary { muted: true, ..c.clone() };
        let read = ConversationSummary { read_seq: 5, ..c.clone() };
        for (why, m, c, at) in [
            ("one's own, from another device", &own, &c, background()),
            ("not yet acknowledged", &pending, &c, background()),
            ("older than ten minutes (a catch-up)", &stale, &c, background()),
            ("a muted chat", &m, &muted, background()),
            ("already read", &m, &read, background()),
            ("notifications off", &m, &c, Situation { enabled: false, ..background() }),
            ("the window has the focus", &m, &c, Situation { focused: true, ..background() }),
        ] {
            assert_eq!(for_message(m, c, at), None, "{why}");
        }
        let just_fresh = CachedMessage { send_time: NOW - NOTIFY_WITHIN_MS, ..m.clone() };
        assert!(for_message(&just_fresh, &c, background()).is_some(), "ten minutes old is still news");
        let ahead = CachedMessage { send_time: NOW + 5_000, ..m.clone() };
        assert!(for_message(&ahead, &c, background()).is_some(), "a server clock a little ahead");
    }

    #[test]
    fn the_assistants_markdown_is_said_as_its_words() {
        let md = "# Steps\n\n- install **Ling**\n2. run `make run`\n\n```rust\nfn main() {}\n```\nSee [the docs](https://x.org).";
        assert_eq!(markdown_line(md), "Steps install Ling run make run fn main() {} See the docs.");
        let c = conversation();
        let reply = MessageContent::Assistant {
            text: "> **Done**".into(),
            end: ling_proto::messages::ReplyEnd::Finished,
            code: None,
        };
        let body = for_message(&from_bob(reply), &c, background()).map(|n| n.body);
        assert_eq!(body, Some(NoticeText::Verbatim("Done".into())));
        // A reply that failed before a word says so.
        let failed = MessageContent::Assistant {
            text: String::new(),
            end: ling_proto::messages::ReplyEnd::Failed,
            code: Some(ling_proto::ErrorCode::AssistantTimeout),
        };
        let body = for_message(&from_bob(failed), &c, background()).map(|n| n.body);
        assert_eq!(body, Some(NoticeText::AssistantFailed));
        assert_eq!(NoticeText::AssistantFailed.key(), Some("notice.assistantFailed"));
    }

    #[test]
    fn what_is_not_text_is_said_by_key_and_notices_and_recalls_are_not_said() {
        let file = FileRef { id: "f".into(), name: "plan.pdf".into(), size: 3, mime: "application/pdf".into() };
        let c = conversation();
        let body = |content| for_message(&from_bob(content), &c, background()).map(|n| n.body);
        assert_eq!(
            body(MessageContent::File { file: file.clone() }),
            Some(NoticeText::File { name: "plan.pdf".into() })
        );
        let call = MessageContent::CallRecord { media: CallMedia::Audio, outcome: CallOutcome::Missed, duration_ms: 0 };
        assert_eq!(body(call), Some(NoticeText::CallRecord));
        assert_eq!(body(MessageContent::Recalled), None);
        assert_eq!(NoticeText::File { name: String::new() }.key(), Some("notice.file"));
        assert_eq!(NoticeText::Verbatim("x".into()).key(), None);
        // Long texts are cut and kept on one line.
        let long = format!("{}\n{}", "a".repeat(100), "b".repeat(100));
        let Some(NoticeText::Verbatim(shown)) = body(text(&long)) else { panic!("a text") };
        assert_eq!(shown.chars().count(), PREVIEW_CHARS);
        assert!(!shown.contains('\n'));
        // A chat without a title is named by the app's name.
        let untitled = ConversationSummary { title: String::new(), ..c };
        assert_eq!(for_message(&from_bob(text("x")), &untitled, background()).unwrap().title, NoticeText::AppName);
    }

    #[test]
    fn a_mention_is_notified_even_in_a_muted_chat() {
        let muted = ConversationSummary { muted: true, ..conversation() };
        let plain = from_bob(text("@Amy lunch?"));
        assert_eq!(for_message(&plain, &muted, background()), None);
        let named = CachedMessage { mentions: Mentions { user_ids: vec![ME], all: false }, ..plain.clone() };
        assert!(for_message(&named, &muted, background()).is_some());
        let everyone = CachedMessage { mentions: Mentions { user_ids: vec![], all: true }, ..plain.clone() };
        assert!(for_message(&everyone, &muted, background()).is_some());
        let someone_else = CachedMessage { mentions: Mentions { user_ids: vec![9], all: false }, ..plain };
        assert_eq!(for_message(&someone_else, &muted, background()), None);
    }

    #[test]
    fn a_reaction_to_ones_own_message_is_notified_only_when_asked_for() {
        let thumbs = from_bob(MessageContent::Reaction { target: 3, emoji: "👍".into(), on: true });
        let c = conversation();
        let notice = for_reaction(&thumbs, ME, "Bob", true, &c, background()).unwrap();
        assert_eq!(notice.body, NoticeText::Reacted { name: "Bob".into(), emoji: "👍".into() });
        assert_eq!(notice.body.key(), Some("notice.reacted"));
        // Not asked for; someone else's message; taken back; one's own; a muted chat; a text.
        assert_eq!(for_reaction(&thumbs, ME, "Bob", false, &c, background()), None);
        assert_eq!(for_reaction(&thumbs, BOB, "Bob", true, &c, background()), None);
        let off = from_bob(MessageContent::Reaction { target: 3, emoji: "👍".into(), on: false });
        assert_eq!(for_reaction(&off, ME, "Bob", true, &c, background()), None);
        let mine = CachedMessage { sender_id: ME, ..thumbs.clone() };
        assert_eq!(for_reaction(&mine, ME, "Amy", true, &c, background()), None);
        let muted = ConversationSummary { muted: true, ..conversation() };
        assert_eq!(for_reaction(&thumbs, ME, "Bob", true, &muted, background()), None);
        assert_eq!(for_reaction(&from_bob(text("hi")), ME, "Bob", true, &c, background()), None);
        // Nor is any relation notified as a message.
        assert_eq!(for_message(&thumbs, &c, background()), None);
        let edit = from_bob(MessageContent::Edit { target: 3, text: "new".into() });
        assert_eq!(for_message(&edit, &c, background()), None);
    }

    #[test]
    fn a_call_that_rings_in_the_background_is_notified_and_raises_the_window() {
        let mut call = CallView::new("c".into(), 7, BOB, CallMedia::Video, CallPhase::Incoming);
        let notice = for_call(&call, Some("Bob"), false).unwrap();
        assert_eq!((notice.title, notice.body), (NoticeText::Verbatim("Bob".into()), NoticeText::IncomingVideoCall));
        assert!(notice.raise_window);
        assert_eq!(for_call(&call, None, false).unwrap().title, NoticeText::AppName);
        assert_eq!(for_call(&call, Some("Bob"), true), None, "the window has the focus");
        call.phase = CallPhase::Active;
        assert_eq!(for_call(&call, Some("Bob"), false), None, "answered");
        call.phase = CallPhase::Incoming;
        call.media = CallMedia::Audio;
        assert_eq!(for_call(&call, Some("Bob"), false).unwrap().body, NoticeText::IncomingVoiceCall);
    }
}
