//! Voice notes end to end: recorded (a tone standing in for the
//! microphone), sent through the send queue, received, and played back from
//! the file cache, also with the server gone.

use ling_call::devices::AudioInput;
use ling_call::synthetic::dominant_frequency;
use ling_client::Event;
use ling_client::cache::SendStatus;
use ling_client::voice::VoiceRecording;
use ling_proto::messages::MessageContent;
use ling_testing::eventually;

use crate::harness::{TestServer, amy_and_bob};

#[tokio::test]
async fn test_a_voice_note_is_recorded_sent_and_played_from_the_cache_offline() {
    let mut server = TestServer::start().await;
    let (mut amy, mut bob, conv) = amy_and_bob(&server).await;

    let staged = amy.client.account_dir().join("outgoing").join("note");
    let recording = VoiceRecording::start(AudioInput::Tone(330.0), &staged, Default::default()).unwrap();
    eventually("a second recorded", async || recording.level().elapsed_ms >= 1000).await;
    let note = recording.stop().await.unwrap();
    assert!(note.duration_ms >= 1000 && !note.waveform.is_empty(), "{note:?}");
    let echo = amy.client.send_queue().send_voice(conv, &note).await.unwrap();
    assert_eq!(echo.status, SendStatus::Uploading, "listed at once, its file going up");
    let sent = match amy
        .wait_for(|e| matches!(e, Event::MessageUpdated { message } if message.status == SendStatus::Sent))
        .await
    {
        Event::MessageUpdated { message } => message,
        _ => unreachable!(),
    };
    let MessageContent::Voice { file, duration_ms, waveform } = &sent.content else { panic!("{:?}", sent.content) };
    assert_eq!((*duration_ms, waveform, file.mime.as_str()), (note.duration_ms, &note.waveform, "audio/opus"));
    assert!(!staged.exists(), "the staged recording went once sent");

    let got = match bob
        .wait_for(
            |e| matches!(e, Event::MessageNew { message } if matches!(message.content, MessageContent::Voice { .. })),
        )
        .await
    {
        Event::MessageNew { message } => message,
        _ => unreachable!(),
    };
    assert_eq!(got.content, sent.content);
    let heard = bob.client.voice_samples(file).await.unwrap();
    let expected = note.duration_ms as usize * 48;
    assert!(
        heard.len() + 960 >= expected && heard.len() <= expected,
        "{} samples for {} ms",
        heard.len(),
        note.duration_ms
    );
    assert!((dominant_frequency(&heard[4800..24000]).unwrap() - 330.0).abs() < 10.0);

    // With the server gone, both still play it: from their file caches
    // (Amy's own recording went there when it was sent).
    server.stop().await;
    assert_eq!(bob.client.voice_samples(file).await.unwrap().len(), heard.len());
    assert_eq!(amy.client.voice_samples(file).await.unwrap().len(), heard.len());
}
