//! The desktop app's launch and memory benchmark (`make bench-desktop`;
//! figures in docs/benchmarks.md).
//!
//! Seeds an account whose cache holds 10,000 messages (sent through a real
//! `ling-server`), then launches the release `ling` binary on a private X
//! display again and again, measuring:
//! - the time from spawning the process to the chat list painted (the UI
//!   reports its first frame; the shell logs it: `ui_ready`);
//! - the memory once settled: PSS of the app and every process it started
//!   (WebKit's web and network processes), summed;
//!
//! and the same memory for an empty Tauri window of the same size (the
//! `empty_window` example), measured in the same run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use ling_e2e::ServerProcess;
use ling_e2e::desktop::{Process, XSession};

#[derive(Parser)]
struct Args {
    /// Messages in the account's cache.
    #[arg(long, default_value_t = 10_000)]
    messages: usize,
    /// Launches of each app.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Seconds to let each app settle before its memory is read.
    #[arg(long, default_value_t = 3)]
    settle: u64,
    /// Also print each process's largest mappings by PSS (last run).
    #[arg(long)]
    detail: bool,
}

fn build() -> PathBuf {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "--locked", "-p", "ling-desktop", "--bin", "ling", "--example", "empty_window"])
        .args(ling_e2e::release_flag())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the app failed");
    std::env::current_exe().unwrap().parent().unwrap().to_path_buf()
}

/// The app's process and all its descendants.
fn process_tree(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // The command name is in parentheses and may hold spaces: fields after the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parents.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    tree
}

/// PSS in KiB of each process in the tree, by command name.
fn pss_kib(root: u32) -> Vec<(String, u64)> {
    process_tree(root)
        .iter()
        .filter_map(|pid| {
            let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
            let pss = rollup
                .lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())?;
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            Some((name.trim().to_owned(), pss))
        })
        .collect()
}

/// The `n` largest mappings of `pid` by PSS, in KiB, those of one file or
/// kind (`[heap]`, `[anon]`, …) added together.
fn top_mappings(pid: u32, n: usize) -> Vec<(String, u64)> {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut by_name: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let mut current = String::new();
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if first.contains('-') && !first.ends_with(':') {
            // A mapping's header: range perms offset dev inode [path]
            current = fields.nth(4).unwrap_or("[anon]").to_owned();
        } else if first == "Pss:" {
            let kib = fields.next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            *by_name.entry(current.clone()).or_default() += kib;
        }
    }
    let mut all: Vec<(String, u64)> = by_name.into_iter().collect();
    all.sort_by_key(|m| std::cmp::Reverse(m.1));
    all.truncate(n);
    all
}

struct Run {
    ready: Duration,
    pss_kib: u64,
    by_process: Vec<(String, u64)>,
    /// With `--detail`: each process's largest mappings.
    detail: Vec<(String, Vec<(String, u64)>)>,
}

/// Starts `program`, waits for a stdout line containing `ready`, lets it
/// settle, reads its memory and stops it.
fn measure(program: &Path, env: &[(&str, std::ffi::OsString)], ready: &str, settle: u64, detail: bool) -> Run {
    let started = Instant::now();
    let mut child = Command::new(program)
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the app starts");
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let ready_after = loop {
        match lines.next() {
            Some(Ok(line)) if line.contains(ready) => break started.elapsed(),
            Some(_) => {}
            None => panic!("{} exited before `{ready}`", program.display()),
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    std::thread::sleep(Duration::from_secs(settle));
    let by_process = pss_kib(pid);
    let detail = if detail {
        process_tree(pid)
            .into_iter()
            .map(|p| {
                let name = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
                (name.trim().to_owned(), top_mappings(p, 12))
            })
            .collect()
    } else {
        Vec::new()
    };
    drop(Process(child));
    Run { ready: ready_after, pss_kib: by_process.iter().map(|(_, k)| k).sum(), by_process, detail }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let bin = build();
    let server = ServerProcess::start();
    let x = XSession::start();
    let home = tempfile::tempdir().unwrap();
    let profile_dir = home.path().join("amy");

    let seeded = Instant::now();
    ling_e2e::seed::chats(&server, &profile_dir, &[("bob", args.messages)]).await;
    println!("seeded {} messages in {:.1} s", args.messages, seeded.elapsed().as_secs_f64());

    let mut env = x.app_env(home.path());
    env.push(("LING_PROFILE_DIR", profile_dir.into()));
    // The shell's log goes to stdout too: the "first screen" line is the signal.
    let app = bin.join("ling");
    let empty = bin.join("examples").join("empty_window");
    // One launch of each first, unmeasured: disk caches warm, WebKit's
    // caches created.
    measure(&app, &env, "first screen shown", 1, false);
    measure(&empty, &env, "loaded", 1, false);
    let mut app_runs = Vec::new();
    let mut empty_runs = Vec::new();
    for _ in 0..args.runs {
        app_runs.push(measure(&app, &env, "first screen shown", args.settle, args.detail));
        empty_runs.push(measure(&empty, &env, "loaded", args.settle, args.detail));
    }
    let launch: Vec<f64> = app_runs.iter().map(|r| r.ready.as_secs_f64() * 1000.0).collect();
    let app_mib: Vec<f64> = app_runs.iter().map(|r| r.pss_kib as f64 / 1024.0).collect();
    let empty_mib: Vec<f64> = empty_runs.iter().map(|r| r.pss_kib as f64 / 1024.0).collect();
    let empty_launch: Vec<f64> = empty_runs.iter().map(|r| r.ready.as_secs_f64() * 1000.0).collect();
    let max = |v: &[f64]| v.iter().cloned().fold(f64::MIN, f64::max);
    println!("runs: {} of each, {} s settle", args.runs, args.settle);
    println!(
        "ling, {} cached messages: launch -> chat list painted: median {:.0} ms, max {:.0} ms",
        args.messages,
        median(launch.clone()),
        max(&launch)
    );
    println!("empty Tauri window: launch -> page loaded: median {:.0} ms", median(empty_launch));
    let (a, e) = (median(app_mib.clone()), median(empty_mib.clone()));
    println!("memory (PSS, all processes): ling median {a:.1} MiB, empty window median {e:.1} MiB, ratio {:.2}", a / e);
    for (name, runs) in [("ling", &app_runs), ("empty window", &empty_runs)] {
        let parts: Vec<String> =
            runs[runs.len() - 1].by_process.iter().map(|(p, k)| format!("{p} {:.1}", *k as f64 / 1024.0)).collect();
        println!("  {name}, last run, MiB: {}", parts.join(", "));
        for (process, maps) in &runs[runs.len() - 1].detail {
            let parts: Vec<String> = maps.iter().map(|(m, k)| format!("{m} {:.1}", *k as f64 / 1024.0)).collect();
            println!("    {process}: {}", parts.join(", "));
        }
    }
}
