//! A measurement, not a test (docs/benchmarks.md, "Opening a long chat"):
//! Amy's cache holds a chat of 100,000 messages (`LING_MESSAGES`) with Bob
//! and a short one with Carol; the app opens the long one again and again
//! (Carol's in between) and the window reports how long each took from
//! asking to the first page painted (`window.__lingSeam.opens`).
//!
//! `cargo test --release -p ling-e2e --test desktop -- --ignored --nocapture long_chat`

use std::time::Instant;

use ling_e2e::desktop::Desktop;
use ling_e2e::{ServerProcess, seed};
use serde_json::{Value, json};

/// The opens the window has reported so far.
async fn opens(app: &ling_e2e::desktop::App<'_>) -> Vec<Value> {
    app.js("return JSON.parse(JSON.stringify(window.__lingSeam.opens))", vec![]).await.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: cargo test --release -p ling-e2e --test desktop -- --ignored --nocapture long_chat"]
async fn long_chat_first_page() {
    let n: usize = std::env::var("LING_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let server = ServerProcess::start();
    let profile = tempfile::tempdir().unwrap();
    let seeded = Instant::now();
    let _friends = seed::chats(&server, profile.path(), &[("bob", n), ("carol", 1)]).await;
    println!("seeded {n} messages in {:.0} s", seeded.elapsed().as_secs_f64());
    core_opens(profile.path()).await;
    let desktop = Desktop::start_with(&[("LING_PROFILE_DIR", profile.path().to_str().unwrap())]);
    let app = desktop.launch().await;
    app.wait("[data-testid=conversation-list]").await;
    let runs = 11;
    for _ in 0..runs {
        for title in ["Bob", "Carol"] {
            let before = opens(&app).await.len();
            app.open_chat(title).await;
            app.until(
                &format!("{title}'s chat painted"),
                "return window.__lingSeam.opens.length > arguments[0]",
                vec![json!(before)],
            )
            .await;
        }
    }
    // Bob's chat is every other one; Carol's, of one message, shows what
    // opening any chat costs.
    let opened = opens(&app).await;
    for (name, first) in [("Bob", 0), ("Carol", 1)] {
        let mine: Vec<_> = opened.iter().skip(first).step_by(2).collect();
        let rows = mine[0]["rows"].as_u64().unwrap();
        println!("{name}'s chat, its first page {rows} rows:");
        for (what, key) in [
            ("asking -> first page painted", "ms"),
            ("asking -> the core's answer", "ipc"),
            ("asking -> its frame begins", "frame"),
        ] {
            let ms: Vec<f64> = mine.iter().map(|open| open[key].as_f64().unwrap()).collect();
            let (median, max) = median_max(ms[1..].to_vec());
            println!(
                "  {what}: first open {:.1} ms; the next {}: median {median:.1} ms, max {max:.1} ms",
                ms[0],
                ms.len() - 1
            );
        }
    }
    // The IPC alone, with nothing to draw: the same command from a script,
    // beside a small one (Bob's list row).
    let bob = opened[0]["conversation"].clone();
    app.js(
        "const [conv, n] = arguments;
         window.__ipc = null;
         (async () => {
           const invoke = window.__TAURI_INTERNALS__.invoke;
           const out = { open: [], row: [] };
           for (let i = 0; i < n; i++) {
             let t = performance.now();
             await invoke('timeline_open', { view: 100000 + i, conversationId: conv });
             out.open.push(performance.now() - t);
             t = performance.now();
             await invoke('conversation', { id: conv });
             out.row.push(performance.now() - t);
           }
           window.__ipc = out;
         })();
         return true;",
        vec![bob, json!(11)],
    )
    .await;
    let ipc = app.until("the script's opens", "return window.__ipc", vec![]).await;
    println!("from a script, nothing drawn:");
    for (what, key) in [("timeline_open (51 rows)", "open"), ("conversation (one row)", "row")] {
        let (median, max) = median_max(ipc[key].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect());
        println!("  {what}: median {median:.1} ms, max {max:.1} ms");
    }
    app.quit().await;
}

/// The core's part alone, in this process: Amy's client on the seeded
/// profile opens Bob's timeline as the shell's `timeline_open` does.
async fn core_opens(profile_dir: &std::path::Path) {
    use ling_client::tokens::TokenStorePolicy;
    let profile = ling_client::profile::Profile::open(profile_dir).unwrap();
    let session = ling_client::account::open_remembered(&profile, TokenStorePolicy::FileOnly).await.unwrap().unwrap();
    let amy = ling_client::Client::start(session).await.unwrap();
    let bob = amy.conversations().await.unwrap().into_iter().max_by_key(|c| c.last_seq).unwrap().id;
    let backlog = amy.search_backlog().await.unwrap();
    let (mut summary, mut open, mut json) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..11 {
        let t = Instant::now();
        amy.conversation(bob).await.unwrap();
        summary.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let timeline = amy.timeline(bob).await.unwrap();
        timeline.paginate_back_to_unread(500).await.unwrap();
        let (items, _diffs) = timeline.subscribe();
        timeline.reached_start().await;
        open.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let text = serde_json::to_string(&items).unwrap();
        json.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(text.len() > 1000);
    }
    println!("the core alone (messages left to index: {backlog}):");
    for (what, ms) in [("its list row", summary), ("timeline opened", open), ("rows as JSON", json)] {
        let (median, max) = median_max(ms);
        println!("  {what}: median {median:.2} ms, max {max:.2} ms");
    }
    amy.stop().await;
}

/// The median and the largest of some timings.
fn median_max(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[ms.len() - 1])
}
