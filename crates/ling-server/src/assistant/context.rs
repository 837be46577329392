//! What the model reads: a conversation's recent messages as Chat
//! Completions messages, within a budget of estimated tokens. Pure.
//!
//! The estimate, in quarters of a token: an ASCII letter, digit or space
//! counts one quarter, other ASCII (punctuation, code's symbols) a whole
//! token, any other character (Chinese, accents, emoji) two. Measured against
//! SmolLM2's tokenizer (a small vocabulary, the most tokens per text of those
//! tried) on English, Chinese, code and mixed chat it comes out at or above
//! the real count (docs/benchmarks.md, "The assistant on a real model"), so a
//! budget under a model's context window keeps the request inside it.

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

/// One character's estimated tokens, in quarters.
fn quarters(c: char) -> usize {
    if c.is_ascii_alphanumeric() || c.is_ascii_whitespace() {
        1
    } else if c.is_ascii() {
        4
    } else {
        8
    }
}

/// Estimated tokens of `text`, in quarters.
fn quarter_tokens(text: &str) -> usize {
    text.chars().map(quarters).sum()
}

/// The longest start of `text` within `quarters` estimated quarter tokens.
fn truncate_to(text: &str, budget: usize) -> &str {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += quarters(c);
        if used > budget {
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
        MessageContent::Text { text, .. } => Some(said(text.clone())),
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
            changes: Default::default(),
            forwarded: false,
            mentions: Default::default(),
        }
    }

    fn text(seq: Seq, sender: UserId, t: &str) -> Message {
        msg(seq, sender, MessageContent::text(t))
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
        assert_eq!(out[0].content.chars().count(), 5, "two tokens a character");
    }

    #[test]
    fn test_the_estimate_weighs_words_symbols_and_other_scripts() {
        assert_eq!(quarter_tokens("word word"), 9);
        assert_eq!(quarter_tokens("a();"), 13);
        assert_eq!(quarter_tokens("你好"), 16);
        // The samples measured with SmolLM2's tokenizer (docs/benchmarks.md):
        // the estimate is at or above its count.
        let measured = [
            (
                "Ling is a self-hosted chat system written in Rust: a native desktop app and the server it talks \
                 to. People chat one-to-one and in groups with text, emoji, images and files, make voice and video \
                 calls, and read their history offline. The server is one binary with an embedded SQLite \
                 database, and it can give everyone an AI assistant to chat with.",
                81,
            ),
            (
                "翎是一个用 Rust 编写的自托管聊天系统：一个原生桌面应用和它所连接的服务器。人们可以一对一或在群组中用\
                 文字、表情、图片和文件聊天，进行语音和视频通话，并离线阅读历史记录。服务器是一个内嵌 SQLite 数据库的\
                 单一程序，还可以为每个人提供一个 AI 助手。",
                185,
            ),
            (
                "fn main() {\n    let names = vec![\"amy\", \"bob\"];\n    for (i, name) in names.iter().enumerate() {\n        \
                 println!(\"{i}: {name}\");\n    }\n}\n",
                50,
            ),
            ("@assistant 明天下午三点开会，帮我写一个 agenda: 1) release plan 2) bug triage 3) 午饭订哪家？", 57),
        ];
        for (text, tokens) in measured {
            assert!(quarter_tokens(text) / 4 >= tokens, "{} < {tokens} for {text:?}", quarter_tokens(text) / 4);
        }
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
