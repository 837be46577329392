//! Synthetic media for machines without devices, tests and benchmarks: a
//! sine tone, and a moving test pattern that carries its frame index in a
//! strip of black and white blocks, with the analyses that read both back
//! after a trip through the codecs and the network.

use std::f64::consts::TAU;

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

use crate::media::{AudioSource, VideoSource};
use crate::{AudioFrame, CallResult, FRAME_SAMPLES, SAMPLE_RATE, VideoFrame};

/// A sine tone at a fixed frequency.
pub struct Tone {
    name: String,
    frequency: f64,
    amplitude: f64,
    /// Samples given so far.
    sent: u64,
}

impl Tone {
    /// A tone of `frequency_hz` at about a quarter of full scale.
    pub fn new(frequency_hz: f64) -> Tone {
        Tone { name: format!("tone {frequency_hz} Hz"), frequency: frequency_hz, amplitude: 8000.0, sent: 0 }
    }
}

impl AudioSource for Tone {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self) -> CallResult<AudioFrame> {
        let start = self.sent;
        let samples = (0..FRAME_SAMPLES as u64)
            .map(|i| {
                let t = (start + i) as f64 / f64::from(SAMPLE_RATE);
                (self.amplitude * (TAU * self.frequency * t).sin()).round() as i16
            })
            .collect();
        self.sent += FRAME_SAMPLES as u64;
        Ok(AudioFrame { samples, capture_us: start * 1_000_000 / u64::from(SAMPLE_RATE) })
    }
}

/// The frequency with the most energy in `samples` (at 48 kHz), to within a
/// few hertz; `None` for silence or too few samples (under 10 ms).
pub fn dominant_frequency(samples: &[i16]) -> Option<f64> {
    let n = samples.len();
    if n < 480 || samples.iter().all(|&s| s.unsigned_abs() < 64) {
        return None;
    }
    // A Hann window keeps the tone's energy in its own bins.
    let mut buf: Vec<Complex<f64>> = samples
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let w = 0.5 - 0.5 * (TAU * i as f64 / (n - 1) as f64).cos();
            Complex::new(f64::from(s) * w, 0.0)
        })
        .collect();
    FftPlanner::new().plan_fft_forward(n).process(&mut buf);
    let mags: Vec<f64> = buf[..n / 2].iter().map(|c| c.norm()).collect();
    let (peak, _) = mags.iter().enumerate().skip(1).max_by(|a, b| a.1.total_cmp(b.1))?;
    // Parabolic interpolation between the peak's neighbours.
    let shift = if peak + 1 < mags.len() {
        let (a, b, c) = (mags[peak - 1], mags[peak], mags[peak + 1]);
        let denominator = a - 2.0 * b + c;
        if denominator.abs() > f64::EPSILON { 0.5 * (a - c) / denominator } else { 0.0 }
    } else {
        0.0
    };
    Some((peak as f64 + shift) * f64::from(SAMPLE_RATE) / n as f64)
}

/// Bits in the frame-index strip: 24 of index, 8 of check.
const CODE_BITS: usize = 32;

/// Whether a tone at `hz` stands out in the last 100 ms of `samples` (its
/// Goertzel power against the whole energy), when several sound at once
/// (a mix of a group call's voices).
pub fn tone_present(samples: &[i16], hz: f64) -> bool {
    let n = SAMPLE_RATE as usize / 10;
    if samples.len() < n {
        return false;
    }
    let s = &samples[samples.len() - n..];
    let w = TAU * hz / f64::from(SAMPLE_RATE);
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in s {
        let s0 = f64::from(x) + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    let energy: f64 = s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() * n as f64 / 2.0;
    energy > 0.0 && power / energy > 0.05
}

/// Silence: where there is no microphone (the call goes on, one can listen).
pub struct Silence;

impl AudioSource for Silence {
    fn name(&self) -> &str {
        "no microphone"
    }

    fn read(&mut self) -> CallResult<AudioFrame> {
        Ok(AudioFrame::silence(0))
    }
}

/// A moving picture (a luma ramp scrolling sideways, a bright square
/// crossing it, tinted chroma) with its frame index coded in a strip of 32
/// blocks along the top, readable after lossy compression.
pub struct TestPattern {
    name: String,
    width: usize,
    height: usize,
    fps: u32,
    index: u32,
}

impl TestPattern {
    /// A `width`×`height` pattern at `fps`; the width must be at least 64 so
    /// that each code block is 2 pixels or more.
    pub fn new(width: usize, height: usize, fps: u32) -> CallResult<TestPattern> {
        VideoFrame::black(width, height)?;
        if width < 64 || height < 32 || fps == 0 {
            return Err(crate::CallError::Unsupported(format!("a {width}×{height} test pattern at {fps} fps")));
        }
        Ok(TestPattern { name: format!("test pattern {width}×{height}"), width, height, fps, index: 0 })
    }

    /// The picture with index `index`.
    pub fn frame(&self, index: u32) -> VideoFrame {
        let (w, h) = (self.width, self.height);
        let mut f = VideoFrame::black(w, h).expect("checked in new");
        let shift = index as usize * 4;
        let square = (h / 4).max(8);
        let sx = (index as usize * 6) % (w - square).max(1);
        let sy = h / 2 - square / 2;
        for y in 0..h {
            for x in 0..w {
                let ramp = 16 + ((x + shift) % 256) * 219 / 255;
                let inside = (sx..sx + square).contains(&x) && (sy..sy + square).contains(&y);
                f.y[y * w + x] = if inside { 235 } else { ramp as u8 };
            }
        }
        let (cw, ch) = (w / 2, h / 2);
        for y in 0..ch {
            for x in 0..cw {
                f.u[y * cw + x] = (96 + (x * 64 / cw)) as u8;
                f.v[y * cw + x] = (96 + (y * 64 / ch)) as u8;
            }
        }
        let (bw, bh) = code_block(w, h);
        for (bit, on) in code_bits(index).into_iter().enumerate() {
            let luma = if on { 235 } else { 16 };
            for y in 0..bh {
                let row = y * w + bit * bw;
                f.y[row..row + bw].fill(luma);
            }
        }
        f.capture_us = u64::from(index) * 1_000_000 / u64::from(self.fps);
        f
    }
}

impl VideoSource for TestPattern {
    fn name(&self) -> &str {
        &self.name
    }

    fn frame_rate(&self) -> u32 {
        self.fps
    }

    fn read(&mut self) -> CallResult<VideoFrame> {
        let f = self.frame(self.index);
        self.index = self.index.wrapping_add(1) & 0x00ff_ffff;
        Ok(f)
    }
}

/// The size of one code block in a `width`×`height` picture.
fn code_block(width: usize, height: usize) -> (usize, usize) {
    (width / CODE_BITS, (height / 16).max(8))
}

fn check_byte(index: u32) -> u8 {
    let [a, b, c, _] = index.to_le_bytes();
    a ^ b.rotate_left(3) ^ c.rotate_left(5) ^ 0xA5
}

fn code_bits(index: u32) -> [bool; CODE_BITS] {
    let word = (index & 0x00ff_ffff) << 8 | u32::from(check_byte(index & 0x00ff_ffff));
    std::array::from_fn(|i| word >> (CODE_BITS - 1 - i) & 1 == 1)
}

/// The frame index a `TestPattern` picture carries, if its strip reads
/// true (a picture of something else, or one too damaged, gives `None`).
pub fn frame_index(frame: &VideoFrame) -> Option<u32> {
    if frame.width < 64 || frame.height < 32 {
        return None;
    }
    let (bw, bh) = code_block(frame.width, frame.height);
    let mut word = 0u32;
    for bit in 0..CODE_BITS {
        // The middle half of the block, away from edges the codec blurs.
        let (x0, x1) = (bit * bw + bw / 4, bit * bw + bw - bw / 4);
        let (y0, y1) = (bh / 4, bh - bh / 4);
        let mut sum = 0u32;
        let mut count = 0u32;
        for y in y0..y1.max(y0 + 1) {
            for x in x0..x1.max(x0 + 1) {
                sum += u32::from(frame.luma(x, y));
                count += 1;
            }
        }
        let mean = sum / count;
        // Far from both levels: not a code block.
        if (60..=190).contains(&mean) {
            return None;
        }
        word = word << 1 | u32::from(mean > 125);
    }
    let index = word >> 8;
    (check_byte(index) == (word & 0xff) as u8).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_is_found_at_its_frequency() {
        for hz in [440.0, 1000.0, 3150.0] {
            let mut tone = Tone::new(hz);
            let samples: Vec<i16> = (0..5).flat_map(|_| tone.read().unwrap().samples).collect();
            let found = dominant_frequency(&samples).unwrap();
            assert!((found - hz).abs() < 3.0, "{hz} Hz found at {found}");
        }
        assert_eq!(dominant_frequency(&[0; 4800]), None);
        assert_eq!(dominant_frequency(&[1000; 100]), None);
    }

    #[test]
    fn a_tone_continues_across_frames_and_counts_time() {
        let mut tone = Tone::new(440.0);
        let a = tone.read().unwrap();
        let b = tone.read().unwrap();
        assert_eq!((a.capture_us, b.capture_us), (0, 20_000));
        // No click between frames: the step is what a 440 Hz sine allows.
        let step = (i32::from(b.samples[0]) - i32::from(*a.samples.last().unwrap())).abs();
        assert!(step < 500, "{step}");
    }

    #[test]
    fn the_pattern_carries_its_index() {
        let mut pattern = TestPattern::new(640, 480, 30).unwrap();
        for want in 0..5 {
            let f = pattern.read().unwrap();
            assert_eq!((f.width, f.height), (640, 480));
            assert_eq!(frame_index(&f), Some(want));
        }
        for index in [1234, 0x00ab_cdef, 0x00ff_ffff] {
            assert_eq!(frame_index(&pattern.frame(index)), Some(index));
        }
        assert_ne!(pattern.frame(1).y, pattern.frame(2).y, "it moves");
    }

    #[test]
    fn a_damaged_or_foreign_picture_has_no_index() {
        let pattern = TestPattern::new(320, 240, 30).unwrap();
        assert_eq!(frame_index(&VideoFrame::black(320, 240).unwrap()), None);
        let mut f = pattern.frame(77);
        // One block flipped: the check byte no longer agrees.
        let (bw, bh) = code_block(320, 240);
        for y in 0..bh {
            for x in 0..bw {
                f.y[y * 320 + 5 * bw + x] ^= 0xff;
            }
        }
        assert_eq!(frame_index(&f), None);
        assert!(TestPattern::new(32, 32, 30).is_err());
    }
}
