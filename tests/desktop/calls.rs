//! Calls in the window: the app (synthetic media: a 440 Hz tone and the
//! test pattern, as on a machine without devices) calls a friend who answers
//! from `ling-cli` with a 1000 Hz tone and the test pattern, and takes a call
//! from them. Pictures decoded in Rust are drawn in the window's tiles; what
//! the friend hears and sees is measured on their side.

use std::time::{Duration, Instant};

use ling_e2e::desktop::{App, Desktop};
use ling_e2e::{CallFollower, Cli, ServerProcess, friends_of_the_first, hears_and_sees};

/// The app's and the CLI's media: synthetic, on loopback.
const APP_ENV: &[(&str, &str)] = &[("LING_MEDIA", "synthetic"), ("LING_CALL_BIND", "127.0.0.1")];
const CLI_ENV: &[(&str, &str)] = &[("LING_MEDIA", "tone:1000"), ("LING_CALL_BIND", "127.0.0.1")];

/// Waits until the window has drawn `n` pictures of the first remote tile
/// and of the self view; if it never does, says what each tile drew.
async fn pictures_drawn(app: &App<'_>, n: u32) {
    app.until_ok(&format!("{n} pictures drawn in the remote tile and the self view"), async || {
        let drawn = drawn_per_tile(app).await;
        let enough = drawn.values().filter(|d| d.as_u64() >= Some(n.into())).count() >= 2;
        if enough { Ok(()) } else { Err(format!("drawn: {drawn:?}")) }
    })
    .await;
}

/// Amy and Bob, friends on a server of their own; Amy has the desktop.
struct AmyAndBob {
    // Dropped in this order: the people, the desktop (and the app), the server.
    amy: Cli,
    bob: Cli,
    desktop: Desktop,
    server: ServerProcess,
}

impl AmyAndBob {
    fn start() -> AmyAndBob {
        let server = ServerProcess::start();
        let desktop = Desktop::start_with(APP_ENV);
        let [amy, bob] = friends_of_the_first(&server, &["amy", "bob"]).try_into().ok().expect("two people");
        AmyAndBob { amy, bob, desktop, server }
    }

    /// Amy's app, logged in, her chat with Bob open.
    async fn amy_in_her_chat_with_bob(&self) -> App<'_> {
        let app = self.desktop.launch().await;
        app.log_in(&self.server.address(), "amy", &self.amy.password).await;
        app.open_chat("Bob").await;
        app
    }
}

/// From the open chat with `bob`, a video call he answers from his terminal
/// (for two minutes); returns once it rang there.
async fn video_call_answered(app: &App<'_>, bob: &Cli) -> CallFollower {
    let mut answer = CallFollower::start(bob.spawn_with(&["answer", "--timeout", "60", "--seconds", "120"], CLI_ENV));
    answer.wait_for("that it is waiting", |v| v["type"] == "waiting");
    // The call buttons work once the session is connected (a click before does nothing).
    app.until_true(
        "the video call button enabled",
        "document.querySelector('[data-testid=call-video]')?.disabled === false",
    )
    .await;
    app.click("[data-testid=call-video]").await;
    answer.wait_for("the ring", |v| v["phase"] == "incoming");
    answer
}

/// Pictures each tile drew.
async fn drawn_per_tile(app: &App<'_>) -> serde_json::Map<String, serde_json::Value> {
    let drawn = app
        .js(
            "return Object.fromEntries([...document.querySelectorAll('canvas[data-testid^=video-]')]
               .map(c => [c.dataset.testid, +c.dataset.drawn]));",
            vec![],
        )
        .await;
    drawn.as_object().cloned().unwrap_or_default()
}

/// A measurement, not a test (docs/benchmarks.md): how many pictures a
/// second each tile of a video call draws (both ends send the 640×480 test
/// pattern at 30 a second), over 10 s once pictures flow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: cargo test --release -p ling-e2e --test desktop -- --ignored --nocapture drawing_rate"]
async fn call_tiles_drawing_rate() {
    let friends = AmyAndBob::start();
    let app = friends.amy_in_her_chat_with_bob().await;
    let _answer = video_call_answered(&app, &friends.bob).await;
    pictures_drawn(&app, 15).await;
    let before = drawn_per_tile(&app).await;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after = drawn_per_tile(&app).await;
    let secs = started.elapsed().as_secs_f64();
    for (tile, n) in &after {
        let drawn = n.as_u64().unwrap_or(0) - before.get(tile).and_then(|v| v.as_u64()).unwrap_or(0);
        println!("{tile}: {:.1} pictures a second", drawn as f64 / secs);
    }
    app.click("[data-testid=call-hangup]").await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_video_call_placed_in_the_window_and_one_taken_there() {
    let friends = AmyAndBob::start();
    let bob = &friends.bob;
    let app = friends.amy_in_her_chat_with_bob().await;

    // Amy calls Bob; Bob answers from his terminal.
    let mut answer = video_call_answered(&app, bob).await;
    pictures_drawn(&app, 15).await;
    answer.wait_for("Amy's 440 Hz tone and her pictures", |v| hears_and_sees(v, 440.0));
    app.until_true(
        "the call's duration",
        "/^\\d+:\\d\\d$/.test(document.querySelector('[data-testid=call-status]').textContent)",
    )
    .await;
    app.until_true("Bob's connection quality", "!!document.querySelector('[data-testid^=quality-]')").await;
    app.screenshot("call").await;

    // Amy mutes and turns her camera off; Bob hears silence.
    app.click("[data-testid=call-mute]").await;
    app.click("[data-testid=call-camera]").await;
    app.until_true("the self view gone", "!document.querySelector('[data-testid=self-view]')").await;
    answer.wait_for("silence", |v| v["type"] == "media" && v["heard_hz"].is_null());

    // Amy hangs up; the window says so, Bob's call ends, the chat has the record.
    app.click("[data-testid=call-hangup]").await;
    app.until_true(
        "the call ended",
        "document.querySelector('[data-testid=call-status]')?.textContent.startsWith('Call ended')",
    )
    .await;
    answer.wait_for("the end", |v| v["phase"] == "ended" && v["end"] == "completed");
    answer.finished();
    app.until_true(
        "the call record",
        "[...document.querySelectorAll('[data-testid=call-record]')].some(e => /Video call · \\d+:\\d\\d/.test(e.textContent))",
    )
    .await;

    // Bob calls back; Amy answers in the window.
    let mut call = CallFollower::start(bob.spawn_with(&["call", "amy", "--video", "--seconds", "120"], CLI_ENV));
    app.wait("[data-testid=call-incoming]").await;
    app.until_true(
        "the incoming call says video",
        "document.querySelector('[data-testid=call-status]').textContent.includes('video')",
    )
    .await;
    app.screenshot("call-incoming").await;
    app.click("[data-testid=call-accept]").await;
    pictures_drawn(&app, 10).await;
    call.wait_for("Amy's tone and pictures", |v| hears_and_sees(v, 440.0));
    app.click("[data-testid=call-hangup]").await;
    call.wait_for("the end", |v| v["phase"] == "ended");
    call.finished();
    app.quit().await;
}
