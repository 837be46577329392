//! A two-way call on loopback, both ends in this process: each sends a test
//! pattern (at 640×480, then 1280×720, 30 pictures a second) and a click
//! train (a 20 ms burst of 1 kHz every 500 ms, silence between). Prints the
//! one-way latency from capture to decoded picture (by the pattern's frame
//! index) and from capture to playout (the burst's onset, so the jitter
//! buffer is included), p50 / p95, with CPU (of one core, both ends) and
//! peak RSS.
//!
//! `cargo bench -p ling-call --bench call` (`-- --seconds N` for longer runs).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ling_call::synthetic::{TestPattern, frame_index};
use ling_call::{
    AudioFrame, AudioSink, AudioSource, CallEngine, CallResult, EngineConfig, EngineEvent, FRAME_SAMPLES, Media,
    PeerId, SAMPLE_RATE, VideoFrame, VideoSink, VideoSource,
};
use tokio::sync::mpsc;

/// When each picture (by index) and each click (by number) was captured.
#[derive(Default)]
struct Clock {
    pictures: Mutex<HashMap<u32, Instant>>,
    clicks: Mutex<Vec<Instant>>,
}

/// The test pattern, noting when each picture is taken.
struct TimedPattern {
    inner: TestPattern,
    clock: Arc<Clock>,
    index: u32,
}

impl VideoSource for TimedPattern {
    fn name(&self) -> &str {
        "timed pattern"
    }
    fn frame_rate(&self) -> u32 {
        30
    }
    fn read(&mut self) -> CallResult<VideoFrame> {
        let frame = self.inner.frame(self.index);
        self.clock.pictures.lock().unwrap().insert(self.index, Instant::now());
        self.index += 1;
        Ok(frame)
    }
}

/// Silence with a 20 ms burst of 1 kHz every 25 frames (500 ms).
struct Clicks {
    clock: Arc<Clock>,
    n: u64,
}

impl AudioSource for Clicks {
    fn name(&self) -> &str {
        "clicks"
    }
    fn read(&mut self) -> CallResult<AudioFrame> {
        let mut frame = AudioFrame::silence(0);
        if self.n % 25 == 0 {
            for (i, s) in frame.samples.iter_mut().enumerate() {
                let t = i as f64 / f64::from(SAMPLE_RATE);
                *s = (12_000.0 * (std::f64::consts::TAU * 1000.0 * t).sin()) as i16;
            }
            self.clock.clicks.lock().unwrap().push(Instant::now());
        }
        self.n += 1;
        Ok(frame)
    }
}

/// Notes when each burst starts playing.
struct Onsets {
    heard: Arc<Mutex<Vec<Instant>>>,
    loud: bool,
}

impl AudioSink for Onsets {
    fn name(&self) -> &str {
        "onsets"
    }
    fn write(&mut self, frame: &AudioFrame) -> CallResult<()> {
        let energy = frame.samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / FRAME_SAMPLES as f64;
        let loud = energy.sqrt() > 2000.0;
        if loud && !self.loud {
            self.heard.lock().unwrap().push(Instant::now());
        }
        self.loud = loud;
        Ok(())
    }
}

/// Latency of each decoded picture, by its frame index.
struct Pictures {
    sender: Arc<Clock>,
    latencies: Arc<Mutex<Vec<f64>>>,
}

impl VideoSink for Pictures {
    fn name(&self) -> &str {
        "latency"
    }
    fn write(&mut self, frame: &VideoFrame) -> CallResult<()> {
        let now = Instant::now();
        if let Some(index) = frame_index(frame)
            && let Some(at) = self.sender.pictures.lock().unwrap().get(&index)
        {
            self.latencies.lock().unwrap().push(now.duration_since(*at).as_secs_f64() * 1000.0);
        }
        Ok(())
    }
}

struct End {
    engine: Arc<CallEngine>,
    clock: Arc<Clock>,
    onsets: Arc<Mutex<Vec<Instant>>>,
    picture_ms: Arc<Mutex<Vec<f64>>>,
}

fn end(
    id: PeerId,
    (clock, peer_clock): (Arc<Clock>, Arc<Clock>),
    (width, height): (usize, usize),
    relay: mpsc::UnboundedSender<(PeerId, EngineEvent)>,
) -> End {
    let onsets = Arc::new(Mutex::new(Vec::new()));
    let picture_ms = Arc::new(Mutex::new(Vec::new()));
    let latencies = picture_ms.clone();
    let media = Media {
        audio_in: Box::new(Clicks { clock: clock.clone(), n: 0 }),
        audio_out: Box::new(Onsets { heard: onsets.clone(), loud: false }),
        video_in: Some(Box::new(TimedPattern {
            inner: TestPattern::new(width, height, 30).unwrap(),
            clock: clock.clone(),
            index: 0,
        })),
        self_view: None,
        remote_video: Arc::new(move |_| {
            Box::new(Pictures { sender: peer_clock.clone(), latencies: latencies.clone() }) as Box<dyn VideoSink>
        }),
    };
    let config = EngineConfig { bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST), ..EngineConfig::default() };
    let (engine, mut events) = CallEngine::start(config, media).unwrap();
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            let _ = relay.send((id, e));
        }
    });
    End { engine: Arc::new(engine), clock, onsets, picture_ms }
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// CPU seconds this process has used (user + system).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Audio latency: each click's capture to its onset at the far end's playout.
fn click_latencies(sent: &[Instant], heard: &[Instant]) -> Vec<f64> {
    heard
        .iter()
        .filter_map(|h| sent.iter().rev().find(|s| *s <= h).map(|s| h.duration_since(*s).as_secs_f64() * 1000.0))
        .filter(|ms| *ms < 400.0)
        .collect()
}

async fn run(width: usize, height: usize, seconds: u64) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    // Each end times the other's pictures and clicks by the other's clock.
    let (clock_a, clock_b) = (Arc::new(Clock::default()), Arc::new(Clock::default()));
    let a = end(1, (clock_a.clone(), clock_b.clone()), (width, height), tx.clone());
    let b = end(2, (clock_b, clock_a), (width, height), tx);
    let engines: HashMap<PeerId, Arc<CallEngine>> = [(1, a.engine.clone()), (2, b.engine.clone())].into();
    tokio::spawn(async move {
        while let Some((from, event)) = rx.recv().await {
            if let EngineEvent::Signal { peer, signal } = event
                && let Some(to) = engines.get(&peer)
            {
                let _ = to.signal(from, signal).await;
            }
        }
    });
    a.engine.connect(2, true).await.unwrap();
    // Warm up (connect, first keyframes, jitter buffers settle), then measure.
    tokio::time::sleep(Duration::from_secs(3)).await;
    a.picture_ms.lock().unwrap().clear();
    b.picture_ms.lock().unwrap().clear();
    let from = Instant::now();
    let cpu0 = cpu_seconds();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let cpu = (cpu_seconds() - cpu0) / from.elapsed().as_secs_f64() * 100.0;

    let mut pictures: Vec<f64> = [&a, &b].iter().flat_map(|e| e.picture_ms.lock().unwrap().clone()).collect();
    let after = |v: &[Instant]| v.iter().copied().filter(|t| *t >= from).collect::<Vec<_>>();
    let mut audio = click_latencies(&a.clock.clicks.lock().unwrap(), &after(&b.onsets.lock().unwrap()));
    audio.extend(click_latencies(&b.clock.clicks.lock().unwrap(), &after(&a.onsets.lock().unwrap())));
    let expected_pictures = 2 * 30 * seconds;
    let stats = a.engine.stats().await;
    println!(
        "{width}×{height}@30 two-way, {seconds} s: video capture→decoded p50 {:.1} ms p95 {:.1} ms ({} of {} pictures); \
         audio capture→playout p50 {:.1} ms p95 {:.1} ms ({} clicks); CPU {:.0} % of one core (both ends); \
         peak RSS {:.0} MB; send estimate {} kb/s",
        percentile(&mut pictures, 0.5),
        percentile(&mut pictures, 0.95),
        pictures.len(),
        expected_pictures,
        percentile(&mut audio, 0.5),
        percentile(&mut audio, 0.95),
        audio.len(),
        cpu,
        peak_rss_mb(),
        stats.first().map_or(0, |s| s.send_estimate_bps / 1000),
    );
    a.engine.close().await;
    b.engine.close().await;
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        run(640, 480, seconds).await;
        run(1280, 720, seconds).await;
    });
}
