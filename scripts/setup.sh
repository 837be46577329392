#!/usr/bin/env bash
# Installs what building and testing Ling needs and is missing. Idempotent:
# a second run checks and does nothing. Debian/Ubuntu only.
set -euo pipefail

# System packages, by what needs them.
APT_PACKAGES=(
  build-essential pkg-config   # C parts of crates (bundled SQLite, aws-lc)
  cmake                        # aws-lc-rs on some toolchains; the bundled libopus (calls)
  nasm                         # OpenH264's assembly (calls; faster H.264)
  libasound2-dev               # microphones and speakers (cpal's ALSA backend)
  libclang-dev                 # cameras: nokhwa's V4L2 bindings are generated with bindgen
  chromium chromium-driver     # the call interop test: a standard WebRTC peer (headless, fake devices)
  espeak-ng                    # the echo canceller's simulated room: speech made in the test
  dbus-daemon gnome-keyring    # the keychain test: a Secret Service on a private session bus
  libwebkit2gtk-4.1-dev        # the desktop app (Tauri 2: webkit, gtk3, soup3)
  libayatana-appindicator3-dev # the desktop app's tray icon
  xvfb xauth imagemagick       # window tests and screenshots under a virtual display
  webkit2gtk-driver            # WebKitWebDriver, driven by tauri-driver in the window tests
  xdotool                      # the window tests type into native file dialogs
  dbus-x11                     # a session bus for single-instance in the window tests
  fonts-noto-cjk fonts-noto-color-emoji  # Chinese text and emoji in the window (and its screenshots)
  locales                      # the window test of a Chinese system (zh_CN.UTF-8, made below)
  rpm systemd                  # the packages' test reads the .rpm (rpm -qp) and checks the server's unit
                               # (systemd-analyze verify)
  procps                       # the installed-app test finds and stops the installed app (pgrep, pkill)
  sudo                         # the installed-app test: the updater installs a .deb through pkexec, a password
                               # dialog or sudo, the one there is (as root, sudo asks nothing)
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

# A Chinese locale for the window test that runs the app on a Chinese system
# (WebKit takes the page's language from the C library's locale).
if ! locale -a 2>/dev/null | grep -qix 'zh_CN.utf8'; then
  log "making the zh_CN.UTF-8 locale"
  as_root localedef -i zh_CN -c -f UTF-8 zh_CN.UTF-8
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
# The UI's packages (exact versions from ui/package-lock.json), when missing or
# older than the lock file.
if ! command -v npm >/dev/null; then
  log "npm is missing: install Node.js 20 or newer and run again"
  exit 1
fi
ui_dir="$(dirname "$0")/../ui"
if [ ! -f "$ui_dir/node_modules/.package-lock.json" ] || [ "$ui_dir/package-lock.json" -nt "$ui_dir/node_modules/.package-lock.json" ]; then
  log "installing the UI's npm packages"
  npm --prefix "$ui_dir" ci --no-audit --no-fund --loglevel=error
fi
# tauri-driver (the WebDriver proxy for the window tests), built from crates.io
# into a tools directory outside the clone.
TAURI_DRIVER_VERSION=2.1.0
tools="${LING_TOOLS:-$HOME/.cache/ling/tools}"
if [ ! -x "$tools/bin/tauri-driver" ] || ! grep -qs "^\"tauri-driver $TAURI_DRIVER_VERSION " "$tools/.crates.toml"; then
  log "installing tauri-driver $TAURI_DRIVER_VERSION into $tools"
  cargo install --quiet --locked tauri-driver --version "=$TAURI_DRIVER_VERSION" --root "$tools"
fi
log "ok"
