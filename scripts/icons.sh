#!/usr/bin/env bash
# The app's icons come from one image, icons/source.png, through Tauri's icon
# generator (`tauri icon`, from the UI's npm packages).
#
#   scripts/icons.sh          regenerates src-tauri/icons/ from it
#   scripts/icons.sh --check  fails if src-tauri/icons/ is not what it makes
#                             (every PNG and the .ico; the .icns is not byte-stable)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if ! ui/node_modules/.bin/tauri icon icons/source.png -o "$out" >"$out/.log" 2>&1; then
  cat "$out/.log" >&2
  exit 1
fi
# Desktop only: no Android or iOS app.
rm -rf "$out/android" "$out/ios"
if [ "${1:-}" = --check ]; then
  stale=()
  for f in "$out"/*; do
    name=$(basename "$f")
    [ "$name" = icon.icns ] && continue
    cmp -s "$f" "src-tauri/icons/$name" || stale+=("$name")
  done
  if [ "${#stale[@]}" -gt 0 ]; then
    echo "[icons] src-tauri/icons/ is not generated from icons/source.png (${stale[*]}): run make icons" >&2
    exit 1
  fi
  echo "[icons] current"
else
  cp "$out"/* src-tauri/icons/
  echo "[icons] src-tauri/icons/ regenerated from icons/source.png"
fi
