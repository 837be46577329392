//! Relations: messages that change an earlier one (an edit, a reaction)
//! rather than being shown themselves, and how they fold into it.
//!
//! A relation takes the next seq like any message, so catch-up by seq
//! brings it to people who were offline; it names its target by seq. What
//! the relations so far did is kept beside the target as [`Changes`], on the
//! server and in a client's cache. Folding is last-writer-wins by seq, per
//! edit and per (person, emoji): folding the same relations in any order,
//! any number of times, or merging two folded copies, gives the same result.
//! The server and the client core both fold with these functions.

use crate::UserId;
use crate::messages::{Changes, Edited, Message, MessageContent, ReactionMark};

/// Folds `relation` into a message's `content` and `changes`; whether
/// anything changed. A relation of another kind, or one older than what is
/// folded, changes nothing. A recalled message stays recalled.
pub fn fold(content: &mut MessageContent, changes: &mut Changes, relation: &Message) -> bool {
    match &relation.content {
        MessageContent::Edit { text, .. } => {
            if matches!(content, MessageContent::Recalled) || changes.edited.is_some_and(|e| e.seq >= relation.seq) {
                return false;
            }
            // The link preview stays while the new text still has its link.
            let preview = match std::mem::replace(content, MessageContent::Recalled) {
                MessageContent::Text { preview, .. } => preview.filter(|p| text.contains(&p.url)),
                _ => None,
            };
            *content = MessageContent::Text { text: text.clone(), preview };
            changes.edited = Some(Edited { seq: relation.seq, time: relation.send_time });
            true
        }
        MessageContent::Reaction { emoji, on, .. } => {
            let mark = ReactionMark { emoji: emoji.clone(), user_id: relation.sender_id, seq: relation.seq, on: *on };
            merge_mark(&mut changes.reactions, mark)
        }
        _ => false,
    }
}

/// Merges `other`, another folded copy of the same message (the server's,
/// say, against the cache's), into `content` and `changes`; whether
/// anything changed. The newer edit's text wins; a recall wins over both.
pub fn merge(content: &mut MessageContent, changes: &mut Changes, other: (&MessageContent, &Changes)) -> bool {
    let (other_content, other_changes) = other;
    let mut changed = false;
    if !matches!(content, MessageContent::Recalled) {
        let newer = matches!(other_content, MessageContent::Recalled)
            || other_changes.edited.map(|e| e.seq) > changes.edited.map(|e| e.seq);
        if newer && content != other_content {
            *content = other_content.clone();
            changed = true;
        }
    }
    if other_changes.edited.map(|e| e.seq) > changes.edited.map(|e| e.seq) {
        changes.edited = other_changes.edited;
        changed = true;
    }
    for mark in &other_changes.reactions {
        changed |= merge_mark(&mut changes.reactions, mark.clone());
    }
    changed
}

fn merge_mark(marks: &mut Vec<ReactionMark>, mark: ReactionMark) -> bool {
    match marks.iter_mut().find(|m| m.emoji == mark.emoji && m.user_id == mark.user_id) {
        Some(m) if m.seq >= mark.seq => false,
        Some(m) => {
            *m = mark;
            true
        }
        None => {
            marks.push(mark);
            true
        }
    }
}

/// One emoji's reactions to a message, as drawn.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReactionCount {
    /// The emoji.
    pub emoji: String,
    /// Who reacted with it, earliest first.
    pub user_ids: Vec<UserId>,
}

/// The reactions that are on, per emoji, in the order each emoji was first
/// used (the earliest reaction of those on).
pub fn reaction_counts(changes: &Changes) -> Vec<ReactionCount> {
    let mut on: Vec<&ReactionMark> = changes.reactions.iter().filter(|m| m.on).collect();
    on.sort_by_key(|m| m.seq);
    let mut out: Vec<ReactionCount> = Vec::new();
    for m in on {
        match out.iter_mut().find(|c| c.emoji == m.emoji) {
            Some(c) => c.user_ids.push(m.user_id),
            None => out.push(ReactionCount { emoji: m.emoji.clone(), user_ids: vec![m.user_id] }),
        }
    }
    out
}

/// Whether `user`'s reaction with `emoji` is on.
pub fn has_reacted(changes: &Changes, user: UserId, emoji: &str) -> bool {
    changes.reactions.iter().any(|m| m.user_id == user && m.emoji == emoji && m.on)
}

/// How many different emoji are on a message (for the server's limit).
pub fn emoji_in_use(changes: &Changes) -> usize {
    let mut emoji: Vec<&str> = changes.reactions.iter().filter(|m| m.on).map(|m| m.emoji.as_str()).collect();
    emoji.sort_unstable();
    emoji.dedup();
    emoji.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Seq;

    fn relation(seq: Seq, sender_id: UserId, content: MessageContent) -> Message {
        Message {
            conversation_id: 1,
            seq,
            sender_id,
            client_msg_id: String::new(),
            send_time: seq * 1000,
            content,
            reply_to: None,
            changes: Changes::default(),
            forwarded: false,
            mentions: Default::default(),
        }
    }

    fn edit(seq: Seq, text: &str) -> Message {
        relation(seq, 1, MessageContent::Edit { target: 1, text: text.into() })
    }

    fn react(seq: Seq, user: UserId, emoji: &str, on: bool) -> Message {
        relation(seq, user, MessageContent::Reaction { target: 1, emoji: emoji.into(), on })
    }

    fn text(t: &str) -> MessageContent {
        MessageContent::text(t)
    }

    /// Folds `relations` in order into a fresh "hi".
    fn folded(relations: &[Message]) -> (MessageContent, Changes) {
        let (mut content, mut changes) = (text("hi"), Changes::default());
        for r in relations {
            fold(&mut content, &mut changes, r);
        }
        changes.reactions.sort_by(|a, b| (&a.emoji, a.user_id).cmp(&(&b.emoji, b.user_id)));
        (content, changes)
    }

    #[test]
    fn test_the_newest_edit_wins_in_any_order() {
        let relations = [edit(5, "second"), edit(3, "first"), edit(7, "third")];
        let (content, changes) = folded(&relations);
        assert_eq!(content, text("third"));
        assert_eq!(changes.edited, Some(Edited { seq: 7, time: 7000 }));
        let mut reversed = relations.clone();
        reversed.reverse();
        assert_eq!(folded(&reversed), (content, changes));
    }

    #[test]
    fn test_a_reaction_taken_back_stays_gone_when_its_add_arrives_late() {
        let add = react(4, 2, "👍", true);
        let remove = react(6, 2, "👍", false);
        for order in [[add.clone(), remove.clone()], [remove.clone(), add.clone()]] {
            let (_, changes) = folded(&order);
            assert!(reaction_counts(&changes).is_empty(), "{order:?}");
            assert!(!has_reacted(&changes, 2, "👍"));
        }
    }

    #[test]
    fn test_folding_twice_changes_nothing_the_second_time() {
        let (mut content, mut changes) = (text("hi"), Changes::default());
        for r in [edit(3, "new"), react(4, 2, "🎉", true)] {
            assert!(fold(&mut content, &mut changes, &r));
            assert!(!fold(&mut content, &mut changes, &r), "{r:?} again");
        }
    }

    #[test]
    fn test_counts_group_people_by_emoji_in_the_order_first_used() {
        let (_, changes) = folded(&[
            react(3, 2, "❤️", true),
            react(4, 3, "👍", true),
            react(5, 3, "❤️", true),
            react(6, 4, "👍", true),
            react(7, 4, "👍", false),
        ]);
        assert_eq!(
            reaction_counts(&changes),
            vec![
                ReactionCount { emoji: "❤️".into(), user_ids: vec![2, 3] },
                ReactionCount { emoji: "👍".into(), user_ids: vec![3] },
            ]
        );
        assert_eq!(emoji_in_use(&changes), 2);
    }

    #[test]
    fn test_a_recalled_message_takes_no_edit() {
        let (mut content, mut changes) = (MessageContent::Recalled, Changes::default());
        assert!(!fold(&mut content, &mut changes, &edit(3, "back")));
        assert_eq!(content, MessageContent::Recalled);
    }

    #[test]
    fn test_merging_two_copies_keeps_the_newer_of_each_part() {
        // The cache folded the edit at 9 and a reaction at 8; the server's
        // copy was read before them but has a reaction at 6 the cache missed.
        let (mut content, mut changes) = folded(&[react(8, 2, "👍", true), edit(9, "cache's")]);
        let (server_content, server_changes) = folded(&[edit(5, "server's"), react(6, 3, "🎉", true)]);
        assert!(merge(&mut content, &mut changes, (&server_content, &server_changes)));
        assert_eq!(content, text("cache's"));
        assert_eq!(changes.edited.map(|e| e.seq), Some(9));
        assert_eq!(reaction_counts(&changes).len(), 2);
        // Merging it again changes nothing; a recall wins over any edit.
        assert!(!merge(&mut content, &mut changes, (&server_content, &server_changes)));
        assert!(merge(&mut content, &mut changes, (&MessageContent::Recalled, &Changes::default())));
        assert_eq!(content, MessageContent::Recalled);
    }

    #[test]
    fn test_merging_a_newer_copy_takes_its_text() {
        let (mut content, mut changes) = folded(&[edit(3, "old")]);
        let (newer, newer_changes) = folded(&[edit(5, "newer")]);
        assert!(merge(&mut content, &mut changes, (&newer, &newer_changes)));
        assert_eq!(content, text("newer"));
    }
}
