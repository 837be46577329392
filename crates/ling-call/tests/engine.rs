//! Two and three call engines in one process on loopback, their signals
//! carried by a relay task (the server's part in a real call): sound and
//! pictures flow every way, video turns on and off mid-call, mute silences,
//! and someone leaving leaves the others talking.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use ling_call::record::{AudioRecorder, VideoRecorder, VideoRecorders};
use ling_call::synthetic::{TestPattern, Tone, dominant_frequency, tone_present};
use ling_call::{CallEngine, EngineConfig, EngineEvent, Media, PeerId, PeerState};
use ling_testing::until;
use tokio::sync::mpsc;

struct Member {
    id: PeerId,
    engine: Arc<CallEngine>,
    heard: AudioRecorder,
    seen: VideoRecorders,
    states: Arc<std::sync::Mutex<HashMap<PeerId, PeerState>>>,
}

impl Member {
    fn seen_from(&self, peer: PeerId) -> VideoRecorder {
        self.seen.of(peer)
    }
}

/// Starts an engine sending a tone at `hz` (and a test pattern when `video`).
fn member(
    id: PeerId,
    hz: f64,
    video: bool,
    relay: mpsc::UnboundedSender<(PeerId, PeerId, ling_call::PeerSignal)>,
) -> Member {
    let heard = AudioRecorder::new(10);
    let seen = VideoRecorders::new();
    let media = Media {
        audio_in: Box::new(Tone::new(hz)),
        audio_out: Box::new(heard.clone()),
        video_in: video.then(|| Box::new(TestPattern::new(320, 240, 30).unwrap()) as _),
        self_view: None,
        remote_video: seen.factory(),
    };
    let config = EngineConfig { bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST), ..EngineConfig::default() };
    let (engine, mut events) = CallEngine::start(config, media).unwrap();
    let states: Arc<std::sync::Mutex<HashMap<PeerId, PeerState>>> = Arc::default();
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
