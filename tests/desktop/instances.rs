//! One app per profile: closing the window keeps Ling running (tray), a
//! second launch shows the window and exits, and a named profile runs beside
//! it with its own window and data.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use ling_e2e::desktop::{CONTROL, Desktop, Process, STEP};

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + STEP;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the process did not exit");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A directory named `name` somewhere under `root`.
fn find_dir(root: &Path, name: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(root).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == name) {
                return Some(path);
            }
            if let Some(found) = find_dir(&path, name) {
                return Some(found);
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_close_keeps_running_a_second_launch_shows_the_window_and_profiles_run_side_by_side() {
    let desktop = Desktop::start();
    let app = desktop.launch().await;
    app.wait("[data-testid=server-setup]").await;
    desktop.wait_shown_windows("^Ling$", 1);

    // Ctrl+W closes the window the way its close button does: Ling keeps
    // running (in the tray) and still answers.
    app.type_into("input[name=address]", &format!("{CONTROL}w{CONTROL}")).await;
    desktop.wait_shown_windows("^Ling$", 0);
    app.wait("[data-testid=server-setup]").await;

    // Launching Ling again shows the running window and exits.
    let mut second = desktop.spawn_app(&[]);
    assert!(wait_exit(&mut second).success(), "the second launch hands over and exits cleanly");
    desktop.wait_shown_windows("^Ling$", 1);

    // A named profile is an instance of its own, beside the first.
    let mut work = desktop.spawn_app(&["--profile", "work"]);
    let deadline = Instant::now() + 2 * STEP;
    let data = loop {
        if let Some(status) = work.try_wait().unwrap() {
            let log = std::fs::read_to_string(desktop.spawned_log(&["--profile", "work"])).unwrap_or_default();
            panic!("the work profile exited ({status}):\n{log}");
        }
        if let Some(dir) = find_dir(desktop.home.path(), "work") {
            break dir;
        }
        assert!(Instant::now() < deadline, "the work profile made no data directory");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(data.parent().unwrap().ends_with("profiles"), "{}", data.display());
    // Its window says which profile it is; the first one is still there.
    desktop.wait_shown_windows("work$", 1);
    // Waited for, not read once: while the new window maps, a search can
    // miss the first one for a moment on a loaded machine (seen once, with
    // a build running beside the tests).
    desktop.wait_shown_windows("^Ling$", 1);
    assert!(work.try_wait().unwrap().is_none(), "the work profile keeps running beside the first");
    drop(Process(work));
    app.quit().await;
}
