#!/usr/bin/env bash
# The packages' test: builds what `make package` builds (the .deb, the .rpm,
# the server's tarball), checks what each holds, then installs the .deb with
# dpkg, runs the installed app in a window, lets it update itself and removes
# it again (tests/package; root, or sudo without a password). The machine is
# left as it was: the package is purged at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ling/target}"

if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
  echo "[test-package] installing a package needs root: run as root or with sudo (no password)" >&2
  exit 1
fi
if dpkg-query -W -f='${Status}' ling 2>/dev/null | grep -q 'ok installed'; then
  echo "[test-package] Ling is installed as a package on this machine: the test would replace it; remove it first" >&2
  exit 1
fi

# The packages from the dev profile unless told otherwise: the bundler, the
# files and the install are the same, and CI is spared a second, optimized
# build of every crate (LING_PACKAGE_PROFILE=release tests the release build).
LING_PACKAGE_PROFILE="${LING_PACKAGE_PROFILE:-debug}" scripts/package.sh
# In the workspace (not -p ling-e2e): its features, so the test is the one
# `cargo test --workspace` built.
LING_DIST="$PWD/dist" cargo test --locked --workspace --test package -- --ignored
