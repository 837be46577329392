//! The microphone's processing (echo cancellation, noise suppression, gain)
//! in the simulated room: CPU per second of audio, added latency, and the
//! echo figures, for the rooms the tests use and a livelier one.
//!
//! `cargo bench -p ling-call --bench processing` (`-- --runs N`, default 3).

use std::time::{Duration, Instant};

use ling_call::SAMPLE_RATE;
use ling_call::processing::{AudioProcessor, Processing};
use ling_call::room::{EchoReport, Room, Scene, conversation, frames};

fn scene(room: &Room) -> Scene {
    conversation(room).expect("espeak-ng makes the speech (scripts/setup.sh installs it)")
}

/// The output and the time the processing itself took.
fn process(scene: &Scene, settings: Processing, devices: Duration) -> (Vec<f32>, Duration) {
    let processor = AudioProcessor::new(settings);
    let (far, mic) = (frames(&scene.far), frames(&scene.mic));
    let mut out = Vec::with_capacity(scene.mic.len());
    let mut busy = Duration::ZERO;
    for (far, mut mic) in far.into_iter().zip(mic) {
        let start = Instant::now();
        processor.render(&far, devices);
        processor.capture(&mut mic);
        busy += start.elapsed();
        out.extend(mic.samples.iter().map(|&s| f32::from(s) / 32768.0));
    }
    out.truncate(scene.mic.len());
    (out, busy)
}

fn main() {
    let runs: usize = std::env::args().skip_while(|a| a != "--runs").nth(1).and_then(|n| n.parse().ok()).unwrap_or(3);
    let rooms = [
        ("laptop, 120 ms", Room::LAPTOP, Duration::ZERO),
        (
            "near, 30 ms",
            Room { delay_ms: 30, rt60_ms: 150, attenuation_db: 6.0, noise_db: -55.0, seed: 11 },
            Duration::ZERO,
        ),
        (
            "far, 200 ms (190 told)",
            Room { delay_ms: 200, rt60_ms: 300, attenuation_db: 10.0, noise_db: -55.0, seed: 12 },
            Duration::from_millis(190),
        ),
        (
            "live, 200 ms, 400 ms tail",
            Room { delay_ms: 200, rt60_ms: 400, attenuation_db: 6.0, noise_db: -55.0, seed: 12 },
            Duration::from_millis(190),
        ),
        (
            "loud echo, 30 ms, 3 dB",
            Room { delay_ms: 30, rt60_ms: 150, attenuation_db: 3.0, noise_db: -55.0, seed: 11 },
            Duration::ZERO,
        ),
    ];
    println!(
        "room                        | single talk | pauses in double talk | near loss double/alone | 25 dB from | latency"
    );
    for (name, room, devices) in &rooms {
        let scene = scene(room);
        let r = EchoReport::measure(&scene, &process(&scene, Processing::default(), *devices).0, 2000);
        println!(
            "{name:<27} | {:>8.1} dB | {:>18.1} dB | {:>9.2} / {:.2} dB | {:>7} | {:.1} ms",
            r.single_talk_reduction_db,
            r.double_talk_reduction_db,
            r.double_talk_near_loss_db,
            r.near_alone_loss_db,
            r.converged_ms.map_or("never".into(), |ms| format!("{ms} ms")),
            r.latency_ms
        );
    }
    let scene = scene(&Room::LAPTOP);
    let seconds = scene.mic.len() as f64 / f64::from(SAMPLE_RATE);
    let parts = [
        ("all (the default)", Processing::default()),
        ("echo cancellation", Processing { echo_cancellation: true, ..Processing::OFF }),
        ("noise suppression", Processing { noise_suppression: true, ..Processing::OFF }),
        ("gain", Processing { auto_gain: true, ..Processing::OFF }),
    ];
    println!("\nCPU per second of audio (one core; {runs} runs over {seconds:.1} s of audio) and latency added:");
    for (name, settings) in parts {
        let per_run: Vec<f64> =
            (0..runs).map(|_| process(&scene, settings, Duration::ZERO).1.as_secs_f64() / seconds * 100.0).collect();
        let (min, max) = per_run.iter().fold((f64::MAX, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
        let mean = per_run.iter().sum::<f64>() / per_run.len() as f64;
        let latency = EchoReport::measure(&scene, &process(&scene, settings, Duration::ZERO).0, 2000).latency_ms;
        println!("  {name:<18} {mean:.2} % of a core (runs {min:.2}–{max:.2} %), adds {latency:.1} ms");
    }
}
