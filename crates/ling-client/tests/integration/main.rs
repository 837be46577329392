//! Integration tests of `ling-client` against the real server on 127.0.0.1:0.

mod actions;
mod assistant;
mod calls;
mod conversation_list;
mod files;
mod harness;
mod keychain;
mod link_preview;
mod probe;
mod session;
mod timeline;
mod voice;
