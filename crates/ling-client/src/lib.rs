//! The headless Ling client core that the desktop app (and `ling-cli`) stand
//! on: server setup, accounts, the local cache, the realtime session, files
//! and sync. No Tauri here: everything is tested against the real server.

pub mod address;
pub mod api;
pub mod backoff;
pub mod cache;
pub mod error;
pub mod probe;
pub mod profile;
pub mod search;
pub mod tokens;

pub use error::{ClientError, ClientResult};
