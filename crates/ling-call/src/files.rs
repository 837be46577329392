//! Media files as sources and sinks: WAV for audio (16-bit PCM at 48 kHz,
//! mono or stereo), Y4M for video (8-bit 4:2:0).

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use crate::media::{AudioSink, AudioSource, VideoSink, VideoSource};
use crate::{AudioFrame, CallError, CallResult, FRAME_SAMPLES, SAMPLE_RATE, VideoFrame};

/// Audio from a WAV file, 20 ms a frame; stereo is mixed down to mono.
pub struct WavSource {
    name: String,
    reader: hound::WavReader<BufReader<File>>,
    channels: usize,
    frames_read: u64,
}

impl WavSource {
    pub fn open(path: &Path) -> CallResult<WavSource> {
        let reader = hound::WavReader::open(path).map_err(|e| CallError::file(path, e))?;
        let spec = reader.spec();
        if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
            return Err(CallError::Unsupported(format!("{}: only 16-bit PCM WAV files", path.display())));
        }
        if spec.sample_rate != SAMPLE_RATE || !(1..=2).contains(&spec.channels) {
            return Err(CallError::Unsupported(format!(
                "{}: {} Hz with {} channels (48 kHz mono or stereo only)",
                path.display(),
                spec.sample_rate,
                spec.channels
            )));
        }
        Ok(WavSource { name: path.display().to_string(), reader, channels: usize::from(spec.channels), frames_read: 0 })
    }
}

impl AudioSource for WavSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self) -> CallResult<AudioFrame> {
        let want = FRAME_SAMPLES * self.channels;
        let raw: Vec<i16> = self
            .reader
            .samples::<i16>()
            .take(want)
            .collect::<Result<_, _>>()
            .map_err(|e| CallError::File { path: self.name.clone(), reason: e.to_string() })?;
        if raw.is_empty() {
            return Err(CallError::Ended);
        }
        let mut samples: Vec<i16> = raw
            .chunks(self.channels)
            .map(|c| (c.iter().map(|&s| i32::from(s)).sum::<i32>() / c.len() as i32) as i16)
            .collect();
        // The last frame is padded with silence.
        samples.resize(FRAME_SAMPLES, 0);
        let capture_us = self.frames_read * u64::from(crate::FRAME_MS) * 1000;
        self.frames_read += 1;
        Ok(AudioFrame { samples, capture_us })
    }
}

/// 16-bit PCM WAV at `rate` with `channels`.
fn pcm16(channels: u16, rate: u32) -> hound::WavSpec {
    hound::WavSpec { channels, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int }
}

/// Writes mono 16-bit 48 kHz WAV; `finish` completes the header (dropping
/// it does too, ignoring errors).
pub struct WavSink {
    path: PathBuf,
    writer: Option<hound::WavWriter<BufWriter<File>>>,
}

impl WavSink {
    pub fn create(path: &Path) -> CallResult<WavSink> {
        let writer = hound::WavWriter::create(path, pcm16(1, SAMPLE_RATE)).map_err(|e| CallError::file(path, e))?;
        Ok(WavSink { path: path.to_owned(), writer: Some(writer) })
    }

    pub fn finish(mut self) -> CallResult<()> {
        match self.writer.take() {
            Some(w) => w.finalize().map_err(|e| CallError::file(&self.path, e)),
            None => Ok(()),
        }
    }
}

impl AudioSink for WavSink {
    fn name(&self) -> &str {
        self.path.to_str().unwrap_or("a WAV file")
    }

    fn write(&mut self, frame: &AudioFrame) -> CallResult<()> {
        let Some(w) = self.writer.as_mut() else { return Err(CallError::Ended) };
        let mut samples = w.get_i16_writer(frame.samples.len() as u32);
        for &s in &frame.samples {
            samples.write_sample(s);
        }
        samples.flush().map_err(|e| CallError::file(&self.path, e))
    }
}

impl Drop for WavSink {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            let _ = w.finalize();
        }
    }
}

/// Pictures from a Y4M file (8-bit 4:2:0).
pub struct Y4mSource {
    name: String,
    decoder: y4m::Decoder<BufReader<File>>,
    fps: u32,
    frames_read: u64,
}

impl Y4mSource {
    pub fn open(path: &Path) -> CallResult<Y4mSource> {
        let file = File::open(path).map_err(|e| CallError::file(path, e))?;
        let decoder = y4m::decode(BufReader::new(file)).map_err(|e| CallError::file(path, format!("{e:?}")))?;
        let four_two_zero = matches!(
            decoder.get_colorspace(),
            y4m::Colorspace::C420 | y4m::Colorspace::C420jpeg | y4m::Colorspace::C420paldv | y4m::Colorspace::C420mpeg2
        );
        if !four_two_zero {
            return Err(CallError::Unsupported(format!("{}: only 8-bit 4:2:0 Y4M files", path.display())));
        }
        VideoFrame::black(decoder.get_width(), decoder.get_height())?;
        let rate = decoder.get_framerate();
        let fps = if rate.den == 0 { 0 } else { (rate.num as f64 / rate.den as f64).round() as u32 };
        if !(1..=120).contains(&fps) {
            return Err(CallError::Unsupported(format!("{}: {} fps", path.display(), fps)));
        }
        Ok(Y4mSource { name: path.display().to_string(), decoder, fps, frames_read: 0 })
    }
}

impl VideoSource for Y4mSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn frame_rate(&self) -> u32 {
        self.fps
    }

    fn read(&mut self) -> CallResult<VideoFrame> {
        let (w, h) = (self.decoder.get_width(), self.decoder.get_height());
        let frame = match self.decoder.read_frame() {
            Ok(f) => f,
            Err(y4m::Error::EOF) => return Err(CallError::Ended),
            Err(e) => return Err(CallError::File { path: self.name.clone(), reason: format!("{e:?}") }),
        };
        let mut f = VideoFrame::from_strided(
            (w, h),
            (w, w / 2, w / 2),
            (frame.get_y_plane(), frame.get_u_plane(), frame.get_v_plane()),
        )?;
        f.capture_us = self.frames_read * 1_000_000 / u64::from(self.fps);
        self.frames_read += 1;
        Ok(f)
    }
}

/// Writes pictures to a Y4M file (4:2:0); each must have the file's size.
pub struct Y4mSink {
    path: PathBuf,
    size: (usize, usize),
    encoder: y4m::Encoder<BufWriter<File>>,
}

impl Y4mSink {
    pub fn create(path: &Path, width: usize, height: usize, fps: u32) -> CallResult<Y4mSink> {
        VideoFrame::black(width, height)?;
        let file = File::create(path).map_err(|e| CallError::file(path, e))?;
        let encoder = y4m::encode(width, height, y4m::Ratio::new(fps as usize, 1))
            .with_colorspace(y4m::Colorspace::C420jpeg)
            .write_header(BufWriter::new(file))
            .map_err(|e| CallError::file(path, format!("{e:?}")))?;
        Ok(Y4mSink { path: path.to_owned(), size: (width, height), encoder })
    }
}

impl VideoSink for Y4mSink {
    fn name(&self) -> &str {
        self.path.to_str().unwrap_or("a Y4M file")
    }

    fn write(&mut self, frame: &VideoFrame) -> CallResult<()> {
        if (frame.width, frame.height) != self.size {
            return Err(CallError::Unsupported(format!(
                "a {}×{} picture in a {}×{} file",
                frame.width, frame.height, self.size.0, self.size.1
            )));
        }
        let planes = y4m::Frame::new([&frame.y, &frame.u, &frame.v], None);
        self.encoder.write_frame(&planes).map_err(|e| CallError::file(&self.path, format!("{e:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{TestPattern, Tone, dominant_frequency, frame_index};

    #[test]
    fn wav_round_trip_keeps_the_tone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tone.wav");
        let mut tone = Tone::new(660.0);
        let mut sink = WavSink::create(&path).unwrap();
        for _ in 0..10 {
            sink.write(&tone.read().unwrap()).unwrap();
        }
        sink.finish().unwrap();
        let mut source = WavSource::open(&path).unwrap();
        let mut samples = Vec::new();
        loop {
            match source.read() {
                Ok(f) => samples.extend(f.samples),
                Err(CallError::Ended) => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(samples.len(), 10 * FRAME_SAMPLES);
        assert!((dominant_frequency(&samples).unwrap() - 660.0).abs() < 3.0);
    }

    #[test]
    fn stereo_is_mixed_down_and_other_rates_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let stereo = dir.path().join("stereo.wav");
        let mut w = hound::WavWriter::create(&stereo, pcm16(2, 48_000)).unwrap();
        for _ in 0..100 {
            w.write_sample(1000i16).unwrap();
            w.write_sample(3000i16).unwrap();
        }
        w.finalize().unwrap();
        let f = WavSource::open(&stereo).unwrap().read().unwrap();
        assert_eq!(&f.samples[..100], &[2000; 100][..]);
        assert_eq!(&f.samples[100..], &vec![0; FRAME_SAMPLES - 100][..], "padded with silence");

        let cd = dir.path().join("cd.wav");
        hound::WavWriter::create(&cd, pcm16(2, 44_100)).unwrap().finalize().unwrap();
        assert_eq!(WavSource::open(&cd).err().unwrap().code(), "unsupported_media");
        assert_eq!(WavSource::open(&dir.path().join("missing.wav")).err().unwrap().code(), "media_file");
    }

    #[test]
    fn y4m_round_trip_keeps_the_pictures() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pattern.y4m");
        let mut pattern = TestPattern::new(320, 240, 25).unwrap();
        let mut sink = Y4mSink::create(&path, 320, 240, 25).unwrap();
        let written: Vec<VideoFrame> = (0..3).map(|_| pattern.read().unwrap()).collect();
        for f in &written {
            sink.write(f).unwrap();
        }
        assert_eq!(sink.write(&VideoFrame::black(64, 64).unwrap()).unwrap_err().code(), "unsupported_media");
        drop(sink);
        let mut source = Y4mSource::open(&path).unwrap();
        assert_eq!(source.frame_rate(), 25);
        for (i, want) in written.iter().enumerate() {
            let got = source.read().unwrap();
            assert_eq!((got.y.as_slice(), got.u.as_slice(), got.v.as_slice()), (&want.y[..], &want.u[..], &want.v[..]));
            assert_eq!(frame_index(&got), Some(i as u32));
            assert_eq!(got.capture_us, i as u64 * 40_000);
        }
        assert!(matches!(source.read(), Err(CallError::Ended)));
    }
}
