// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use clap::Parser;

/// Ling: a self-hosted chat app.
#[derive(Debug, Parser)]
#[command(name = "ling", version, about)]
struct Args {
    /// Use a separate profile (its own data directory, login and window), so
    /// two accounts can run side by side on one machine.
    #[arg(long, value_name = "NAME", env = "LING_PROFILE")]
    profile: Option<String>,
}

fn main() {
    // Unknown arguments (a desktop launcher's, a test driver's) are ignored
    // rather than refusing to start.
    let args = Args::try_parse().unwrap_or_else(|e| match e.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => e.exit(),
        _ => Args { profile: None },
    });
    if let Err(e) = ling_desktop::run(ling_desktop::Options { profile: args.profile }) {
        eprintln!("ling: {e}");
        std::process::exit(1);
    }
}
