//! Sample-rate conversion for devices that do not run at 48 kHz (a
//! 44.1 kHz headset, a 16 kHz USB microphone), with rubato's polynomial
//! resampler: cheap enough for a call, and its ratio can follow clock drift.

use audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Async, FixedAsync, PolynomialDegree, Resampler as _};

use crate::{CallError, CallResult};

/// Input samples taken at a time.
const CHUNK: usize = 480;

/// Converts a mono stream from one rate to another; feed it any number of
/// samples, take what is ready.
pub struct Resampler {
    inner: Option<Async<f32>>,
    pending: Vec<f32>,
    out: Vec<f32>,
}

impl Resampler {
    /// From `from_hz` to `to_hz` (the same rate passes samples through).
    pub fn new(from_hz: u32, to_hz: u32) -> CallResult<Resampler> {
        if from_hz == 0 || to_hz == 0 {
            return Err(CallError::Unsupported(format!("resampling {from_hz} Hz to {to_hz} Hz")));
        }
        let inner = if from_hz == to_hz {
            None
        } else {
            let ratio = f64::from(to_hz) / f64::from(from_hz);
            let r = Async::<f32>::new_poly(ratio, 1.1, PolynomialDegree::Cubic, CHUNK, 1, FixedAsync::Input)
                .map_err(|e| CallError::Unsupported(format!("resampling {from_hz} Hz to {to_hz} Hz: {e}")))?;
            Some(r)
        };
        Ok(Resampler { inner, pending: Vec::new(), out: Vec::new() })
    }

    /// Adds samples (-1.0 to 1.0) and returns every converted sample ready.
    pub fn push(&mut self, samples: &[f32]) -> Vec<f32> {
        let Some(inner) = self.inner.as_mut() else { return samples.to_vec() };
        self.pending.extend_from_slice(samples);
        let mut ready = Vec::new();
        let mut used = 0;
        while self.pending.len() - used >= inner.input_frames_next() {
            let need = inner.input_frames_next();
            self.out.resize(inner.output_frames_max(), 0.0);
            let input = InterleavedSlice::new(&self.pending[used..used + need], 1, need).expect("sized above");
            let max = self.out.len();
            let mut output = InterleavedSlice::new_mut(&mut self.out, 1, max).expect("sized above");
            match inner.process_into_buffer(&input, &mut output, None) {
                Ok((taken, written)) => {
                    used += taken;
                    ready.extend_from_slice(&self.out[..written]);
                }
                Err(e) => {
                    // Not expected with the sizes asked for; drop the chunk
                    // rather than stall the stream.
                    tracing::warn!(error = %e, "resampling failed; a chunk dropped");
                    used += need;
                }
            }
        }
        self.pending.drain(..used);
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::dominant_frequency;

    fn tone(hz: f64, rate: u32, n: usize) -> Vec<f32> {
        (0..n).map(|i| (0.3 * (std::f64::consts::TAU * hz * i as f64 / f64::from(rate)).sin()) as f32).collect()
    }

    #[test]
    fn a_tone_keeps_its_pitch_across_rates() {
        for from in [44_100, 16_000, 96_000] {
            let mut r = Resampler::new(from, 48_000).unwrap();
            let input = tone(440.0, from, from as usize); // one second
            let mut out = Vec::new();
            // In uneven pieces, as a device delivers them.
            for piece in input.chunks(333) {
                out.extend(r.push(piece));
            }
            let expected = 48_000.0;
            assert!((out.len() as f64 - expected).abs() < expected * 0.03, "{from} Hz: {} samples", out.len());
            let pcm: Vec<i16> = out[4800..].iter().map(|s| (s * 32767.0) as i16).collect();
            let found = dominant_frequency(&pcm).unwrap();
            assert!((found - 440.0).abs() < 3.0, "{from} Hz: found {found}");
        }
    }

    #[test]
    fn the_same_rate_passes_through() {
        let mut r = Resampler::new(48_000, 48_000).unwrap();
        assert_eq!(r.push(&[0.5, -0.5]), vec![0.5, -0.5]);
        assert_eq!(Resampler::new(0, 48_000).err().unwrap().code(), "unsupported_media");
    }
}
