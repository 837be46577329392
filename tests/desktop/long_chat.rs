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
    let mut rows = 0;
    let (mut painted, mut answered) = (Vec::new(), Vec::new());
    for (i, open) in opens(&app).await.iter().enumerate() {
        // Bob's chat is every other one.
        if i % 2 == 0 {
            painted.push(open["ms"].as_f64().unwrap());
            answered.push(open["ipc"].as_f64().unwrap());
            rows = open["rows"].as_u64().unwrap();
        }
    }
    println!("a chat of {n} cached messages, its first page {rows} rows:");
    for (what, ms) in [("asking -> first page painted", painted), ("asking -> the core's answer", answered)] {
        let mut warm = ms[1..].to_vec();
        warm.sort_by(f64::total_cmp);
        println!(
            "  {what}: first open {:.1} ms; the next {}: median {:.1} ms, max {:.1} ms",
            ms[0],
            warm.len(),
            warm[warm.len() / 2],
            warm[warm.len() - 1]
        );
    }
    app.quit().await;
}
