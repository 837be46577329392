#!/usr/bin/env bash
# `make run`: a local server on LISTEN with its data in DATA, and the desktop
# app; quitting the app (tray menu: Quit) stops the server too.
set -euo pipefail
listen="$1"
data="$2"
cargo build --locked --release -p ling-server
cargo build --locked -p ling-desktop
"${CARGO_TARGET_DIR:-target}/release/ling-server" --listen "$listen" --data "$data" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fsS "http://$listen/v1/info" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "[run] server at http://$listen (type $listen on the first screen)"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "[run] no display: the server runs alone; stop it with Ctrl+C"
  wait "$server"
else
  "${CARGO_TARGET_DIR:-target}/debug/ling"
fi
