//! Desktop notifications through the desktop's notification daemon (a
//! stand-in on the test's session bus): a message from someone else while the
//! window is away is shown, and clicking it brings the window back with that
//! chat open; a muted chat and the settings' switch keep quiet.

use ling_e2e::desktop::{App, CONTROL, Desktop};
use ling_e2e::notifications::NotificationDaemon;
use ling_e2e::{ServerProcess, friends_of_the_first};
use serde_json::json;

/// The list's row for the chat titled `title`: a script expression.
fn row(title: &str) -> String {
    format!(
        "[...document.querySelectorAll('[data-testid=conversation]')].find(e => e.textContent.includes({}))",
        json!(title)
    )
}

/// Closes the window as its close button does: Ling stays in the tray.
async fn close_window(app: &App<'_>) {
    app.type_into("[data-testid=list-filter]", &format!("{CONTROL}w{CONTROL}")).await;
    app.desktop.wait_shown_windows("^Ling$", 0);
}

/// Waits until the chat list previews `text` (it does with the window closed too).
async fn listed(app: &App<'_>, text: &str) {
    app.until(
        &format!("{text} in the chat list"),
        "return document.querySelector('[data-testid=conversation-list]').textContent.includes(arguments[0])",
        vec![json!(text)],
    )
    .await;
}

/// Flips the settings' notifications switch to `on`, then back to the chats.
async fn switch_notifications(app: &App<'_>, on: bool) {
    app.click("[data-testid=nav-settings]").await;
    app.click("[data-testid=notify]").await;
    app.until(
        &format!("notifications {}", if on { "on" } else { "off" }),
        "return document.querySelector('[data-testid=notify]').checked === arguments[0]",
        vec![json!(on)],
    )
    .await;
    app.click("[data-testid=nav-chats]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_notification_clicked_opens_its_chat_and_muted_or_switched_off_stay_quiet() {
    let server = ServerProcess::start();
    let desktop = Desktop::start();
    let daemon = NotificationDaemon::start(&desktop.x.bus).await;
    let people = friends_of_the_first(&server, &["amy", "bob", "carol"]);
    let [amy_phone, bob, carol] = &people[..] else { unreachable!() };
    bob.ok(&["send", "amy", "hi Amy"]);
    carol.ok(&["send", "amy", "hello from Carol"]);

    let app = desktop.launch().await;
    app.log_in(&server.address(), "amy", &amy_phone.password).await;
    listed(&app, "hello from Carol").await;

    // Amy mutes Carol's chat from its right-click menu.
    app.js(
        &format!(
            "{}.dispatchEvent(new MouseEvent('contextmenu', {{ bubbles: true, clientX: 100, clientY: 100 }}))",
            row("Carol")
        ),
        vec![],
    )
    .await;
    app.click("[data-testid=menu-mute]").await;
    app.until("Carol's chat muted", &format!("return !!{}.querySelector('[data-testid=muted]')", row("Carol")), vec![])
        .await;

    // With the window away, Carol's message stays quiet and Bob's is shown.
    close_window(&app).await;
    carol.ok(&["send", "amy", "quiet please"]);
    bob.ok(&["send", "amy", "are you there?"]);
    let shown = daemon.wait_for("are you there?").await;
    assert_eq!(shown.summary, "Bob", "{shown:?}");
    // Events are handled in order: Carol's came first.
    assert!(!daemon.shown().iter().any(|n| n.body.contains("quiet please")), "{:?}", daemon.shown());

    // Clicking it brings the window back with Bob's chat open.
    app.click("[data-testid=nav-settings]").await;
    daemon.click(&shown).await;
    desktop.wait_shown_windows("^Ling$", 1);
    app.until(
        "Bob's chat open",
        "return document.querySelector('[data-testid=chat-title]')?.textContent.includes('Bob')
            && document.querySelector('[data-testid=history]')?.textContent.includes('are you there?')",
        vec![],
    )
    .await;

    // Switched off in the settings: nothing is shown.
    switch_notifications(&app, false).await;
    close_window(&app).await;
    bob.ok(&["send", "amy", "while they are off"]);
    listed(&app, "while they are off").await;

    // On again (the window shown by launching Ling again): shown again, and
    // nothing was shown while they were off.
    let mut again = desktop.spawn_app(&[]);
    assert!(again.wait().unwrap().success());
    desktop.wait_shown_windows("^Ling$", 1);
    switch_notifications(&app, true).await;
    close_window(&app).await;
    bob.ok(&["send", "amy", "back on"]);
    daemon.wait_for("back on").await;
    // (What came before Amy closed the window depends on whether it had the
    // focus: without a window manager, that is up to the X server.)
    let bodies: Vec<String> = daemon.shown().into_iter().map(|n| n.body).collect();
    for quiet in ["quiet please", "while they are off"] {
        assert!(!bodies.iter().any(|b| b.contains(quiet)), "{quiet:?} was notified: {bodies:?}");
    }

    // In Chinese, what is not text is said in the UI's words: a file is
    // "[文件] name" (the core decides what to say, the UI says it).
    desktop.spawn_app(&[]).wait().unwrap();
    desktop.wait_shown_windows("^Ling$", 1);
    app.click("[data-testid=nav-settings]").await;
    app.js(
        "const s = document.querySelector('[data-testid=language]');
         s.value = 'zh-CN';
         s.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![],
    )
    .await;
    app.until_true("the window in Chinese", "document.documentElement.lang === 'zh-CN'").await;
    app.click("[data-testid=nav-chats]").await;
    close_window(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "Bob's notes\n").unwrap();
    bob.ok(&["send-file", "amy", notes.to_str().unwrap()]);
    let shown = daemon.wait_for("[文件] notes.txt").await;
    assert_eq!(shown.summary, "Bob", "{shown:?}");
    app.quit().await;
}
