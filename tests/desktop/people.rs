//! Contacts, groups and settings in the window: a remark and a friend group,
//! a group made, staffed, someone in it mentioned and the group dissolved, the
//! profile renamed, another device
//! signed out, notifications switched off, the microphone's meter and the speaker's test
//! chime; the other people (`ling-cli`) see
//! each change through the server.

use ling_e2e::desktop::{App, CONTROL, Desktop, ENTER, eventually};
use ling_e2e::{Cli, ServerProcess, friends_of_the_first};
use serde_json::json;

/// Clicks the first `css` element whose text contains `text`.
async fn click_text(app: &App<'_>, css: &str, text: &str) {
    app.until(
        &format!("{css} with {text}"),
        "const e = [...document.querySelectorAll(arguments[0])].find(e => e.textContent.includes(arguments[1]));
         if (e) e.click();
         return !!e;",
        vec![json!(css), json!(text)],
    )
    .await;
}

/// Replaces the text of the input `css`.
async fn retype(app: &App<'_>, css: &str, text: &str) {
    app.type_into(css, &format!("{CONTROL}a{CONTROL}{text}")).await;
}

/// Waits until `cli`'s output of `args` contains `text` (it syncs on each run).
fn cli_until(cli: &Cli, args: &[&str], text: &str) -> String {
    let deadline = std::time::Instant::now() + ling_e2e::desktop::STEP;
    loop {
        let out = cli.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if stdout.contains(text) {
            return stdout;
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(std::time::Instant::now() < deadline, "ling-cli {args:?} never showed {text:?}: {stdout}{stderr}");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_contacts_groups_and_settings_change_through_the_window() {
    let server = ServerProcess::start();
    // A tone stands in for the microphone.
    let desktop = Desktop::start_with(&[("LING_MEDIA", "tone:440")]);
    // Amy's other device (the cli) makes her friends with Bob and Carol.
    let people = friends_of_the_first(&server, &["amy", "bob", "carol"]);
    let [amy_phone, bob, carol] = &people[..] else { unreachable!() };

    // Amy logs in on the desktop.
    let app = desktop.launch().await;
    app.log_in(&server.address(), "amy", &amy_phone.password).await;

    // A remark for Bob, and a friend group made from his card.
    app.click("[data-testid=nav-contacts]").await;
    click_text(&app, "[data-testid=friend]", "Bob").await;
    app.type_into("[data-testid=remark-input]", "Bobby").await;
    app.click("[data-testid=remark-save]").await;
    app.until_true(
        "the remark in the list",
        "[...document.querySelectorAll('[data-testid=friend]')].some(e => e.textContent.includes('Bobby'))",
    )
    .await;
    app.js(
        "const s = document.querySelector('[data-testid=friend-group-select]');
         s.value = 'new'; s.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![],
    )
    .await;
    app.type_into("[data-testid=friend-group-name]", "Work\u{E007}").await;
    app.until_true(
        "the friend group's heading",
        "[...document.querySelectorAll('.contacts h2')].some(h => h.textContent.includes('Work'))",
    )
    .await;

    // A new group with Bob: its chat opens; Bob's list has it.
    app.click("[data-testid=contacts-new-group]").await;
    app.type_into("[data-testid=new-group-name]", "Launch crew").await;
    click_text(&app, "[data-testid=new-group-friend]", "Bobby").await;
    app.click("[data-testid=new-group-create]").await;
    app.until_true(
        "the group's chat",
        "document.querySelector('[data-testid=chat-title]')?.textContent === 'Launch crew'",
    )
    .await;
    cli_until(bob, &["conversations"], "Launch crew");

    // Its card: an announcement, Carol invited, Bob made an admin.
    app.click("[data-testid=group-info]").await;
    app.wait("[data-testid=group-card]").await;
    app.type_into("[data-testid=announcement-input]", "Standup at 10").await;
    app.click("[data-testid=announcement-save]").await;
    app.until_true(
        "the announcement saved",
        "document.querySelector('[data-testid=announcement-save]').disabled
         && document.querySelector('[data-testid=announcement-input]').value === 'Standup at 10'",
    )
    .await;
    app.click("[data-testid=invite-toggle]").await;
    click_text(&app, "[data-testid=invite-list] label", "Carol").await;
    app.click("[data-testid=invite-send]").await;
    app.until_true("three members", "document.querySelectorAll('[data-testid=member]').length === 3").await;
    cli_until(carol, &["conversations"], "Launch crew");
    app.js("[...document.querySelectorAll('[data-testid=member]')].find(e => e.textContent.includes('Bobby')).querySelector('[data-testid=make-admin]').click()", vec![]).await;
    app.until_true("Bob an admin", "[...document.querySelectorAll('[data-testid=member]')].some(e => e.textContent.includes('Bobby') && e.dataset.role === 'admin')").await;
    app.screenshot("group").await;

    // In the group's chat, "@" offers its members: Amy mentions Carol, who
    // gets a message that names her.
    app.click("[data-testid=message-group]").await;
    app.type_into("[data-testid=composer-input]", "@Car").await;
    app.until_true(
        "Carol offered",
        "[...document.querySelectorAll('[data-testid=mention-option]')].some(e => e.textContent.includes('Carol'))",
    )
    .await;
    app.screenshot("mention").await;
    app.type_into("[data-testid=composer-input]", &format!("{ENTER}see you at 6{ENTER}")).await;
    let conv = app
        .until(
            "the mention sent",
            "const m = [...document.querySelectorAll('[data-testid=message][data-status=sent]')]
                 .find(e => e.textContent.includes('see you at 6'));
             return m ? document.querySelector('[data-testid=conversation].active')?.dataset.conversationId ?? null : null;",
            vec![],
        )
        .await;
    let conv = conv.as_str().expect("the group's conversation id").to_owned();
    let got = carol.history(&format!("#{conv}"), 3);
    let said = got.iter().find(|m| m["content"]["text"] == "@Carol see you at 6").expect("Carol has it");
    assert_eq!(said["mentions"]["user_ids"].as_array().map(Vec::len), Some(1), "{said}");
    app.until_true(
        "the mention marked",
        "[...document.querySelectorAll('[data-testid=message]')]
             .some(e => e.textContent.includes('see you at 6') && e.querySelector('[data-testid=mention]'))",
    )
    .await;
    app.click("[data-testid=nav-contacts]").await;

    // Settings: a new name reaches Bob; the cli device is signed out.
    app.click("[data-testid=nav-settings]").await;
    retype(&app, "[data-testid=display-name-input]", "Amy L.").await;
    app.click("[data-testid=profile-save]").await;
    app.until_true("the new name", "document.querySelector('[data-testid=my-name]').textContent === 'Amy L.'").await;
    cli_until(bob, &["friends"], "Amy L.");
    app.until_true("two devices", "document.querySelectorAll('[data-testid=device]').length === 2").await;
    app.click("[data-testid=device] [data-testid=revoke]").await;
    app.click("[data-testid=revoke-yes]").await;
    app.until_true("one device", "document.querySelectorAll('[data-testid=device]').length === 1").await;
    let signed_out = amy_phone.run(&["conversations"]);
    assert!(!signed_out.status.success(), "the signed-out device is refused");
    // Notifications off, and still off when settings are opened again.
    app.click("[data-testid=notify]").await;
    app.click("[data-testid=nav-chats]").await;
    app.click("[data-testid=nav-settings]").await;
    app.until_true("notifications kept off", "document.querySelector('[data-testid=notify]')?.checked === false").await;
    // The microphone's meter moves with what it hears; the speaker plays its test chime.
    app.click("[data-testid=mic-test]").await;
    app.until_true("the meter moves", "Number(document.querySelector('[data-testid=mic-meter]')?.dataset.level) > 50")
        .await;
    // Noise suppression off: kept, and the sound switches are seen beside the meter.
    app.until_true(
        "the sound switches, all on",
        "[...document.querySelectorAll('[data-testid^=sound-]')].filter((b) => b.checked).length === 3",
    )
    .await;
    app.click("[data-testid=sound-noise_suppression]").await;
    app.js("document.querySelector('[data-testid=mic-meter]').scrollIntoView({block: 'center'})", vec![]).await;
    app.screenshot("settings-devices").await;
    app.click("[data-testid=mic-test]").await;
    app.until_true("the meter stopped", "!document.querySelector('[data-testid=mic-meter]')").await;
    app.click("[data-testid=speaker-test]").await;
    app.until_true(
        "the chime played",
        "(() => { const b = document.querySelector('[data-testid=speaker-test]');
                  if (b.dataset.playing === 'true') window.__chimed = true;
                  return !!window.__chimed && b.dataset.playing === 'false'; })()",
    )
    .await;
    app.js("document.querySelector('.settings').scrollTop = 0", vec![]).await;
    app.screenshot("settings").await;
    // Launch at login: an XDG autostart entry that starts this app, gone again when switched off.
    let entry = desktop.home.path().join(".config/autostart/Ling.desktop");
    app.click("[data-testid=launch-at-login]").await;
    // The entry is created before it is written: wait for its content, not its name.
    let desktop_file = eventually("the autostart entry", async || {
        let text = std::fs::read_to_string(&entry).map_err(|e| format!("{}: {e}", entry.display()))?;
        if text.contains("Exec=") {
            Ok(text)
        } else {
            Err(format!("{} is still being written: {text:?}", entry.display()))
        }
    })
    .await;
    let app_path = &desktop.app;
    assert!(desktop_file.contains(&format!("Exec={}", app_path.display())), "{desktop_file}");
    app.click("[data-testid=nav-chats]").await;
    app.click("[data-testid=nav-settings]").await;
    app.until_true(
        "launch at login kept on",
        "document.querySelector('[data-testid=launch-at-login]')?.checked === true",
    )
    .await;
    app.until_true(
        "noise suppression kept off, the rest on",
        "document.querySelector('[data-testid=sound-noise_suppression]')?.checked === false
           && document.querySelector('[data-testid=sound-echo_cancellation]').checked
           && document.querySelector('[data-testid=sound-auto_gain]').checked",
    )
    .await;
    app.click("[data-testid=launch-at-login]").await;
    eventually(
        "the autostart entry gone",
        async || if entry.exists() { Err("still there".to_owned()) } else { Ok(()) },
    )
    .await;
    // A build without an update endpoint never looks for one.
    app.until_true("updates off", "document.querySelector('[data-testid=update]')?.dataset.state === 'off'").await;

    // The owner dissolves the group: its chat stays, closed to new messages.
    app.click("[data-testid=nav-contacts]").await;
    click_text(&app, "[data-testid=group-entry]", "Launch crew").await;
    app.click("[data-testid=dissolve]").await;
    app.click("[data-testid=dissolve-yes]").await;
    app.wait("[data-testid=group-card] .notice").await;
    app.click("[data-testid=message-group]").await;
    app.wait("[data-testid=group-closed]").await;
    app.quit().await;
}
