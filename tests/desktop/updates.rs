//! Updates in the window, from a release server of the test's own: the app
//! looks by itself a few seconds after starting and says it is up to date;
//! once a newer version is announced, "Check now" finds it, with its notes
//! and a dot on the settings button. This build was not installed from a
//! package, so it says how to update instead of offering to install;
//! installing (and refusing a forged download) is shown with the real .deb
//! (`tests/package`). Without an endpoint the app never looks (the people
//! test).

use ling_e2e::desktop::Desktop;
use ling_e2e::updates::{Signer, UpdateServer};
use ling_e2e::{ServerProcess, friends_of_the_first};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_the_app_finds_an_announced_update() {
    let releases = UpdateServer::start().await;
    let signer = Signer::generate();
    let server = ServerProcess::start();
    let people = friends_of_the_first(&server, &["amy"]);
    let endpoint = releases.endpoint();
    let desktop = Desktop::start_with(&[("LING_UPDATE_ENDPOINT", &endpoint), ("LING_UPDATE_PUBKEY", &signer.pubkey)]);
    let app = desktop.launch().await;
    app.log_in(&server.address(), "amy", &people[0].password).await;
    app.click("[data-testid=nav-settings]").await;
    app.until_true(
        "the first look: up to date",
        "document.querySelector('[data-testid=update]')?.dataset.state === 'up_to_date'",
    )
    .await;
    assert_eq!(releases.checks(), 1, "one look at start");
    let version = app.js("return document.querySelector('[data-testid=app-version]').textContent", vec![]).await;
    assert_eq!(version, format!("Ling {}", env!("CARGO_PKG_VERSION")));

    // A release is announced.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Ling_9.9.9_amd64.deb");
    std::fs::write(&file, b"not installed by this test").unwrap();
    let signature = signer.sign(&file, "9.9.9");
    releases.announce(
        "9.9.9",
        "Calls on speakers no longer echo.",
        "Ling_9.9.9_amd64.deb",
        std::fs::read(&file).unwrap(),
        &signature,
    );
    app.click("[data-testid=update-check]").await;
    app.until_true(
        "9.9.9 available",
        "document.querySelector('[data-testid=update-available]')?.textContent.includes('Ling 9.9.9')",
    )
    .await;
    app.wait("[data-testid=update-dot]").await;
    let texts = app.texts("[data-testid=update]").await.join(" ");
    assert!(texts.contains("Calls on speakers no longer echo."), "the notes: {texts}");
    assert!(texts.contains("Update it the way you installed it"), "a build from source: {texts}");
    assert!(app.texts("[data-testid=update-install]").await.is_empty(), "no install button for a build from source");
    assert_eq!(releases.downloads(), 0, "nothing fetched but the manifest");
    app.screenshot("update-available").await;
}
