//! The headless Ling client core that the desktop app (and `ling-cli`) stand
//! on: server setup, accounts, the local cache, the realtime session, files
//! and sync. No Tauri here: everything is tested against the real server.

pub mod account;
mod actions;
pub mod address;
pub mod api;
pub mod assistant;
pub mod backoff;
pub mod cache;
mod call_machine;
mod call_signals;
mod call_view;
pub mod calls;
mod catch_up;
mod client;
pub mod contacts;
pub mod conversation_list;
pub mod error;
pub mod events;
pub mod files;
pub mod groups;
mod inner;
pub mod link_preview;
pub mod notices;
pub mod prefs;
mod private_file;
pub mod probe;
pub mod profile;
pub mod rows;
pub mod search;
pub mod send_queue;
mod session;
pub mod sync;
pub mod timeline;
pub mod tls;
pub mod tokens;
pub mod uploads;
pub mod voice;

pub use client::Client;
pub use error::{ClientError, ClientResult};
pub use events::{ConnectionState, Event};
/// Cancels a file transfer.
pub use tokio_util::sync::CancellationToken;
