//! The microphone's processing in a simulated room: the far end's speech
//! (espeak-ng) plays from the speaker and comes back through the room with
//! the near end's speech and a fan's noise. The goals: the far end hears
//! its echo at least 25 dB quieter within 2 s, and the near end's voice
//! loses under 3 dB, alone and while both talk.

use std::time::Duration;

use ling_call::processing::{AudioProcessor, Processing};
use ling_call::room::{EchoReport, Room, Scene, conversation, frames};

fn scene(room: &Room) -> Scene {
    conversation(room).expect("espeak-ng makes the speech (scripts/setup.sh installs it)")
}

/// The scene through `settings`, as a call runs it: each 20 ms the mix goes
/// to the speaker (the echo reference) with how long the devices hold it
/// (`devices`; zero where they do not say), then the microphone's frame is
/// cleaned.
fn process(scene: &Scene, settings: Processing, devices: Duration) -> Vec<f32> {
    let processor = AudioProcessor::new(settings);
    let mut out = Vec::with_capacity(scene.mic.len());
    for (far, mut mic) in frames(&scene.far).into_iter().zip(frames(&scene.mic)) {
        processor.render(&far, devices);
        processor.capture(&mut mic);
        out.extend(mic.samples.iter().map(|&s| f32::from(s) / 32768.0));
    }
    out.truncate(scene.mic.len());
    out
}

fn check(room: Room, devices: Duration) -> EchoReport {
    let scene = scene(&room);
    assert!(scene.double_talk.len() > ling_call::room::samples(3000), "both talk for seconds");
    let report = EchoReport::measure(&scene, &process(&scene, Processing::default(), devices), 2000);
    println!("{room:?}\n  {report:?}");
    assert!(report.converged_ms.is_some_and(|ms| ms <= 2000), "25 dB down within 2 s: {report:?}");
    assert!(report.single_talk_reduction_db >= 25.0, "{report:?}");
    assert!(report.double_talk_reduction_db >= 25.0, "echo in the near end's pauses: {report:?}");
    assert!(report.double_talk_near_loss_db < 3.0, "{report:?}");
    assert!(report.near_alone_loss_db < 3.0, "{report:?}");
    // Without processing the same measures show the echo whole.
    let raw = EchoReport::measure(&scene, &process(&scene, Processing::OFF, devices), 2000);
    assert!(raw.single_talk_reduction_db.abs() < 0.5 && raw.converged_ms.is_none(), "{raw:?}");
    report
}

#[test]
fn test_echo_is_cancelled_in_a_laptop_room_whose_devices_do_not_say_their_latency() {
    check(Room::LAPTOP, Duration::ZERO);
}

#[test]
fn test_echo_is_cancelled_with_a_short_delay_and_with_a_long_one() {
    check(Room { delay_ms: 30, rt60_ms: 150, attenuation_db: 6.0, noise_db: -55.0, seed: 11 }, Duration::ZERO);
    // 200 ms is mostly the devices' buffers, which the speaker tells.
    let far = Room { delay_ms: 200, rt60_ms: 300, attenuation_db: 10.0, noise_db: -55.0, seed: 12 };
    check(far, Duration::from_millis(190));
}
