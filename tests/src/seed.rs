//! Accounts with long histories, seeded through a real server for the
//! window's measurements (`desktop-bench`, the long chat in the window
//! tests).

use std::path::Path;
use std::time::Duration;

use ling_client::Client;
use ling_client::account::{self, LoginOptions};
use ling_client::cache::SendStatus;
use ling_client::profile::Profile;
use ling_client::tokens::TokenStorePolicy;

use crate::{Cli, ServerProcess};

/// Messages queued before waiting for the server to acknowledge them.
const BATCH: usize = 500;

/// Amy's profile in `profile_dir` (logged in, remembered in a file), with a
/// chat with each `(name, n)`: a friend with that username (a `ling-cli`
/// of their own), and `n` messages from Amy in it, all acknowledged.
pub async fn chats(server: &ServerProcess, profile_dir: &Path, friends: &[(&str, usize)]) -> Vec<Cli> {
    let profile = Profile::open(profile_dir).unwrap();
    let found = ling_client::probe::probe(&server.address(), false).await.unwrap();
    profile.use_server(&found, 1).unwrap();
    let options =
        LoginOptions { device_name: "bench".into(), remember: true, token_policy: TokenStorePolicy::FileOnly };
    let reg = account::register(&profile, &found.base, "amy", "password1", Some("Amy"), &options).await.unwrap();
    let amy = Client::start(reg.session).await.unwrap();
    let mut events = amy.events();
    let mut clis = Vec::new();
    for &(name, n) in friends {
        let friend = Cli::new();
        friend.ok(&["server", &server.address()]);
        let mut display = name.to_owned();
        display[..1].make_ascii_uppercase();
        friend.ok(&["register", name, "--display-name", &display]);
        let id = amy.contacts().search_users(name).await.unwrap()[0].id;
        amy.contacts().send_friend_request(id, "").await.unwrap();
        friend.ok(&["accept", "amy"]);
        let conv = loop {
            if let Some(c) = amy.conversation_with(id).await.unwrap() {
                break c;
            }
            let _ = tokio::time::timeout(Duration::from_millis(200), events.recv()).await;
        };
        // In batches: a person does not queue 100,000 messages at once, and
        // the outbox goes over what it holds on each pass.
        for batch in (0..n).collect::<Vec<_>>().chunks(BATCH) {
            for i in batch {
                let text = format!("message {i}: the quick brown fox jumps over the lazy dog 敏捷的棕色狐狸");
                amy.send_queue().send_text(conv, &text).await.unwrap();
            }
            // The outbox sends in order: the newest acknowledged means all are.
            loop {
                let newest = amy.history(conv, None, 1).await.unwrap();
                if newest.first().is_some_and(|m| m.status == SendStatus::Sent) {
                    break;
                }
                // Woken by the next event (an ack), or after a second.
                let _ = tokio::time::timeout(Duration::from_secs(1), events.recv()).await;
            }
        }
        clis.push(friend);
    }
    amy.stop().await;
    clis
}
