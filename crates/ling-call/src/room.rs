//! A simulated room, to test and measure what the microphone path does to
//! echo, noise and the voice of the person speaking. The far end's speech
//! plays from the speaker and comes back to the microphone through the room
//! (a delay, a reverberant tail, attenuation); the microphone also hears
//! the near end's speech and the room's noise. Speech is made by espeak-ng,
//! so the signals are voices and not tones.
//!
//! Signals are mono at 48 kHz, samples from -1.0 to 1.0.

use std::io::Cursor;
use std::ops::Range;
use std::process::Command;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

use crate::resample::Resampler;
use crate::{AudioFrame, CallError, CallResult, SAMPLE_RATE};

/// Samples in `ms` milliseconds at 48 kHz.
pub const fn samples(ms: u32) -> usize {
    (SAMPLE_RATE / 1000 * ms) as usize
}

/// `text` spoken by espeak-ng's `voice` (`en-us+m3`, `en+f2`…), at 48 kHz
/// and about -20 dBFS.
pub fn speech(text: &str, voice: &str) -> CallResult<Vec<f32>> {
    let unavailable = |reason: String| CallError::DeviceUnavailable { device: "espeak-ng".into(), reason };
    let out = Command::new("espeak-ng")
        .args(["-v", voice, "-s", "165", "--stdout", text])
        .output()
        .map_err(|e| unavailable(format!("{e} (scripts/setup.sh installs it)")))?;
    if !out.status.success() {
        return Err(unavailable(String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    // espeak-ng streams: its header's length is a placeholder, so samples
    // are read until they run out.
    let mut reader = hound::WavReader::new(Cursor::new(out.stdout)).map_err(|e| unavailable(e.to_string()))?;
    let rate = reader.spec().sample_rate;
    let raw: Vec<f32> = reader.samples::<i16>().map_while(Result::ok).map(|s| f32::from(s) / 32768.0).collect();
    let mut resampler = Resampler::new(rate, SAMPLE_RATE)?;
    let mut voiced = resampler.push(&raw);
    voiced.extend(resampler.push(&vec![0.0; 2048]));
    let gain = 10f32.powf((-20.0 - level_db(&voiced)) / 20.0);
    voiced.iter_mut().for_each(|s| *s *= gain);
    Ok(voiced)
}

/// The mean power of `x` in dB against full scale (-120 for silence).
pub fn level_db(x: &[f32]) -> f32 {
    if x.is_empty() {
        return -120.0;
    }
    let power = x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len() as f64;
    (10.0 * power.max(1e-12).log10()) as f32
}

/// How the room carries the speaker's sound to the microphone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Room {
    /// From the speaker to the microphone, with the devices' buffers.
    pub delay_ms: u32,
    /// The reverberation time: the tail falls by 60 dB in this long.
    pub rt60_ms: u32,
    /// How much quieter the echo is than what the speaker plays.
    pub attenuation_db: f32,
    /// The room's noise at the microphone, in dBFS.
    pub noise_db: f32,
    /// Seeds the reflections and the noise.
    pub seed: u64,
}

impl Room {
    /// A laptop on a desk: 120 ms through the devices, a 250 ms tail, the
    /// echo 6 dB under the speaker, a quiet fan.
    pub const LAPTOP: Room = Room { delay_ms: 120, rt60_ms: 250, attenuation_db: 6.0, noise_db: -60.0, seed: 7 };

    /// The room's impulse response: nothing until the delay, the direct
    /// sound, then reflections that decay exponentially, scaled so that the
    /// whole response is `attenuation_db` down.
    pub fn impulse_response(&self) -> Vec<f32> {
        let delay = samples(self.delay_ms);
        let tail = samples(self.rt60_ms);
        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut h = vec![0.0f32; delay + tail];
        h[delay] = 1.0;
        // -60 dB over rt60: amplitude e^(-6.9 t / rt60).
        let decay = 6.9 / tail.max(1) as f32;
        for (i, tap) in h[delay + samples(2)..].iter_mut().enumerate() {
            *tap += 0.5 * rng.random_range(-1.0f32..1.0) * (-(decay * i as f32)).exp();
        }
        let energy: f32 = h.iter().map(|t| t * t).sum();
        let scale = 10f32.powf(-self.attenuation_db / 20.0) / energy.sqrt();
        h.iter_mut().for_each(|t| *t *= scale);
        h
    }

    /// What the microphone hears of `played`: `played` through the room.
    pub fn echo(&self, played: &[f32]) -> Vec<f32> {
        let mut echo = convolve(played, &self.impulse_response());
        echo.truncate(played.len());
        echo
    }

    /// `len` samples of the room's noise: white noise, gently low-passed as
    /// a fan's is, at `noise_db`.
    pub fn noise(&self, len: usize) -> Vec<f32> {
        let mut rng = StdRng::seed_from_u64(self.seed ^ 0x5eed);
        let mut last = 0.0f32;
        let mut noise: Vec<f32> = (0..len)
            .map(|_| {
                last = 0.7 * last + 0.3 * rng.random_range(-1.0f32..1.0);
                last
            })
            .collect();
        let gain = 10f32.powf((self.noise_db - level_db(&noise)) / 20.0);
        noise.iter_mut().for_each(|s| *s *= gain);
        noise
    }
}

/// `x` convolved with `h`, through one FFT.
fn convolve(x: &[f32], h: &[f32]) -> Vec<f32> {
    let n = (x.len() + h.len()).next_power_of_two();
    let mut planner = FftPlanner::<f64>::new();
    let (forward, inverse) = (planner.plan_fft_forward(n), planner.plan_fft_inverse(n));
    let spectrum = |v: &[f32]| {
        let mut buf: Vec<Complex<f64>> = v.iter().map(|&s| Complex::new(f64::from(s), 0.0)).collect();
        buf.resize(n, Complex::default());
        forward.process(&mut buf);
        buf
    };
    let (mut a, b) = (spectrum(x), spectrum(h));
    a.iter_mut().zip(&b).for_each(|(a, b)| *a *= b);
    inverse.process(&mut a);
    a[..x.len() + h.len() - 1].iter().map(|c| (c.re / n as f64) as f32).collect()
}

/// A conversation in the room, in three parts: the far end talks alone,
/// both talk at once, the near end talks alone.
#[derive(Debug, Clone)]
pub struct Scene {
    /// What the far end says: the speaker plays it (the echo reference).
    pub far: Vec<f32>,
    /// What the near end says, as it reaches the microphone.
    pub near: Vec<f32>,
    /// The far end's speech as the microphone hears it.
    pub echo: Vec<f32>,
    /// What the microphone records: near + echo + noise.
    pub mic: Vec<f32>,
    /// Only the far end talks.
    pub far_alone: Range<usize>,
    /// Both talk.
    pub double_talk: Range<usize>,
    /// Only the near end talks.
    pub near_alone: Range<usize>,
}

impl Scene {
    /// Far-end speech `far` (talking alone, then over the near end), near-end
    /// speech `near` (over the far end, then alone), in `room`. The far end
    /// talks alone for `alone_ms` first.
    pub fn new(room: &Room, far: &[f32], near: &[f32], alone_ms: u32) -> Scene {
        let start_near = samples(alone_ms).min(far.len());
        let len = far.len().max(start_near + near.len());
        let mut far_full = far.to_vec();
        far_full.resize(len, 0.0);
        let mut near_full = vec![0.0; start_near];
        near_full.extend_from_slice(near);
        near_full.resize(len, 0.0);
        let echo = room.echo(&far_full);
        let noise = room.noise(len);
        let mic = (0..len).map(|i| near_full[i] + echo[i] + noise[i]).collect();
        // The echo outlasts the far end's speech by the room's delay and tail.
        let far_end = (far.len() + samples(room.delay_ms + room.rt60_ms)).min(len);
        Scene {
            far: far_full,
            near: near_full,
            echo,
            mic,
            far_alone: 0..start_near,
            double_talk: start_near..far_end.max(start_near),
            near_alone: far_end.max(start_near)..len,
        }
    }
}

/// The conversation the tests and the benchmark use, in `room`: a man at
/// the far end talks for about 13 s; a woman at the near end answers over
/// him from 8 s on, three phrases 700 ms apart, and goes on alone.
pub fn conversation(room: &Room) -> CallResult<Scene> {
    let far = speech(
        "The quarterly numbers came in this morning, and the team in Shanghai wants to review them before \
         Friday. Can everyone look over the spreadsheet and send their comments by tomorrow afternoon? \
         I will collect them and write the summary for the board.",
        "en-us+m3",
    )?;
    let near = ["Sure, I can do that.", "But the shipping costs changed last week.", "Let me check them first."]
        .iter()
        .map(|text| speech(text, "en+f2"))
        .collect::<CallResult<Vec<_>>>()?;
    Ok(Scene::new(room, &far, &with_pauses(&near, 700), 8000))
}

/// `signal` in 20 ms frames, the last padded with silence.
pub fn frames(signal: &[f32]) -> Vec<AudioFrame> {
    signal
        .chunks(crate::FRAME_SAMPLES)
        .map(|c| {
            let mut samples: Vec<i16> = c.iter().map(|&s| (s.clamp(-1.0, 1.0) * 32767.0).round() as i16).collect();
            samples.resize(crate::FRAME_SAMPLES, 0);
            AudioFrame { samples, capture_us: 0 }
        })
        .collect()
}

/// What processing did to a scene, read from the microphone's signal and
/// what the processing gave out.
///
/// Echo is measured where it can be told apart from the near end's voice:
/// while the far end talks alone, and in the near end's pauses while both
/// talk. The near end's loss is how much of its voice is left in the
/// output, fitted as a short filter of its voice (the processing's own
/// delay and its filter banks' phase are not loss).
#[derive(Debug, Clone, PartialEq)]
pub struct EchoReport {
    /// How much quieter the output is than the microphone while only the
    /// far end talks, from the moment given to `measure` on (dB; higher is
    /// better).
    pub single_talk_reduction_db: f32,
    /// The same in the near end's pauses once both talk (dB).
    pub double_talk_reduction_db: f32,
    /// How much of the near end's voice is lost while both talk (dB).
    pub double_talk_near_loss_db: f32,
    /// How much of the near end's voice is lost when it talks alone (dB).
    pub near_alone_loss_db: f32,
    /// From when every half second of single talk is 25 dB down (ms from
    /// the start; `None` if that never holds).
    pub converged_ms: Option<u32>,
    /// How late the output is behind the microphone (ms).
    pub latency_ms: f32,
}

impl EchoReport {
    /// Reads `out` against `scene`, counting single talk from `from_ms`.
    pub fn measure(scene: &Scene, out: &[f32], from_ms: u32) -> EchoReport {
        let single = samples(from_ms).min(scene.far_alone.end)..scene.far_alone.end;
        let single_blocks = active_blocks(&scene.echo, single);
        let pauses: Vec<Range<usize>> = active_blocks(&scene.echo, scene.double_talk.clone())
            .into_iter()
            .filter(|r| level_db(&scene.near[r.clone()]) < -50.0)
            .collect();
        let lag = delay(&scene.near, out, scene.near_alone.clone());
        EchoReport {
            single_talk_reduction_db: reduction(scene, out, &single_blocks),
            double_talk_reduction_db: reduction(scene, out, &pauses),
            double_talk_near_loss_db: -fit_gain_db(&scene.near, out, scene.double_talk.clone(), lag),
            near_alone_loss_db: -fit_gain_db(&scene.near, out, scene.near_alone.clone(), lag),
            converged_ms: converged(scene, out),
            latency_ms: lag as f32 * 1000.0 / SAMPLE_RATE as f32,
        }
    }
}

/// The microphone's level over `blocks` less the output's (dB).
fn reduction(scene: &Scene, out: &[f32], blocks: &[Range<usize>]) -> f32 {
    let (mic, out): (Vec<f32>, Vec<f32>) =
        blocks.iter().flat_map(|r| r.clone()).map(|i| (scene.mic[i], out[i])).unzip();
    level_db(&mic) - level_db(&out)
}

/// The 100 ms blocks of `range` where `signal` is above -50 dBFS.
fn active_blocks(signal: &[f32], range: Range<usize>) -> Vec<Range<usize>> {
    let block = samples(100);
    (range.start..range.end.saturating_sub(block - 1))
        .step_by(block)
        .map(|s| s..s + block)
        .filter(|r| level_db(&signal[r.clone()]) > -50.0)
        .collect()
}

/// The start of the first half second of single talk from which on every
/// half second (stepping by 100 ms) is 25 dB down.
fn converged(scene: &Scene, out: &[f32]) -> Option<u32> {
    let (window, step) = (samples(500), samples(100));
    let end = scene.far_alone.end;
    let starts: Vec<usize> = (0..end.saturating_sub(window - 1))
        .step_by(step)
        .filter(|&s| level_db(&scene.echo[s..s + window]) > -50.0)
        .collect();
    let good = |&s: &usize| reduction(scene, out, std::slice::from_ref(&(s..s + window))) >= 25.0;
    let first_good = match starts.iter().rposition(|s| !good(s)) {
        None => starts.first()?,
        Some(i) => starts.get(i + 1)?,
    };
    Some((first_good * 1000 / SAMPLE_RATE as usize) as u32)
}

/// How many samples (up to 50 ms) `out` lags `reference` over `range`: the
/// peak of their cross-correlation.
fn delay(reference: &[f32], out: &[f32], range: Range<usize>) -> usize {
    let max = samples(50);
    let end = range.end.min(out.len()).saturating_sub(max);
    if end <= range.start {
        return 0;
    }
    let a: Vec<f32> = out[range.start..end + max].to_vec();
    let b: Vec<f32> = reference[range.start..end].iter().rev().copied().collect();
    let corr = convolve(&a, &b);
    (0..=max).max_by(|&x, &y| corr[b.len() - 1 + x].total_cmp(&corr[b.len() - 1 + y])).unwrap_or(0)
}

/// Taps of the filter fitted in `fit_gain_db`.
const TAPS: usize = 64;

/// The level of `reference` in `out` over `range`, relative to its own
/// (dB): the energy of the least-squares fit of `out` by `reference`
/// through a short filter centred `lag` samples late.
fn fit_gain_db(reference: &[f32], out: &[f32], range: Range<usize>, lag: usize) -> f32 {
    // The reference `k` taps into the filter, for the output's sample `i`.
    let at = |i: usize, k: usize| {
        (i + TAPS / 2).checked_sub(lag + k).and_then(|j| reference.get(j)).map_or(0.0, |&s| f64::from(s))
    };
    // The reference's autocorrelation (the normal equations' Toeplitz
    // matrix) and its correlation with the output.
    let auto: Vec<f64> = (0..TAPS)
        .map(|d| {
            range.clone().map(|i| f64::from(reference[i]) * f64::from(*reference.get(i + d).unwrap_or(&0.0))).sum()
        })
        .collect();
    if auto[0] <= 0.0 {
        return -120.0;
    }
    let cross: Vec<f64> = (0..TAPS).map(|k| range.clone().map(|i| f64::from(out[i]) * at(i, k)).sum()).collect();
    let matrix: Vec<Vec<f64>> = (0..TAPS).map(|i| (0..TAPS).map(|j| auto[i.abs_diff(j)]).collect()).collect();
    let w = solve(matrix, cross);
    let fitted: f64 = (0..TAPS).map(|i| (0..TAPS).map(|j| w[i] * auto[i.abs_diff(j)] * w[j]).sum::<f64>()).sum();
    (10.0 * (fitted / auto[0]).max(1e-12).log10()) as f32
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting (a small,
/// well-conditioned system: a speech autocorrelation).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs())).unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        if a[col][col].abs() < 1e-12 {
            continue;
        }
        let (top, bottom) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (i, row) in bottom.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            row[col..].iter_mut().zip(&pivot_row[col..]).for_each(|(x, p)| *x -= f * p);
            b[col + 1 + i] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = if a[row][row].abs() < 1e-12 { 0.0 } else { (b[row] - s) / a[row][row] };
    }
    x
}

/// Speech parts one after another with `pause_ms` of silence between them.
pub fn with_pauses(parts: &[Vec<f32>], pause_ms: u32) -> Vec<f32> {
    let mut all = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            all.extend(std::iter::repeat_n(0.0, samples(pause_ms)));
        }
        all.extend_from_slice(part);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_the_room_delays_and_attenuates_what_the_speaker_plays() {
        let room = Room { delay_ms: 50, rt60_ms: 100, attenuation_db: 10.0, noise_db: -70.0, seed: 1 };
        let mut click = vec![0.0f32; samples(400)];
        click[0] = 1.0;
        let echo = room.echo(&click);
        assert!(echo[..samples(50) - 1].iter().all(|s| s.abs() < 1e-4), "nothing before the delay");
        let peak = echo.iter().enumerate().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())).unwrap().0;
        assert!(peak.abs_diff(samples(50)) <= 1, "the direct sound at 50 ms, not {peak}");
        let energy_db = 10.0 * echo.iter().map(|s| s * s).sum::<f32>().log10();
        assert!((energy_db + 10.0).abs() < 0.1, "10 dB down, not {energy_db}");
        assert!((level_db(&room.noise(48_000)) + 70.0).abs() < 0.1);
    }

    #[test]
    fn test_an_output_that_is_the_near_end_alone_scores_perfectly_and_the_mic_does_not() {
        // Made-up speech: noise bursts, so no espeak-ng is needed here.
        let mut rng = StdRng::seed_from_u64(3);
        let mut talk = |ms: u32| -> Vec<f32> {
            (0..samples(ms)).map(|i| if (i / 4800) % 3 == 2 { 0.0 } else { rng.random_range(-0.1f32..0.1) }).collect()
        };
        let (far, near) = (talk(6000), talk(4000));
        let scene = Scene::new(&Room::LAPTOP, &far, &near, 3000);
        let ideal = EchoReport::measure(&scene, &scene.near, 1000);
        assert!(ideal.single_talk_reduction_db > 40.0, "{ideal:?}");
        assert!(ideal.double_talk_reduction_db > 40.0, "{ideal:?}");
        assert!(ideal.double_talk_near_loss_db.abs() < 0.01 && ideal.near_alone_loss_db.abs() < 0.01, "{ideal:?}");
        assert_eq!(ideal.converged_ms, Some(0));
        assert_eq!(ideal.latency_ms, 0.0);
        let raw = EchoReport::measure(&scene, &scene.mic, 1000);
        assert!(raw.single_talk_reduction_db.abs() < 0.01 && raw.double_talk_reduction_db.abs() < 0.01, "{raw:?}");
        assert!(raw.near_alone_loss_db.abs() < 0.1, "{raw:?}");
        assert_eq!(raw.converged_ms, None);
        // Half the near end's level, 15 ms late, is a 6 dB loss and 15 ms.
        let mut late = vec![0.0; samples(15)];
        late.extend(scene.near.iter().map(|s| s * 0.5));
        let halved = EchoReport::measure(&scene, &late, 1000);
        assert!((halved.near_alone_loss_db - 6.02).abs() < 0.05, "{halved:?}");
        assert!((halved.double_talk_near_loss_db - 6.02).abs() < 0.1, "{halved:?}");
        assert_eq!(halved.latency_ms, 15.0);
    }
}
