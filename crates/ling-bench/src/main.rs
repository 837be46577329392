//! `ling-bench`: load figures for a Ling server on this machine.
//!
//! It starts the release `ling-server` itself (so it can read the server's
//! RSS), in a temp data directory, then runs three phases and prints a
//! report: idle connections held, one-to-one messages persisted and delivered
//! per second with delivery latency, fan-out latency in a large group, and
//! the assistant's replies streaming at once from a stand-in model in this
//! process (the delay the server adds to each piece, and its memory).
//! The clients run in this process on the same machine, so they compete with
//! the server for the CPU: the figures are a floor. See `docs/benchmarks.md`.

mod client;
mod stats;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use ling_proto::messages::MessageContent;
use ling_proto::ws::{ClientFrame, ServerFrame};

use client::{Account, Api, connect};
use stats::{Latencies, rss_kib};

/// Load benchmark for ling-server.
#[derive(Debug, Parser)]
struct Args {
    /// The ling-server binary (default: next to this one).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Accounts to register (connections and pairs are spread over them).
    #[arg(long, default_value_t = 500)]
    users: usize,
    /// Idle WebSocket connections to open and hold.
    #[arg(long, default_value_t = 10_000)]
    idle: usize,
    /// How long to hold the idle connections before measuring.
    #[arg(long, default_value_t = 5)]
    idle_secs: u64,
    /// Friend pairs exchanging one-to-one messages.
    #[arg(long, default_value_t = 200)]
    pairs: usize,
    /// Target one-to-one messages per second, all pairs together (open loop).
    #[arg(long, default_value_t = 20_000)]
    rate: u64,
    /// One-to-one load: `open` sends on a fixed schedule at `--rate` whatever
    /// the server does, with latency from each message's scheduled time (no
    /// coordinated omission); `closed` keeps `--inflight` sends unacked per
    /// sender and sends the next on each ack.
    #[arg(long, value_enum, default_value_t = Mode::Open)]
    mode: Mode,
    /// Unacked sends per sender in closed loop.
    #[arg(long, default_value_t = 10)]
    inflight: usize,
    /// Seconds of one-to-one traffic.
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// Members of the fan-out group.
    #[arg(long, default_value_t = 500)]
    group_size: usize,
    /// Messages sent into the group.
    #[arg(long, default_value_t = 100)]
    group_messages: usize,
    /// Passed to the server as `--durability` (`full` or `normal`).
    #[arg(long, default_value = "full")]
    durability: String,
    /// Group messages per second.
    #[arg(long, default_value_t = 10)]
    group_rate: u64,
    /// The assistant's replies streaming at once (a stand-in model in this
    /// process answers, each piece stamped with the time it left); 0 skips it.
    #[arg(long, default_value_t = 200)]
    replies: usize,
    /// Pieces in each reply.
    #[arg(long, default_value_t = 100)]
    reply_pieces: usize,
    /// Milliseconds between a reply's pieces.
    #[arg(long, default_value_t = 20)]
    piece_gap_ms: u64,
    /// A real OpenAI-compatible model (its base URL, `…/v1`) for the
    /// assistant instead of the stand-in; `--questions` are asked of it one
    /// after another (scripts/assistant-real-model.sh).
    #[arg(long)]
    model_url: Option<String>,
    /// The real model's name.
    #[arg(long, default_value = "default")]
    model_name: String,
    /// Questions asked of the real model.
    #[arg(long, default_value_t = 5)]
    questions: usize,
}

/// How the one-to-one phase offers load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    Open,
    Closed,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let server_bin = match args.server_bin.clone() {
        Some(p) => p,
        None => std::env::current_exe()?.with_file_name("ling-server"),
    };
    let data = tempfile::tempdir()?;
    // The model the server's assistant asks: a stand-in in this process,
    // every piece stamped with the time it left.
    let model = ling_testing::model::Model::start().await;
    model.otherwise(ling_testing::model::Reply::Timed {
        chunks: args.reply_pieces,
        gap: Duration::from_millis(args.piece_gap_ms),
    });
    let (url, name) = match &args.model_url {
        Some(url) => (url.clone(), args.model_name.clone()),
        None => (model.url(), "standin".to_owned()),
    };
    let mut server = Server::start(&server_bin, data.path(), &args.durability, &url, &name).await?;
    let result =
        if args.model_url.is_some() { real_model(&args, &server).await } else { run(&args, &server, &url).await };
    server.stop();
    result
}

async fn run(args: &Args, server: &Server, model: &str) -> Result<()> {
    let api = Api::new(&server.base);
    println!(
        "ling-bench: server {} (pid {}), {} cores",
        server.base,
        server.pid,
        std::thread::available_parallelism()?.get()
    );
    println!("server RSS at start: {:.1} MiB", rss_kib(server.pid)? as f64 / 1024.0);

    let started = Instant::now();
    let accounts = api.register_many(args.users.max(args.pairs * 2).max(args.group_size).max(args.replies)).await?;
    println!(
        "registered {} accounts in {:.1} s; server RSS {:.1} MiB",
        accounts.len(),
        started.elapsed().as_secs_f64(),
        rss_kib(server.pid)? as f64 / 1024.0
    );

    idle_phase(args, server, &accounts).await?;
    one_to_one_phase(args, server, &api, &accounts).await?;
    group_phase(args, &api, &accounts).await?;
    assistant_phase(args, server, &api, &accounts, model).await?;
    println!("server RSS at end: {:.1} MiB", rss_kib(server.pid)? as f64 / 1024.0);
    Ok(())
}

async fn idle_phase(args: &Args, server: &Server, accounts: &[Account]) -> Result<()> {
    if args.idle == 0 {
        return Ok(());
    }
    let before = rss_kib(server.pid)?;
    let started = Instant::now();
    let mut conns = Vec::with_capacity(args.idle);
    let mut pending = futures_util::stream::FuturesUnordered::new();
    for i in 0..args.idle {
        let token = accounts[i % accounts.len()].token.clone();
        let url = server.ws_url();
        pending.push(async move { connect(&url, &token).await });
        if pending.len() >= 200 {
            conns.push(futures_util::StreamExt::next(&mut pending).await.context("connect")??);
        }
    }
    while let Some(c) = futures_util::StreamExt::next(&mut pending).await {
        conns.push(c?);
    }
    let opened = started.elapsed();
    tokio::time::sleep(Duration::from_secs(args.idle_secs)).await;
    let after = rss_kib(server.pid)?;
    let held = conns.len();
    println!(
        "idle: {held} connections opened in {:.1} s and held {} s; server RSS {:.1} MiB ({:.1} KiB per connection)",
        opened.as_secs_f64(),
        args.idle_secs,
        after as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 / held as f64
    );
    drop(conns);
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

async fn one_to_one_phase(args: &Args, server: &Server, api: &Api, accounts: &[Account]) -> Result<()> {
    if args.pairs == 0 {
        return Ok(());
    }
    let pairs: Vec<(Account, Account)> =
        (0..args.pairs).map(|i| (accounts[2 * i].clone(), accounts[2 * i + 1].clone())).collect();
    let mut convs = Vec::new();
    for (a, b) in &pairs {
        convs.push(api.befriend(a, b).await?);
    }
    let clock = Instant::now();
    let deliveries = Arc::new(Latencies::default());
    let order = Arc::new(Order::default());
    let acks = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let deadline = clock + Duration::from_secs(args.secs);
    let per_pair = (args.rate as f64 / args.pairs as f64).max(0.1);
    let interval = Duration::from_secs_f64(1.0 / per_pair);
    let mut tasks = Vec::new();
    for (i, ((a, b), conv)) in pairs.into_iter().zip(convs).enumerate() {
        let (mut a_tx, mut a_rx) = connect(&server.ws_url(), &a.token).await?.split();
        let (_b_tx, mut b_rx) = connect(&server.ws_url(), &b.token).await?.split();
        let (d, o) = (deliveries.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            let mut last = None;
            while let Some(frame) = b_rx.next_frame().await {
                if let ServerFrame::Message { message } = &frame {
                    o.saw(&mut last, message.seq);
                }
                if let Some(latency) = latency_of(&frame, clock) {
                    d.record(latency);
                }
            }
        }));
        // Closed loop: one permit per send allowed in flight; each ack gives one back.
        let window = Arc::new(tokio::sync::Semaphore::new(args.inflight.max(1)));
        let acks2 = acks.clone();
        let window2 = window.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(frame) = a_rx.next_frame().await {
                if matches!(frame, ServerFrame::Ack(_)) {
                    acks2.fetch_add(1, Ordering::Relaxed);
                    window2.add_permits(1);
                }
            }
        }));
        let sent2 = sent.clone();
        let mode = args.mode;
        // Senders start evenly spread over one interval.
        let first = clock + interval.mul_f64(i as f64 / args.pairs as f64);
        tasks.push(tokio::spawn(async move {
            let mut k: u32 = 0;
            loop {
                let stamp = match mode {
                    Mode::Open => {
                        let due = first + interval * k;
                        if due >= deadline {
                            break;
                        }
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    Mode::Closed => {
                        let Ok(permit) = window.acquire().await else { break };
                        permit.forget();
                        if Instant::now() >= deadline {
                            break;
                        }
                        Instant::now()
                    }
                };
                if a_tx.send(&stamped(conv, clock, stamp)).await.is_err() {
                    break;
                }
                k += 1;
                sent2.fetch_add(1, Ordering::Relaxed);
            }
            // Let the last messages land.
            tokio::time::sleep(Duration::from_secs(2)).await;
            drop(a_tx);
        }));
    }
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.secs)).await;
    let secs = t0.elapsed().as_secs_f64();
    let (s, a, d) = (sent.load(Ordering::Relaxed), acks.load(Ordering::Relaxed), deliveries.count());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (a_all, d_all) = (acks.load(Ordering::Relaxed), deliveries.count());
    for t in tasks {
        t.abort();
    }
    let lat = deliveries.summary();
    let offered = match args.mode {
        Mode::Open => format!("open loop, {} msg/s offered", args.rate),
        Mode::Closed => format!("closed loop, {} in flight per sender", args.inflight),
    };
    println!(
        "1:1: {} pairs, {offered}, {} s: sent {s} ({:.0}/s), persisted (acked) {a} ({:.0}/s), delivered {d} ({:.0}/s); \
         after drain {a_all} acked, {d_all} delivered",
        args.pairs,
        args.secs,
        s as f64 / secs,
        a as f64 / secs,
        d as f64 / secs
    );
    let from = if args.mode == Mode::Open { "scheduled send" } else { "send" };
    println!("1:1 delivery latency ({from} -> receiver): {lat}");
    println!("1:1 order at the receivers: {}", order.summary());
    Ok(())
}

/// How often receivers saw a conversation's seqs out of order.
#[derive(Default)]
struct Order {
    /// A seq lower than one already seen.
    backwards: AtomicU64,
    /// A seq more than one past the last (a gap the client would fetch).
    jumps: AtomicU64,
}

impl Order {
    fn saw(&self, last: &mut Option<i64>, seq: i64) {
        if let Some(l) = *last {
            if seq < l {
                self.backwards.fetch_add(1, Ordering::Relaxed);
            } else if seq != l + 1 {
                self.jumps.fetch_add(1, Ordering::Relaxed);
            }
        }
        *last = Some(last.map_or(seq, |l| l.max(seq)));
    }

    fn summary(&self) -> String {
        format!(
            "{} out of seq order, {} jumps ahead",
            self.backwards.load(Ordering::Relaxed),
            self.jumps.load(Ordering::Relaxed)
        )
    }
}

async fn group_phase(args: &Args, api: &Api, accounts: &[Account]) -> Result<()> {
    if args.group_size < 2 {
        return Ok(());
    }
    let members = &accounts[..args.group_size];
    let owner = &members[0];
    let conv = api.open_group(owner, &members[1..]).await?;
    let clock = Instant::now();
    let latencies = Arc::new(Latencies::default());
    let mut tasks = Vec::new();
    let ws_url = api.ws_url();
    for m in &members[1..] {
        let (_tx, mut rx) = connect(&ws_url, &m.token).await?.split();
        let l = latencies.clone();
        tasks.push(tokio::spawn(async move {
            let _keep = _tx;
            while let Some(frame) = rx.next_frame().await {
                if let Some(latency) = latency_of(&frame, clock) {
                    l.record(latency);
                }
            }
        }));
    }
    let (mut tx, _rx) = connect(&ws_url, &owner.token).await?.split();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / args.group_rate.max(1) as f64));
    for _ in 0..args.group_messages {
        tick.tick().await;
        let frame = stamped(conv, clock, Instant::now());
        tx.send(&frame).await?;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    for t in tasks {
        t.abort();
    }
    let expected = args.group_messages * (args.group_size - 1);
    println!(
        "group fan-out: {} members, {} messages at {}/s: {} of {} deliveries; latency (send -> each member): {}",
        args.group_size,
        args.group_messages,
        args.group_rate,
        latencies.count(),
        expected,
        latencies.summary()
    );
    Ok(())
}

/// A text message carrying `at` (its scheduled or actual send time) as
/// microseconds since `clock`, padded to 100 bytes like the outside generator's.
fn stamped(conversation_id: i64, clock: Instant, at: Instant) -> ClientFrame {
    let mut text = format!("t:{} ", at.duration_since(clock).as_micros());
    text.extend(std::iter::repeat_n('x', 100usize.saturating_sub(text.len())));
    ClientFrame::Send {
        client_msg_id: uuid::Uuid::now_v7().to_string(),
        conversation_id,
        content: MessageContent::text(text),
        reply_to: None,
        forwarded: false,
        mentions: Default::default(),
    }
}

/// The send -> receive latency of a [`stamped`] message, in microseconds.
fn latency_of(frame: &ServerFrame, clock: Instant) -> Option<u64> {
    let ServerFrame::Message { message } = frame else { return None };
    let MessageContent::Text { text, .. } = &message.content else { return None };
    let sent: u64 = text.strip_prefix("t:")?.split(' ').next()?.parse().ok()?;
    Some((clock.elapsed().as_micros() as u64).saturating_sub(sent))
}

/// The server under test, as a child process.
/// The assistant: `--replies` people ask at once; each piece of each reply
/// is timed from when the stand-in model sent it to when the asker's
/// WebSocket delivered it (the server's parsing of the model's stream, its
/// fan-out and the loopback network); the server's memory is read while they
/// stream.
async fn assistant_phase(args: &Args, server: &Server, api: &Api, accounts: &[Account], model: &str) -> Result<()> {
    if args.replies == 0 {
        return Ok(());
    }
    // The same streams read straight from the stand-in, no server between:
    // what the machine itself adds (this process's clients and the model
    // share the two cores with the server).
    let direct = Arc::new(Latencies::default());
    let http = reqwest::Client::new();
    let reads = (0..args.replies).map(|_| {
        let (http, direct) = (http.clone(), direct.clone());
        let url = format!("{model}/chat/completions");
        async move {
            use eventsource_stream::Eventsource;
            let body =
                serde_json::json!({"model": "standin", "stream": true, "messages": [{"role": "user", "content": "q"}]});
            let mut events = http.post(url).json(&body).send().await?.bytes_stream().eventsource();
            while let Some(event) = futures_util::StreamExt::next(&mut events).await {
                let data: serde_json::Value = match serde_json::from_str(&event?.data) {
                    Ok(d) => d,
                    Err(_) => break,
                };
                if let Some(text) = data["choices"][0]["delta"]["content"].as_str() {
                    record_stamps(&direct, text);
                }
            }
            anyhow::Ok(())
        }
    });
    for r in futures_util::future::join_all(reads).await {
        r?;
    }
    let askers = &accounts[..args.replies];
    let mut chats = Vec::with_capacity(askers.len());
    for a in askers {
        chats.push(api.assistant_chat(a).await?);
    }
    let mut conns = Vec::with_capacity(askers.len());
    for a in askers {
        conns.push(connect(&server.ws_url(), &a.token).await?.split());
    }
    let before = rss_kib(server.pid)?;
    let delays = Arc::new(Latencies::default());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, ((mut tx, mut rx), conv)) in conns.into_iter().zip(chats).enumerate() {
        let delays = delays.clone();
        tasks.push(tokio::spawn(async move {
            let ask = ClientFrame::Send {
                client_msg_id: uuid::Uuid::now_v7().to_string(),
                conversation_id: conv,
                content: MessageContent::text(format!("question {i}")),
                reply_to: None,
                forwarded: false,
                mentions: Default::default(),
            };
            tx.send(&ask).await?;
            let mut streamed = Streamed::default();
            while let Some(frame) = rx.next_frame().await {
                match frame {
                    ServerFrame::AssistantStream { offset, text, .. } => {
                        record_stamps(&delays, &streamed.fresh(offset, &text));
                    }
                    ServerFrame::Message { message } if message.reply_to.is_some() => return Ok(tx),
                    _ => {}
                }
            }
            anyhow::bail!("the connection closed before the reply was stored")
        }));
    }
    // The server's memory while the replies stream (its highest reading).
    let mut peak = before;
    let mut all = futures_util::future::join_all(tasks);
    let done = loop {
        tokio::select! {
            done = &mut all => break done,
            _ = tokio::time::sleep(Duration::from_millis(100)) => peak = peak.max(rss_kib(server.pid)?),
        }
    };
    let mut kept = Vec::new();
    for d in done {
        kept.push(d??);
    }
    let took = started.elapsed();
    println!(
        "assistant: {} replies of {} pieces {} ms apart, streamed at once in {:.1} s",
        args.replies,
        args.reply_pieces,
        args.piece_gap_ms,
        took.as_secs_f64()
    );
    println!("  each piece, from the model to the asker through the server: {}", delays.summary());
    println!("  each piece, read straight from the model (no server):        {}", direct.summary());
    println!(
        "  server RSS {:.1} MiB before, {:.1} MiB at most while streaming (+{:.1} MiB)",
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        peak.saturating_sub(before) as f64 / 1024.0
    );
    drop(kept);
    Ok(())
}

/// What an asker has of a streaming reply: each `assistant_stream` frame
/// says the reply from an offset on, and a frame with the whole text so far
/// (offset 0) repeats what came before.
#[derive(Default)]
struct Streamed {
    held: usize,
}

impl Streamed {
    /// The part of a frame not seen before.
    fn fresh(&mut self, offset: u32, text: &str) -> String {
        let new: String = text.chars().skip(self.held.saturating_sub(offset as usize)).collect();
        self.held = self.held.max(offset as usize + text.chars().count());
        new
    }
}

/// Records, for each time stamp the stand-in model wrote into `text`, how
/// long ago it was.
fn record_stamps(into: &Latencies, text: &str) {
    let now = ling_testing::model::now_micros();
    for sent in text.split_whitespace().filter_map(|t| t.parse::<u64>().ok()) {
        into.record(now.saturating_sub(sent));
    }
}

/// A real model behind the assistant: `--questions` asked one after
/// another, each timed from sending it to the reply's first words (through
/// the server and back) and by its pieces a second after them (a piece is
/// what the model streamed at once: a token, for llama.cpp's server).
async fn real_model(args: &Args, server: &Server) -> Result<()> {
    let api = Api::new(&server.base);
    let me = api.register_many(1).await?.remove(0);
    let conv = api.assistant_chat(&me).await?;
    let (mut tx, mut rx) = connect(&server.ws_url(), &me.token).await?.split();
    let questions = [
        "What is the capital of France? Answer in one sentence.",
        "Write a haiku about the sea.",
        "List three colours of the rainbow.",
        "What is 12 times 12?",
        "Say hello in Chinese.",
    ];
    let (mut first_words, mut rates) = (Vec::new(), Vec::new());
    for i in 0..args.questions {
        let asked = Instant::now();
        let ask = ClientFrame::Send {
            client_msg_id: uuid::Uuid::now_v7().to_string(),
            conversation_id: conv,
            content: MessageContent::text(questions[i % questions.len()]),
            reply_to: None,
            forwarded: false,
            mentions: Default::default(),
        };
        tx.send(&ask).await?;
        let (mut first, mut pieces, mut last, mut streamed) = (None, 0u32, asked, Streamed::default());
        let reply = loop {
            let fresh = match rx.next_frame().await.context("the connection closed")? {
                ServerFrame::AssistantStream { offset, text, .. } => streamed.fresh(offset, &text),
                ServerFrame::Message { message } if message.reply_to.is_some() => break message,
                _ => continue,
            };
            // A frame with nothing new (the whole text so far) is no piece.
            if !fresh.is_empty() {
                first.get_or_insert_with(Instant::now);
                pieces += 1;
                last = Instant::now();
            }
        };
        let first = first.context("the reply had no words")?;
        let ttft = first.duration_since(asked).as_secs_f64() * 1000.0;
        let rate = f64::from(pieces.saturating_sub(1)) / last.duration_since(first).as_secs_f64().max(1e-3);
        println!("question {}: first words after {ttft:.0} ms, {pieces} pieces, {rate:.1} pieces/s", i + 1);
        if let MessageContent::Assistant { text, end, code } = &reply.content {
            println!("  {end:?} {code:?}: {}", text.replace('\n', " ").chars().take(160).collect::<String>());
        }
        first_words.push(ttft);
        rates.push(rate);
    }
    first_words.sort_by(f64::total_cmp);
    rates.sort_by(f64::total_cmp);
    let mid = |v: &[f64]| v[v.len() / 2];
    println!(
        "real model: first words median {:.0} ms (min {:.0}, max {:.0}); {:.1} pieces/s median (min {:.1}, max {:.1})",
        mid(&first_words),
        first_words[0],
        first_words[first_words.len() - 1],
        mid(&rates),
        rates[0],
        rates[rates.len() - 1]
    );
    Ok(())
}

struct Server {
    child: std::process::Child,
    pid: u32,
    base: String,
}

impl Server {
    async fn start(
        bin: &std::path::Path,
        data: &std::path::Path,
        durability: &str,
        model: &str,
        model_name: &str,
    ) -> Result<Server> {
        use std::io::BufRead;
        let mut child = std::process::Command::new(bin)
            .args(["--listen", "127.0.0.1:0", "--durability", durability, "--data"])
            .arg(data)
            .env("LING_ASSISTANT_ENDPOINT", model)
            .env("LING_ASSISTANT_MODEL", model_name)
            // A small model on a CPU may take a while to load on first use.
            .env("LING_ASSISTANT_FIRST_TOKEN_TIMEOUT_SECS", "300")
            .env("LING_ASSISTANT_MAX_REPLIES", "100000")
            .env("LING_LOG", "warn,ling_server::app=info")
            // Every bench client comes from 127.0.0.1, and the idle phase holds
            // many connections per account.
            .env("LING_REGISTRATIONS_PER_HOUR", "1000000")
            .env("LING_AUTH_ATTEMPTS_PER_ADDRESS_PER_MINUTE", "1000000")
            .env("LING_MAX_CONNECTIONS_PER_ACCOUNT", "1000000")
            .env("LING_MAX_UNAUTHENTICATED_CONNECTIONS", "100000")
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines.next().context("server exited before listening")??;
            if let Some(rest) = line.split("addr=").nth(1) {
                break rest.split_whitespace().next().unwrap_or_default().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let pid = child.id();
        Ok(Server { child, pid, base: format!("http://{addr}") })
    }

    fn ws_url(&self) -> String {
        format!("{}/v1/ws", self.base.replacen("http", "ws", 1))
    }

    fn stop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.pid.to_string()]).status();
        let _ = self.child.wait();
    }
}
