//! Voice notes: 20 ms frames to Opus in an Ogg file (RFC 7845) with a
//! waveform of its loudness, and back; and the time stretch that plays one
//! faster without raising its pitch.

use std::io::{Cursor, Write};

use ogg::{PacketReader, PacketWriteEndInfo, PacketWriter};

use crate::codec::{OpusDecoder, OpusEncoder};
use crate::{AudioFrame, CallError, CallResult, FRAME_SAMPLES, SAMPLE_RATE};

/// The bitrate a voice note is encoded at: clear speech in 180 KB for 1 minute.
pub const VOICE_BITRATE: u32 = 24_000;

/// The Ogg stream's serial number (one stream per file).
const SERIAL: u32 = 0x4c49_4e47; // "LING"

/// Packets per Ogg page (one second).
const PACKETS_PER_PAGE: u64 = 50;

fn ogg_error(e: impl std::fmt::Display) -> CallError {
    CallError::File { path: "voice note".into(), reason: e.to_string() }
}

/// What a finished recording is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceSummary {
    /// How long it plays.
    pub duration_ms: u64,
    /// Its loudness over time ([`waveform`]).
    pub waveform: Vec<u8>,
}

/// Writes frames as they come into an Ogg Opus stream.
pub struct VoiceWriter<W: Write> {
    out: PacketWriter<'static, W>,
    encoder: OpusEncoder,
    pre_skip: u64,
    frames: u64,
    /// Each frame's peak.
    peaks: Vec<u16>,
    /// The packet held back so the last one can end the stream.
    held: Option<Vec<u8>>,
}

impl<W: Write> VoiceWriter<W> {
    /// Starts a stream in `out`: its two header pages are written at once.
    pub fn new(out: W) -> CallResult<VoiceWriter<W>> {
        let mut encoder = OpusEncoder::new(VOICE_BITRATE)?;
        let pre_skip = u64::from(encoder.lookahead()?);
        let mut out = PacketWriter::new(out);
        let mut head = b"OpusHead".to_vec();
        head.push(1); // version
        head.push(1); // mono
        head.extend_from_slice(&(pre_skip as u16).to_le_bytes());
        head.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
        head.extend_from_slice(&0i16.to_le_bytes()); // output gain
        head.push(0); // channel mapping family 0
        out.write_packet(head, SERIAL, PacketWriteEndInfo::EndPage, 0).map_err(ogg_error)?;
        let vendor = concat!("Ling ", env!("CARGO_PKG_VERSION"));
        let mut tags = b"OpusTags".to_vec();
        tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        tags.extend_from_slice(vendor.as_bytes());
        tags.extend_from_slice(&0u32.to_le_bytes()); // no comments
        out.write_packet(tags, SERIAL, PacketWriteEndInfo::EndPage, 0).map_err(ogg_error)?;
        Ok(VoiceWriter { out, encoder, pre_skip, frames: 0, peaks: Vec::new(), held: None })
    }

    /// How long what was written plays, in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.frames * 20
    }

    /// The last frame's loudness, 0 to 255 (for a level meter).
    pub fn level(&self) -> u8 {
        self.peaks.last().map_or(0, |&p| loudness(p))
    }

    /// Encodes one 20 ms frame.
    pub fn push(&mut self, frame: &AudioFrame) -> CallResult<()> {
        let packet = self.encoder.encode(frame)?;
        self.peaks.push(peak(frame));
        if let Some(previous) = self.held.replace(packet) {
            self.write(previous, false)?;
        }
        self.frames += 1;
        Ok(())
    }

    fn write(&mut self, packet: Vec<u8>, last: bool) -> CallResult<()> {
        // The packet being written is number `written` (0-based); its end
        // in samples, the encoder's delay included, is its granule.
        let written = self.frames - u64::from(self.held.is_some() || last);
        let granule = self.pre_skip + (written + 1) * FRAME_SAMPLES as u64;
        let end = if last {
            PacketWriteEndInfo::EndStream
        } else if (written + 1) % PACKETS_PER_PAGE == 0 {
            PacketWriteEndInfo::EndPage
        } else {
            PacketWriteEndInfo::NormalPacket
        };
        self.out.write_packet(packet, SERIAL, end, granule).map_err(ogg_error)
    }

    /// Ends the stream; what it was, its waveform in at most `bars` bars
    /// (the protocol's limit). Nothing recorded is an error.
    pub fn finish(mut self, bars: usize) -> CallResult<(W, VoiceSummary)> {
        let last = self.held.take().ok_or_else(|| ogg_error("nothing was recorded"))?;
        self.write(last, true)?;
        let summary = VoiceSummary { duration_ms: self.duration_ms(), waveform: waveform(&self.peaks, bars) };
        Ok((self.out.into_inner(), summary))
    }
}

/// A frame's peak.
pub fn peak(frame: &AudioFrame) -> u16 {
    frame.samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0)
}

/// A peak as a bar's height, 0 to 255, on a square-root curve so that
/// quiet speech still shows.
pub fn loudness(peak: u16) -> u8 {
    ((f64::from(peak) / f64::from(i16::MAX as u16 + 1)).sqrt() * 255.0).round().min(255.0) as u8
}

/// Loudness over time in at most `bars` bars: the frames split into that
/// many runs, each bar its run's peak (fewer frames than bars: one bar each).
pub fn waveform(peaks: &[u16], bars: usize) -> Vec<u8> {
    if peaks.is_empty() || bars == 0 {
        return Vec::new();
    }
    let n = bars.min(peaks.len());
    (0..n)
        .map(|i| {
            let (from, to) = (i * peaks.len() / n, (i + 1) * peaks.len() / n);
            loudness(peaks[from..to].iter().copied().max().unwrap_or(0))
        })
        .collect()
}

/// Decodes an Ogg Opus voice note (mono, as [`VoiceWriter`] and other
/// encoders make them) into 20 ms frames, the encoder's delay dropped.
pub fn decode(bytes: &[u8]) -> CallResult<Vec<AudioFrame>> {
    let mut reader = PacketReader::new(Cursor::new(bytes));
    let head = reader.read_packet().map_err(ogg_error)?.ok_or_else(|| ogg_error("empty"))?;
    if head.data.len() < 19 || &head.data[..8] != b"OpusHead" {
        return Err(CallError::Unsupported("not an Ogg Opus file".into()));
    }
    if head.data[9] != 1 {
        return Err(CallError::Unsupported(format!("{} channels (a voice note is mono)", head.data[9])));
    }
    let pre_skip = usize::from(u16::from_le_bytes([head.data[10], head.data[11]]));
    let mut decoder = OpusDecoder::new()?;
    let mut samples: Vec<i16> = Vec::new();
    let mut seen_tags = false;
    while let Some(packet) = reader.read_packet().map_err(ogg_error)? {
        if !seen_tags {
            seen_tags = true; // OpusTags
            continue;
        }
        samples.extend(decoder.decode(&packet.data, 0)?.samples);
    }
    let samples = samples.split_off(pre_skip.min(samples.len()));
    Ok(samples
        .chunks(FRAME_SAMPLES)
        .enumerate()
        .map(|(i, chunk)| {
            let mut s = chunk.to_vec();
            s.resize(FRAME_SAMPLES, 0);
            AudioFrame { samples: s, capture_us: i as u64 * 20_000 }
        })
        .collect())
}

/// Plays `input` at `speed` (0.5 to 2) without changing its pitch: windowed
/// overlap-add of 40 ms grains taken `speed` times farther apart than they
/// are laid down (each aligned, within ±5 ms, to what was laid down before
/// it, so voiced sounds stay smooth: WSOLA).
pub fn stretch(input: &[i16], speed: f32) -> Vec<i16> {
    let speed = speed.clamp(0.5, 2.0);
    if (speed - 1.0).abs() < 1e-3 || input.is_empty() {
        return input.to_vec();
    }
    const GRAIN: usize = 1920; // 40 ms at 48 kHz
    const HOP: usize = GRAIN / 2;
    const SEEK: usize = 240; // ±5 ms
    let window: Vec<f32> =
        (0..GRAIN).map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / GRAIN as f32).cos()).collect();
    let out_len = (input.len() as f32 / speed) as usize;
    let mut out = vec![0f32; out_len + GRAIN];
    let mut norm = vec![0f32; out_len + GRAIN];
    let sample = |i: isize| if i >= 0 && (i as usize) < input.len() { f32::from(input[i as usize]) } else { 0.0 };
    let mut previous: Option<isize> = None;
    let mut at_out = 0usize;
    while at_out < out_len {
        let nominal = (at_out as f32 * speed) as isize;
        // Where the grain continues best what the last grain would have
        // gone on to say (its next half, taken from the input).
        let start = match previous {
            None => nominal,
            Some(prev) => {
                let natural = prev + HOP as isize;
                let mut best = (f32::MIN, nominal);
                for shift in (-(SEEK as isize)..=SEEK as isize).step_by(8) {
                    let candidate = nominal + shift;
                    let score: f32 = (0..HOP)
                        .step_by(4)
                        .map(|k| sample(natural + k as isize) * sample(candidate + k as isize))
                        .sum();
                    if score > best.0 {
                        best = (score, candidate);
                    }
                }
                best.1
            }
        };
        for k in 0..GRAIN {
            out[at_out + k] += sample(start + k as isize) * window[k];
            norm[at_out + k] += window[k];
        }
        previous = Some(start);
        at_out += HOP;
    }
    out.truncate(out_len);
    out.iter().zip(&norm).map(|(&v, &w)| if w > 1e-3 { (v / w).clamp(-32768.0, 32767.0) as i16 } else { 0 }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::AudioSource;
    use crate::synthetic::{Tone, dominant_frequency};

    fn tone(hz: f64, seconds: u32) -> Vec<AudioFrame> {
        let mut t = Tone::new(hz);
        (0..seconds * 50).map(|_| t.read().unwrap()).collect()
    }

    #[test]
    fn test_a_recording_is_ogg_opus_and_decodes_to_what_was_said() {
        let frames = tone(440.0, 3);
        let mut writer = VoiceWriter::new(Vec::new()).unwrap();
        for f in &frames {
            writer.push(f).unwrap();
        }
        assert!(writer.level() > 100, "a loud tone: {}", writer.level());
        let (bytes, summary) = writer.finish(64).unwrap();
        assert_eq!(summary.duration_ms, 3000);
        assert_eq!(summary.waveform.len(), 64);
        assert!(summary.waveform.iter().all(|&b| b > 100), "{:?}", summary.waveform);
        assert_eq!(&bytes[..4], b"OggS");
        assert_eq!(&bytes[28..36], b"OpusHead", "what servers sniff as audio/opus");
        assert!(bytes.len() < 3 * VOICE_BITRATE as usize / 8 + 4096, "about 24 kb/s: {} bytes", bytes.len());
        let decoded = decode(&bytes).unwrap();
        let n = decoded.len();
        assert!((149..=150).contains(&n), "3 s back, less the encoder's delay: {n} frames");
        let middle: Vec<i16> = decoded[50..100].iter().flat_map(|f| f.samples.clone()).collect();
        let hz = dominant_frequency(&middle).unwrap();
        assert!((hz - 440.0).abs() < 10.0, "{hz} Hz");
    }

    #[test]
    fn test_the_last_page_ends_the_stream_at_the_right_granule() {
        let mut writer = VoiceWriter::new(Vec::new()).unwrap();
        for f in tone(300.0, 2).iter().take(73) {
            writer.push(f).unwrap();
        }
        let pre_skip = writer.pre_skip;
        let (bytes, _) = writer.finish(64).unwrap();
        // The last page: flags (byte 5) say end of stream; the granule (bytes 6..14) ends the 73rd frame.
        let last = bytes.windows(4).rposition(|w| w == b"OggS").unwrap();
        assert_eq!(bytes[last + 5] & 0x04, 0x04, "end of stream");
        let granule = u64::from_le_bytes(bytes[last + 6..last + 14].try_into().unwrap());
        assert_eq!(granule, pre_skip + 73 * FRAME_SAMPLES as u64);
        assert!(VoiceWriter::new(Vec::new()).unwrap().finish(64).is_err(), "nothing recorded");
        assert!(decode(b"not ogg at all").is_err());
    }

    #[test]
    fn test_the_waveform_keeps_each_runs_peak() {
        let peaks: Vec<u16> = (0..640).map(|i| if (320..330).contains(&i) { 32767 } else { 100 }).collect();
        let bars = waveform(&peaks, 64);
        assert_eq!(bars.len(), 64);
        assert_eq!(bars[32], 255, "the loud run");
        assert!(bars[0] < 20 && bars[63] < 20, "{bars:?}");
        assert_eq!(waveform(&[0, 32767], 64), vec![0, 255], "fewer frames than bars");
        assert!(waveform(&[], 64).is_empty());
    }

    #[test]
    fn test_played_faster_it_is_shorter_and_keeps_its_pitch() {
        let input: Vec<i16> = tone(440.0, 2).into_iter().flat_map(|f| f.samples).collect();
        for speed in [1.5f32, 2.0] {
            let out = stretch(&input, speed);
            let expected = (input.len() as f32 / speed) as usize;
            assert_eq!(out.len(), expected);
            let hz = dominant_frequency(&out[4800..4800 + 9600]).unwrap();
            assert!(
                (hz - 440.0).abs() < 10.0,
                "at {speed}x: {hz} Hz (a resampler would give {})",
                440.0 * f64::from(speed)
            );
        }
        assert_eq!(stretch(&input, 1.0), input);
    }
}
