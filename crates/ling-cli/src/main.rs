//! `ling-cli`: a Ling client in the terminal, on the same core as the desktop
//! app. For scripts, bots and end-to-end tests ("the other person").
//!
//! ```text
//! ling-cli server 127.0.0.1:7878
//! LING_PASSWORD=... ling-cli register amy
//! ling-cli add bob "hi, it's Amy"          ling-cli accept amy
//! ling-cli send bob "hello"                ling-cli send-file bob ./photo.jpg
//! ling-cli tail --count 1 --timeout 30     (one JSON line per incoming message)
//! ling-cli conversations
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use ling_client::account::{self, LoginOptions};
use ling_client::cache::{CachedMessage, SendStatus};
use ling_client::probe::probe;
use ling_client::profile::Profile;
use ling_client::timeline::TimelineItem;
use ling_client::tokens::TokenStorePolicy;
use ling_client::{Client, ClientError, Event};
use ling_proto::messages::{CallMedia, MessageContent};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "ling-cli", version, about = "A Ling chat client for the terminal, scripts and bots")]
struct Cli {
    /// The profile directory (default: the "cli" profile under the OS data directory).
    #[arg(long, env = "LING_PROFILE_DIR", global = true)]
    profile_dir: Option<PathBuf>,
    /// How long to wait for the server to catch the client up, in seconds.
    #[arg(long, default_value_t = 20, global = true)]
    wait: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Checks a server address and makes it the one to use.
    Server {
        /// `chat.example.com`, `host:port`, `https://...` or an IP.
        address: String,
        /// Allow plain http to a host on the internet.
        #[arg(long)]
        insecure: bool,
    },
    /// Registers an account on the server in use and logs in (remembered); prints the recovery code.
    Register {
        username: String,
        #[arg(long, env = "LING_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Logs in to the server in use (remembered).
    Login {
        username: String,
        #[arg(long, env = "LING_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Logs out and forgets the remembered token.
    Logout,
    /// Sets a new password with the recovery code; prints the new recovery code.
    ResetPassword {
        username: String,
        #[arg(long)]
        recovery_code: String,
        #[arg(long, env = "LING_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Lists conversations as the chat list shows them: pinned first, then the most recent.
    Conversations,
    /// Lists friends.
    Friends,
    /// Lists pending friend requests.
    Requests,
    /// Asks someone (by username) to be friends.
    Add {
        username: String,
        #[arg(default_value = "")]
        message: String,
    },
    /// Accepts the pending friend request from a username.
    Accept { username: String },
    /// Sends text to a friend (username) or a conversation (`#id`), and waits for the server to store it.
    Send { to: String, text: String },
    /// Asks the server's assistant; prints its reply as it streams, then how it ended.
    Ask {
        text: String,
        /// Seconds to wait for the whole reply.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// Sends a file (an image is sent as an image), and waits for the server to store it.
    SendFile { to: String, path: PathBuf },
    /// Records a voice message from the microphone (`LING_MEDIA=tone:HZ` or
    /// `file:WAV` instead) for `seconds`, sends it, and waits for the server
    /// to store it.
    SendVoice {
        to: String,
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
    /// Prints recent history with a friend or conversation, oldest first.
    History {
        to: String,
        #[arg(long, default_value_t = 20)]
        count: u32,
    },
    /// Prints each incoming message as a JSON line until `--count` arrived or `--timeout` passed.
    Tail {
        #[arg(long)]
        count: Option<usize>,
        /// Seconds; without it, tails until interrupted.
        #[arg(long)]
        timeout: Option<u64>,
    },
    /// Calls a friend (username) or a group (`#id`) and stays in the call for
    /// `--seconds` after the answer. Prints the call as JSON lines, and once
    /// a second what is heard and seen (`{"heard_hz", "pictures"}`). Media:
    /// the default devices, or `LING_MEDIA=synthetic` (a tone and the test
    /// pattern); sound received is measured, not played.
    Call {
        to: String,
        #[arg(long)]
        video: bool,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Waits (up to `--timeout` seconds) for a call, answers it and stays for
    /// `--seconds` (or until it ends); prints as `call` does.
    Answer {
        #[arg(long, default_value_t = 60)]
        timeout: u64,
        #[arg(long)]
        seconds: Option<u64>,
        /// Turn the call down instead.
        #[arg(long)]
        decline: bool,
    },
    /// Downloads a file from a message (`#conversation:seq`) into a directory.
    Download {
        message: String,
        #[arg(long, default_value = ".")]
        to: PathBuf,
    },
    /// Edits one of your text messages (`#conversation:seq`).
    Edit { message: String, text: String },
    /// Reacts to a message (`#conversation:seq`) with an emoji, or takes the reaction back with `--off`.
    React {
        message: String,
        emoji: String,
        #[arg(long)]
        off: bool,
    },
}

/// `#conversation:seq` → the two numbers.
fn message_ref(message: &str) -> Result<(i64, i64)> {
    message
        .trim_start_matches('#')
        .split_once(':')
        .and_then(|(c, s)| Some((c.parse::<i64>().ok()?, s.parse::<i64>().ok()?)))
        .context("name the message as #conversation:seq")
}

mod calling;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("LING_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<ClientError>() {
                Some(c) => eprintln!("error [{}]: {c}", c.code()),
                None => eprintln!("error: {e:#}"),
            }
            std::process::ExitCode::FAILURE
        }
    }
}

fn options() -> LoginOptions {
    LoginOptions { device_name: "ling-cli".into(), remember: true, token_policy: TokenStorePolicy::from_env() }
}

async fn run(cli: Cli) -> Result<()> {
    let root = match cli.profile_dir {
        Some(d) => d,
        None => Profile::default_root(Some("cli"))?,
    };
    let profile = Profile::open(root)?;
    let wait = Duration::from_secs(cli.wait);
    let server = || -> Result<url::Url> {
        let s = profile.settings()?;
        Ok(s.last_server().ok_or_else(|| anyhow!("no server yet: run `ling-cli server <address>`"))?.url.clone())
    };
    match cli.command {
        Command::Server { address, insecure } => {
            let found = probe(&address, insecure).await?;
            profile.use_server(&found, now_ms())?;
            println!("using {} ({})", found.info.name, found.base);
        }
        Command::Register { username, password, display_name } => {
            let reg =
                account::register(&profile, &server()?, &username, &password, display_name.as_deref(), &options())
                    .await?;
            println!("registered {} (id {})", reg.session.me.username, reg.session.me.id);
            println!("recovery code: {}", reg.recovery_code);
            report_token(reg.session.token_in);
        }
        Command::Login { username, password } => {
            let s = account::login(&profile, &server()?, &username, &password, &options()).await?;
            println!("logged in as {} (id {})", s.me.username, s.me.id);
            report_token(s.token_in);
        }
        Command::ResetPassword { username, recovery_code, password } => {
            let code = account::reset_password(&server()?, &username, &recovery_code, &password).await?;
            println!("password changed; new recovery code: {code}");
        }
        Command::Logout => {
            let session = logged_in(&profile).await?;
            account::logout(&profile, &session).await?;
            println!("logged out");
        }
        command => {
            let client = Client::start(logged_in(&profile).await?).await?;
            let events = client.events();
            let result = with_client(&client, events, command, wait).await;
            client.stop().await;
            result?;
        }
    }
    Ok(())
}

fn report_token(stored: Option<ling_client::tokens::StoredIn>) {
    match stored {
        Some(ling_client::tokens::StoredIn::Keychain) => println!("remembered in the system keychain"),
        Some(ling_client::tokens::StoredIn::File) => {
            println!("no keychain service here: remembered in a file only you can read")
        }
        None => {}
    }
}

async fn logged_in(profile: &Profile) -> Result<ling_client::account::LoggedIn> {
    account::auto_login(profile, TokenStorePolicy::from_env())
        .await?
        .ok_or_else(|| anyhow!("not logged in: run `ling-cli login <username>`"))
}

/// Waits until catch-up finished (or `wait` passed: the cache answers anyway).
async fn synced(events: &mut broadcast::Receiver<Event>, wait: Duration) {
    let _ = tokio::time::timeout(wait, async {
        loop {
            match events.recv().await {
                Ok(Event::Synced) | Err(broadcast::error::RecvError::Closed) => return,
                _ => {}
            }
        }
    })
    .await;
}

async fn with_client(
    client: &Client,
    mut events: broadcast::Receiver<Event>,
    command: Command,
    wait: Duration,
) -> Result<()> {
    match command {
        Command::Conversations => {
            synced(&mut events, wait).await;
            for c in client.conversation_list().await?.items() {
                let last = c.last_message.as_ref().map(summary).unwrap_or_default();
                println!("#{:<6} {:<24} unread {:<4} {}", c.id, c.title, c.unread, last);
            }
        }
        Command::Friends => {
            synced(&mut events, wait).await;
            for f in client.contacts().friends().await? {
                let online = if f.online { "online" } else { "" };
                println!(
                    "{:<24} {:<24} #{:<6} {online}",
                    f.user.username,
                    f.remark.unwrap_or(f.user.display_name),
                    f.conversation_id
                );
            }
        }
        Command::Requests => {
            synced(&mut events, wait).await;
            let list = client.contacts().friend_requests().await?;
            for r in list.incoming {
                println!("from {:<24} {}", r.from.username, r.message);
            }
            for r in list.outgoing {
                println!("to   {:<24} {}", r.to.username, r.message);
            }
        }
        Command::Add { username, message } => {
            let user = client
                .contacts()
                .search_users(&username)
                .await?
                .into_iter()
                .find(|u| u.username.eq_ignore_ascii_case(&username))
                .ok_or_else(|| anyhow!("no user {username}"))?;
            let r = client.contacts().send_friend_request(user.id, &message).await?;
            println!("friend request to {} is {:?}", user.username, r.status);
        }
        Command::Accept { username } => {
            synced(&mut events, wait).await;
            let _ = client.refresh().await;
            let list = client.contacts().friend_requests().await?;
            let r = list
                .incoming
                .into_iter()
                .find(|r| r.from.username.eq_ignore_ascii_case(&username))
                .ok_or_else(|| anyhow!("no pending request from {username}"))?;
            client.contacts().accept_friend_request(r.id).await?;
            println!("{} is now a friend", r.from.username);
        }
        Command::Send { to, text } => {
            synced(&mut events, wait).await;
            let conv = conversation(client, &to).await?;
            let m = client.send_queue().send_text(conv, &text).await?;
            let m = until_stored(&mut events, m, wait).await?;
            println!("sent #{}:{}", conv, m.seq.unwrap_or_default());
        }
        Command::Ask { text, timeout } => {
            synced(&mut events, wait).await;
            let conv = client.assistant().chat().await?;
            // The conversation's timeline, as the app draws it: the reply's
            // row grows, then the stored reply takes its place.
            let view = client.timeline(conv).await?;
            let (_, mut diffs) = view.subscribe();
            let m = client.send_queue().send_text(conv, &text).await?;
            let question = until_stored(&mut events, m, wait).await?.seq.context("a stored question")?;
            let mut printed = 0usize;
            let reply = tokio::time::timeout(Duration::from_secs(timeout), async {
                while futures_util::StreamExt::next(&mut diffs).await.is_some() {
                    let items = view.items();
                    let answer = items.iter().filter_map(TimelineItem::as_message).find(|m| {
                        m.message.reply_to == Some(question)
                            && matches!(m.message.content, MessageContent::Assistant { .. })
                    });
                    let Some(answer) = answer else { continue };
                    let MessageContent::Assistant { text, .. } = &answer.message.content else { continue };
                    // What is new since the last print (the stored text may be the same).
                    if let Some(more) = text.get(printed..) {
                        print!("{more}");
                        printed = text.len();
                        std::io::Write::flush(&mut std::io::stdout())?;
                    }
                    if answer.message.status == SendStatus::Sent {
                        return Ok(answer.message.clone());
                    }
                }
                bail!("the timeline closed")
            })
            .await
            .map_err(|_| anyhow!("no reply within {timeout} s"))??;
            let MessageContent::Assistant { end, code, .. } = &reply.content else { unreachable!() };
            match code {
                Some(code) => println!("\n[{end:?}: {code}]"),
                None => println!("\n[{end:?}]"),
            }
        }
        Command::SendFile { to, path } => {
            // Uploaded by the send queue, then sent: both within the wait.
            synced(&mut events, wait).await;
            let conv = conversation(client, &to).await?;
            let m = client.send_queue().send_file(conv, &path).await?;
            let m = until_stored(&mut events, m, wait).await?;
            println!("sent #{}:{}", conv, m.seq.unwrap_or_default());
        }
        Command::SendVoice { to, seconds } => {
            synced(&mut events, wait).await;
            let conv = conversation(client, &to).await?;
            let recording = client.record_voice().await?;
            tokio::time::sleep(Duration::from_secs_f64(seconds.clamp(0.1, 300.0))).await;
            let note = recording.stop().await?;
            let m = client.send_queue().send_voice(conv, &note).await?;
            let m = until_stored(&mut events, m, wait).await?;
            println!("sent #{}:{} ({} ms)", conv, m.seq.unwrap_or_default(), note.duration_ms);
        }
        Command::History { to, count } => {
            synced(&mut events, wait).await;
            let conv = conversation(client, &to).await?;
            for m in recent(client, conv, count as usize).await? {
                println!("{}", serde_json::to_string(&m)?);
            }
        }
        Command::Tail { count, timeout } => {
            synced(&mut events, wait).await;
            eprintln!("tailing");
            let me = client.me().id;
            let mut seen = 0usize;
            let tail = async {
                loop {
                    match events.recv().await {
                        Ok(Event::MessageNew { message }) if message.sender_id != me && message.seq.is_some() => {
                            println!("{}", serde_json::to_string(&message)?);
                            seen += 1;
                            if count.is_some_and(|c| seen >= c) {
                                return Ok::<_, anyhow::Error>(());
                            }
                        }
                        Err(broadcast::error::RecvError::Closed) => return Ok(()),
                        _ => {}
                    }
                }
            };
            match timeout {
                Some(secs) => tokio::time::timeout(Duration::from_secs(secs), tail)
                    .await
                    .map_err(|_| anyhow!("timed out after {secs} s with {seen} message(s)"))??,
                None => tail.await?,
            }
        }
        Command::Call { to, video, seconds } => {
            synced(&mut events, wait).await;
            let conv = conversation(client, &to).await?;
            let media = Arc::new(calling::Headless::new());
            let calls = client.calls(media.clone(), ling_client::calls::bind_ip_from_env());
            let media_kind = if video { CallMedia::Video } else { CallMedia::Audio };
            let placed = calls.call(conv, media_kind).await?;
            calling::follow(&calls, &mut events, &media, &placed.call_id, seconds, Duration::from_secs(60)).await?;
        }
        Command::Answer { timeout, seconds, decline } => {
            synced(&mut events, wait).await;
            let media = Arc::new(calling::Headless::new());
            let calls = client.calls(media.clone(), ling_client::calls::bind_ip_from_env());
            println!("{}", serde_json::json!({ "type": "waiting" }));
            let ringing = calling::wait_ring(&mut events, Duration::from_secs(timeout)).await?;
            println!("{}", serde_json::to_string(&ringing)?);
            if decline {
                calls.decline(&ringing.call_id).await?;
                return Ok(());
            }
            calls.accept(&ringing.call_id).await?;
            let stay = seconds.unwrap_or(u64::MAX / 4);
            calling::follow(&calls, &mut events, &media, &ringing.call_id, stay, Duration::from_secs(timeout)).await?;
        }
        Command::Edit { message, text } => {
            synced(&mut events, wait).await;
            let (conv, seq) = message_ref(&message)?;
            client.edit(conv, seq, &text).await?;
            println!("edited #{conv}:{seq}");
        }
        Command::React { message, emoji, off } => {
            synced(&mut events, wait).await;
            let (conv, seq) = message_ref(&message)?;
            client.react(conv, seq, &emoji, !off).await?;
            println!("{} {emoji} on #{conv}:{seq}", if off { "took back" } else { "reacted" });
        }
        Command::Download { message, to } => {
            synced(&mut events, wait).await;
            let (conv, seq) = message_ref(&message)?;
            let page = client.history(conv, Some(seq + 1), 1).await?;
            let m = page.into_iter().find(|m| m.seq == Some(seq)).ok_or_else(|| anyhow!("no message #{conv}:{seq}"))?;
            let file = m.content.file().ok_or_else(|| anyhow!("#{conv}:{seq} has no file"))?.clone();
            let cached = client.download(&file, None, &CancellationToken::new()).await?;
            std::fs::create_dir_all(&to)?;
            let dest = to.join(cached.file_name().context("a file name")?);
            std::fs::copy(&cached, &dest)?;
            println!("{}", dest.display());
        }
        Command::Server { .. }
        | Command::Register { .. }
        | Command::Login { .. }
        | Command::Logout
        | Command::ResetPassword { .. } => unreachable!("handled without a client"),
    }
    Ok(())
}

/// The newest `count` messages of a conversation, oldest first, as its
/// timeline has them (the chat view's rows, paged back as far as needed).
async fn recent(client: &Client, conv: i64, count: usize) -> Result<Vec<CachedMessage>> {
    let timeline = client.timeline(conv).await?;
    let messages = || -> Vec<CachedMessage> {
        timeline.items().iter().filter_map(TimelineItem::as_message).map(|m| m.message.clone()).collect()
    };
    while messages().len() < count && !timeline.paginate_back().await? {}
    let all = messages();
    Ok(all[all.len().saturating_sub(count)..].to_vec())
}

/// A friend's username or `#id` → the conversation id.
async fn conversation(client: &Client, to: &str) -> Result<i64> {
    if let Some(id) = to.strip_prefix('#') {
        return id.parse().context("a conversation id after #");
    }
    client
        .contacts()
        .friends()
        .await?
        .into_iter()
        .find(|f| f.user.username.eq_ignore_ascii_case(to))
        .map(|f| f.conversation_id)
        .ok_or_else(|| anyhow!("{to} is not a friend (see `ling-cli friends`)"))
}

/// Waits until the server stored (or refused) a message just sent.
async fn until_stored(
    events: &mut broadcast::Receiver<Event>,
    sent: CachedMessage,
    wait: Duration,
) -> Result<CachedMessage> {
    let id = sent.client_msg_id.clone();
    let done = tokio::time::timeout(wait, async {
        loop {
            match events.recv().await {
                Ok(Event::MessageUpdated { message })
                    if message.client_msg_id == id
                        && matches!(message.status, SendStatus::Sent | SendStatus::Failed) =>
                {
                    return Ok(message);
                }
                Err(broadcast::error::RecvError::Closed) => bail!("the session ended"),
                _ => {}
            }
        }
    })
    .await
    .map_err(|_| anyhow!("not stored within {} s; it stays in the outbox and is sent later", wait.as_secs()))??;
    if done.status == SendStatus::Failed {
        bail!("the server refused it: {}", done.error_code.unwrap_or_default());
    }
    Ok(done)
}

fn summary(m: &CachedMessage) -> String {
    match &m.content {
        MessageContent::Text { text, .. } => text.lines().next().unwrap_or_default().to_owned(),
        MessageContent::Image { file, .. } => format!("[image] {}", file.name),
        MessageContent::File { file } => format!("[file] {}", file.name),
        MessageContent::Voice { duration_ms, .. } => format!("[voice {:.1} s]", *duration_ms as f64 / 1000.0),
        MessageContent::CallRecord { .. } => "[call]".into(),
        MessageContent::System { .. } => "[system]".into(),
        MessageContent::Recalled => "[recalled]".into(),
        MessageContent::Assistant { text, code: Some(code), .. } => {
            format!("{} [{code}]", text.lines().next().unwrap_or_default())
        }
        MessageContent::Assistant { text, .. } => text.lines().next().unwrap_or_default().to_owned(),
        MessageContent::Edit { target, .. } => format!("[edit of {target}]"),
        MessageContent::Reaction { target, emoji, .. } => format!("[{emoji} to {target}]"),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
