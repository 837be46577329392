//! Integration tests of `ling-server`: the real server on 127.0.0.1:0, real
//! HTTP and WebSocket clients. Names say the behaviour.

mod common;

mod abuse;
mod accounts;
mod assistant;
mod calls;
mod contacts;
mod files;
mod groups;
mod info;
mod messages;
mod ordering;
mod realtime;
mod relations;
mod safety;
mod shutdown;
