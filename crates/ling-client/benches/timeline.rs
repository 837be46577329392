//! The timeline's folding: how long one change takes to fold into rows and
//! diffs, with the newest page loaded and with a long history loaded.
//! Prints p50 / p99 / max of each.
//!
//! `cargo bench -p ling-client --bench timeline`

use std::sync::Arc;
use std::time::{Duration, Instant};

use ling_client::cache::{CachedMessage, SendStatus};
use ling_client::timeline::{FixedCalendar, Timeline};
use ling_proto::messages::MessageContent;
use ling_proto::{Millis, Seq};

const ME: i64 = 1;
const T0: Millis = 1_764_000_000_000;

fn message(seq: Seq) -> CachedMessage {
    // Two people taking turns in bursts, a message every 20 s or so.
    let sender = if (seq / 3) % 2 == 0 { ME } else { 2 };
    CachedMessage {
        conversation_id: 7,
        seq: Some(seq),
        client_msg_id: Some(format!("0193a1b2-{seq:012}")),
        sender_id: sender,
        send_time: T0 + seq * 20_000,
        status: SendStatus::Sent,
        error_code: None,
        content: MessageContent::text(format!("message number {seq}, about a hundred bytes of text to fold")),
        reply_to: None,
        changes: Default::default(),
        forwarded: false,
        hidden: false,
        mentions: Default::default(),
    }
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{name:<58} n={:<5} p50 {:>7.1} µs  p99 {:>7.1} µs  max {:>7.1} µs",
        times.len(),
        at(0.5).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        times.last().unwrap().as_secs_f64() * 1e6
    );
}

/// 1,000 live messages, one upsert each, on a timeline holding `loaded`
/// messages; a subscriber drains the diffs as the shell's would.
fn live(loaded: i64) {
    let mut t = Timeline::new(ME, Some(loaded - 10), Arc::new(FixedCalendar(60)));
    let start = Instant::now();
    t.reset((1..=loaded).map(message));
    let reset = start.elapsed();
    let (_rows, mut diffs) = t.subscribe();
    let mut times = Vec::with_capacity(1000);
    let mut count = 0;
    for seq in loaded + 1..=loaded + 1000 {
        let m = message(seq);
        let start = Instant::now();
        t.upsert([m]);
        while let Some(Some(batch)) = futures_util::FutureExt::now_or_never(futures_util::StreamExt::next(&mut diffs)) {
            count += batch.len();
        }
        times.push(start.elapsed());
    }
    println!("reset to {loaded} messages: {:.2} ms; {count} diffs for 1,000 live messages", reset.as_secs_f64() * 1e3);
    report(&format!("live message, {loaded} loaded"), times);
}

/// Older pages of 50 put in front of a timeline that grows to `upto`.
fn older_pages(upto: i64) {
    let mut t = Timeline::new(ME, None, Arc::new(FixedCalendar(60)));
    t.reset((upto - 49..=upto).map(message));
    let mut times = Vec::new();
    let mut first = upto - 49;
    while first > 1 {
        let from = (first - 50).max(1);
        let page: Vec<_> = (from..first).map(message).collect();
        let start = Instant::now();
        t.upsert(page);
        times.push(start.elapsed());
        first = from;
    }
    report(&format!("older page of 50, growing to {upto}"), times);
}

/// A local echo and its ack, on a timeline holding `loaded` messages.
fn echo_and_ack(loaded: i64) {
    let mut t = Timeline::new(ME, None, Arc::new(FixedCalendar(60)));
    t.reset((1..=loaded).map(message));
    let mut times = Vec::with_capacity(1000);
    for seq in loaded + 1..=loaded + 1000 {
        let sent = CachedMessage { sender_id: ME, ..message(seq) };
        let echo = CachedMessage { seq: None, status: SendStatus::Sending, ..sent.clone() };
        let start = Instant::now();
        t.upsert([echo]);
        t.upsert([sent]);
        times.push(start.elapsed());
    }
    report(&format!("echo then ack, {loaded} loaded"), times);
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    live(50);
    live(100_000);
    echo_and_ack(50);
    echo_and_ack(100_000);
    older_pages(100_000);
}
