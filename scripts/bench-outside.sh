#!/usr/bin/env bash
# Load from outside: a fresh release ling-server (--durability full, a
# temporary data directory) measured by bench/loadgen, a Node.js generator
# that shares nothing with the server but the protocol. Arguments go to the
# generator (see bench/loadgen/loadgen.mjs); docs/benchmarks.md has figures.
#   scripts/bench-outside.sh --pairs 50 --mode closed --inflight 10 --secs 20
#   scripts/bench-outside.sh --pairs 50 --mode open --rate 10000 --secs 20
# LING_BENCH_DURABILITY=normal runs the server with --durability normal;
# LING_BENCH_SERVER=path runs that ling-server binary instead (A/B runs).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ling/target}"
cargo build --locked --release -p ling-server
if [ ! -d bench/loadgen/node_modules/ws ]; then
  npm --prefix bench/loadgen ci --no-audit --no-fund --loglevel=error
fi
data="$(mktemp -d)"
log="$data/server.log"
# The generator registers every account from this one address.
LING_LOG=warn,ling_server::app=info NO_COLOR=1 LING_REGISTRATIONS_PER_HOUR=100000 \
  "${LING_BENCH_SERVER:-$CARGO_TARGET_DIR/release/ling-server}" --listen 127.0.0.1:0 --durability "${LING_BENCH_DURABILITY:-full}" --data "$data/data" >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  addr="$(grep -o 'addr=[0-9.:]*' "$log" | head -1 | cut -d= -f2 || true)"
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$log"; echo "the server did not start"; exit 1; }
node bench/loadgen/loadgen.mjs --base "http://$addr" --server-pid "$pid" "$@"
