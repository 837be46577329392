# Ling: `make run` starts a local server (and, once it exists, the desktop app);
# `make test` runs every test. Both install what is missing first.

export CARGO_TARGET_DIR ?= $(HOME)/.cache/ling/target
LING_DATA ?= ./ling-data
LING_LISTEN ?= 127.0.0.1:7878

.PHONY: all setup build test run server bench bench-cache lint fmt clean

all: build

setup:
	@scripts/setup.sh

build: setup
	cargo build --workspace --locked

test: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo test --workspace --locked
	scripts/test-keychain.sh

# A local server on an embedded SQLite database in $(LING_DATA).
run server: setup
	cargo run --locked --release -p ling-server -- --listen $(LING_LISTEN) --data $(LING_DATA)

# The load benchmark against a server it starts itself (see docs/benchmarks.md).
bench: setup
	scripts/bench-server.sh --secs 10

# The client cache benchmark: a 1M-message conversation (docs/benchmarks.md).
bench-cache: setup
	cargo bench --locked -p ling-client --bench cache

lint: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
	cargo fmt --all

clean:
	cargo clean
