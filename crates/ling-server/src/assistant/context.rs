//! What the model reads: a conversation's recent messages as Chat
//! Completions messages, within a budget of estimated tokens. Pure.
//!
//! The estimate: a character of ASCII counts a quarter of a token, any other
//! character (CJK, accents, emoji) a whole one. Tokenizers of current models
//! give about four characters of English a token and one to one and a half
//! tokens a Chinese character, so the estimate stays under the model's count
//! for English and near it for Chinese (docs/server.md, "Assistant").

use ling_proto::messages::{Message, MessageContent, SystemEvent};
use ling_proto::{Seq, UserId};
use serde::Serialize;

/// One message to the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: &'static str,
    /// Its text.
    pub content: String,
}

/// Estimated tokens of `text`, in quarters.
fn quarter_tokens(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 4 }).sum()
}

/// The longest start of `text` within `quarters` estimated quarter tokens.
fn truncate_to(text: &str, quarters: usize) -> &str {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += if c.is_ascii() { 1 } else { 4 };
        if used > quarters {
            return &text[..i];
        }
    }
    text
}

/// What the assistant reads of one message, if anything: its role and text.
/// In a group, people's messages start with their name.
fn read(message: &Message, assistant: UserId, name: &dyn Fn(UserId) -> String, group: bool) -> Option<ChatMessage> {
    let said = |text: String| {
        if message.sender_id == assistant {
            ChatMessage { role: "assistant", content: text }
        } else if group {
            ChatMessage { role: "user", content: format!("{}: {text}", name(message.sender_id)) }
        } else {
            ChatMessage { role: "user", content: text }
        }
    };
    match &message.content {
        MessageContent::Text { text } => Some(said(text.clone())),
        MessageContent::Image { file, .. } => Some(said(format!("[image: {}]", file.name))),
        MessageContent::File { file } => Some(said(format!("[file: {}]", file.name))),
        MessageContent::Assistant { text, .. } if !text.is_empty() => Some(said(text.clone())),
        _ => None,
    }
}

/// The messages for a reply to `question`: the system prompt, then what
/// was said since the last "new topic" up to and including the question,
/// the newest first to go in until `budget_tokens` is spent (the question
/// always goes in, cut to the budget if it is longer). Consecutive messages
/// of one role are joined, as some models' chat templates require turns to
/// alternate. `history` is oldest first.
pub fn build(
    history: &[Message],
    question: Seq,
    assistant: UserId,
    name: &dyn Fn(UserId) -> String,
    group: bool,
    system_prompt: Option<&str>,
    budget_tokens: u32,
) -> Vec<ChatMessage> {
    let upto: Vec<&Message> = history.iter().filter(|m| m.seq <= question).collect();
    let start = upto
        .iter()
        .rposition(|m| matches!(m.content, MessageContent::System { event: SystemEvent::NewTopic { .. } }))
        .map_or(0, |i| i + 1);
    let mut budget = budget_tokens as usize * 4;
    if let Some(prompt) = system_prompt {
        budget = budget.saturating_sub(quarter_tokens(prompt));
    }
    let mut taken: Vec<ChatMessage> = Vec::new();
    for m in upto[start..].iter().rev() {
        let Some(mut said) = read(m, assistant, name, group) else { continue };
        let cost = quarter_tokens(&said.content);
        if cost > budget {
            if m.seq == question {
                said.content = truncate_to(&said.content, budget).to_owned();
                taken.push(said);
            }
            break;
        }
        budget -= cost;
        taken.push(said);
    }
    taken.reverse();
    let mut out: Vec<ChatMessage> = Vec::with_capacity(taken.len() + 1);
    if let Some(prompt) = system_prompt.filter(|p| !p.trim().is_empty()) {
        out.push(ChatMessage { role: "system", content: prompt.to_owned() });
    }
    for said in taken {
        match out.last_mut() {
            Some(last) if last.role == said.role && last.role != "system" => {
                last.content.push_str("\n\n");
                last.content.push_str(&said.content);
            }
            _ => out.push(said),
        }
    }
    out
}

/// Whether `text` calls the assistant by one of `names` (`@name`, any case).
pub fn mentions(text: &str, names: &[&str]) -> bool {
    let lower = text.to_lowercase();
    names.iter().filter(|n| !n.is_empty()).any(|n| {
        let at = format!("@{}", n.to_lowercase());
        lower.match_indices(&at).any(|(i, _)| {
            // Not the start of a longer word ("@assistants").
            lower[i + at.len()..].chars().next().is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_')
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ling_proto::messages::{FileRef, ReplyEnd};

    const AI: UserId = 9;

    fn msg(seq: Seq, sender: UserId, content: MessageContent) -> Message {
        Message {
            conversation_id: 1,
            seq,
            sender_id: sender,
            client_msg_id: String::new(),
            send_time: seq * 1000,
            content,
            reply_to: None,
        }
    }

    fn text(seq: Seq, sender: UserId, t: &str) -> Message {
        msg(seq, sender, MessageContent::Text { text: t.into() })
    }

    fn name(id: UserId) -> String {
        format!("user{id}")
    }

    fn roles(out: &[ChatMessage]) -> Vec<(&str, &str)> {
        out.iter().map(|m| (m.role, m.content.as_str())).collect()
    }

    #[test]
    fn test_a_direct_chat_reads_as_alternating_turns_after_the_prompt() {
        let h = vec![
            text(1, 1, "hi"),
            msg(2, AI, MessageContent::Assistant { text: "hello".into(), end: ReplyEnd::Finished, code: None }),
            text(3, 1, "what is 2+2?"),
            text(4, 1, "and 3+3?"),
        ];
        let out = build(&h, 4, AI, &name, false, Some("Be brief."), 1000);
        assert_eq!(
            roles(&out),
            vec![("system", "Be brief."), ("user", "hi"), ("assistant", "hello"), ("user", "what is 2+2?\n\nand 3+3?")]
        );
    }

    #[test]
    fn test_a_group_names_each_speaker_and_files_are_named_not_read() {
        let file = FileRef { id: "f".into(), name: "plan.pdf".into(), size: 1, mime: "application/pdf".into() };
        let h = vec![text(1, 1, "look"), msg(2, 2, MessageContent::File { file }), text(3, 2, "@assistant sum up")];
        let out = build(&h, 3, AI, &name, true, None, 1000);
        assert_eq!(roles(&out), vec![("user", "user1: look\n\nuser2: [file: plan.pdf]\n\nuser2: @assistant sum up")]);
    }

    #[test]
    fn test_nothing_before_a_new_topic_nor_after_the_question_is_read() {
        let h = vec![
            text(1, 1, "old subject"),
            msg(2, 1, MessageContent::System { event: SystemEvent::NewTopic { by: 1 } }),
            text(3, 1, "new subject"),
            text(4, 1, "later"),
        ];
        let out = build(&h, 3, AI, &name, false, None, 1000);
        assert_eq!(roles(&out), vec![("user", "new subject")]);
    }

    #[test]
    fn test_the_budget_keeps_the_newest_and_the_question_always_goes_in() {
        let h = vec![text(1, 1, &"a".repeat(400)), text(2, AI, &"b".repeat(400)), text(3, 1, &"c".repeat(40))];
        // 400 ASCII characters are 100 estimated tokens.
        let out = build(&h, 3, AI, &name, false, None, 120);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[1].content.len(), 40);
        // A question longer than the whole budget is cut to it.
        let long = vec![text(1, 1, &"字".repeat(50))];
        let out = build(&long, 1, AI, &name, false, None, 10);
        assert_eq!(out[0].content.chars().count(), 10);
    }

    #[test]
    fn test_failed_replies_without_text_calls_and_system_notes_are_left_out() {
        let h = vec![
            text(1, 1, "q"),
            msg(
                2,
                AI,
                MessageContent::Assistant {
                    text: String::new(),
                    end: ReplyEnd::Failed,
                    code: Some(ling_proto::ErrorCode::AssistantTimeout),
                },
            ),
            msg(3, 1, MessageContent::Recalled),
            text(4, 1, "q again"),
        ];
        let out = build(&h, 4, AI, &name, false, None, 1000);
        assert_eq!(roles(&out), vec![("user", "q\n\nq again")]);
    }

    #[test]
    fn test_mentions_by_any_of_its_names_in_any_case_but_not_inside_a_word() {
        let names = ["Lingo", "assistant", "助手"];
        assert!(mentions("hey @lingo, what now?", &names));
        assert!(mentions("@ASSISTANT", &names));
        assert!(mentions("问一下@助手", &names));
        assert!(!mentions("lingo without the at", &names));
        assert!(!mentions("@lingobot", &names));
        assert!(!mentions("@assistants", &names));
    }
}
