//! End-to-end scenarios across the `ling-server` binary, a client on
//! `ling-client` and `ling-cli` as the other person.

mod assistant;
mod chat;
mod interop;
