//! A chat opens where its unread messages begin: the "N new messages" marker
//! at the top, older pages loaded as far back as needed; it is read once its
//! end has been seen; then a reply, a recall, an edit, reactions both ways,
//! the message menu and shortcuts, two messages forwarded, a pin, a message
//! deleted for oneself, a link sent with its preview (and one without), voice
//! messages recorded, previewed, sent, received and played (seek, speed)
//! and a search of the history.
//! (On the way in, a forgotten password is reset with the recovery code.)

use ling_e2e::desktop::{ARROW_UP, App, CONTROL, Desktop, ENTER, ESCAPE, NO_KEY};
use ling_e2e::{ServerProcess, friends_of_the_first};
use serde_json::json;

const UNREAD: usize = 70;

/// Whether the element `css` with `text` (or any, with "") lies within the
/// history's viewport: a script expression.
fn in_view(css: &str, text: &str) -> String {
    format!(
        "(() => {{
            const h = document.querySelector('[data-testid=history]')?.getBoundingClientRect();
            if (!h) return false;
            const e = [...document.querySelectorAll({css})].find(e => e.textContent.includes({text}));
            if (!e) return false;
            const r = e.getBoundingClientRect();
            return r.height > 0 && r.top >= h.top - 1 && r.bottom <= h.bottom + 1;
        }})()",
        css = json!(css),
        text = json!(text),
    )
}

/// A news page with a preview on loopback (the window tests' app allows
/// loopback previews); its address.
async fn article_site() -> String {
    let cover = {
        let img = image::RgbImage::from_fn(600, 315, |x, y| {
            image::Rgb([(40 + x * 120 / 600) as u8, (90 + y * 100 / 315) as u8, (200 - x * 60 / 600) as u8])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let page = axum::response::Html(
        r#"<html><head><title>Ling 1.0</title>
           <meta property="og:title" content="Ling 1.0 is out: chat that is light, fast and yours">
           <meta property="og:description" content="A native desktop app and a server you run: edits, reactions, mentions, calls and more.">
           <meta property="og:site_name" content="Ling News">
           <meta property="og:image" content="/cover.png"></head><body>Ling 1.0</body></html>"#,
    );
    let site = axum::Router::new()
        .route("/article", axum::routing::get(move || async move { page }))
        .route("/cover.png", axum::routing::get(move || async move { ([("content-type", "image/png")], cover) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, site).await });
    format!("http://{addr}/article")
}

/// Right-clicks the message that says `text`: its menu opens.
async fn open_menu(app: &App<'_>, text: &str) {
    app.js(
        "const m = [...document.querySelectorAll('[data-testid=message]')].find(e => e.textContent.includes(arguments[0]));
         const r = m.getBoundingClientRect();
         m.dispatchEvent(new MouseEvent('contextmenu', {bubbles: true, cancelable: true, clientX: r.left + 20, clientY: r.top + 5}));",
        vec![json!(text)],
    )
    .await;
    app.wait("[data-testid=message-menu]").await;
}

/// What crossed the IPC seam since last asked (commands invoked, events
/// handled, by name), and starts counting again.
async fn seam(app: &App<'_>) -> serde_json::Value {
    app.js(
        "const s = window.__lingSeam; const out = JSON.parse(JSON.stringify(s));
         s.invokes = {}; s.events = {}; s.kinds = {}; s.views = [];
         return out;",
        vec![],
    )
    .await
}

/// The sum of a `{name: count}` object's counts.
fn total(counts: &serde_json::Value) -> u64 {
    counts.as_object().map(|o| o.values().filter_map(serde_json::Value::as_u64).sum()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_a_chat_opens_at_its_first_unread_message_and_is_read_at_its_end() {
    let server = ServerProcess::start();
    // The app records a tone where a microphone would be.
    let desktop = Desktop::start_with(&[("LING_MEDIA", "tone:523")]);
    let people = friends_of_the_first(&server, &["amy", "bob"]);
    let [amy_phone, bob] = &people[..] else { unreachable!() };
    for i in 1..=UNREAD {
        bob.ok(&["send", "amy", &format!("line {i:03}")]);
    }

    // Amy forgot her password: she sets a new one with her recovery code,
    // keeps the new code, and logs in with the new password.
    let old_code = amy_phone.recovery_code.get().expect("registered");
    let app = desktop.launch().await;
    app.choose_server(&server.address()).await;
    app.click("[data-testid=auth-login] button[name=to-forgot]").await;
    app.type_into("[data-testid=auth-forgot] input[name=username]", "amy").await;
    app.type_into("input[name=recovery-code]", old_code).await;
    app.type_into("input[name=password]", "a new password").await;
    app.type_into("input[name=password2]", "a new password").await;
    app.click("[data-testid=auth-forgot] button[type=submit]").await;
    let code = app.wait("[data-testid=recovery-code-value]").await.text().await.unwrap();
    assert_eq!(code.trim().len(), old_code.len(), "a new code: {code}");
    assert_ne!(code.trim(), old_code.as_str());
    app.click("button[name=code-kept]").await;
    let username = app.wait("[data-testid=auth-login] input[name=username]").await.prop("value").await.unwrap();
    assert_eq!(username.as_deref(), Some("amy"), "the login form keeps the name");
    app.type_into("[data-testid=auth-login] input[name=password]", "a new password").await;
    app.click("[data-testid=auth-login] button[type=submit]").await;
    app.wait("[data-testid=conversation-list]").await;
    // Bob's messages, and the note that they are friends now.
    let unread = app
        .until(
            "Bob's chat with its unread count",
            &format!(
                "const b = document.querySelector('[data-testid=conversation] [data-testid=unread]');
                 return b && Number(b.textContent) >= {UNREAD} ? b.textContent : null;"
            ),
            vec![],
        )
        .await;
    let unread = unread.as_str().unwrap().to_owned();
    app.open_chat("Bob").await;

    // The marker is in view with the first unread message under it, past
    // the newest page (loaded back); the newest message is not in view.
    app.until_true("the new-messages marker in view", &in_view(".unread-marker", &unread)).await;
    app.until_true("the first unread message in view", &in_view("[data-testid=message]", "line 001")).await;
    let newest_in_view = app.js(&format!("return {}", in_view("[data-testid=message]", "line 070")), vec![]).await;
    assert_eq!(newest_in_view, json!(false));
    app.wait("[data-testid=jump-latest]").await;
    app.screenshot("chat-unread").await;

    // Still unread until the end has been seen; then read.
    let badge = app.texts("[data-testid=conversation] [data-testid=unread]").await;
    assert_eq!(badge, [unread]);
    desktop.focus_window("Ling");
    app.click("[data-testid=jump-latest]").await;
    app.until_true("the newest message in view", &in_view("[data-testid=message]", "line 070")).await;
    app.until_true("the chat read", "!document.querySelector('[data-testid=conversation] [data-testid=unread]')").await;

    // What a message costs at the IPC seam with the chat open: one received
    // (shown, read), one sent (shown, acknowledged).
    seam(&app).await;
    bob.ok(&["send", "amy", "one more"]);
    app.until_true(
        "one more, shown and read",
        &format!(
            "{} && !document.querySelector('[data-testid=conversation] [data-testid=unread]')",
            in_view("[data-testid=message]", "one more")
        ),
    )
    .await;
    let received = seam(&app).await;
    app.type_into("[data-testid=composer-input]", &format!("and one from me{ENTER}")).await;
    app.until_true(
        "and one from me, sent and in the list",
        "[...document.querySelectorAll('[data-testid=message][data-status=sent]')].some(e => e.textContent.includes('and one from me'))
         && document.querySelector('[data-testid=conversation]').textContent.includes('and one from me')",
    )
    .await;
    let sent = seam(&app).await;
    eprintln!("the seam, a message received: {received}\nthe seam, a message sent: {sent}");
    // Received in the chat read live: read by the core as it is stored, so
    // no round trip; one event carrying its row and its chat's entry
    // (arrived read), no other (Bob's command line coming and going shows
    // as presence, not counted).
    assert_eq!(total(&received["invokes"]), 0, "{received}");
    assert_eq!(received["events"]["ling://views"], 1, "{received}");
    assert_eq!(total(&received["kinds"]) - received["kinds"]["presence"].as_u64().unwrap_or(0), 0, "{received}");
    // Sent: the send (and the typing notice); the echo and its ack, each
    // with the chat's entry, as two events, nothing else.
    assert_eq!(sent["invokes"]["send_text"], 1, "{sent}");
    assert!(total(&sent["invokes"]) <= 2, "{sent}");
    assert!(sent["events"]["ling://views"].as_u64() <= Some(2), "{sent}");
    assert_eq!(total(&sent["kinds"]), 0, "{sent}");

    // A reply to Bob's last line reaches him as a reply to it.
    let replied_seq = app
        .until(
            "Reply on line 070",
            "const m = [...document.querySelectorAll('[data-testid=message]')].find(e => e.textContent.includes('line 070'));
             const b = m?.querySelector('button[title=Reply]');
             if (b) b.click();
             return b ? Number(m.dataset.seq) : null;",
            vec![],
        )
        .await;
    app.type_into("[data-testid=composer-input]", &format!("got them all{ENTER}")).await;
    app.until_true(
        "the reply sent",
        "[...document.querySelectorAll('[data-testid=message][data-status=sent]')].some(e => e.textContent.includes('got them all'))",
    )
    .await;
    let reply =
        bob.history("amy", 3).into_iter().find(|m| m["content"]["text"] == "got them all").expect("Bob has the reply");
    assert_eq!(reply["reply_to"], replied_seq, "{reply}");

    // Recalled: gone on both sides.
    app.until(
        "Recall on the reply",
        "const m = [...document.querySelectorAll('[data-testid=message]')].find(e => e.textContent.includes('got them all'));
         const b = m?.querySelector('button[title=Recall]');
         if (b) b.click();
         return !!b;",
        vec![],
    )
    .await;
    app.until_true(
        "the reply recalled",
        "document.querySelector('[data-testid=history]').textContent.includes('You recalled a message')
         && !document.querySelector('[data-testid=history]').textContent.includes('got them all')",
    )
    .await;
    let recalled = bob.history("amy", 5);
    assert!(recalled.iter().any(|m| m["content"]["kind"] == "recalled"), "{recalled:?}");
    assert!(!recalled.iter().any(|m| m["content"]["text"] == "got them all"), "{recalled:?}");

    // Up in the empty composer edits her last text: Bob gets the new text, marked edited.
    app.type_into("[data-testid=composer-input]", ARROW_UP).await;
    app.wait("[data-testid=editing]").await;
    app.type_into("[data-testid=composer-input]", &format!("{CONTROL}a{NO_KEY}")).await;
    app.type_into("[data-testid=composer-input]", &format!("and one from me, edited{ENTER}")).await;
    let edited_seq = app
        .until(
            "the edit shown, marked edited",
            "const m = [...document.querySelectorAll('[data-testid=message]')]
                 .find(e => e.textContent.includes('and one from me, edited') && e.querySelector('[data-testid=edited]'));
             return m && !document.querySelector('[data-testid=editing]') ? Number(m.dataset.seq) : null;",
            vec![],
        )
        .await;
    let history = bob.history("amy", 8);
    let edited = history.iter().find(|m| m["seq"] == edited_seq).expect("Bob has the message");
    assert_eq!(edited["content"]["text"], "and one from me, edited", "{edited}");
    assert!(edited["changes"]["edited"].is_object(), "{edited}");
    // Amy reacts to Bob's line from the quick row; Bob reacts to hers.
    app.until(
        "React on one more",
        "const m = [...document.querySelectorAll('[data-testid=message]')].find(e => e.textContent.includes('one more'));
         const b = m?.querySelector('[data-testid=react]');
         if (b) b.click();
         return !!b;",
        vec![],
    )
    .await;
    app.wait("[data-testid=quick-reactions]").await;
    app.screenshot("quick-reactions").await;
    app.click("[data-testid=quick-reactions] [data-emoji='👍']").await;
    app.until_true(
        "Amy's reaction shown",
        "[...document.querySelectorAll('[data-testid=message]')].some(e => e.textContent.includes('one more')
            && e.parentElement.querySelector('[data-testid=reaction].mine'))",
    )
    .await;
    let conv = edited["conversation_id"].as_i64().unwrap();
    bob.ok(&["react", &format!("#{conv}:{edited_seq}"), "🎉"]);
    app.until_true(
        "Bob's reaction on Amy's message",
        "[...document.querySelectorAll('[data-testid=reaction][data-emoji=\"🎉\"]')].some(r => r.textContent.includes('1'))",
    )
    .await;
    let history = bob.history("amy", 8);
    let one_more = history.iter().find(|m| m["content"]["text"] == "one more").expect("one more");
    assert_eq!(one_more["changes"]["reactions"][0]["emoji"], "👍", "{one_more}");
    app.screenshot("reactions").await;

    // Every action is also in the message's right-click menu.
    open_menu(&app, "line 070").await;
    let items = app.texts("[data-testid=message-menu] [role=menuitem]").await;
    assert_eq!(items.len(), 7, "someone else's line: reply, react, forward, select, pin, copy, delete: {items:?}");
    app.click("[data-testid=menu-react]").await;
    app.wait("[data-testid=quick-reactions]").await;
    app.type_into("[data-testid=composer-input]", ESCAPE).await;
    app.until_true("the quick row closed by Esc", "!document.querySelector('[data-testid=quick-reactions]')").await;
    // Ctrl+/ lists the shortcuts; Esc closes the sheet.
    app.type_into("[data-testid=composer-input]", &format!("{CONTROL}/{NO_KEY}")).await;
    app.wait("[data-testid=shortcuts-sheet]").await;
    app.screenshot("shortcuts").await;
    app.type_into("[data-testid=composer-input]", ESCAPE).await;
    app.until_true("the sheet closed", "!document.querySelector('[data-testid=shortcuts-sheet]')").await;

    // Two of Bob's lines chosen and forwarded (here back to him): marked, in order.
    open_menu(&app, "line 069").await;
    app.click("[data-testid=menu-select]").await;
    app.wait("[data-testid=selection-bar]").await;
    app.until(
        "line 070 chosen too",
        "const m = [...document.querySelectorAll('[data-testid=message]')].find(e => e.textContent.includes('line 070'));
         const c = m?.querySelector('[data-testid=select-message]');
         if (c && !c.checked) c.click();
         return c?.checked ? true : null;",
        vec![],
    )
    .await;
    app.click("[data-testid=forward-selected]").await;
    app.wait("[data-testid=forward-dialog]").await;
    app.click("[data-testid=forward-target]").await;
    app.screenshot("forward").await;
    app.click("[data-testid=forward-send]").await;
    app.until_true(
        "both forwarded and sent",
        "!document.querySelector('[data-testid=forward-dialog]') && !document.querySelector('[data-testid=selection-bar]')
         && [...document.querySelectorAll('[data-testid=message][data-status=sent]')]
              .filter(e => e.querySelector('[data-testid=forwarded]')).length === 2",
    )
    .await;
    let forwarded: Vec<_> = bob.history("amy", 4).into_iter().filter(|m| m["forwarded"] == true).collect();
    let texts: Vec<_> = forwarded.iter().map(|m| m["content"]["text"].as_str().unwrap_or_default()).collect();
    assert_eq!(texts, ["line 069", "line 070"], "{forwarded:?}");

    // Amy pins a line: the bar shows it and jumps to it; Bob gets the note; unpinned from the bar.
    open_menu(&app, "line 066").await;
    app.click("[data-testid=menu-pin]").await;
    app.until_true(
        "the pinned bar",
        "document.querySelector('[data-testid=pinned-bar]')?.textContent.includes('line 066')
         && document.querySelector('[data-testid=history]').textContent.includes('You pinned a message')",
    )
    .await;
    app.screenshot("pinned").await;
    app.click("[data-testid=pinned-jump]").await;
    app.until_true("the pinned line in view", &in_view("[data-testid=message][data-pinned=true]", "line 066")).await;
    let notes = bob.history("amy", 3);
    assert!(notes.iter().any(|m| m["content"]["event"]["event"] == "message_pinned"), "{notes:?}");
    app.click("[data-testid=pinned-unpin]").await;
    app.until_true("the bar gone", "!document.querySelector('[data-testid=pinned-bar]')").await;

    // Deleted for Amy only: gone from her chat, still on Bob's side.
    open_menu(&app, "line 068").await;
    app.click("[data-testid=menu-delete]").await;
    app.until_true(
        "line 068 gone for Amy",
        "![...document.querySelectorAll('[data-testid=message]')].some(e => e.textContent.includes('line 068'))",
    )
    .await;
    assert!(bob.history("amy", 30).iter().any(|m| m["content"]["text"] == "line 068"), "Bob keeps it");

    // A link gets its preview in the composer once typing pauses; it is sent
    // with the text, and Bob gets it (his side never fetches the page).
    let article = article_site().await;
    app.type_into("[data-testid=composer-input]", &format!("read this: {article}")).await;
    app.until_true(
        "the preview in the composer",
        "document.querySelector('[data-testid=composer-preview]')?.textContent.includes('Ling 1.0 is out')",
    )
    .await;
    app.type_into("[data-testid=composer-input]", ENTER).await;
    app.until_true(
        "the text sent with its preview card",
        "[...document.querySelectorAll('[data-testid=message][data-status=sent]')].some(e => e.textContent.includes('read this')
            && e.querySelector('[data-testid=link-card] img')?.naturalWidth > 0)",
    )
    .await;
    app.screenshot("link-preview").await;
    let history = bob.history("amy", 3);
    let sent = history.iter().find(|m| m["content"]["text"] == format!("read this: {article}")).expect("Bob has it");
    assert_eq!(sent["content"]["preview"]["site"], "Ling News", "{sent}");
    assert_eq!(sent["content"]["preview"]["image"]["file"]["mime"], "image/png", "{sent}");
    // The preview taken away before sending: the text goes alone.
    app.type_into("[data-testid=composer-input]", &format!("again, bare: {article}?again")).await;
    app.wait("[data-testid=preview-dismiss]").await;
    app.click("[data-testid=preview-dismiss]").await;
    app.type_into("[data-testid=composer-input]", ENTER).await;
    app.until_true(
        "the bare link sent",
        "[...document.querySelectorAll('[data-testid=message][data-status=sent]')].some(e => e.textContent.includes('again, bare'))",
    )
    .await;
    let history = bob.history("amy", 3);
    let bare = history.iter().find(|m| m["content"]["text"].as_str().is_some_and(|t| t.starts_with("again, bare")));
    assert!(bare.is_some_and(|m| m["content"].get("preview").is_none()), "{history:?}");

    // A voice message: recorded (the level moves, the time counts), stopped,
    // previewed, sent; Bob gets Opus in Ogg with its length and waveform.
    // (One thrown away first leaves the composer as it was.)
    app.click("[data-testid=record-voice]").await;
    app.wait("[data-testid=recorder][data-phase=recording]").await;
    app.click("[data-testid=voice-discard]").await;
    app.until_true(
        "the recording thrown away",
        "!document.querySelector('[data-testid=recorder]') && !!document.querySelector('[data-testid=composer-input]')",
    )
    .await;
    app.click("[data-testid=record-voice]").await;
    app.until_true(
        "a second recorded",
        "document.querySelector('[data-testid=recording-time]')?.textContent.includes('0:01')",
    )
    .await;
    app.screenshot("voice-recording").await;
    app.click("[data-testid=voice-stop]").await;
    app.wait("[data-testid=recorder][data-phase=recorded] [data-testid=voice-note]").await;
    app.click("[data-testid=recorder] [data-testid=voice-play]").await;
    app.until_true(
        "the preview played to its end",
        "(() => { const n = document.querySelector('[data-testid=recorder] [data-testid=voice-note]');
                  if (n?.dataset.playing === 'true') window.__previewPlayed = true;
                  return !!window.__previewPlayed && n?.dataset.playing === 'false'; })()",
    )
    .await;
    app.click("[data-testid=voice-send]").await;
    app.until_true(
        "the voice message sent",
        "!document.querySelector('[data-testid=recorder]')
         && [...document.querySelectorAll('[data-testid=message][data-status=sent]')].some(e => e.querySelector('[data-testid=voice-note]'))",
    )
    .await;
    let history = bob.history("amy", 3);
    let note = history.iter().find(|m| m["content"]["kind"] == "voice").expect("Bob has the voice message");
    assert_eq!(note["content"]["file"]["mime"], "audio/opus", "{note}");
    assert!(note["content"]["duration_ms"].as_u64().is_some_and(|d| d >= 1000), "{note}");
    assert!(note["content"]["waveform"].as_array().is_some_and(|w| !w.is_empty()), "{note}");
    // Bob answers with one of his own: Amy plays it, faster, then from its middle.
    let out = bob
        .spawn_with(&["send-voice", "amy", "--seconds", "3"], &[("LING_MEDIA", "tone:660")])
        .wait_with_output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs = "[...document.querySelectorAll('[data-testid=message]')].filter(e => !e.classList.contains('own'))
                    .map(e => e.querySelector('[data-testid=voice-note]')).filter(Boolean).pop()";
    app.until_true("Bob's voice message", &format!("!!{theirs}")).await;
    app.js(&format!("{theirs}.querySelector('[data-testid=voice-play]').click()"), vec![]).await;
    app.until_true("it plays", &format!("{theirs}.dataset.playing === 'true'")).await;
    app.js(&format!("{theirs}.querySelector('[data-testid=voice-speed]').click()"), vec![]).await;
    app.until_true(
        "at 1.5x",
        &format!("{theirs}.querySelector('[data-testid=voice-speed]').textContent.includes('1.5')"),
    )
    .await;
    app.js(
        &format!(
            "const w = {theirs}.querySelector('[data-testid=voice-wave]'); const r = w.getBoundingClientRect();
             w.dispatchEvent(new MouseEvent('click', {{bubbles: true, clientX: r.left + r.width * 0.6, clientY: r.top + 5}}));"
        ),
        vec![],
    )
    .await;
    app.until_true("played on from past the middle", &format!("Number({theirs}.dataset.position) >= 1800")).await;
    app.screenshot("voice-note").await;

    // The history is searched in full text (Ctrl+F), the older lines included.
    app.type_into("[data-testid=composer-input]", &format!("{CONTROL}f{NO_KEY}")).await;
    app.type_into("[data-testid=search-input]", &format!("line 042{ENTER}")).await;
    app.until_true(
        "a search hit for line 042",
        "[...document.querySelectorAll('[data-testid=search-hit]')].some(e => e.textContent.includes('line 042'))",
    )
    .await;
    app.quit().await;
}
