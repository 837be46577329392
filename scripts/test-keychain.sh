#!/usr/bin/env bash
# Runs the keychain test against a real Secret Service: a private D-Bus session
# with an unlocked gnome-keyring (the recipe in PLATFORM.md). Installed by
# scripts/setup.sh.
set -euo pipefail
export XDG_DATA_HOME XDG_RUNTIME_DIR
XDG_DATA_HOME=$(mktemp -d)
XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
trap 'rm -rf "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"' EXIT
exec dbus-run-session -- sh -c '
  export $(printf test | gnome-keyring-daemon --unlock --components=secrets --daemonize)
  # In the workspace (not -p): its features, so the test build is the one
  # `cargo test --workspace` made, not a second one.
  cargo test --locked --workspace --test integration keychain -- --ignored
'
