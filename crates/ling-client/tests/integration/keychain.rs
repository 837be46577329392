//! "Remember me" with and without a keychain service. The keychain test needs
//! a Secret Service on a session bus: `make test` runs it under
//! `dbus-run-session` with an unlocked gnome-keyring (see `scripts/test-keychain.sh`).

use ling_client::account::{self, LoginOptions};
use ling_client::profile::Profile;
use ling_client::tokens::{StoredIn, TokenStorePolicy};

use crate::harness::TestServer;

fn opts(remember: bool) -> LoginOptions {
    LoginOptions { device_name: "test".into(), remember, token_policy: TokenStorePolicy::KeychainOrFile }
}

/// Registers `name`, checks where the token went, logs in again from it, logs out.
async fn remember_and_forget(expected: StoredIn) {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::open(dir.path()).unwrap();
    let reg = account::register(&profile, &server.url(), "kim", "password1", None, &opts(true)).await.unwrap();
    assert_eq!(reg.session.token_in, Some(expected));
    let token_file = reg.session.account_dir.join("session.token");
    assert_eq!(token_file.exists(), expected == StoredIn::File, "a file only where no keychain runs");

    let again = account::auto_login(&profile, TokenStorePolicy::KeychainOrFile).await.unwrap().expect("auto-login");
    assert!(again.confirmed);
    assert_eq!(again.me.username, "kim");

    account::logout(&profile, &again).await.unwrap();
    assert!(account::auto_login(&profile, TokenStorePolicy::KeychainOrFile).await.unwrap().is_none());
    assert!(!token_file.exists());
}

#[tokio::test]
async fn test_without_remember_me_nothing_is_stored_and_the_next_start_asks_for_a_password() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::open(dir.path()).unwrap();
    let s = account::login(&profile, &server.url(), "nobody", "password1", &opts(false)).await.unwrap_err();
    assert_eq!(s.code(), "invalid_credentials");
    let reg = account::register(&profile, &server.url(), "lee", "password1", None, &opts(false)).await.unwrap();
    assert_eq!(reg.session.token_in, None);
    assert!(!reg.session.account_dir.join("session.token").exists());
    assert!(account::auto_login(&profile, TokenStorePolicy::KeychainOrFile).await.unwrap().is_none());
}

#[tokio::test]
async fn test_a_revoked_remembered_token_is_forgotten_at_start_up() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::open(dir.path()).unwrap();
    let file_only = LoginOptions { token_policy: TokenStorePolicy::FileOnly, ..opts(true) };
    let reg = account::register(&profile, &server.url(), "max", "password1", None, &file_only).await.unwrap();
    // The password is reset elsewhere: every session ends.
    let code = account::reset_password(&server.url(), "max", &reg.recovery_code, "password2").await.unwrap();
    assert_ne!(code, reg.recovery_code, "the used code is replaced");
    assert!(account::auto_login(&profile, TokenStorePolicy::FileOnly).await.unwrap().is_none());
    assert!(!reg.session.account_dir.join("session.token").exists(), "the dead token is gone");
    let s = account::login(&profile, &server.url(), "max", "password2", &file_only).await.unwrap();
    assert_eq!(s.token_in, Some(StoredIn::File));
}

#[tokio::test]
async fn test_where_no_keychain_service_runs_the_token_goes_to_a_private_file() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() || cfg!(any(target_os = "macos", target_os = "windows")) {
        // A keychain may answer here; the keychain test below covers this machine.
        return;
    }
    remember_and_forget(StoredIn::File).await;
}

#[tokio::test]
#[ignore = "needs a Secret Service on a session bus: run by scripts/test-keychain.sh"]
async fn test_with_a_keychain_service_the_token_goes_to_the_keychain() {
    remember_and_forget(StoredIn::Keychain).await;
}
