//! The microphone's processing in a simulated room: the far end's speech
//! (espeak-ng) plays from the speaker and comes back through the room with
//! the near end's speech and a fan's noise. The goals: the far end hears
//! its echo at least 25 dB quieter within 2 s, and the near end's voice
//! loses under 3 dB, alone and while both talk. And a quiet voice is
//! brought up by the automatic gain.

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

#[test]
fn test_a_quiet_voice_is_brought_up_by_the_automatic_gain() {
    use ling_call::room::{level_db, speech};
    // Someone far from the microphone: speech at about -45 dBFS, 8 s of it.
    let voice = speech(
        "I am sitting quite far from the microphone today, so my voice is rather quiet. \
         The automatic volume should bring it up to a level the others can hear without straining.",
        "en+f2",
    )
    .expect("espeak-ng");
    let quiet: Vec<f32> = voice.iter().map(|s| s * 10f32.powf(-25.0 / 20.0)).collect();
    let through = |settings: Processing| {
        let processor = AudioProcessor::new(settings);
        let out: Vec<f32> = frames(&quiet)
            .into_iter()
            .flat_map(|mut f| {
                processor.capture(&mut f);
                f.samples.into_iter().map(|s| f32::from(s) / 32768.0)
            })
            .collect();
        let half = out.len() / 2;
        level_db(&out[half..])
    };
    let half = quiet.len() / 2;
    let before = level_db(&quiet[half..]);
    let raised = through(Processing { auto_gain: true, ..Processing::OFF });
    let left = through(Processing { auto_gain: false, noise_suppression: true, ..Processing::OFF });
    println!("a quiet voice at {before:.1} dBFS: {raised:.1} with the gain, {left:.1} without");
    assert!(before < -40.0, "{before}");
    assert!(raised > before + 10.0, "brought up by only {:.1} dB", raised - before);
    assert!((left - before).abs() < 3.0, "without the gain it stays: {left:.1}");
}
