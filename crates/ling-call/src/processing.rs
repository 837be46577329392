//! What the microphone's sound goes through before it is sent or recorded:
//! acoustic echo cancellation (so the far end does not hear itself come
//! back from this speaker), noise suppression and automatic gain. It is
//! WebRTC's audio processing (AEC3, NS, AGC2) in pure Rust, the `sonora`
//! crate; ARCHITECTURE.md says why that one.
//!
//! The echo canceller must hear what the speaker plays: the playout thread
//! gives it every mixed frame ([`AudioProcessor::render`]) with how long
//! until that frame is heard, the capture thread cleans every microphone
//! frame ([`AudioProcessor::capture`]). It works in 10 ms blocks, two to
//! each of Ling's 20 ms frames.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sonora::config::{
    AdaptiveDigital, EchoCanceller, GainController2, HighPassFilter, NoiseSuppression, TransparentModeType,
};
use sonora::{AudioProcessing, StreamConfig};

use crate::{AudioFrame, SAMPLE_RATE, lock};

/// Samples in one 10 ms block.
const BLOCK: usize = SAMPLE_RATE as usize / 100;

/// Which parts of the processing run. All on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Processing {
    pub echo_cancellation: bool,
    pub noise_suppression: bool,
    pub auto_gain: bool,
}

impl Default for Processing {
    fn default() -> Self {
        Processing { echo_cancellation: true, noise_suppression: true, auto_gain: true }
    }
}

impl Processing {
    /// Nothing: the microphone as it is.
    pub const OFF: Processing = Processing { echo_cancellation: false, noise_suppression: false, auto_gain: false };

    /// For a recording (a voice note): no speaker plays, so no echo to cancel.
    pub fn without_echo(self) -> Processing {
        Processing { echo_cancellation: false, ..self }
    }

    fn config(self) -> sonora::Config {
        let any = self.echo_cancellation || self.noise_suppression || self.auto_gain;
        sonora::Config {
            // Rumble and a microphone's DC offset out, whenever anything runs.
            high_pass_filter: any.then(HighPassFilter::default),
            // The HMM's judgement of "no echo here" (a headset) waits for
            // evidence; the counter's relaxed the suppression while the
            // filter was still converging in the simulated room's tests.
            echo_canceller: self
                .echo_cancellation
                .then(|| EchoCanceller { transparent_mode: TransparentModeType::Hmm, ..EchoCanceller::default() }),
            noise_suppression: self.noise_suppression.then(NoiseSuppression::default),
            // Digital gain only: Ling does not move the system's input volume.
            gain_controller2: self.auto_gain.then(|| GainController2 {
                // From unity, rising for a quiet voice at most 6 dB a
                // second: the default's 15 dB head start would also raise
                // what is left of the echo before the first words.
                adaptive_digital: Some(AdaptiveDigital { initial_gain_db: 0.0, ..AdaptiveDigital::default() }),
                ..GainController2::default()
            }),
            ..sonora::Config::default()
        }
    }
}

struct State {
    apm: AudioProcessing,
    settings: Processing,
    scratch: Vec<i16>,
}

/// The processing of one microphone, shared by the thread that plays (the
/// echo reference) and the one that captures.
#[derive(Clone)]
pub struct AudioProcessor {
    state: Arc<Mutex<State>>,
}

impl AudioProcessor {
    pub fn new(settings: Processing) -> AudioProcessor {
        let apm = AudioProcessing::builder()
            .config(settings.config())
            .capture_config(StreamConfig::new(SAMPLE_RATE, 1))
            .render_config(StreamConfig::new(SAMPLE_RATE, 1))
            .build();
        let state = State { apm, settings, scratch: vec![0; BLOCK] };
        AudioProcessor { state: Arc::new(Mutex::new(state)) }
    }

    pub fn settings(&self) -> Processing {
        lock(&self.state).settings
    }

    /// Turns parts on or off, mid-call; what the canceller learned of the
    /// room stays when it stays on.
    pub fn set(&self, settings: Processing) {
        let mut state = lock(&self.state);
        if state.settings != settings {
            state.apm.apply_config(settings.config());
            state.settings = settings;
        }
    }

    /// What the speaker is about to play (the mix of everyone), heard in
    /// `latency` (the speaker's queue and buffer).
    pub fn render(&self, frame: &AudioFrame, latency: Duration) {
        let mut state = lock(&self.state);
        if !state.settings.echo_cancellation {
            return;
        }
        let State { apm, scratch, .. } = &mut *state;
        // The sound's trip from the mixer to the speaker's cone; the
        // canceller's own estimate finds the room's part (and the
        // microphone's buffer, which it does not say). It holds until set
        // again.
        let _ = apm.set_stream_delay_ms(latency.as_millis().min(500) as i32);
        for block in frame.samples.chunks_exact(BLOCK) {
            // The reference is analysed, not changed: the output is unused.
            if let Err(e) = apm.process_render_i16(block, scratch) {
                tracing::debug!(error = ?e, "the echo reference was refused");
            }
        }
    }

    /// Cleans a frame the microphone just gave, in place.
    pub fn capture(&self, frame: &mut AudioFrame) {
        let mut state = lock(&self.state);
        if state.settings == Processing::OFF {
            return;
        }
        let State { apm, scratch, .. } = &mut *state;
        for block in frame.samples.chunks_exact_mut(BLOCK) {
            scratch.copy_from_slice(block);
            if let Err(e) = apm.process_capture_i16(scratch, block) {
                tracing::debug!(error = ?e, "a microphone block was not processed");
                block.copy_from_slice(scratch);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FRAME_SAMPLES;
    use crate::room::{Room, frames, samples};

    #[test]
    fn test_off_passes_the_microphone_through_untouched() {
        let p = AudioProcessor::new(Processing::OFF);
        let noise = Room::LAPTOP.noise(samples(200));
        for frame in frames(&noise) {
            let mut f = frame.clone();
            p.capture(&mut f);
            assert_eq!(f, frame);
        }
    }

    #[test]
    fn test_noise_suppression_quietens_a_steady_fan() {
        let room = Room { noise_db: -40.0, ..Room::LAPTOP };
        let noise = room.noise(samples(3000));
        let p = AudioProcessor::new(Processing { noise_suppression: true, ..Processing::OFF });
        let out: Vec<i16> = frames(&noise)
            .into_iter()
            .flat_map(|mut f| {
                p.capture(&mut f);
                f.samples
            })
            .collect();
        let tail: Vec<f32> = out[samples(2000)..].iter().map(|&s| f32::from(s) / 32768.0).collect();
        let quieter = -40.0 - crate::room::level_db(&tail);
        assert!(quieter > 10.0, "the fan is only {quieter:.1} dB quieter");
    }

    #[test]
    fn test_settings_change_mid_stream() {
        let p = AudioProcessor::new(Processing::default());
        assert_eq!(p.settings(), Processing::default());
        p.set(Processing::OFF);
        assert_eq!(p.settings(), Processing::OFF);
        let noise = Room::LAPTOP.noise(FRAME_SAMPLES);
        let frame = frames(&noise).remove(0);
        let mut f = frame.clone();
        p.capture(&mut f);
        assert_eq!(f, frame, "off now");
        assert_eq!(
            Processing::default().without_echo(),
            Processing { echo_cancellation: false, ..Processing::default() }
        );
    }
}
