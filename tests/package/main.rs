//! What `make package` builds (into `LING_DIST`), as people get it. The
//! .rpm and the server's tarball hold what they ship (the server's unit is
//! one systemd accepts). The .deb is installed with dpkg; the app it put in place starts
//! in a window on the first-run screen; a forged update is refused and a
//! signed one is installed by the app itself, which restarts as the new
//! version and comes back logged in; removing and then purging the package takes its files and leaves
//! the person's data alone.
//!
//! Needs the packages (`scripts/package.sh`; CI builds them from the dev
//! profile) and, for the .deb, root (dpkg):
//! `scripts/test-package.sh` builds the packages and runs this (part of
//! `make test`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use ling_e2e::desktop::{APP_ID, Desktop, STEP, eventually};
use ling_e2e::updates::{Signer, UpdateServer};
use ling_e2e::{ServerProcess, friends_of_the_first};

const INSTALLED_APP: &str = "/usr/bin/ling";
/// What both Linux packages put in place: the app, its launcher entry and icon.
const SHIPPED: [&str; 3] =
    [INSTALLED_APP, "/usr/share/applications/Ling.desktop", "/usr/share/icons/hicolor/128x128/apps/ling.png"];
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The one file in `LING_DIST` whose name starts with `prefix` and ends with `suffix`.
fn built(prefix: &str, suffix: &str) -> PathBuf {
    let dist = PathBuf::from(std::env::var("LING_DIST").expect("LING_DIST: where make package put its output"));
    let found: Vec<PathBuf> = std::fs::read_dir(&dist)
        .unwrap_or_else(|e| panic!("{}: {e}", dist.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "{prefix}*{suffix} in {}: {found:?}", dist.display());
    found.into_iter().next().unwrap()
}

/// Runs a command (not as root); its standard output.
fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command as root: directly when this is root, else through sudo.
fn as_root(args: &[&str]) -> Output {
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    let mut cmd = if root { Command::new(args[0]) } else { Command::new("sudo") };
    if !root {
        cmd.args(["-n", args[0]]);
    }
    cmd.args(&args[1..]).output().unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn ok(args: &[&str]) -> String {
    let out = as_root(args);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The installed version of the package `ling`, if it is installed.
fn installed_version() -> Option<String> {
    let out = Command::new("dpkg-query").args(["-W", "-f=${Status}|${Version}", "ling"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (status, version) = text.split_once('|')?;
    (status == "install ok installed").then(|| version.to_owned())
}

/// Processes running the installed app.
fn installed_app_pids() -> Vec<u32> {
    let out = Command::new("pgrep").args(["-f", &format!("^{INSTALLED_APP}")]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect()
}

/// The package, purged when the test ends however it ends (and any app
/// it left running stopped), so the machine is as it was.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("pkill").args(["-TERM", "-f", &format!("^{INSTALLED_APP}")]).status();
        let _ = as_root(&["dpkg", "--purge", "ling"]);
    }
}

/// `deb` again with another version in its control file (the same app
/// inside): the release that the update server announces.
fn repack(deb: &Path, version: &str, out: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    ok(&["dpkg-deb", "-R", &deb.to_string_lossy(), &root.to_string_lossy()]);
    let control = root.join("DEBIAN/control");
    let text = std::fs::read_to_string(&control).unwrap();
    let text: String = text
        .lines()
        .map(|l| if l.starts_with("Version:") { format!("Version: {version}\n") } else { format!("{l}\n") })
        .collect();
    std::fs::write(&control, text).unwrap();
    ok(&["dpkg-deb", "--root-owner-group", "-b", &root.to_string_lossy(), &out.to_string_lossy()]);
}

/// Every file under `dir` with its size.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, u64> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                todo.push(entry.path());
            } else {
                files.insert(entry.path(), meta.len());
            }
        }
    }
    files
}

/// Whether a screenshot shows a drawn window, not an empty or one-colour
/// frame; if not, why.
fn drawn(png: &Path) -> Result<(), String> {
    let img = image::open(png).map_err(|e| format!("{}: {e}", png.display()))?.to_rgb8();
    if img.width() < 760 || img.height() < 520 {
        return Err(format!("{}: {}x{}", png.display(), img.width(), img.height()));
    }
    let mut counts: BTreeMap<[u8; 3], usize> = BTreeMap::new();
    for p in img.pixels() {
        *counts.entry(p.0).or_default() += 1;
    }
    let total = (img.width() * img.height()) as usize;
    let commonest = counts.values().max().copied().unwrap_or(0);
    if counts.len() < 50 {
        return Err(format!("{}: only {} colours: nothing drawn", png.display(), counts.len()));
    }
    if commonest * 100 >= total * 97 {
        return Err(format!("{}: one colour covers almost everything", png.display()));
    }
    Ok(())
}

/// What can tell why the app is not as expected: its processes, every
/// window on the display (shown or not), its window state and its log's end.
fn the_app_now(desktop: &Desktop) -> String {
    let home = desktop.home.path();
    let ps = Command::new("ps").args(["-o", "pid,ppid,stat,etime,args", "-C", "ling"]).output().unwrap();
    let windows = Command::new("xdotool").args(["search", "--name", "."]).env("DISPLAY", &desktop.x.display).output();
    let windows: Vec<String> =
        windows.map(|o| String::from_utf8_lossy(&o.stdout).lines().map(str::to_owned).collect()).unwrap_or_default();
    let shown = desktop.shown_windows(".");
    let state = std::fs::read_to_string(home.join(".config").join(APP_ID).join(".window-state.json"));
    format!(
        "processes:\n{}\nwindows: {windows:?}, {shown} shown\nwindow state: {state:?}\nthe log's end:\n{}",
        String::from_utf8_lossy(&ps.stdout),
        desktop.app_log_tail(40)
    )
}

/// Polls `check` every 100 ms for `within`; past that, fails with what it
/// last said and `the_app_now`.
fn wait_explained(desktop: &Desktop, what: &str, within: Duration, mut check: impl FnMut() -> Result<(), String>) {
    eprintln!("[package] wait for {what}");
    let deadline = Instant::now() + within;
    loop {
        let Err(last) = check() else { return };
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}: {last}\n{}", the_app_now(desktop));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether the app that is one of `pids` says in its log that it showed its
/// first screen and, still logged in, connected to the server.
fn back_logged_in(desktop: &Desktop, pids: &[u32]) -> Result<(), String> {
    let log = desktop.app_log();
    let back = pids.iter().any(|pid| {
        log.find(&format!(" started (pid {pid})")).is_some_and(|at| {
            let since = &log[at..];
            since.contains("first screen shown") && since.contains("[INFO] connected")
        })
    });
    if back { Ok(()) } else { Err(format!("{pids:?} has not logged its first screen and connection")) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root and the .deb: run by scripts/test-package.sh"]
async fn test_the_deb_installs_runs_updates_itself_and_uninstalls_leaving_the_data() {
    let deb = built(&format!("Ling_{VERSION}_"), ".deb");
    let version = ok(&["dpkg-deb", "-f", &deb.to_string_lossy(), "Version"]).trim().to_owned();
    assert_eq!(version, VERSION, "the package carries the workspace's version");

    // Installed with dpkg, as a person would.
    let _installed = Installed;
    ok(&["dpkg", "-i", &deb.to_string_lossy()]);
    assert_eq!(installed_version().as_deref(), Some(version.as_str()));
    let files: Vec<String> = ok(&["dpkg", "-L", "ling"]).lines().map(str::to_owned).collect();
    for want in SHIPPED {
        assert!(files.iter().any(|f| f == want), "{want} is not in the package: {files:?}");
        assert!(Path::new(want).exists(), "{want} was not installed");
    }
    let entry = std::fs::read_to_string("/usr/share/applications/Ling.desktop").unwrap();
    for line in ["Name=Ling", "Exec=ling", "Icon=ling", "Type=Application"] {
        assert!(entry.lines().any(|l| l == line), "the launcher entry lacks {line}: {entry}");
    }

    // The installed app, started with a release server to look at.
    let server = ServerProcess::start();
    let people = friends_of_the_first(&server, &["amy"]);
    let releases = UpdateServer::start().await;
    let publisher = Signer::generate();
    let forger = Signer::generate();
    let endpoint = releases.endpoint();
    let desktop = Desktop::start_app(
        INSTALLED_APP.into(),
        &[("LING_UPDATE_ENDPOINT", &endpoint), ("LING_UPDATE_PUBKEY", &publisher.pubkey)],
    );
    let app = desktop.launch().await;
    app.wait("[data-testid=server-setup] input[name=address]").await;
    let shot = app.screenshot("installed-first-run").await;
    drawn(&shot).unwrap();

    // The first run; then the settings, where it has looked for updates.
    app.log_in(&server.address(), "amy", &people[0].password).await;
    app.click("[data-testid=nav-settings]").await;
    app.until_true("up to date", "document.querySelector('[data-testid=update]')?.dataset.state === 'up_to_date'")
        .await;

    // A release whose signature is not the publisher's is refused.
    let work = tempfile::tempdir().unwrap();
    let next = work.path().join("Ling_0.1.1_amd64.deb");
    repack(&deb, "0.1.1", &next);
    let bytes = std::fs::read(&next).unwrap();
    releases.announce(
        "0.1.1",
        "A forged release.",
        "Ling_0.1.1_amd64.deb",
        bytes.clone(),
        &forger.sign(&next, "0.1.1"),
    );
    app.click("[data-testid=update-check]").await;
    app.click("[data-testid=update-install]").await;
    app.until_true(
        "the forged update refused",
        "document.querySelector('[data-testid=update] [role=alert]')?.dataset.code === 'update_bad_signature'",
    )
    .await;
    assert_eq!(releases.downloads(), 1);
    assert_eq!(installed_version().as_deref(), Some(version.as_str()), "nothing was installed");

    // The publisher's release: the app installs it and restarts as it.
    releases.announce("0.1.1", "Fewer bugs.", "Ling_0.1.1_amd64.deb", bytes, &publisher.sign(&next, "0.1.1"));
    let before = installed_app_pids();
    assert!(!before.is_empty(), "the installed app runs");
    app.click("[data-testid=update-install]").await;
    eventually("0.1.1 installed", async || match installed_version() {
        Some(v) if v == "0.1.1" => Ok(()),
        other => Err(format!("installed: {other:?}")),
    })
    .await;
    let restarted = eventually("the app restarted", async || {
        let now = installed_app_pids();
        let fresh: Vec<u32> = now.iter().copied().filter(|p| !before.contains(p)).collect();
        if fresh.is_empty() || now.iter().any(|p| before.contains(p)) {
            Err(format!("running: {now:?}, before: {before:?}"))
        } else {
            Ok(fresh)
        }
    })
    .await;
    // A freshly installed binary starts cold (nothing of it in the page
    // cache yet): more time than a step in the UI.
    wait_explained(&desktop, "the restarted app back, logged in", 2 * STEP, || back_logged_in(&desktop, &restarted));
    drop(app);
    // The new version's window, drawn (the screen as a whole: this app is
    // not under WebDriver): the conversations, no login.
    let after = desktop.shots.join("installed-after-update.png");
    wait_explained(&desktop, "the restarted app drawn", STEP, || {
        let out = Command::new("import")
            .args(["-window", "root"])
            .arg(&after)
            .env("DISPLAY", &desktop.x.display)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        drawn(&after)
    });

    // Quit, then remove: the package's files go, the person's data stays.
    let _ = Command::new("kill").arg("-TERM").args(restarted.iter().map(u32::to_string)).status();
    let deadline = Instant::now() + STEP;
    while !installed_app_pids().is_empty() {
        assert!(Instant::now() < deadline, "the app did not quit");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Everything the app keeps: its data (the account's cache among it) and settings.
    let home = desktop.home.path();
    let data = || [snapshot(&home.join(".local/share")), snapshot(&home.join(".config"))];
    // WebKit's helper processes may outlive the app by a moment and write
    // their last files (a storage origin) then: the data is what it is once
    // it stops changing.
    let mut kept = data();
    let deadline = Instant::now() + STEP;
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = data();
        if now == kept {
            break;
        }
        assert!(Instant::now() < deadline, "the app's data kept changing after it quit");
        kept = now;
    }
    assert!(kept[0].keys().any(|f| f.ends_with("cache.db")), "the account's cache: {:?}", kept[0]);
    ok(&["dpkg", "-r", "ling"]);
    assert_eq!(installed_version(), None);
    for f in &files {
        let p = Path::new(f);
        assert!(!p.is_file(), "{f} is still there after removal");
    }
    assert_eq!(data(), kept, "removing the app left the data alone");
    ok(&["dpkg", "--purge", "ling"]);
    assert_eq!(data(), kept, "purging the package left the data alone");
}

#[test]
#[ignore = "needs the packages: run by scripts/test-package.sh"]
fn test_the_rpm_and_the_server_tarball_hold_what_they_ship() {
    // The .rpm: the app, its launcher entry and icon, under the workspace's version.
    let rpm = built(&format!("Ling-{VERSION}-"), ".rpm");
    let rpm = rpm.to_string_lossy();
    assert_eq!(
        run("rpm", &["-qp", "--qf", "%{NAME} %{VERSION}", &rpm]),
        format!("ling {VERSION}"),
        "the package is named as the .deb is"
    );
    let files = run("rpm", &["-qlp", &rpm]);
    for want in SHIPPED {
        assert!(files.lines().any(|f| f == want), "{want} is not in the .rpm: {files}");
    }
    let requires = run("rpm", &["-qp", "--requires", &rpm]);
    assert!(requires.contains("libayatana-appindicator-gtk3"), "the tray's library is required: {requires}");

    // The server's tarball: the binary, its systemd unit and the guide.
    let tarball = built(&format!("ling-server-{VERSION}-linux-"), ".tar.gz");
    let dir = tempfile::tempdir().unwrap();
    run("tar", &["-xzf", &tarball.to_string_lossy(), "-C", &dir.path().to_string_lossy()]);
    let name = tarball.file_name().unwrap().to_string_lossy().trim_end_matches(".tar.gz").to_owned();
    let root = dir.path().join(name);
    let server = root.join("ling-server");
    assert_eq!(run(&server.to_string_lossy(), &["--version"]).trim(), format!("ling-server {VERSION}"));
    let guide = std::fs::read_to_string(root.join("server.md")).expect("the guide");
    assert!(guide.contains("ling-server.service"), "the guide explains the unit");
    // The unit as systemd reads it, pointed at the binary where it lies here:
    // no warnings at all.
    let unit = std::fs::read_to_string(root.join("ling-server.service")).expect("the systemd unit");
    assert!(unit.lines().any(|l| l == "ExecStart=/usr/local/bin/ling-server"), "{unit}");
    let here = dir.path().join("ling-server.service");
    std::fs::write(&here, unit.replace("/usr/local/bin/ling-server", &server.to_string_lossy())).unwrap();
    let out = Command::new("systemd-analyze").arg("verify").arg(&here).output().expect("systemd-analyze runs");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "systemd-analyze verify: {said}");
}
