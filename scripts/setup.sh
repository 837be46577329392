#!/usr/bin/env bash
# Installs what building and testing Ling needs and is missing. Idempotent:
# a second run checks and does nothing. Debian/Ubuntu only.
set -euo pipefail

# System packages, by what needs them.
APT_PACKAGES=(
  build-essential pkg-config   # C parts of crates (bundled SQLite, aws-lc)
  cmake                        # aws-lc-rs on some toolchains; Opus later
  dbus-daemon gnome-keyring    # the keychain test: a Secret Service on a private session bus
)

log() { printf '[setup] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; exit 1
  fi
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  log "cargo is missing: install Rust (https://rustup.rs) and run again"
  exit 1
fi
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    log "installing the $component component"
    rustup component add "$component"
  fi
done
log "ok"
