//! A person's first day with the app: first run → server → register → friend
//! requests both ways → text, image and file both ways → quit and relaunch →
//! logged in at once → history readable with the server stopped.

use std::path::Path;

use ling_e2e::desktop::{App, Desktop, ENTER};
use ling_e2e::{Cli, ServerProcess};
use serde_json::{Value, json};

/// A PNG with a gradient, `w`×`h`.
fn write_png(path: &Path, w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 160]));
    img.save(path).unwrap();
    std::fs::read(path).unwrap()
}

/// Page script: `find(needle)`, the last rendered message whose text
/// contains `needle` or whose image is named `needle`.
const FIND_MESSAGE: &str = "const find = (n) => [...document.querySelectorAll('[data-testid=message]')]
    .filter(e => e.textContent.includes(n) || [...e.querySelectorAll('img')].some(i => i.alt === n)).pop();";

/// The last message in the open chat containing `needle`, as `{kind,
/// status, text}` once it is there.
async fn message_with(app: &App<'_>, needle: &str) -> Value {
    let script = format!(
        "{FIND_MESSAGE}
         const m = find(arguments[0]);
         return m ? {{ kind: m.dataset.kind, status: m.dataset.status, text: m.textContent }} : null;"
    );
    app.until(&format!("a message with {needle}"), &script, vec![json!(needle)]).await
}

/// Waits until the newest message of `kind` in the open chat has `status`.
async fn last_of_kind(app: &App<'_>, kind: &str, status: &str) -> Value {
    app.until(
        &format!("a {status} {kind}"),
        "const m = [...document.querySelectorAll('[data-testid=message][data-kind=' + arguments[0] + ']')].pop();
         return m && m.dataset.status === arguments[1] ? { seq: m.dataset.seq, text: m.textContent } : null;",
        vec![json!(kind), json!(status)],
    )
    .await
}

/// Scrolls the open chat up from where it is until a message containing
/// `needle` is rendered (the list is virtual: only what is in view exists);
/// returns it as `{kind}`.
async fn scroll_to(app: &App<'_>, needle: &str) -> Value {
    let script = format!(
        "{FIND_MESSAGE}
         const m = find(arguments[0]);
         if (m) {{
             m.scrollIntoView({{ block: 'center' }});
             return {{ kind: m.dataset.kind }};
         }}
         const h = document.querySelector('[data-testid=history]');
         const s = [h, ...h.querySelectorAll('*')].find(e => e.scrollHeight > e.clientHeight + 1
             && getComputedStyle(e).overflowY !== 'visible');
         if (s) s.scrollTop = Math.max(0, s.scrollTop - 300);
         return null;"
    );
    app.until(&format!("{needle} in the history"), &script, vec![json!(needle)]).await
}

/// Waits until the image in the message containing `name` has loaded its
/// pixels (over the `ling-file:` scheme).
async fn image_loaded(app: &App<'_>, name: &str) {
    app.until(
        &format!("the image {name} to load"),
        "const img = [...document.querySelectorAll('[data-testid=image] img')].find(i => i.alt === arguments[0]);
         return img && img.complete && img.naturalWidth > 0;",
        vec![json!(name)],
    )
    .await;
}

fn cli_kinds(bob: &Cli) -> Vec<(String, String)> {
    bob.history("amy", 50)
        .iter()
        .map(|v| {
            let c = &v["content"];
            let kind = c["kind"].as_str().unwrap_or_default().to_owned();
            let what = c["text"].as_str().or(c["file"]["name"].as_str()).unwrap_or_default().to_owned();
            (kind, what)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_first_run_register_befriend_chat_files_relaunch_and_read_offline() {
    let mut server = ServerProcess::start();
    let desktop = Desktop::start();
    let work = tempfile::tempdir().unwrap();
    let bob = Cli::new();
    bob.ok(&["server", &server.address()]);
    bob.ok(&["register", "bob", "--display-name", "Bob"]);
    let carol = Cli::new();
    carol.ok(&["server", &server.address()]);
    carol.ok(&["register", "carol", "--display-name", "Carol"]);

    // First run: the server's address, checked, then the account.
    let app = desktop.launch().await;
    app.wait("[data-testid=server-setup]").await;
    app.screenshot("first-run").await;
    app.choose_server(&server.address()).await;
    app.wait("[data-testid=auth-login]").await;
    let on = app.texts("[data-testid=auth-login] .server").await;
    assert!(on[0].contains("E2E"), "the login screen names the server: {on:?}");
    app.click("button[name=to-register]").await;
    app.type_into("[data-testid=auth-register] input[name=username]", "amy").await;
    app.type_into("input[name=display-name]", "Amy").await;
    app.type_into("input[name=password]", "password1").await;
    app.type_into("input[name=password2]", "password1").await;
    app.click("[data-testid=auth-register] button[type=submit]").await;
    let code = app.wait("[data-testid=recovery-code-value]").await.text().await.unwrap();
    assert_eq!(code.trim().len(), 23, "a recovery code to keep: {code}");
    app.screenshot("recovery-code").await;
    app.click("button[name=code-kept]").await;
    app.wait("[data-testid=conversation-list]").await;

    // Friend requests both ways: Amy asks Bob; Carol asks Amy.
    app.click("[data-testid=nav-contacts]").await;
    app.type_into("[data-testid=user-search]", &format!("bob{ENTER}")).await;
    app.click("[data-testid=user-result] [data-testid=add-friend]").await;
    app.until("the request to show as sent", "return !document.querySelector('[data-testid=add-friend]')", vec![])
        .await;
    assert!(bob.ok(&["requests"]).contains("amy"));
    bob.ok(&["accept", "amy"]);
    carol.ok(&["add", "amy"]);
    app.click("[data-testid=incoming-request] [data-testid=accept]").await;
    app.until("two friends", "return document.querySelectorAll('[data-testid=friend]').length === 2", vec![]).await;
    assert!(carol.ok(&["friends"]).contains("amy"));

    // Text both ways.
    app.click("[data-testid=nav-chats]").await;
    app.open_chat("Bob").await;
    // WebDriver types only the Basic Multilingual Plane: the emoji comes from the picker.
    app.type_into("[data-testid=composer-input]", "hello Bob ").await;
    app.click("[data-testid=emoji-button]").await;
    app.until(
        "the emoji picker's search",
        "const root = document.querySelector('emoji-picker')?.shadowRoot;
         const search = root?.querySelector('input.search');
         if (!search) return false;
         search.value = 'wave';
         search.dispatchEvent(new Event('input', { bubbles: true }));
         return true;",
        vec![],
    )
    .await;
    app.until(
        "👋 in the picker",
        "const b = [...document.querySelector('emoji-picker').shadowRoot.querySelectorAll('button.emoji')]
            .find(b => b.textContent.includes('👋'));
         if (b) b.click();
         return !!b;",
        vec![],
    )
    .await;
    // The picker reports a click once it has looked the emoji up: wait for it
    // to reach the composer before sending.
    app.until(
        "👋 in the composer",
        "return document.querySelector('[data-testid=composer-input]').value.includes('👋')",
        vec![],
    )
    .await;
    app.type_into("[data-testid=composer-input]", ENTER).await;
    let sent = message_with(&app, "hello Bob").await;
    assert_eq!(sent["kind"], "text");
    assert!(sent["text"].as_str().unwrap_or_default().contains("hello Bob 👋"), "{sent}");
    last_of_kind(&app, "text", "sent").await;
    let bob_sees = cli_kinds(&bob);
    assert!(bob_sees.contains(&("text".into(), "hello Bob 👋".into())), "{bob_sees:?}");
    bob.ok(&["send", "amy", "你好 Amy，明天开会"]);
    message_with(&app, "你好 Amy，明天开会").await;

    // Amy sends an image and a file through the attach button's file dialog.
    let photo = work.path().join("photo.png");
    let photo_bytes = write_png(&photo, 320, 200);
    app.click("[data-testid=attach-button]").await;
    desktop.answer_file_dialog("Open File", &photo);
    let img = last_of_kind(&app, "image", "sent").await;
    let report = work.path().join("report.pdf");
    let report_bytes: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&report, &report_bytes).unwrap();
    app.click("[data-testid=attach-button]").await;
    desktop.answer_file_dialog("Open File", &report);
    let file = last_of_kind(&app, "file", "sent").await;
    assert!(file["text"].as_str().unwrap().contains("report.pdf"), "{file}");
    let got = work.path().join("bob-got");
    let conversations = bob.ok(&["conversations"]);
    let conv_id = conversations.split_whitespace().find_map(|w| w.strip_prefix('#')).expect("a conversation id");
    for (seq, want) in [(&img["seq"], &photo_bytes), (&file["seq"], &report_bytes)] {
        let path =
            bob.ok(&["download", &format!("#{conv_id}:{}", seq.as_str().unwrap()), "--to", got.to_str().unwrap()]);
        assert_eq!(&std::fs::read(path.trim()).unwrap(), want, "Bob gets Amy's bytes");
    }

    // Bob sends an image and a file; Amy sees the image and saves the file.
    let bob_photo = work.path().join("from-bob.png");
    write_png(&bob_photo, 200, 300);
    bob.ok(&["send-file", "amy", bob_photo.to_str().unwrap()]);
    let bob_notes = work.path().join("notes.txt");
    std::fs::write(&bob_notes, "Bob's notes 笔记\n").unwrap();
    bob.ok(&["send-file", "amy", bob_notes.to_str().unwrap()]);
    image_loaded(&app, "from-bob.png").await;
    message_with(&app, "notes.txt").await;
    app.js(
        "[...document.querySelectorAll('[data-testid=file-card]')].find(e => e.textContent.includes('notes.txt'))
            .querySelectorAll('button')[1].click()",
        vec![],
    )
    .await;
    let saved = work.path().join("saved-notes.txt");
    desktop.answer_file_dialog("Save File", &saved);
    let deadline = std::time::Instant::now() + ling_e2e::desktop::STEP;
    while std::fs::read_to_string(&saved).ok().as_deref() != Some("Bob's notes 笔记\n") {
        assert!(std::time::Instant::now() < deadline, "Amy saved Bob's file byte for byte");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.screenshot("chat").await;
    app.quit().await;

    // Relaunch: logged in at once; then the server goes away and the history
    // is still there, read from the cache.
    let app = desktop.launch().await;
    app.wait("[data-testid=conversation-list]").await;
    assert!(app.texts("[data-testid=server-setup]").await.is_empty(), "no first-run screen");
    server.kill();
    app.open_chat("Bob").await;
    image_loaded(&app, "from-bob.png").await;
    for (needle, kind) in [
        ("notes.txt", "file"),
        ("report.pdf", "file"),
        ("photo.png", "image"),
        ("你好 Amy", "text"),
        ("hello Bob", "text"),
    ] {
        let m = scroll_to(&app, needle).await;
        assert_eq!(m["kind"], kind, "{needle}: {m}");
        if kind == "image" {
            image_loaded(&app, needle).await;
        }
    }
    // The banner goes from "Connecting…" to "Offline" (a new element each).
    app.until(
        "the window to say it is offline",
        "return document.querySelector('[data-testid=banner]')?.textContent.includes('Offline')",
        vec![],
    )
    .await;
    app.click("[data-testid=jump-latest]").await;
    app.until("the newest message in view", "return !document.querySelector('[data-testid=jump-latest]')", vec![])
        .await;
    app.screenshot("offline-history").await;

    // A file sent while offline is listed at once, waiting to upload with
    // its progress bar; Cancel takes it away.
    let waiting = work.path().join("waits.txt");
    std::fs::write(&waiting, "sent once the server is back").unwrap();
    app.click("[data-testid=attach-button]").await;
    desktop.answer_file_dialog("Open File", &waiting);
    let echo = message_with(&app, "waits.txt").await;
    assert_eq!((echo["kind"].as_str(), echo["status"].as_str()), (Some("file"), Some("uploading")), "{echo}");
    app.wait("[data-testid=upload-progress]").await;
    app.screenshot("upload-waiting").await;
    app.click("[data-testid=cancel-upload]").await;
    app.until(
        "the cancelled file to leave the chat",
        "return !document.querySelector('[data-testid=message][data-status=uploading]')",
        vec![],
    )
    .await;
    app.quit().await;
}
