//! The HTTP API and the WebSocket, one module per feature. Each module owns
//! its `router()`; the rules (who may do what) live in its functions, shared
//! by HTTP and WebSocket where both can do the same thing.

pub mod accounts;
pub mod assistant;
pub mod calls;
pub mod contacts;
pub mod files;
pub mod groups;
pub mod info;
pub mod messages;
pub mod users;
pub mod ws;
