//! The tray, in the system's language: with a panel on the session bus,
//! Ling's icon registers; its menu speaks the window's language (Chinese,
//! from the system's); its label counts the unread messages; "Open" brings
//! the closed window back and "Quit" ends the app.

use std::time::{Duration, Instant};

use ling_e2e::desktop::{CONTROL, Desktop, STEP};
use ling_e2e::tray::TrayHost;
use ling_e2e::{ServerProcess, friends_of_the_first};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_in_chinese_the_tray_counts_unread_messages_and_its_menu_opens_and_quits() {
    let server = ServerProcess::start();
    // (scripts/setup.sh makes the locale.) In a Chinese locale GTK would use
    // XIM, which drops the Shift of WebDriver's synthesized keys (":" arrives
    // as ";"); a person's desktop runs an input method, this one GTK's own.
    let desktop = Desktop::start_with(&[("LANG", "zh_CN.UTF-8"), ("GTK_IM_MODULE", "gtk-im-context-simple")]);
    let tray = TrayHost::start(&desktop.x.bus).await;
    let people = friends_of_the_first(&server, &["amy", "bob"]);
    let [amy_phone, bob] = &people[..] else { unreachable!() };

    // The first screen follows the system's language.
    let app = desktop.launch().await;
    app.wait("[data-testid=server-setup]").await;
    app.until("the page in Chinese", "return document.documentElement.lang === 'zh-CN'", vec![]).await;
    let labels = app.texts("[data-testid=server-setup] button[type=submit]").await;
    assert_eq!(labels, ["继续"]);
    let menu = tray.wait_menu(&["打开翎", "退出"]).await;
    app.log_in(&server.address(), "amy", &amy_phone.password).await;

    // The label beside the icon is the unread count, as on the chats button.
    for text in ["你好 Amy", "明天开会，别忘了带电脑", "🙂"] {
        bob.ok(&["send", "amy", text]);
    }
    let unread = app
        .until(
            "Bob's messages in, unread",
            "const list = document.querySelector('[data-testid=conversation-list]');
             const b = document.querySelector('[data-testid=nav-chats] .badge');
             return list.textContent.includes('🙂') && b && Number(b.textContent) >= 3 ? b.textContent : null;",
            vec![],
        )
        .await;
    tray.wait_label(unread.as_str().unwrap()).await;

    // Read in the window: the label goes.
    desktop.focus_window("Ling");
    app.open_chat("Bob").await;
    app.until(
        "the newest message shown",
        "return document.querySelector('[data-testid=history]')?.textContent.includes('🙂')",
        vec![json!(null)],
    )
    .await;
    tray.wait_label("").await;
    app.screenshot("chat-zh").await;

    // Closed to the tray, "Open" brings the window back.
    app.type_into("[data-testid=composer-input]", &format!("{CONTROL}w{CONTROL}")).await;
    desktop.wait_shown_windows("^Ling$", 0);
    tray.click(&menu[0]).await;
    desktop.wait_shown_windows("^Ling$", 1);

    // "Quit" ends the app: its page stops answering.
    tray.click(&menu[1]).await;
    let deadline = Instant::now() + STEP;
    while app.client.execute("return 1", vec![]).await.is_ok() {
        assert!(Instant::now() < deadline, "Ling still runs after Quit");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(desktop.shown_windows("^Ling$"), 0);
}
