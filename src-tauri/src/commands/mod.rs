//! The commands the UI invokes, a module per domain: thin adapters over
//! `ling-client`. Each takes plain arguments, calls the client core and
//! returns its answer, or an [`AppError`](crate::error::AppError) the UI can
//! say in the person's language. Calls, the chat views and updates have
//! their commands beside their other shell code (`calls`, `timeline`,
//! `conversation_list`, `updates`).

pub mod account;
pub mod assistant;
pub mod chats;
pub mod contacts;
pub mod files;
pub mod groups;
pub mod profile;
pub mod settings;
pub mod window;
