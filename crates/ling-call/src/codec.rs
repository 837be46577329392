//! The codecs: Opus for audio, H.264 constrained baseline for video (the
//! pair browsers also speak: `profile-level-id=42e01f`, packetization mode 1).
//!
//! H.264 is OpenH264 built from source by the `openh264` crate. Cisco's
//! patent licence covers only the binaries Cisco itself distributes, so a
//! build of Ling that ships this code carries the H.264 patent question
//! itself (see ARCHITECTURE.md).

use openh264::OpenH264API;
use openh264::decoder::Decoder;
use openh264::encoder::{
    BitRate, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, Level, Profile, RateControlMode, UsageType,
};
use openh264::formats::YUVSource;

use crate::{AudioFrame, CallError, CallResult, FRAME_SAMPLES, SAMPLE_RATE, VideoFrame};

/// The largest Opus packet a frame may take (RFC 6716 allows 1275 bytes).
const MAX_OPUS_PACKET: usize = 1275;

/// Compresses 20 ms audio frames with Opus (VoIP mode, in-band FEC on).
pub struct OpusEncoder {
    inner: opus::Encoder,
}

impl OpusEncoder {
    /// An encoder aiming at `bitrate_bps` (6,000 to 510,000).
    pub fn new(bitrate_bps: u32) -> CallResult<OpusEncoder> {
        let mut inner = opus::Encoder::new(SAMPLE_RATE, opus::Channels::Mono, opus::Application::Voip)
            .map_err(|e| CallError::codec("opus", e))?;
        inner.set_inband_fec(true).map_err(|e| CallError::codec("opus", e))?;
        let mut encoder = OpusEncoder { inner };
        encoder.set_bitrate(bitrate_bps)?;
        Ok(encoder)
    }

    /// Follows the bandwidth estimate.
    pub fn set_bitrate(&mut self, bitrate_bps: u32) -> CallResult<()> {
        let bps = bitrate_bps.clamp(6_000, 510_000) as i32;
        self.inner.set_bitrate(opus::Bitrate::Bits(bps)).map_err(|e| CallError::codec("opus", e))
    }

    /// Tells the encoder how much loss to protect against (FEC).
    pub fn set_expected_loss(&mut self, percent: u8) -> CallResult<()> {
        self.inner.set_packet_loss_perc(i32::from(percent.min(100))).map_err(|e| CallError::codec("opus", e))
    }

    /// How many samples the encoder delays its output by (an Ogg file's
    /// pre-skip).
    pub fn lookahead(&mut self) -> CallResult<u32> {
        let n = self.inner.get_lookahead().map_err(|e| CallError::codec("opus", e))?;
        Ok(n.max(0) as u32)
    }

    /// One packet for one frame.
    pub fn encode(&mut self, frame: &AudioFrame) -> CallResult<Vec<u8>> {
        if frame.samples.len() != FRAME_SAMPLES {
            return Err(CallError::Unsupported(format!(
                "{} samples (a frame is {FRAME_SAMPLES})",
                frame.samples.len()
            )));
        }
        let mut out = vec![0u8; MAX_OPUS_PACKET];
        let n = self.inner.encode(&frame.samples, &mut out).map_err(|e| CallError::codec("opus", e))?;
        out.truncate(n);
        Ok(out)
    }
}

/// Turns Opus packets back into 20 ms frames, and covers lost ones.
pub struct OpusDecoder {
    inner: opus::Decoder,
}

impl OpusDecoder {
    pub fn new() -> CallResult<OpusDecoder> {
        let inner = opus::Decoder::new(SAMPLE_RATE, opus::Channels::Mono).map_err(|e| CallError::codec("opus", e))?;
        Ok(OpusDecoder { inner })
    }

    /// The frame a packet holds (stamped `capture_us`).
    pub fn decode(&mut self, packet: &[u8], capture_us: u64) -> CallResult<AudioFrame> {
        self.run(packet, false, capture_us)
    }

    /// A frame that was lost: rebuilt from the FEC data of the packet after
    /// it when that one is at hand, otherwise concealed.
    pub fn recover(&mut self, next_packet: Option<&[u8]>, capture_us: u64) -> CallResult<AudioFrame> {
        match next_packet {
            Some(p) => self.run(p, true, capture_us),
            None => self.run(&[], false, capture_us),
        }
    }

    fn run(&mut self, packet: &[u8], fec: bool, capture_us: u64) -> CallResult<AudioFrame> {
        let mut samples = vec![0i16; FRAME_SAMPLES];
        let n = self.inner.decode(packet, &mut samples, fec).map_err(|e| CallError::codec("opus", e))?;
        if n != FRAME_SAMPLES {
            return Err(CallError::codec("opus", format!("a packet of {n} samples (not 20 ms)")));
        }
        Ok(AudioFrame { samples, capture_us })
    }
}

/// Compresses pictures to H.264 constrained baseline (Annex B byte stream,
/// one access unit a picture).
pub struct H264Encoder {
    inner: Encoder,
    fps: u32,
    bitrate_bps: u32,
    /// A new bitrate waiting for the next picture (the encoder is made anew).
    pending_bitrate: Option<u32>,
}

impl H264Encoder {
    /// An encoder for `fps` pictures a second at about `bitrate_bps`.
    pub fn new(fps: u32, bitrate_bps: u32) -> CallResult<H264Encoder> {
        let fps = fps.clamp(1, 60);
        Ok(H264Encoder { inner: Self::make(fps, bitrate_bps)?, fps, bitrate_bps, pending_bitrate: None })
    }

    fn make(fps: u32, bitrate_bps: u32) -> CallResult<Encoder> {
        let config = EncoderConfig::new()
            .bitrate(BitRate::from_bps(bitrate_bps.clamp(50_000, 20_000_000)))
            .max_frame_rate(FrameRate::from_hz(fps as f32))
            .rate_control_mode(RateControlMode::Bitrate)
            .usage_type(UsageType::CameraVideoRealTime)
            .profile(Profile::Baseline)
            .level(Level::Level_3_1)
            // Frame skipping keeps the bitrate from overshooting.
            .skip_frames(true)
            // A keyframe every 10 s at most; receivers ask for more (PLI).
            .intra_frame_period(IntraFramePeriod::from_num_frames(fps * 10));
        Encoder::with_api_config(OpenH264API::from_source(), config).map_err(|e| CallError::codec("h264", e))
    }

    /// Follows the bandwidth estimate: a change of a quarter or more takes
    /// effect at the next picture (which is then a keyframe).
    pub fn set_bitrate(&mut self, bitrate_bps: u32) {
        let current = self.pending_bitrate.unwrap_or(self.bitrate_bps);
        if bitrate_bps.abs_diff(current) * 4 >= current {
            self.pending_bitrate = Some(bitrate_bps);
        }
    }

    /// The bitrate aimed at.
    pub fn bitrate(&self) -> u32 {
        self.bitrate_bps
    }

    /// The next picture will be a keyframe (a receiver lost its reference).
    pub fn request_keyframe(&mut self) {
        self.inner.force_intra_frame();
    }

    /// One access unit for one picture; empty when the encoder skipped it to
    /// hold the bitrate.
    pub fn encode(&mut self, frame: &VideoFrame) -> CallResult<Vec<u8>> {
        if let Some(bps) = self.pending_bitrate.take() {
            self.inner = Self::make(self.fps, bps)?;
            self.bitrate_bps = bps;
        }
        let stream = self.inner.encode(frame).map_err(|e| CallError::codec("h264", e))?;
        Ok(stream.to_vec())
    }
}

/// Turns H.264 access units back into pictures.
pub struct H264Decoder {
    inner: Decoder,
}

impl H264Decoder {
    pub fn new() -> CallResult<H264Decoder> {
        let inner = Decoder::new().map_err(|e| CallError::codec("h264", e))?;
        Ok(H264Decoder { inner })
    }

    /// The picture an access unit completes (none while it waits for a
    /// keyframe or more data). A corrupt unit is an error; the caller asks
    /// the sender for a keyframe.
    pub fn decode(&mut self, access_unit: &[u8], capture_us: u64) -> CallResult<Option<VideoFrame>> {
        let Some(yuv) = self.inner.decode(access_unit).map_err(|e| CallError::codec("h264", e))? else {
            return Ok(None);
        };
        let mut frame = VideoFrame::from_strided(yuv.dimensions(), yuv.strides(), (yuv.y(), yuv.u(), yuv.v()))?;
        frame.capture_us = capture_us;
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{AudioSource, VideoSource};
    use crate::synthetic::{TestPattern, Tone, dominant_frequency, frame_index};

    #[test]
    fn a_tone_survives_opus() {
        let mut tone = Tone::new(440.0);
        let mut enc = OpusEncoder::new(32_000).unwrap();
        let mut dec = OpusDecoder::new().unwrap();
        let mut heard = Vec::new();
        for i in 0..25 {
            let frame = tone.read().unwrap();
            let packet = enc.encode(&frame).unwrap();
            assert!(!packet.is_empty() && packet.len() < 200, "{} bytes at 32 kb/s", packet.len());
            let out = dec.decode(&packet, frame.capture_us).unwrap();
            assert_eq!(out.capture_us, i * 20_000);
            heard.extend(out.samples);
        }
        // After the codec's start-up, the tone is there.
        let found = dominant_frequency(&heard[4800..]).unwrap();
        assert!((found - 440.0).abs() < 3.0, "{found}");
    }

    #[test]
    fn a_lost_opus_packet_is_covered() {
        let mut tone = Tone::new(440.0);
        let mut enc = OpusEncoder::new(32_000).unwrap();
        enc.set_expected_loss(10).unwrap();
        let mut dec = OpusDecoder::new().unwrap();
        let packets: Vec<Vec<u8>> = (0..10).map(|_| enc.encode(&tone.read().unwrap()).unwrap()).collect();
        for p in &packets[..5] {
            dec.decode(p, 0).unwrap();
        }
        // Packet 5 lost: FEC from packet 6, then a gap with nothing at all.
        let rebuilt = dec.recover(Some(&packets[6]), 100_000).unwrap();
        assert!(rebuilt.samples.iter().any(|&s| s.unsigned_abs() > 1000), "FEC carries the tone");
        dec.decode(&packets[6], 120_000).unwrap();
        let concealed = dec.recover(None, 140_000).unwrap();
        assert_eq!(concealed.samples.len(), FRAME_SAMPLES);
        // A corrupt packet does not upset the decoder for the next one.
        let _ = dec.decode(&[0xff; 3], 0);
        let after = dec.decode(&packets[7], 160_000).unwrap();
        assert!(after.samples.iter().any(|&s| s.unsigned_abs() > 1000));
        assert_eq!(
            enc.encode(&AudioFrame { samples: vec![0; 100], capture_us: 0 }).unwrap_err().code(),
            "unsupported_media"
        );
    }

    #[test]
    fn the_test_pattern_survives_h264_with_its_size_and_index() {
        let mut pattern = TestPattern::new(640, 480, 30).unwrap();
        let mut enc = H264Encoder::new(30, 1_500_000).unwrap();
        let mut dec = H264Decoder::new().unwrap();
        let mut decoded = 0;
        for i in 0..30u32 {
            let frame = pattern.read().unwrap();
            let unit = enc.encode(&frame).unwrap();
            if unit.is_empty() {
                continue;
            }
            if i == 0 {
                // The first unit starts with SPS (NAL type 7) for constrained baseline.
                let sps = unit.windows(5).find(|w| w[..4] == [0, 0, 0, 1] && w[4] & 0x1f == 7);
                assert!(sps.is_some(), "an SPS first");
            }
            if let Some(out) = dec.decode(&unit, frame.capture_us).unwrap() {
                assert_eq!((out.width, out.height), (640, 480));
                assert_eq!(frame_index(&out), Some(i), "picture {i}");
                assert_eq!(out.capture_us, frame.capture_us);
                decoded += 1;
            }
        }
        assert!(decoded >= 25, "{decoded} of 30 pictures decoded");
    }

    #[test]
    fn a_keyframe_on_request_and_a_new_bitrate_at_the_next_picture() {
        let mut pattern = TestPattern::new(320, 240, 30).unwrap();
        let mut enc = H264Encoder::new(30, 500_000).unwrap();
        let is_idr = |unit: &[u8]| unit.windows(5).any(|w| w[..4] == [0, 0, 0, 1] && w[4] & 0x1f == 5);
        let first = enc.encode(&pattern.read().unwrap()).unwrap();
        assert!(is_idr(&first));
        let second = enc.encode(&pattern.read().unwrap()).unwrap();
        assert!(!is_idr(&second), "a delta picture");
        enc.request_keyframe();
        assert!(is_idr(&enc.encode(&pattern.read().unwrap()).unwrap()), "a keyframe on request");
        enc.set_bitrate(520_000);
        assert_eq!(enc.bitrate(), 500_000, "a small change waits");
        enc.set_bitrate(250_000);
        let unit = enc.encode(&pattern.read().unwrap()).unwrap();
        assert_eq!(enc.bitrate(), 250_000);
        assert!(is_idr(&unit));
        // A decoder given garbage says so, and goes on after a keyframe.
        let mut dec = H264Decoder::new().unwrap();
        let _ = dec.decode(&[0, 0, 0, 1, 0x65, 0xff, 0xff], 0);
        enc.request_keyframe();
        let unit = enc.encode(&pattern.read().unwrap()).unwrap();
        assert!(dec.decode(&unit, 0).unwrap().is_some());
    }
}
