//! Two and three call engines in one process on loopback, their signals
//! carried by a relay task (the server's part in a real call): sound and
//! pictures flow every way, video turns on and off mid-call, mute silences,
//! and someone leaving leaves the others talking.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ling_call::processing::Processing;
use ling_call::record::{AudioRecorder, VideoRecorder, VideoRecorders};
use ling_call::room::{level_db, speech};
use ling_call::synthetic::{TestPattern, Tone, dominant_frequency, tone_present};
use ling_call::{
    AudioFrame, AudioSink, AudioSource, CallEngine, CallResult, EngineConfig, EngineEvent, FRAME_SAMPLES, Media,
    PeerId, PeerState,
};
use ling_testing::until;
use tokio::sync::mpsc;

struct Member {
    id: PeerId,
    engine: Arc<CallEngine>,
    heard: AudioRecorder,
    seen: VideoRecorders,
    states: Arc<Mutex<HashMap<PeerId, PeerState>>>,
}

impl Member {
    fn seen_from(&self, peer: PeerId) -> VideoRecorder {
        self.seen.of(peer)
    }
}

type Relay = mpsc::UnboundedSender<(PeerId, PeerId, ling_call::PeerSignal)>;

/// Starts an engine sending a tone at `hz` (and a test pattern when `video`).
fn member(id: PeerId, hz: f64, video: bool, relay: Relay) -> Member {
    let heard = AudioRecorder::new(10);
    let seen = VideoRecorders::new();
    let media = Media {
        audio_in: Box::new(Tone::new(hz)),
        audio_out: Box::new(heard.clone()),
        video_in: video.then(|| Box::new(TestPattern::new(320, 240, 30).unwrap()) as _),
        self_view: None,
        remote_video: seen.factory(),
    };
    start(id, media, heard, seen, relay)
}

/// Starts an engine with `media`, whose sound out `heard` records.
fn start(id: PeerId, media: Media, heard: AudioRecorder, seen: VideoRecorders, relay: Relay) -> Member {
    let config = EngineConfig { bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST), ..EngineConfig::default() };
    let (engine, mut events) = CallEngine::start(config, media).unwrap();
    let states: Arc<Mutex<HashMap<PeerId, PeerState>>> = Arc::default();
    let peer_states = states.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                EngineEvent::Signal { peer, signal } => {
                    let _ = relay.send((id, peer, signal));
                }
                EngineEvent::PeerState { peer, state } => {
                    peer_states.lock().unwrap().insert(peer, state);
                }
                EngineEvent::DeviceFailed { .. } => panic!("{event:?}"),
            }
        }
    });
    Member { id, engine: Arc::new(engine), heard, seen, states }
}

/// Carries signals between the members' engines (in order, like the server).
fn relay(
    mut rx: mpsc::UnboundedReceiver<(PeerId, PeerId, ling_call::PeerSignal)>,
    members: Vec<(PeerId, Arc<CallEngine>)>,
) {
    let engines: HashMap<PeerId, Arc<CallEngine>> = members.into_iter().collect();
    tokio::spawn(async move {
        while let Some((from, to, signal)) = rx.recv().await {
            if let Some(engine) = engines.get(&to) {
                if let Err(e) = engine.signal(from, signal).await {
                    // A late candidate for a connection already closed.
                    assert_eq!(e.code(), "unknown_peer", "{e}");
                }
            }
        }
    });
}

fn hears(m: &Member, hz: f64) -> bool {
    let last = m.heard.last(9600); // 200 ms
    dominant_frequency(&last).is_some_and(|f| (f - hz).abs() < 15.0)
}

fn is_silent(m: &Member) -> bool {
    m.heard.last(4800).iter().all(|s| s.unsigned_abs() < 300)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_hear_and_see_each_other() {
    let (tx, rx) = mpsc::unbounded_channel();
    let alice = member(1, 440.0, true, tx.clone());
    let bob = member(2, 1000.0, false, tx);
    relay(rx, vec![(1, alice.engine.clone()), (2, bob.engine.clone())]);

    alice.engine.connect(2, true).await.unwrap();
    until("both are connected", || {
        alice.states.lock().unwrap().get(&2) == Some(&PeerState::Connected)
            && bob.states.lock().unwrap().get(&1) == Some(&PeerState::Connected)
    })
    .await;
    until("Bob hears Alice's 440 Hz", || hears(&bob, 440.0)).await;
    until("Alice hears Bob's 1000 Hz", || hears(&alice, 1000.0)).await;

    // Alice's test pattern reaches Bob whole: its size, and frame indices
    // that count up as they were sent.
    until("Bob sees 30 of Alice's pictures", || bob.seen_from(1).seen().len() >= 30).await;
    let seen = bob.seen_from(1).seen();
    assert!(seen.iter().all(|f| (f.width, f.height) == (320, 240)), "{:?}", seen[0]);
    let indices: Vec<u32> = seen.iter().filter_map(|f| f.index).collect();
    assert!(
        indices.len() >= seen.len() * 9 / 10,
        "{} of {} pictures carry a readable index",
        indices.len(),
        seen.len()
    );
    assert!(indices.windows(2).all(|w| w[0] < w[1]), "in order: {indices:?}");
    assert!(alice.seen_from(2).seen().is_empty(), "Bob has no camera on");

    // Bob turns his camera on mid-call; Alice turns hers off.
    bob.engine.set_video_source(Some(Box::new(TestPattern::new(640, 480, 30).unwrap())));
    until("Alice sees Bob", || alice.seen_from(2).seen().len() >= 10).await;
    assert_eq!(alice.seen_from(2).latest().map(|f| (f.width, f.height)), Some((640, 480)));
    alice.engine.set_video_source(None);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = bob.seen_from(1).seen().len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(bob.seen_from(1).seen().len(), before, "no pictures from a camera that is off");
    let stats = bob.engine.stats().await;
    assert!(!stats[0].receiving_video && stats[0].video_frames >= 30, "{stats:?}");

    // Mute silences Alice for Bob; unmute brings her back.
    alice.engine.set_muted(true);
    until("Bob hears silence", || is_silent(&bob)).await;
    alice.engine.set_muted(false);
    until("Bob hears Alice again", || hears(&bob, 440.0)).await;

    let stats = alice.engine.stats().await;
    assert_eq!(stats.len(), 1);
    assert!(stats[0].audio_loss_pct < 5.0 && stats[0].receiving_video, "{stats:?}");

    alice.engine.close().await;
    until("Bob sees Alice's connection go", || {
        matches!(
            bob.states.lock().unwrap().get(&1),
            Some(PeerState::Closed | PeerState::Disconnected | PeerState::Failed)
        )
    })
    .await;
    bob.engine.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mesh_of_three_mixes_everyone_and_goes_on_when_one_leaves() {
    let (tx, rx) = mpsc::unbounded_channel();
    let a = member(1, 400.0, true, tx.clone());
    let b = member(2, 1200.0, false, tx.clone());
    let c = member(3, 2500.0, false, tx);
    relay(rx, vec![(1, a.engine.clone()), (2, b.engine.clone()), (3, c.engine.clone())]);

    // The one who joins later offers to those already in.
    a.engine.connect(2, true).await.unwrap();
    c.engine.connect(1, true).await.unwrap();
    c.engine.connect(2, true).await.unwrap();

    let both = |m: &Member, x: f64, y: f64| {
        let last = m.heard.last(9600);
        tone_present(&last, x) && tone_present(&last, y)
    };
    until("A hears B and C", || both(&a, 1200.0, 2500.0)).await;
    until("B hears A and C", || both(&b, 400.0, 2500.0)).await;
    until("C hears A and B", || both(&c, 400.0, 1200.0)).await;
    until("B and C see A", || b.seen_from(1).seen().len() >= 10 && c.seen_from(1).seen().len() >= 10).await;

    // C leaves; A and B go on.
    c.engine.close().await;
    a.engine.disconnect(3).await;
    b.engine.disconnect(3).await;
    assert_eq!(a.engine.peers().await, vec![2]);
    until("A hears only B", || {
        let last = a.heard.last(9600);
        tone_present(&last, 1200.0) && !tone_present(&last, 2500.0)
    })
    .await;
    let _ = (a.id, b.id, c.id);
    a.engine.close().await;
    b.engine.close().await;
}

/// A speaker and a microphone in one room: what the speaker plays comes
/// back into the microphone through a few reflections (60 to 120 ms late),
/// with the near end's voice once it starts talking.
#[derive(Clone, Default)]
struct Room {
    played: Arc<Mutex<Vec<f32>>>,
    /// The echo the microphone heard, sample by sample.
    echo: Arc<Mutex<Vec<f32>>>,
    /// The near end's voice, and from which sample it is heard.
    near: Arc<Mutex<Option<Voice>>>,
}

/// Someone's speech, and from which sample on the microphone hears it.
type Voice = (Vec<f32>, usize);

/// The room's reflections: (delay in samples, gain).
const REFLECTIONS: [(usize, f32); 4] = [(2880, 0.4), (3600, 0.2), (4464, -0.12), (5760, 0.08)];

impl AudioSink for Room {
    fn name(&self) -> &str {
        "the room's speaker"
    }
    fn write(&mut self, frame: &AudioFrame) -> CallResult<()> {
        self.played.lock().unwrap().extend(frame.samples.iter().map(|&s| f32::from(s) / 32768.0));
        Ok(())
    }
}

struct RoomMic {
    room: Room,
    at: usize,
}

impl AudioSource for RoomMic {
    fn name(&self) -> &str {
        "the room's microphone"
    }
    fn in_room(&self) -> bool {
        true
    }
    fn read(&mut self) -> CallResult<AudioFrame> {
        let played = self.room.played.lock().unwrap();
        let near = self.room.near.lock().unwrap();
        let mut echo = Vec::with_capacity(FRAME_SAMPLES);
        let samples = (self.at..self.at + FRAME_SAMPLES)
            .map(|i| {
                let e: f32 = REFLECTIONS
                    .iter()
                    .filter_map(|&(d, g)| i.checked_sub(d).and_then(|j| played.get(j)).map(|s| s * g))
                    .sum();
                echo.push(e);
                let voice = near.as_ref().and_then(|(v, from)| i.checked_sub(*from).and_then(|j| v.get(j))).copied();
                ((e + voice.unwrap_or(0.0)).clamp(-1.0, 1.0) * 32767.0) as i16
            })
            .collect();
        self.at += FRAME_SAMPLES;
        self.room.echo.lock().unwrap().extend(echo);
        Ok(AudioFrame { samples, capture_us: 0 })
    }
}

/// Speech, then silence.
struct Speech(std::vec::IntoIter<f32>);

impl AudioSource for Speech {
    fn name(&self) -> &str {
        "speech"
    }
    fn read(&mut self) -> CallResult<AudioFrame> {
        let samples = (0..FRAME_SAMPLES).map(|_| (self.0.next().unwrap_or(0.0) * 32767.0) as i16).collect();
        Ok(AudioFrame { samples, capture_us: 0 })
    }
}

fn level_of(samples: &[i16]) -> f32 {
    level_db(&samples.iter().map(|&s| f32::from(s) / 32768.0).collect::<Vec<_>>())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_far_end_does_not_hear_itself_come_back_from_a_speaker() {
    let far = speech(
        "The quarterly numbers came in this morning, and the team in Shanghai wants to review them before \
         Friday. Can everyone look over the spreadsheet and send their comments by tomorrow afternoon? \
         I will collect them and write the summary for the board, and then we can talk about next year.",
        "en-us+m3",
    )
    .unwrap();
    let near = speech("Sure, I can do that, but the shipping costs changed last week.", "en+f2").unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    // Amy sits by a laptop's speaker; Bob talks.
    let room = Room::default();
    let amy_media = Media {
        audio_in: Box::new(RoomMic { room: room.clone(), at: 0 }),
        audio_out: Box::new(room.clone()),
        video_in: None,
        self_view: None,
        remote_video: VideoRecorders::new().factory(),
    };
    let amy = start(1, amy_media, AudioRecorder::new(1), VideoRecorders::new(), tx.clone());
    let bob_heard = AudioRecorder::new(20);
    let bob_media = Media {
        audio_in: Box::new(Speech(far.into_iter())),
        audio_out: Box::new(bob_heard.clone()),
        video_in: None,
        self_view: None,
        remote_video: VideoRecorders::new().factory(),
    };
    let bob = start(2, bob_media, bob_heard.clone(), VideoRecorders::new(), tx);
    relay(rx, vec![(1, amy.engine.clone()), (2, bob.engine.clone())]);
    assert_eq!(amy.engine.processing(), Processing::default(), "on by default");
    amy.engine.connect(2, true).await.unwrap();
    until("Bob's voice comes back into Amy's microphone", || level_db(&room.echo.lock().unwrap()) > -60.0).await;

    // Over 3 s after 2 s of talk: what Bob hears from Amy against the echo
    // of his voice in her microphone.
    let heard_over = |seconds: u64| {
        let (bob_heard, room) = (bob_heard.clone(), room.clone());
        async move {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            let n = seconds as usize * 48_000;
            let echo = room.echo.lock().unwrap();
            (level_of(&bob_heard.last(n)), level_db(&echo[echo.len().saturating_sub(n)..]))
        }
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (heard, echo) = heard_over(3).await;
    println!("processed: Bob hears {heard:.1} dBFS of an echo at {echo:.1} dBFS");
    assert!(echo > -40.0, "Bob's voice comes back at {echo:.1} dBFS");
    assert!(echo - heard >= 25.0, "Bob hears his echo at {heard:.1} dBFS, only {:.1} dB under it", echo - heard);

    // Amy talks over Bob: he hears her.
    let from = room.echo.lock().unwrap().len() + 4800;
    *room.near.lock().unwrap() = Some((near.clone(), from));
    let (heard, _) = heard_over(3).await;
    println!("Amy talks at {:.1} dBFS, Bob hears {heard:.1} dBFS", level_db(&near));
    assert!(heard > level_db(&near) - 10.0, "Bob hears Amy at {heard:.1} dBFS");

    // Without the processing, Bob hears himself.
    *room.near.lock().unwrap() = None;
    amy.engine.set_processing(Processing::OFF);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (heard, echo) = heard_over(2).await;
    println!("unprocessed: Bob hears {heard:.1} dBFS of an echo at {echo:.1} dBFS");
    assert!(echo - heard < 6.0, "unprocessed, the echo goes through: {heard:.1} against {echo:.1} dBFS");
    amy.engine.close().await;
    bob.engine.close().await;
}
