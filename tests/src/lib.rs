//! The end-to-end harness: the real `ling-server` binary (started, killed
//! with SIGKILL, started again on the same port and data directory) and the
//! real `ling-cli` binary as "the other person", beside clients built on
//! `ling-client` in the test process.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The workspace's binaries, built once per test run (a no-op when current).
pub fn binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "ling-server", "-p", "ling-cli", "--bins"])
            .args(release_flag())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building ling-server and ling-cli failed");
    });
    // A test binary is target/<profile>/deps/e2e-<hash>, a bench binary
    // target/<profile>/desktop-bench; the binaries are in target/<profile>.
    let exe = std::env::current_exe().expect("the test's path");
    let mut dir = exe.parent().expect("target/<profile>");
    if dir.ends_with("deps") {
        dir = dir.parent().expect("target/<profile>");
    }
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// `--release` when this binary is a release build (a benchmark), so the
/// binaries it runs are built the same way.
pub fn release_flag() -> Option<&'static str> {
    (!cfg!(debug_assertions)).then_some("--release")
}

/// A `ling-server` process on a fixed port over a data directory.
pub struct ServerProcess {
    pub port: u16,
    pub data: tempfile::TempDir,
    child: Option<Child>,
    /// More settings (`LING_*` variables) than the defaults.
    env: Vec<(String, String)>,
}

impl ServerProcess {
    /// Starts a server on a free port and waits until it answers.
    pub fn start() -> ServerProcess {
        Self::start_with_env(&[])
    }

    /// [`ServerProcess::start`] with more settings, as `LING_*` variables.
    pub fn start_with_env(env: &[(&str, &str)]) -> ServerProcess {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut s = ServerProcess { port, data: tempfile::tempdir().unwrap(), child: None, env };
        s.start_again();
        s
    }

    /// Starts (again) on the same port and data directory.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new(binary("ling-server"))
            .env("LING_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("LING_DATA", self.data.path())
            .env("LING_NAME", "E2E")
            .env("LING_LOG", "warn")
            // Every test client comes from 127.0.0.1.
            .env("LING_REGISTRATIONS_PER_HOUR", "1000000")
            .env("LING_AUTH_ATTEMPTS_PER_ADDRESS_PER_MINUTE", "1000000")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .spawn()
            .expect("ling-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "ling-server did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process without warning (SIGKILL), as a crash or power cut would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill");
            child.wait().expect("reaped");
        }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn url(&self) -> url::Url {
        format!("http://127.0.0.1:{}/", self.port).parse().unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `ling-cli` with its own profile directory: "the other person".
pub struct Cli {
    pub profile: tempfile::TempDir,
    pub password: String,
    /// The recovery code `register` was given.
    pub recovery_code: OnceLock<String>,
}

impl Cli {
    pub fn new() -> Cli {
        Cli { profile: tempfile::tempdir().unwrap(), password: "password1".into(), recovery_code: OnceLock::new() }
    }

    /// Registers `username` (shown as `display_name`) and keeps the
    /// recovery code.
    pub fn register(&self, username: &str, display_name: &str) {
        let out = self.ok(&["register", username, "--display-name", display_name]);
        let code = out.lines().find_map(|l| l.strip_prefix("recovery code: ")).expect("a recovery code");
        let _ = self.recovery_code.set(code.trim().to_owned());
    }

    /// Runs `ling-cli args...`; panics with its output if it fails.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "ling-cli {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("ling-cli runs")
    }

    /// Starts `ling-cli args...` with piped output (for `tail`).
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.spawn_with(args, &[])
    }

    /// Starts `ling-cli args...` with piped output and `env` (for calls:
    /// `LING_MEDIA`, `LING_CALL_BIND`).
    pub fn spawn_with(&self, args: &[&str], env: &[(&str, &str)]) -> Child {
        let mut c = self.command(args);
        c.envs(env.iter().copied()).stdout(Stdio::piped()).stderr(Stdio::piped());
        c.spawn().expect("ling-cli starts")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(binary("ling-cli"));
        c.args(args)
            .env("LING_PROFILE_DIR", self.profile.path())
            .env("LING_PASSWORD", &self.password)
            .env("LING_TOKEN_STORE", "file")
            .env("LING_LOG", "warn");
        c
    }

    /// `history <to>` as JSON values, oldest first.
    pub fn history(&self, to: &str, count: u32) -> Vec<serde_json::Value> {
        self.ok(&["history", to, "--count", &count.to_string()])
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }
}

/// People on `server`, one `ling-cli` each, registered under `names` (with
/// the name capitalized as display name); the first is friends with the
/// others.
pub fn friends_of_the_first(server: &ServerProcess, names: &[&str]) -> Vec<Cli> {
    let people: Vec<Cli> = names.iter().map(|_| Cli::new()).collect();
    for (cli, name) in people.iter().zip(names) {
        cli.ok(&["server", &server.address()]);
        cli.register(name, &format!("{}{}", name[..1].to_uppercase(), &name[1..]));
    }
    for other in &names[1..] {
        people[0].ok(&["add", other]);
    }
    for cli in &people[1..] {
        cli.ok(&["accept", names[0]]);
    }
    people
}

impl Default for Cli {
    fn default() -> Self {
        Self::new()
    }
}

/// A call followed by `ling-cli` (`call` or `answer`): its JSON lines.
pub struct CallFollower {
    child: Child,
    lines: std::sync::mpsc::Receiver<serde_json::Value>,
    seen: Vec<serde_json::Value>,
}

impl CallFollower {
    pub fn start(mut child: Child) -> CallFollower {
        use std::io::{BufRead, BufReader};
        let stdout = child.stdout.take().expect("piped output");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        CallFollower { child, lines, seen: Vec::new() }
    }

    /// Waits (up to 30 s) for a line `pick` accepts.
    pub fn wait_for(&mut self, what: &str, pick: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if pick(&v) {
                        return v;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        panic!("ling-cli never said {what}; it said:\n{:#?}", self.seen);
    }

    /// Waits for it to exit; panics with its stderr if it failed.
    pub fn finished(self) {
        let out = self.child.wait_with_output().unwrap();
        assert!(out.status.success(), "ling-cli failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// A `media` line of `ling-cli call`/`answer` says it hears `hz` and has
/// pictures.
pub fn hears_and_sees(v: &serde_json::Value, hz: f64) -> bool {
    v["type"] == "media"
        && v["heard_hz"].as_f64().is_some_and(|f| (f - hz).abs() < 15.0)
        && v["pictures"].as_object().is_some_and(|p| p.values().any(|n| n.as_u64().unwrap_or(0) >= 10))
}

pub mod desktop;
pub mod notifications;
pub mod seed;
pub mod tray;
pub mod updates;
