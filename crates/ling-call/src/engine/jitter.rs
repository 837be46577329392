//! Receiving audio: Opus packets (one per 20 ms) arrive unevenly, so they
//! wait here and leave one per 20 ms tick of the playout clock. The buffer
//! starts playing once `target` packets are in, grows its target after it
//! ran dry (a jittery path) and sheds packets when it holds too many (so the
//! delay does not creep up). A packet missing at its turn is reported with
//! the packet after it, for Opus's in-band FEC or its concealment.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::seq::SeqExtender;

/// Packets held before playing starts (40 ms).
const START_TARGET: usize = 2;
/// The most the target grows to (120 ms).
const MAX_TARGET: usize = 6;
/// Held beyond this, the oldest are dropped.
const MAX_HELD: usize = 12;
/// Missing turns in a row before the buffer starts over (a stopped sender).
const MAX_CONCEALED: u32 = 10;
/// Turns with too many packets waiting before one is shed (0.5 s).
const SHED_AFTER_TURNS: u32 = 25;
/// Turns without running dry before the target comes down (10 s).
const CALM_TURNS: u32 = 500;

/// What to play for one 20 ms turn.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Turn {
    /// Decode this packet.
    Packet(Bytes),
    /// The packet for this turn is missing: conceal it, with the next
    /// packet's FEC when there is one.
    Missing { next: Option<Bytes> },
    /// Not playing (nothing received yet, or starting over).
    Silent,
}

/// The audio jitter buffer of one remote sender.
#[derive(Debug)]
pub(crate) struct JitterBuffer {
    seqs: SeqExtender,
    held: BTreeMap<u64, Bytes>,
    /// The sequence number of the next turn, while playing.
    playing: Option<u64>,
    target: usize,
    /// Ran dry: concealing until `target` packets are in again.
    rebuffering: bool,
    concealed_in_a_row: u32,
    excess_turns: u32,
    turns_since_dry: u32,
    /// Turns that had no packet (for the quality figure).
    pub(crate) missing: u64,
    /// Turns played from a packet.
    pub(crate) played: u64,
}

impl Default for JitterBuffer {
    fn default() -> Self {
        JitterBuffer {
            seqs: SeqExtender::default(),
            held: BTreeMap::new(),
            playing: None,
            target: START_TARGET,
            rebuffering: false,
            concealed_in_a_row: 0,
            excess_turns: 0,
            turns_since_dry: 0,
            missing: 0,
            played: 0,
        }
    }
}

impl JitterBuffer {
    /// Takes a packet as it arrives.
    pub(crate) fn push(&mut self, seq: u16, payload: Bytes) {
        let ext = self.seqs.extend(seq);
        if self.playing.is_some_and(|next| ext < next) {
            return; // too late for its turn
        }
        self.held.insert(ext, payload);
        while self.held.len() > MAX_HELD {
            // Catch up: drop the oldest and move the turn past it.
            let (oldest, _) = self.held.pop_first().expect("not empty");
            if let Some(next) = self.playing.as_mut() {
                *next = (*next).max(oldest + 1);
            }
        }
    }

    /// The packets waiting.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.held.len()
    }

    /// The next 20 ms turn.
    pub(crate) fn next_turn(&mut self) -> Turn {
        if self.playing.is_some() {
            self.adapt();
        }
        let Some(next) = self.playing else {
            if self.held.len() < self.target {
                return Turn::Silent;
            }
            let first = *self.held.keys().next().expect("holds target packets");
            self.playing = Some(first);
            self.rebuffering = false;
            return self.next_turn();
        };
        if self.rebuffering && self.held.len() >= self.target {
            self.rebuffering = false;
        }
        if !self.rebuffering
            && let Some(packet) = self.held.remove(&next)
        {
            self.playing = Some(next + 1);
            self.concealed_in_a_row = 0;
            self.played += 1;
            self.turns_since_dry += 1;
            return Turn::Packet(packet);
        }
        self.missing += 1;
        self.concealed_in_a_row += 1;
        if self.concealed_in_a_row > MAX_CONCEALED {
            // The sender stopped (or jumped): start over.
            self.playing = None;
            self.concealed_in_a_row = 0;
            self.held.clear();
            return Turn::Silent;
        }
        if self.held.is_empty() || self.rebuffering {
            // Ran dry: stretch (conceal without moving on) until the target
            // is held again, and hold more from now on.
            if !self.rebuffering {
                self.rebuffering = true;
                self.target = (self.target + 1).min(MAX_TARGET);
                self.turns_since_dry = 0;
            }
            return Turn::Missing { next: None };
        }
        // Lost: move on.
        self.playing = Some(next + 1);
        Turn::Missing { next: self.held.get(&(next + 1)).cloned() }
    }

    /// Sheds a packet when more than needed have been waiting for a while
    /// (after a burst), and lowers the target after a calm spell.
    fn adapt(&mut self) {
        if self.held.len() > self.target + 2 {
            self.excess_turns += 1;
        } else {
            self.excess_turns = 0;
        }
        if self.excess_turns >= SHED_AFTER_TURNS {
            self.excess_turns = 0;
            if let (Some((oldest, _)), Some(next)) = (self.held.pop_first(), self.playing.as_mut()) {
                *next = (*next).max(oldest + 1);
            }
        }
        if self.turns_since_dry >= CALM_TURNS && self.target > START_TARGET {
            self.target -= 1;
            self.turns_since_dry = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(n: u8) -> Bytes {
        Bytes::from(vec![n])
    }

    #[test]
    fn it_waits_for_the_target_then_plays_in_order() {
        let mut jb = JitterBuffer::default();
        jb.push(65535, packet(1));
        assert_eq!(jb.next_turn(), Turn::Silent);
        jb.push(1, packet(3));
        jb.push(0, packet(2));
        assert_eq!(jb.next_turn(), Turn::Packet(packet(1)));
        assert_eq!(jb.next_turn(), Turn::Packet(packet(2)));
        assert_eq!(jb.next_turn(), Turn::Packet(packet(3)));
    }

    #[test]
    fn a_missing_packet_comes_with_the_next_for_fec_and_a_late_one_is_dropped() {
        let mut jb = JitterBuffer::default();
        jb.push(10, packet(10));
        jb.push(12, packet(12));
        assert_eq!(jb.next_turn(), Turn::Packet(packet(10)));
        assert_eq!(jb.next_turn(), Turn::Missing { next: Some(packet(12)) });
        jb.push(11, packet(11));
        assert_eq!(jb.len(), 1, "11 came after its turn");
        assert_eq!(jb.next_turn(), Turn::Packet(packet(12)));
        assert_eq!((jb.played, jb.missing), (2, 1));
    }

    #[test]
    fn running_dry_raises_the_target_and_a_backlog_is_shed() {
        let mut jb = JitterBuffer::default();
        jb.push(0, packet(0));
        jb.push(1, packet(1));
        jb.next_turn();
        jb.next_turn();
        assert!(matches!(jb.next_turn(), Turn::Missing { next: None }));
        assert_eq!(jb.target, START_TARGET + 1);
        // It stretches until the new target is in.
        jb.push(2, packet(2));
        jb.push(3, packet(3));
        assert_eq!(jb.next_turn(), Turn::Missing { next: None });
        jb.push(4, packet(4));
        assert_eq!(jb.next_turn(), Turn::Packet(packet(2)));
        // A burst after a stall: no more than MAX_HELD wait.
        for seq in 5..40u16 {
            jb.push(seq, packet(seq as u8));
        }
        assert_eq!(jb.len(), MAX_HELD);
        assert_eq!(jb.next_turn(), Turn::Packet(packet(40 - MAX_HELD as u8)));
        // Too many waiting for half a second: one is shed.
        let before = jb.len();
        for seq in 40..40 + SHED_AFTER_TURNS as u16 {
            jb.push(seq, packet(0));
            assert!(matches!(jb.next_turn(), Turn::Packet(_)), "shedding skips a packet, it does not conceal one");
        }
        assert_eq!(jb.len(), before - 1);
    }

    #[test]
    fn a_silent_sender_makes_it_start_over() {
        let mut jb = JitterBuffer::default();
        jb.push(0, packet(0));
        jb.push(1, packet(1));
        for _ in 0..2 {
            assert!(matches!(jb.next_turn(), Turn::Packet(_)));
        }
        for _ in 0..MAX_CONCEALED {
            assert!(matches!(jb.next_turn(), Turn::Missing { .. }));
        }
        assert_eq!(jb.next_turn(), Turn::Silent);
        // It picks up wherever the sender is now.
        for seq in 500..504u16 {
            jb.push(seq, packet(seq as u8));
        }
        assert_eq!(jb.next_turn(), Turn::Packet(packet(500u16 as u8)));
    }
}
