//! The Ling server: accounts, contacts, groups, messages, files, realtime
//! sessions and call signaling over HTTP + WebSocket, stored in SQLite.
//!
//! `ling-server` (the binary) parses a [`Config`] and calls [`run`]; tests
//! call [`run`] with a listener on `127.0.0.1:0`. See `ARCHITECTURE.md`.

mod app;
pub mod assistant;
pub mod blobs;
pub mod calls;
pub mod config;
pub mod credentials;
pub mod error;
pub mod extract;
pub mod hub;
pub mod routes;
pub mod serve;
pub mod state;
pub mod store;
pub mod throttle;
pub mod validate;

pub use app::{app, run};
pub use config::Config;
