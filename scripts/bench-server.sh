#!/usr/bin/env bash
# Builds the release server and ling-bench, then runs the load benchmark.
# Arguments go to ling-bench (see `ling-bench --help`); docs/benchmarks.md
# has the figures and the exact commands.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ling/target}"
cargo build --locked --release -p ling-server -p ling-bench
# 10,000 connections need 10,000 descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec "$CARGO_TARGET_DIR/release/ling-bench" "$@"
