//! Calls in the window: the app (synthetic media: a 440 Hz tone and the
//! test pattern, as on a machine without devices) calls a friend who answers
//! from `ling-cli` with a 1000 Hz tone and the test pattern, and takes a call
//! from them. Pictures decoded in Rust are drawn in the window's tiles; what
//! the friend hears and sees is measured on their side.

use ling_e2e::desktop::{App, Desktop};
use ling_e2e::{CallFollower, ServerProcess, friends_of_the_first, hears_and_sees};

/// The app's and the CLI's media: synthetic, on loopback.
const APP_ENV: &[(&str, &str)] = &[("LING_MEDIA", "synthetic"), ("LING_CALL_BIND", "127.0.0.1")];
const CLI_ENV: &[(&str, &str)] = &[("LING_MEDIA", "tone:1000"), ("LING_CALL_BIND", "127.0.0.1")];

/// Waits until the window has drawn `n` pictures of the first remote tile
/// and of the self view.
async fn pictures_drawn(app: &App<'_>, n: u32) {
    app.until_true(
        &format!("{n} pictures drawn in the remote tile and the self view"),
        &format!(
            "[...document.querySelectorAll('canvas[data-testid^=video-]')].filter(c => +c.dataset.drawn >= {n}).length >= 2"
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_video_call_placed_in_the_window_and_one_taken_there() {
    let server = ServerProcess::start();
    let desktop = Desktop::start_with(APP_ENV);
    let people = friends_of_the_first(&server, &["amy", "bob"]);
    let [amy, bob] = &people[..] else { unreachable!() };

    let app = desktop.launch().await;
    app.log_in(&server.address(), "amy", &amy.password).await;
    app.open_chat("Bob").await;

    // Amy calls Bob; Bob answers from his terminal.
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
