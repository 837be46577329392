#!/usr/bin/env bash
# Builds what can be shipped from this machine: the desktop app's .deb and
# .rpm (Tauri's bundler) and a tarball of the server (release binary, systemd
# unit, guide), into dist/. Says which formats need another machine.
# scripts/test-package.sh tests what it builds.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ling/target}"
log() { printf '[package] %s\n' "$*"; }

scripts/setup.sh
npm --prefix ui run build --silent

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(uname -m)
mkdir -p dist

bundle="$CARGO_TARGET_DIR/release/bundle"
log "the desktop app: .deb and .rpm"
rm -f "$bundle"/deb/*.deb "$bundle"/rpm/*.rpm
(cd src-tauri && ../ui/node_modules/.bin/tauri build --ci --bundles deb,rpm)
cp "$bundle"/deb/*.deb "$bundle"/rpm/*.rpm dist/

log "the server: release binary, systemd unit and guide"
cargo build --release --locked -p ling-server
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
server="ling-server-$version-linux-$arch"
mkdir -p "$stage/$server"
cp "$CARGO_TARGET_DIR/release/ling-server" packaging/ling-server.service docs/server.md "$stage/$server/"
tar -C "$stage" -czf "dist/$server.tar.gz" "$server"

log "built:"
ls -l dist/
cat <<'NOTE'
[package] not built here:
[package]   .AppImage — Tauri downloads linuxdeploy and its plugins from GitHub, which this machine cannot reach;
[package]              the release workflow (.github/workflows/release.yml) builds it on ubuntu-22.04.
[package]   .exe (NSIS) and .msi (WiX) — need Windows; built on windows-latest by the release workflow.
[package]   .dmg / .app — need macOS (and Apple's signing and notarization); built on macos-latest.
NOTE
