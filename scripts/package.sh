#!/usr/bin/env bash
# Builds what can be shipped from this machine: the desktop app's .deb and
# .rpm (Tauri's bundler) and a tarball of the server (release binary, systemd
# unit, guide), into dist/. Says which formats need another machine.
# scripts/test-package.sh tests what it builds.
#
# LING_PACKAGE_PROFILE=debug builds the same packages from the dev profile
# (unoptimized, reusing what `cargo test` built): the packages' test does so to
# save CI a second, optimized build of everything (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ling/target}"
log() { printf '[package] %s\n' "$*"; }

scripts/setup.sh
npm --prefix ui run build --silent

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(uname -m)
mkdir -p dist

profile="${LING_PACKAGE_PROFILE:-release}"
case "$profile" in
  release) tauri_flags=(); server_build=(cargo build --release --locked -p ling-server) ;;
  # The server's binary as `cargo test --workspace` builds it (with the
  # workspace's features, so nothing is built a second time).
  debug) tauri_flags=(--debug); server_build=(cargo test --locked --workspace --no-run) ;;
  *) echo "[package] LING_PACKAGE_PROFILE is release or debug, not $profile" >&2; exit 1 ;;
esac
bundle="$CARGO_TARGET_DIR/$profile/bundle"
log "the desktop app: .deb and .rpm ($profile build)"
rm -f "$bundle"/deb/*.deb "$bundle"/rpm/*.rpm
(cd src-tauri && ../ui/node_modules/.bin/tauri build --ci "${tauri_flags[@]}" --bundles deb,rpm)
cp "$bundle"/deb/*.deb "$bundle"/rpm/*.rpm dist/

log "the server: binary ($profile build), systemd unit and guide"
"${server_build[@]}"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
server="ling-server-$version-linux-$arch"
mkdir -p "$stage/$server"
cp "$CARGO_TARGET_DIR/$profile/ling-server" packaging/ling-server.service docs/server.md "$stage/$server/"
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
