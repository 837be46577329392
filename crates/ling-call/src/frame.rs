//! The units of media: 20 ms of audio, one picture.

use crate::{CallError, CallResult};

/// Audio runs at 48 kHz (Opus's own rate), mono.
pub const SAMPLE_RATE: u32 = 48_000;
/// One audio frame lasts 20 ms (Opus's usual frame for calls).
pub const FRAME_MS: u32 = 20;
/// Samples in one audio frame.
pub const FRAME_SAMPLES: usize = (SAMPLE_RATE / 1000 * FRAME_MS) as usize;

/// 20 ms of mono audio at 48 kHz.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioFrame {
    /// `FRAME_SAMPLES` samples.
    pub samples: Vec<i16>,
    /// When it was captured, in microseconds of the capturing side's clock.
    pub capture_us: u64,
}

impl AudioFrame {
    /// 20 ms of silence.
    pub fn silence(capture_us: u64) -> AudioFrame {
        AudioFrame { samples: vec![0; FRAME_SAMPLES], capture_us }
    }
}

/// A picture in I420: full-resolution luma, and both chroma planes at half
/// the width and height. Rows are packed (no padding).
#[derive(Debug, Clone, PartialEq)]
pub struct VideoFrame {
    pub width: usize,
    pub height: usize,
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
    /// When it was captured, in microseconds of the capturing side's clock.
    pub capture_us: u64,
}

impl VideoFrame {
    /// A black picture; width and height must be even and at least 2.
    pub fn black(width: usize, height: usize) -> CallResult<VideoFrame> {
        check_size(width, height)?;
        let (cw, ch) = (width / 2, height / 2);
        Ok(VideoFrame {
            width,
            height,
            y: vec![16; width * height],
            u: vec![128; cw * ch],
            v: vec![128; cw * ch],
            capture_us: 0,
        })
    }

    /// A copy of planes laid out with row strides (a decoder's output).
    pub fn from_strided(
        (width, height): (usize, usize),
        (y_stride, u_stride, v_stride): (usize, usize, usize),
        (y, u, v): (&[u8], &[u8], &[u8]),
    ) -> CallResult<VideoFrame> {
        check_size(width, height)?;
        let (cw, ch) = (width / 2, height / 2);
        let too_short = y.len() < y_stride * (height - 1) + width
            || u.len() < u_stride * (ch - 1) + cw
            || v.len() < v_stride * (ch - 1) + cw;
        if too_short {
            return Err(CallError::Unsupported(format!("planes too short for {width}×{height}")));
        }
        let pack = |plane: &[u8], stride: usize, w: usize, h: usize| -> Vec<u8> {
            (0..h).flat_map(|row| &plane[row * stride..row * stride + w]).copied().collect()
        };
        Ok(VideoFrame {
            width,
            height,
            y: pack(y, y_stride, width, height),
            u: pack(u, u_stride, cw, ch),
            v: pack(v, v_stride, cw, ch),
            capture_us: 0,
        })
    }

    /// The luma at (x, y).
    pub fn luma(&self, x: usize, y: usize) -> u8 {
        self.y[y * self.width + x]
    }
}

fn check_size(width: usize, height: usize) -> CallResult<()> {
    if width < 2 || height < 2 || width % 2 != 0 || height % 2 != 0 || width > 4096 || height > 4096 {
        return Err(CallError::Unsupported(format!("a {width}×{height} picture (even sizes up to 4096 only)")));
    }
    Ok(())
}

impl openh264::formats::YUVSource for VideoFrame {
    fn dimensions(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    fn strides(&self) -> (usize, usize, usize) {
        (self.width, self.width / 2, self.width / 2)
    }

    fn y(&self) -> &[u8] {
        &self.y
    }

    fn u(&self) -> &[u8] {
        &self.u
    }

    fn v(&self) -> &[u8] {
        &self.v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audio_frame_is_20_ms_at_48_khz() {
        assert_eq!(FRAME_SAMPLES, 960);
        assert_eq!(AudioFrame::silence(0).samples.len(), FRAME_SAMPLES);
    }

    #[test]
    fn odd_or_empty_sizes_are_refused() {
        for (w, h) in [(0, 0), (3, 2), (2, 5), (8192, 2)] {
            assert_eq!(VideoFrame::black(w, h).unwrap_err().code(), "unsupported_media", "{w}×{h}");
        }
        let f = VideoFrame::black(4, 2).unwrap();
        assert_eq!((f.y.len(), f.u.len(), f.v.len()), (8, 2, 2));
    }

    #[test]
    fn strided_planes_are_packed() {
        // 4×2 luma with stride 6, chroma 2×1 with stride 3.
        let y = [1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 0];
        let u = [9, 10, 0];
        let v = [11, 12, 0];
        let f = VideoFrame::from_strided((4, 2), (6, 3, 3), (&y, &u, &v)).unwrap();
        assert_eq!(f.y, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!((f.u.as_slice(), f.v.as_slice()), (&[9, 10][..], &[11, 12][..]));
        assert!(VideoFrame::from_strided((4, 2), (6, 3, 3), (&y[..8], &u, &v)).is_err());
    }
}
