//! The desktop harness: the real app window (`ling`, the UI embedded) on a
//! private X display (Xvfb) and session bus, driven over WebDriver by
//! tauri-driver and WebKitWebDriver. Native file dialogs are answered by
//! typing into them with xdotool, as a person would.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long any one step may take before the test fails.
pub const STEP: Duration = Duration::from_secs(30);

/// The app's identifier: its data and config directories are named after it.
pub const APP_ID: &str = "app.ling.Ling";

/// The desktop app's binary, built once per run with the UI embedded.
pub fn app_binary() -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "ling-desktop", "--bin", "ling"])
            .args(crate::release_flag())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the desktop app failed");
    });
    let index = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
    assert!(index.exists(), "the UI is not built (ui/dist): run `make ui` first");
    crate::binary("ling")
}

/// tauri-driver, installed by `scripts/setup.sh` (or `LING_TAURI_DRIVER`).
fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("LING_TAURI_DRIVER") {
        return p.into();
    }
    let tools = std::env::var_os("LING_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/ling/tools"));
    let p = tools.join("bin/tauri-driver");
    assert!(p.exists(), "{} is missing: run scripts/setup.sh", p.display());
    p
}

/// How often a window is looked at while waiting.
const LOOK: Duration = Duration::from_millis(100);

/// Polls `check` every 100 ms until it gives a value; past `STEP`, fails
/// with what it last said.
pub async fn eventually<T>(what: &str, check: impl AsyncFnMut() -> Result<T, String>) -> T {
    eprintln!("[desktop] wait for {what}");
    ling_testing::poll_every(LOOK, STEP, check)
        .await
        .unwrap_or_else(|last| panic!("timed out waiting for {what}: {last}"))
}

/// Serves `iface` at `path` under the well-known `name` on the session bus at
/// `address` (`XSession::bus`), as a desktop's own service would.
pub async fn serve_on_bus<I: zbus::object_server::Interface>(
    address: &str,
    name: &'static str,
    path: &'static str,
    iface: I,
) -> zbus::Connection {
    zbus::connection::Builder::address(address)
        .and_then(|b| b.name(name))
        .and_then(|b| b.serve_at(path, iface))
        .unwrap_or_else(|e| panic!("serving {name}: {e}"))
        .build()
        .await
        .unwrap_or_else(|e| panic!("{name} on the bus: {e}"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process stopped (SIGTERM, then reaped) when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        // SIGTERM lets tauri-driver stop WebKitWebDriver and the app with it.
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private X display (Xvfb) and session bus, stopped when dropped.
pub struct XSession {
    pub display: String,
    pub bus: String,
    // Dropped in this order: the bus before the display.
    _bus: Process,
    _xvfb: Process,
}

impl XSession {
    pub fn start() -> XSession {
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts (scripts/setup.sh installs it)");
        let display = format!(":{}", first_line(xvfb.stdout.take().unwrap()));
        let xvfb = Process(xvfb);
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts");
        let address = first_line(bus.stdout.take().unwrap());
        XSession { display, bus: address, _bus: Process(bus), _xvfb: xvfb }
    }

    /// The environment of a desktop app in this session, at home in `home`.
    pub fn app_env(&self, home: &Path) -> Vec<(&'static str, std::ffi::OsString)> {
        vec![
            ("DISPLAY", self.display.clone().into()),
            ("DBUS_SESSION_BUS_ADDRESS", self.bus.clone().into()),
            ("HOME", home.into()),
            ("XDG_CONFIG_HOME", home.join(".config").into()),
            ("XDG_DATA_HOME", home.join(".local/share").into()),
            ("XDG_CACHE_HOME", home.join(".cache").into()),
            ("XDG_RUNTIME_DIR", home.into()),
            ("LING_TOKEN_STORE", "file".into()),
            // A locale every system has: in one the C library lacks, GTK falls
            // back to "C" and cannot set a non-ASCII title as WM_NAME.
            ("LANG", "C.UTF-8".into()),
            ("GDK_BACKEND", "x11".into()),
            // The tests' web pages are on loopback, which link previews
            // otherwise never reach.
            ("LING_PREVIEW_ALLOW", "127.0.0.1/32".into()),
        ]
    }
}

/// Everything one person's desktop needs: a home directory, an X display, a
/// session bus and tauri-driver, all private to the test.
pub struct Desktop {
    port: u16,
    /// The app's binary: the workspace's build, or an installed one.
    pub app: PathBuf,
    // Dropped in this order: the driver (and the app), the display, the home.
    _driver: Process,
    pub x: XSession,
    pub home: tempfile::TempDir,
    /// Where `App::screenshot` writes (`$LING_SCREENSHOT_DIR`, or `runs`).
    pub shots: PathBuf,
    /// Next to the binaries: the run's screenshots, and always a failure's.
    runs: PathBuf,
    /// What the apps get besides `XSession::app_env`.
    env: Vec<(String, String)>,
    // One desktop at a time: each is a display, a browser engine and an app.
    _serial: std::sync::MutexGuard<'static, ()>,
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Desktop {
    pub fn start() -> Desktop {
        Desktop::start_with(&[])
    }

    /// A desktop whose apps also get `env` (say, the system's language).
    pub fn start_with(env: &[(&str, &str)]) -> Desktop {
        Desktop::start_app(app_binary(), env)
    }

    /// A desktop whose app is `app` (say, the one a package installed).
    pub fn start_app(app: PathBuf, env: &[(&str, &str)]) -> Desktop {
        let serial = SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let home = tempfile::tempdir().unwrap();
        let x = XSession::start();
        let (port, native_port) = (free_port(), free_port());
        let driver = Command::new(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .envs(x.app_env(home.path()))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver starts");
        let driver = Process(driver);
        let deadline = Instant::now() + STEP;
        // tauri-driver listens before the WebKitWebDriver it started does; a
        // session asked for in between fails (an incomplete message).
        for (port, who) in [(port, "tauri-driver"), (native_port, "WebKitWebDriver")] {
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < deadline, "{who} did not start listening");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // target/<profile>/screenshots (a test binary is target/<profile>/deps/NAME).
        let exe = std::env::current_exe().expect("the test's path");
        let runs = exe.parent().and_then(Path::parent).expect("target/<profile>").join("screenshots");
        let shots = std::env::var_os("LING_SCREENSHOT_DIR").map(PathBuf::from).unwrap_or_else(|| runs.clone());
        std::fs::create_dir_all(&shots).unwrap();
        std::fs::create_dir_all(&runs).unwrap();
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Desktop { home, port, app, _driver: driver, x, shots, runs, env, _serial: serial }
    }

    /// Launches the app (a new WebDriver session) and waits for its page.
    pub async fn launch(&self) -> App<'_> {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("wry"));
        caps.insert("tauri:options".into(), json!({ "application": self.app }));
        let client = ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session with the app");
        App { client, desktop: self }
    }

    /// Answers the open or save dialog that is about to appear by typing a
    /// path into it (GTK's location field) and pressing Enter.
    pub fn answer_file_dialog(&self, title: &str, path: &Path) {
        // Without a window manager, focus is set directly; ctrl+L opens the
        // location field in both the open and the save dialog.
        self.focus_window(title);
        std::thread::sleep(Duration::from_millis(300));
        self.xdotool(&["key", "--clearmodifiers", "ctrl+l"]);
        std::thread::sleep(Duration::from_millis(200));
        self.xdotool(&["key", "ctrl+a"]);
        self.xdotool(&["type", "--delay", "5", &path.to_string_lossy()]);
        std::thread::sleep(Duration::from_millis(200));
        self.xdotool(&["key", "Return"]);
        // The dialog closes once it took the answer.
        self.wait_shown_windows(&format!("^{title}$"), 0);
    }

    /// How many mapped (shown) top-level windows have a title matching `regex`.
    pub fn shown_windows(&self, regex: &str) -> usize {
        let out = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", regex])
            .env("DISPLAY", &self.x.display)
            .output()
            .expect("xdotool runs");
        String::from_utf8_lossy(&out.stdout).lines().count()
    }

    /// Waits until `n` windows matching `regex` are shown.
    pub fn wait_shown_windows(&self, regex: &str, n: usize) {
        let deadline = Instant::now() + STEP;
        loop {
            let shown = self.shown_windows(regex);
            if shown == n {
                return;
            }
            if Instant::now() > deadline {
                let all = self.xdotool(&["search", "--onlyvisible", "--name", "."]);
                let names: Vec<String> =
                    all.lines().map(|id| self.xdotool(&["getwindowname", id]).trim().to_owned()).collect();
                panic!("{shown} windows named {regex} shown, not {n}; shown: {names:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Gives the shown window titled `title` the keyboard focus, as a
    /// person's click into it does (without a window manager, nothing else
    /// does).
    pub fn focus_window(&self, title: &str) {
        let window = self.xdotool(&["search", "--sync", "--onlyvisible", "--name", &format!("^{title}$")]);
        let window = window.lines().next().expect("the window").to_owned();
        self.xdotool(&["windowfocus", "--sync", &window]);
    }

    fn xdotool(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.x.display)
            .output()
            .expect("xdotool runs (scripts/setup.sh installs it)");
        assert!(out.status.success(), "xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts a second `ling` process in this desktop (as a person would from
    /// the launcher) and returns it. Its output goes to a file (see
    /// `spawned_log`), never to a pipe that could fill up and stall it.
    pub fn spawn_app(&self, args: &[&str]) -> Child {
        let log = std::fs::File::create(self.spawned_log(args)).unwrap();
        Command::new(&self.app)
            .args(args)
            .envs(self.x.app_env(self.home.path()))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("ling starts")
    }

    /// Where the output of `spawn_app(args)` goes.
    pub fn spawned_log(&self, args: &[&str]) -> PathBuf {
        self.home.path().join(format!("ling{}.log", args.join("_")))
    }

    /// Everything the app wrote to its log (tauri-plugin-log's file under the
    /// person's data directory; every run of the app appends to it).
    pub fn app_log(&self) -> String {
        let file = self.home.path().join(".local/share").join(APP_ID).join("logs/Ling.log");
        std::fs::read_to_string(file).unwrap_or_default()
    }

    /// The last `n` lines of `app_log`.
    pub fn app_log_tail(&self, n: usize) -> String {
        let log = self.app_log();
        let start = log.lines().count().saturating_sub(n);
        log.lines().skip(start).collect::<Vec<_>>().join("\n")
    }
}

fn first_line(out: impl Read) -> String {
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).expect("a line");
    let line = line.trim().to_owned();
    assert!(!line.is_empty(), "no output");
    line
}

/// The Enter key, for `type_into`.
pub const ENTER: &str = "\u{E007}";
/// The Control key, for `type_into`: pressed until sent again.
pub const CONTROL: &str = "\u{E009}";
/// Releases the modifier keys pressed so far, for `type_into`.
pub const NO_KEY: &str = "\u{E000}";
/// The Escape key, for `type_into`.
pub const ESCAPE: &str = "\u{E00C}";
/// The Up arrow key, for `type_into`.
pub const ARROW_UP: &str = "\u{E013}";

/// One running app window, driven over WebDriver.
pub struct App<'d> {
    pub client: Client,
    pub desktop: &'d Desktop,
}

impl App<'_> {
    /// The first element matching `css`, once there is one.
    pub async fn wait(&self, css: &str) -> Element {
        eprintln!("[desktop] wait for {css}");
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.client.wait().at_most(left).for_element(Locator::Css(css)).await {
                Ok(e) => return e,
                // Found, then replaced before its handle was made (the UI
                // re-rendered it): look again.
                Err(e) if e.to_string().contains("Stale") && Instant::now() < deadline => continue,
                Err(e) => self.fail(&format!("no {css} appeared: {e}")).await,
            }
        }
    }

    pub async fn click(&self, css: &str) {
        eprintln!("[desktop] click {css}");
        self.wait(css).await.click().await.unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    /// Types into a field (after what it holds).
    pub async fn type_into(&self, css: &str, text: &str) {
        eprintln!("[desktop] type into {css}");
        self.wait(css).await.send_keys(text).await.unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }

    /// Runs `script` (a function body; `arguments` as usual) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `script` returns something truthy; returns it.
    pub async fn until(&self, what: &str, script: &str, args: Vec<Value>) -> Value {
        self.until_ok(what, async || {
            let v = self.js(script, args.clone()).await;
            let truthy =
                !matches!(&v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("") && v != json!([]);
            if truthy { Ok(v) } else { Err(format!("it gave {v}")) }
        })
        .await
    }

    /// Polls `check` every 100 ms until it gives a value; past `STEP`, fails
    /// (`fail`) with what it last said.
    pub async fn until_ok<T>(&self, what: &str, check: impl AsyncFnMut() -> Result<T, String>) -> T {
        eprintln!("[desktop] wait until {what}");
        match ling_testing::poll_every(LOOK, STEP, check).await {
            Ok(v) => v,
            Err(last) => self.fail(&format!("timed out waiting for {what}: {last}")).await,
        }
    }

    /// The first screen: types the server's address and goes on.
    pub async fn choose_server(&self, address: &str) {
        self.wait("[data-testid=server-setup]").await;
        self.type_into("input[name=address]", address).await;
        self.click("[data-testid=server-setup] button[type=submit]").await;
    }

    /// The first run with an account made elsewhere: the server's address,
    /// then the login form; waits for the chat list.
    pub async fn log_in(&self, server: &str, username: &str, password: &str) {
        self.choose_server(server).await;
        self.type_into("[data-testid=auth-login] input[name=username]", username).await;
        self.type_into("[data-testid=auth-login] input[name=password]", password).await;
        self.click("[data-testid=auth-login] button[type=submit]").await;
        self.wait("[data-testid=conversation-list]").await;
    }

    /// Opens the chat whose row in the list names `title`.
    pub async fn open_chat(&self, title: &str) {
        self.until(
            &format!("the chat with {title} in the list"),
            "const row = [...document.querySelectorAll('[data-testid=conversation]')]
                .find(e => e.textContent.includes(arguments[0]));
             if (row) row.click();
             return !!row;",
            vec![json!(title)],
        )
        .await;
    }

    /// Waits until the page expression `check` is truthy.
    pub async fn until_true(&self, what: &str, check: &str) {
        self.until(what, &format!("return ({check}) || null;"), vec![]).await;
    }

    /// The text of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let v = self
            .js("return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)", vec![json!(css)])
            .await;
        serde_json::from_value(v).unwrap()
    }

    /// Saves a screenshot of the window as `<name>.png` in the run's
    /// screenshot directory.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        self.screenshot_into(&self.desktop.shots, name).await
    }

    /// Fails the test with `why`, the window as it is (a screenshot next to
    /// the binaries, never among the README's) and the end of the app's log.
    pub async fn fail(&self, why: &str) -> ! {
        let shot = self.screenshot_into(&self.desktop.runs, "failed").await;
        panic!("{why} (see {})\nthe app's log ends:\n{}", shot.display(), self.desktop.app_log_tail(40));
    }

    async fn screenshot_into(&self, dir: &Path, name: &str) -> PathBuf {
        // What is in the DOM may not be painted yet (the first screen, just
        // after launch): wait for two frames.
        let _ = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await;
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Ends the session: the app quits.
    pub async fn quit(self) {
        self.client.close().await.expect("the session ends");
    }
}
