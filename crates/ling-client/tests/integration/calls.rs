//! Calls end to end: clients with synthetic media (a tone each, a test
//! pattern for the camera) place and take calls through the real server's
//! signaling on loopback, and the media flows between their engines.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use ling_call::engine::VideoSinkFactory;
use ling_call::record::{AudioRecorder, VideoRecorders};
use ling_call::synthetic::{TestPattern, Tone, dominant_frequency, tone_present};
use ling_call::{CallError, Media, VideoSource};
use ling_client::Event;
use ling_client::calls::{CallDevices, CallEnd, CallPhase, CallView, Calls, MemberState};
use ling_proto::messages::{CallMedia, CallOutcome, MessageContent};

use ling_testing::{eventually, until};

use crate::harness::{Person, TestServer, befriend};

/// A tone at `hz` for the microphone, a recorder for the speaker, a test
/// pattern for the camera and a recorder per peer's tile.
struct Synthetic {
    hz: f64,
    heard: AudioRecorder,
    seen: VideoRecorders,
}

impl Synthetic {
    fn new(hz: f64) -> Arc<Synthetic> {
        Arc::new(Synthetic { hz, heard: AudioRecorder::new(5), seen: VideoRecorders::new() })
    }

    fn hears(&self, hz: f64) -> bool {
        dominant_frequency(&self.heard.last(9600)).is_some_and(|f| (f - hz).abs() < 15.0)
    }

    fn pictures_from(&self, peer: i64) -> usize {
        self.seen.of(peer).seen().len()
    }
}

impl CallDevices for Synthetic {
    fn open(&self, video: bool, remote_video: VideoSinkFactory) -> (Media, Vec<CallError>) {
        let media = Media {
            audio_in: Box::new(Tone::new(self.hz)),
            audio_out: Box::new(self.heard.clone()),
            video_in: if video { Some(self.camera().unwrap()) } else { None },
            self_view: None,
            remote_video,
        };
        (media, Vec::new())
    }

    fn camera(&self) -> Result<Box<dyn VideoSource>, CallError> {
        Ok(Box::new(TestPattern::new(320, 240, 30)?))
    }

    fn remote_video(&self) -> VideoSinkFactory {
        self.seen.factory()
    }
}

struct Caller {
    person: Person,
    calls: Arc<Calls>,
    media: Arc<Synthetic>,
}

impl Caller {
    async fn new(server: &TestServer, name: &str, hz: f64) -> Caller {
        let person = Person::register(server, name).await;
        let media = Synthetic::new(hz);
        let calls = person.client.calls(media.clone(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        Caller { person, calls, media }
    }

    /// Waits for a `CallChanged` that `pick` accepts.
    async fn call_until(&mut self, mut pick: impl FnMut(&CallView) -> bool) -> CallView {
        match self.person.wait_for(|e| matches!(e, Event::CallChanged { call } if pick(call))).await {
            Event::CallChanged { call } => call,
            _ => unreachable!(),
        }
    }

    async fn rung(&mut self) -> CallView {
        self.call_until(|c| c.phase == CallPhase::Incoming).await
    }

    async fn ended(&mut self, call_id: &str) -> CallEnd {
        self.call_until(|c| c.call_id == call_id && c.phase == CallPhase::Ended).await.end.expect("ended calls say how")
    }

    /// Waits for the newest call record in `conversation` (events may have
    /// passed already, so it reads the cache).
    async fn record(&mut self, conversation: i64, after: i64) -> (CallOutcome, u64) {
        eventually(&format!("a call record in conversation {conversation}"), async || {
            let summary = self.person.client.conversation(conversation).await.unwrap();
            match summary.and_then(|s| s.last_message).filter(|m| m.seq.unwrap_or(0) > after)?.content {
                MessageContent::CallRecord { outcome, duration_ms, .. } => Some((outcome, duration_ms)),
                _ => None,
            }
        })
        .await
    }

    /// The conversation's last seq now.
    async fn last_seq(&self, conversation: i64) -> i64 {
        self.person.client.conversation(conversation).await.unwrap().map(|s| s.last_seq).unwrap_or(0)
    }
}

async fn friends(server: &TestServer) -> (Caller, Caller, i64) {
    let mut alice = Caller::new(server, "alice", 440.0).await;
    let mut bob = Caller::new(server, "bob", 1000.0).await;
    let conv = befriend(&mut alice.person, &mut bob.person).await;
    (alice, bob, conv)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_video_call_between_friends_carries_sound_and_pictures_and_leaves_a_record() {
    let server = TestServer::start().await;
    let (mut alice, mut bob, conv) = friends(&server).await;

    let before = bob.last_seq(conv).await;
    let placed = alice.calls.call(conv, CallMedia::Video).await.unwrap();
    assert_eq!(placed.phase, CallPhase::Calling);
    let ringing = bob.rung().await;
    assert_eq!((ringing.caller, ringing.media), (alice.person.id(), CallMedia::Video));
    let rang = alice.call_until(|c| c.members.iter().any(|m| m.state == MemberState::Ringing)).await;
    // A change the window hears of after the command answered is newer than its answer.
    assert!(rang.revision > placed.revision, "{} after {}", rang.revision, placed.revision);

    bob.calls.accept(&ringing.call_id).await.unwrap();
    let bob_id = bob.person.id();
    alice.call_until(|c| c.members.iter().any(|m| m.user_id == bob_id && m.state == MemberState::Connected)).await;
    until("Bob hears Alice's tone", || bob.media.hears(440.0)).await;
    until("Alice hears Bob's tone", || alice.media.hears(1000.0)).await;
    until("Bob sees Alice's pictures", || bob.media.pictures_from(alice.person.id()) >= 20).await;
    until("Alice sees Bob's pictures", || alice.media.pictures_from(bob_id) >= 20).await;
    let seen = bob.media.seen.of(alice.person.id()).seen();
    let indices: Vec<u32> = seen.iter().filter_map(|f| f.index).collect();
    assert!(seen.iter().all(|f| (f.width, f.height) == (320, 240)));
    assert!(indices.len() * 10 >= seen.len() * 9 && indices.windows(2).all(|w| w[0] < w[1]), "{indices:?}");

    // Bob turns his camera off and mutes; the quality shows up.
    bob.calls.set_camera(false).await.unwrap();
    let muted = bob.calls.set_muted(true).await.unwrap();
    assert!(muted.muted && !muted.camera_on);
    until("Alice hears silence", || alice.media.heard.last(4800).iter().all(|s| s.unsigned_abs() < 300)).await;
    let view = alice.call_until(|c| c.members.iter().any(|m| m.quality.is_some())).await;
    assert!(view.members[0].quality.is_some());

    tokio::time::sleep(Duration::from_millis(300)).await;
    alice.calls.hang_up().await.unwrap();
    assert_eq!(bob.ended(&placed.call_id).await, CallEnd::Completed);
    let (outcome, duration_ms) = bob.record(conv, before).await;
    assert_eq!(outcome, CallOutcome::Completed);
    assert!(duration_ms >= 300, "{duration_ms} ms");
    assert!(bob.calls.hang_up().await.is_err(), "no call left to hang up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn declined_cancelled_busy_and_unanswered_calls_end_so() {
    let server = TestServer::start_with(|c| c.ring_secs = 2).await;
    let (mut alice, mut bob, conv) = friends(&server).await;
    let mut carol = Caller::new(&server, "carol", 2000.0).await;
    let conv_ac = befriend(&mut alice.person, &mut carol.person).await;
    let conv_bc = befriend(&mut bob.person, &mut carol.person).await;

    // Declined.
    let before = alice.last_seq(conv).await;
    let call = alice.calls.call(conv, CallMedia::Audio).await.unwrap().call_id;
    let ringing = bob.rung().await;
    bob.calls.decline(&ringing.call_id).await.unwrap();
    assert_eq!(alice.ended(&call).await, CallEnd::Declined);
    assert_eq!(alice.record(conv, before).await.0, CallOutcome::Declined);

    // Cancelled by the caller: the callee's ringing stops.
    let before = alice.last_seq(conv).await;
    let call = alice.calls.call(conv, CallMedia::Audio).await.unwrap().call_id;
    bob.rung().await;
    alice.calls.hang_up().await.unwrap();
    assert_eq!(bob.ended(&call).await, CallEnd::Cancelled);
    assert_eq!(bob.record(conv, before).await.0, CallOutcome::Cancelled);

    // Nobody answers within the ringing time.
    let before = alice.last_seq(conv).await;
    let call = alice.calls.call(conv, CallMedia::Video).await.unwrap().call_id;
    bob.rung().await;
    assert_eq!(alice.ended(&call).await, CallEnd::NoAnswer);
    assert_eq!(bob.ended(&call).await, CallEnd::Cancelled);
    assert_eq!(alice.record(conv, before).await.0, CallOutcome::Missed);

    // Busy: Bob is talking with Carol when Alice calls.
    let talk = bob.calls.call(conv_bc, CallMedia::Audio).await.unwrap().call_id;
    let ringing = carol.rung().await;
    carol.calls.accept(&ringing.call_id).await.unwrap();
    bob.call_until(|c| c.members.iter().any(|m| m.state == MemberState::Connected)).await;
    let before = alice.last_seq(conv).await;
    let call = alice.calls.call(conv, CallMedia::Audio).await.unwrap().call_id;
    assert_eq!(alice.ended(&call).await, CallEnd::Busy);
    assert_eq!(alice.record(conv, before).await.0, CallOutcome::Busy);
    bob.calls.hang_up().await.unwrap();
    assert_eq!(carol.ended(&talk).await, CallEnd::Completed);
    let _ = conv_ac;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_group_call_of_three_is_a_mesh_where_everyone_hears_everyone() {
    let server = TestServer::start().await;
    let (mut alice, mut bob, _) = friends(&server).await;
    let mut carol = Caller::new(&server, "carol", 2500.0).await;
    befriend(&mut alice.person, &mut carol.person).await;
    let group =
        alice.person.client.groups().create_group("trio", vec![bob.person.id(), carol.person.id()]).await.unwrap();

    let before = alice.last_seq(group.conversation_id).await;
    let placed = alice.calls.call(group.conversation_id, CallMedia::Audio).await.unwrap();
    assert_eq!(placed.members.len(), 2);
    let for_bob = bob.rung().await;
    let for_carol = carol.rung().await;
    bob.calls.accept(&for_bob.call_id).await.unwrap();
    // Carol is busy at first; once Alice and Bob talk, Bob rings her again and she joins.
    carol.calls.decline(&for_carol.call_id).await.unwrap();
    until("Alice hears Bob", || alice.media.hears(1000.0)).await;
    assert_eq!(alice.calls.current().await.unwrap().phase, CallPhase::Active);
    bob.calls.invite(carol.person.id()).await.unwrap();
    let again = carol.call_until(|c| c.phase == CallPhase::Incoming && c.call_id == for_carol.call_id).await;
    assert_eq!(again.caller, bob.person.id(), "rung by Bob this time");
    carol.calls.accept(&again.call_id).await.unwrap();

    let hears_both = |m: &Synthetic, x: f64, y: f64| {
        let last = m.heard.last(9600);
        tone_present(&last, x) && tone_present(&last, y)
    };
    until("Alice hears Bob and Carol", || hears_both(&alice.media, 1000.0, 2500.0)).await;
    until("Bob hears Alice and Carol", || hears_both(&bob.media, 440.0, 2500.0)).await;
    until("Carol hears Alice and Bob", || hears_both(&carol.media, 440.0, 1000.0)).await;

    // Carol leaves; the others go on; the last two end it.
    carol.calls.hang_up().await.unwrap();
    let carol_id = carol.person.id();
    alice.call_until(|c| c.members.iter().any(|m| m.user_id == carol_id && m.state == MemberState::Left)).await;
    assert_eq!(alice.calls.current().await.unwrap().phase, CallPhase::Active);
    until("Alice no longer hears Carol", || {
        let last = alice.media.heard.last(9600);
        tone_present(&last, 1000.0) && !tone_present(&last, 2500.0)
    })
    .await;
    bob.calls.hang_up().await.unwrap();
    assert_eq!(alice.ended(&placed.call_id).await, CallEnd::Completed);
    assert_eq!(alice.record(group.conversation_id, before).await.0, CallOutcome::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stranger_cannot_ring_anyone() {
    let server = TestServer::start().await;
    let mut alice = Caller::new(&server, "alice", 440.0).await;
    let mallory = Caller::new(&server, "mallory", 300.0).await;
    // Mallory makes up a call into a conversation that is not hers.
    let (_, mut bob, conv) = {
        let mut bob = Caller::new(&server, "bob", 1000.0).await;
        let conv = befriend(&mut alice.person, &mut bob.person).await;
        ((), bob, conv)
    };
    mallory
        .person
        .client
        .call_signal(
            "made-up",
            conv,
            alice.person.id(),
            None,
            ling_proto::ws::CallSignal::Invite { media: CallMedia::Audio },
        )
        .unwrap();
    // And she cannot call through the client either: it is not her conversation.
    assert!(mallory.calls.call(conv, CallMedia::Audio).await.is_err());
    // The server refused her invite (ling-server's tests check its code): the
    // first call that rings Alice is Bob's, placed after Mallory's.
    let placed = bob.calls.call(conv, CallMedia::Audio).await.unwrap();
    let rung = alice.rung().await;
    assert_eq!((rung.call_id.as_str(), rung.caller), (placed.call_id.as_str(), bob.person.id()));
    let _ = &mut bob;
}

/// A laptop's speaker and microphone: what the speaker plays comes back
/// into the microphone 50 ms later at half its level; nobody talks here.
#[derive(Clone, Default)]
struct Laptop {
    played: Arc<std::sync::Mutex<Vec<i16>>>,
}

struct LaptopMic(Laptop, usize);

impl ling_call::AudioSource for LaptopMic {
    fn name(&self) -> &str {
        "laptop microphone"
    }
    fn in_room(&self) -> bool {
        true
    }
    fn read(&mut self) -> ling_call::CallResult<ling_call::AudioFrame> {
        let played = self.0.played.lock().unwrap();
        let samples = (self.1..self.1 + ling_call::FRAME_SAMPLES)
            .map(|i| i.checked_sub(2400).and_then(|j| played.get(j)).map_or(0, |s| s / 2))
            .collect();
        self.1 += ling_call::FRAME_SAMPLES;
        Ok(ling_call::AudioFrame { samples, capture_us: 0 })
    }
}

impl ling_call::AudioSink for Laptop {
    fn name(&self) -> &str {
        "laptop speaker"
    }
    fn write(&mut self, frame: &ling_call::AudioFrame) -> ling_call::CallResult<()> {
        self.played.lock().unwrap().extend_from_slice(&frame.samples);
        Ok(())
    }
}

/// Sound only: a microphone and a speaker made for each call.
struct SoundOnly {
    mic: Box<dyn Fn() -> Box<dyn ling_call::AudioSource> + Send + Sync>,
    speaker: Box<dyn Fn() -> Box<dyn ling_call::AudioSink> + Send + Sync>,
}

impl CallDevices for SoundOnly {
    fn open(&self, _video: bool, remote_video: VideoSinkFactory) -> (Media, Vec<CallError>) {
        let media = Media {
            audio_in: (self.mic)(),
            audio_out: (self.speaker)(),
            video_in: None,
            self_view: None,
            remote_video,
        };
        (media, Vec::new())
    }
    fn camera(&self) -> Result<Box<dyn VideoSource>, CallError> {
        Err(CallError::Unsupported("no camera".into()))
    }
    fn remote_video(&self) -> VideoSinkFactory {
        VideoRecorders::new().factory()
    }
}

/// Someone who talks on and on (espeak-ng, over and over).
struct Speech(Vec<f32>, usize);

impl ling_call::AudioSource for Speech {
    fn name(&self) -> &str {
        "speech"
    }
    fn read(&mut self) -> ling_call::CallResult<ling_call::AudioFrame> {
        let n = self.0.len();
        let samples = (self.1..self.1 + ling_call::FRAME_SAMPLES).map(|i| (self.0[i % n] * 32767.0) as i16).collect();
        self.1 += ling_call::FRAME_SAMPLES;
        Ok(ling_call::AudioFrame { samples, capture_us: 0 })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn echo_cancellation_follows_the_preferences_during_a_call() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    let laptop = Laptop::default();
    let (mic, speaker) = (laptop.clone(), laptop.clone());
    let sound = SoundOnly {
        mic: Box::new(move || Box::new(LaptopMic(mic.clone(), 0))),
        speaker: Box::new(move || Box::new(speaker.clone())),
    };
    let amy_calls = amy.client.calls(Arc::new(sound), IpAddr::V4(Ipv4Addr::LOCALHOST));
    let speech = ling_call::room::speech(
        "Good morning everyone, the numbers came in and the team wants to review them before Friday.",
        "en-us+m3",
    )
    .unwrap();
    let heard = AudioRecorder::new(10);
    let sound = SoundOnly {
        mic: Box::new(move || Box::new(Speech(speech.clone(), 0))),
        speaker: Box::new({
            let heard = heard.clone();
            move || Box::new(heard.clone())
        }),
    };
    let bob_calls = bob.client.calls(Arc::new(sound), IpAddr::V4(Ipv4Addr::LOCALHOST));

    amy_calls.call(conv, CallMedia::Audio).await.unwrap();
    let ringing =
        match bob.wait_for(|e| matches!(e, Event::CallChanged { call } if call.phase == CallPhase::Incoming)).await {
            Event::CallChanged { call } => call,
            _ => unreachable!(),
        };
    bob_calls.accept(&ringing.call_id).await.unwrap();
    let level = |samples: &[i16]| {
        ling_call::room::level_db(&samples.iter().map(|&s| f32::from(s) / 32768.0).collect::<Vec<_>>())
    };
    until("Bob's voice plays on Amy's laptop", || level(&laptop.played.lock().unwrap()) > -50.0).await;
    // Over the last 2 s, after 3 s of talk: Bob's voice comes back into
    // Amy's microphone at about -26 dBFS.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let processed = level(&heard.last(96_000));
    assert!(processed < -50.0, "Bob hears himself at {processed:.1} dBFS with echo cancellation on");

    // Amy turns echo cancellation off in the settings, mid-call.
    let mut prefs = amy.client.prefs().await.unwrap();
    assert!(prefs.sound.echo_cancellation, "on by default");
    prefs.sound.echo_cancellation = false;
    amy.client.set_prefs(prefs).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let unprocessed = level(&heard.last(96_000));
    assert!(unprocessed > processed + 15.0, "off, Bob hears himself at {unprocessed:.1} dBFS (on: {processed:.1})");
    amy_calls.hang_up().await.unwrap();
}
