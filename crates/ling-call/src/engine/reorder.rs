//! Receiving video: RTP packets arrive out of order (NACK retransmissions
//! come late), so they wait here until a whole picture is in, then leave as
//! one H.264 access unit. A picture whose packets do not all come within
//! `max_wait` is given up; from then on only a keyframe is let through (the
//! pictures after a loss refer to what was lost), and the caller asks the
//! sender for one.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::rtp::codec::h264::H264Packet;
use rtc::rtp::packetizer::Depacketizer;

use super::seq::SeqExtender;

/// How long a gap may wait for its retransmission.
pub(crate) const MAX_WAIT: Duration = Duration::from_millis(200);
/// The most packets held (a 720p keyframe is about 100).
const MAX_PACKETS: usize = 1024;

/// One RTP packet of video, as the assembler needs it.
#[derive(Debug, Clone)]
pub(crate) struct VideoPacket {
    pub(crate) seq: u16,
    pub(crate) timestamp: u32,
    pub(crate) marker: bool,
    pub(crate) payload: Bytes,
}

/// A whole picture, ready for the decoder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AccessUnit {
    pub(crate) timestamp: u32,
    /// Annex B NAL units.
    pub(crate) data: Vec<u8>,
    pub(crate) keyframe: bool,
}

/// What came out of one step.
#[derive(Debug, Default)]
pub(crate) struct Assembled {
    pub(crate) units: Vec<AccessUnit>,
    /// A picture was lost: ask the sender for a keyframe.
    pub(crate) need_keyframe: bool,
}

#[derive(Debug)]
struct Held {
    packet: VideoPacket,
    arrived: Instant,
}

/// Puts pictures back together from reordered packets.
#[derive(Debug)]
pub(crate) struct FrameAssembler {
    seqs: SeqExtender,
    held: BTreeMap<u64, Held>,
    /// The first packet of the next picture, once known.
    next: Option<u64>,
    /// After a loss, until a keyframe.
    waiting_for_keyframe: bool,
    /// Pictures given up.
    pub(crate) lost_pictures: u64,
}

impl Default for FrameAssembler {
    fn default() -> Self {
        FrameAssembler {
            seqs: SeqExtender::default(),
            held: BTreeMap::new(),
            next: None,
            waiting_for_keyframe: true,
            lost_pictures: 0,
        }
    }
}

impl FrameAssembler {
    /// Takes one packet and gives what is complete now.
    pub(crate) fn push(&mut self, packet: VideoPacket, now: Instant) -> Assembled {
        let ext = self.seqs.extend(packet.seq);
        if self.next.is_some_and(|next| ext < next) {
            // Late: its picture has left or been given up.
            return self.poll(now);
        }
        self.held.entry(ext).or_insert(Held { packet, arrived: now });
        self.poll(now)
    }

    /// Gives up on pictures that waited too long; call it now and then even
    /// when nothing arrives.
    pub(crate) fn poll(&mut self, now: Instant) -> Assembled {
        let mut out = Assembled::default();
        loop {
            if let Some(unit) = self.take_complete() {
                if unit.keyframe || !self.waiting_for_keyframe {
                    self.waiting_for_keyframe = false;
                    out.units.push(unit);
                } else {
                    out.need_keyframe = true;
                }
                continue;
            }
            let Some((&first, oldest)) = self.held.first_key_value() else { break };
            let stale = now.duration_since(oldest.arrived) >= MAX_WAIT || self.held.len() > MAX_PACKETS;
            if !stale {
                if self.next.is_none() {
                    // The stream's start: begin at the first picture whose start is seen.
                    if let Some(start) = self.first_picture_start() {
                        self.held.retain(|&ext, _| ext >= start);
                        self.next = Some(start);
                        continue;
                    }
                }
                break;
            }
            // Something before or in the front picture is lost for good.
            self.waiting_for_keyframe = true;
            self.lost_pictures += 1;
            out.need_keyframe = true;
            match self.first_picture_start() {
                Some(start) if self.next != Some(first) && self.next != Some(start) => {
                    // Skip to the next picture whose start is in, dropping the remnants before it.
                    self.held.retain(|&ext, _| ext >= start);
                    self.next = Some(start);
                }
                _ => {
                    let timestamp = oldest.packet.timestamp;
                    self.held.retain(|_, h| h.packet.timestamp != timestamp);
                    self.next = None;
                }
            }
        }
        out
    }

    /// The first held packet that follows a held end-of-picture, or whose
    /// picture is the oldest and starts with a first fragment.
    fn first_picture_start(&self) -> Option<u64> {
        let depacketizer = H264Packet::default();
        let mut previous: Option<(&u64, &Held)> = None;
        for (ext, held) in &self.held {
            let after_marker = previous.is_some_and(|(p, h)| *p + 1 == *ext && h.packet.marker);
            let new_timestamp = previous.is_none_or(|(_, h)| h.packet.timestamp != held.packet.timestamp);
            if after_marker || (new_timestamp && depacketizer.is_partition_head(&held.packet.payload)) {
                return Some(*ext);
            }
            previous = Some((ext, held));
        }
        None
    }

    /// The picture at `next`, if all its packets are in.
    fn take_complete(&mut self) -> Option<AccessUnit> {
        let start = self.next?;
        let mut end = start;
        loop {
            let held = self.held.get(&end)?;
            if held.packet.marker {
                break;
            }
            end += 1;
        }
        let mut depacketizer = H264Packet::default();
        let mut data = Vec::new();
        let mut timestamp = 0;
        let mut broken = false;
        for ext in start..=end {
            let held = self.held.remove(&ext).expect("checked above");
            timestamp = held.packet.timestamp;
            match depacketizer.depacketize(&held.packet.payload) {
                Ok(nal) => data.extend_from_slice(&nal),
                Err(_) => broken = true,
            }
        }
        self.next = Some(end + 1);
        if broken || data.is_empty() {
            self.waiting_for_keyframe = true;
            self.lost_pictures += 1;
            return self.take_complete();
        }
        let keyframe = contains_keyframe(&data);
        Some(AccessUnit { timestamp, data, keyframe })
    }
}

/// Whether an Annex B access unit holds an IDR picture or a sequence
/// parameter set (what a decoder can start from).
pub(crate) fn contains_keyframe(data: &[u8]) -> bool {
    let mut i = 0;
    while i + 3 < data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            let nal_type = data[i + 3] & 0x1f;
            if nal_type == 5 || nal_type == 7 {
                return true;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture as RTP packets: one single-NAL packet, or FU-A fragments.
    fn picture(seq: u16, timestamp: u32, nal_type: u8, fragments: usize) -> Vec<VideoPacket> {
        if fragments == 1 {
            return vec![VideoPacket {
                seq,
                timestamp,
                marker: true,
                payload: Bytes::from(vec![0x60 | nal_type, 1, 2, 3]),
            }];
        }
        (0..fragments)
            .map(|i| {
                let mut fu_header = nal_type;
                if i == 0 {
                    fu_header |= 0x80;
                }
                if i + 1 == fragments {
                    fu_header |= 0x40;
                }
                VideoPacket {
                    seq: seq.wrapping_add(i as u16),
                    timestamp,
                    marker: i + 1 == fragments,
                    payload: Bytes::from(vec![0x60 | 28, fu_header, i as u8, 9]),
                }
            })
            .collect()
    }

    fn feed(a: &mut FrameAssembler, packets: &[VideoPacket], now: Instant) -> Assembled {
        let mut all = Assembled::default();
        for p in packets {
            let out = a.push(p.clone(), now);
            all.units.extend(out.units);
            all.need_keyframe |= out.need_keyframe;
        }
        all
    }

    #[test]
    fn reordered_packets_make_whole_pictures_in_order() {
        let now = Instant::now();
        let mut a = FrameAssembler::default();
        let mut packets = picture(65533, 1000, 5, 3); // a keyframe across the wrap
        packets.extend(picture(0, 4000, 1, 2));
        packets.swap(0, 2);
        packets.swap(3, 4);
        let out = feed(&mut a, &packets, now);
        let stamps: Vec<u32> = out.units.iter().map(|u| u.timestamp).collect();
        assert_eq!(stamps, [1000, 4000]);
        assert!(out.units[0].keyframe && !out.units[1].keyframe);
        // The fragments are joined under one NAL header.
        assert_eq!(out.units[0].data, [0, 0, 0, 1, 0x65, 0, 9, 1, 9, 2, 9]);
        assert!(!out.need_keyframe);
    }

    #[test]
    fn a_lost_picture_is_given_up_and_only_a_keyframe_restarts() {
        let start = Instant::now();
        let mut a = FrameAssembler::default();
        assert_eq!(feed(&mut a, &picture(10, 0, 5, 1), start).units.len(), 1);
        // Picture 11–12 loses packet 11; 13 and the keyframe 14 arrive.
        let mut later = picture(11, 3000, 1, 2);
        later.remove(0);
        later.extend(picture(13, 6000, 1, 1));
        let out = feed(&mut a, &later, start);
        assert!(out.units.is_empty(), "waits for the retransmission");
        let out = a.poll(start + MAX_WAIT);
        assert!(out.need_keyframe && out.units.is_empty(), "13 refers to the lost picture");
        let out = feed(&mut a, &picture(14, 9000, 5, 1), start + MAX_WAIT);
        assert_eq!(out.units.iter().map(|u| u.timestamp).collect::<Vec<_>>(), [9000]);
        assert_eq!(a.lost_pictures, 1);
        // A late retransmission of 11 is ignored.
        assert!(feed(&mut a, &picture(11, 3000, 1, 2)[..1], start + MAX_WAIT).units.is_empty());
    }

    #[test]
    fn a_stream_joined_midway_starts_at_a_keyframe() {
        let now = Instant::now();
        let mut a = FrameAssembler::default();
        let mut packets = picture(100, 0, 1, 3);
        packets.remove(0); // the stream's first packet we see is a middle fragment
        packets.extend(picture(103, 3000, 1, 1));
        let out = feed(&mut a, &packets, now);
        assert!(out.units.is_empty() && out.need_keyframe, "{out:?}");
        let out = feed(&mut a, &picture(104, 6000, 5, 2), now);
        assert_eq!(out.units.len(), 1);
        assert!(out.units[0].keyframe);
    }
}
