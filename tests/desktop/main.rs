//! The desktop app in a real window, end to end: the `ling` binary (UI
//! embedded) on a private X display, driven over WebDriver, against the real
//! `ling-server`, with `ling-cli` as the other people.
//!
//! Screenshots go to `$LING_SCREENSHOT_DIR` (default: `screenshots/` next to
//! the binaries); `make screenshots` refreshes the ones in `docs/screenshots/`.

mod assistant;
mod calls;
mod chat;
mod first_run;
mod instances;
mod long_chat;
mod notifications;
mod people;
mod tray;
mod updates;
