# Ling: `make run` starts a local server and the desktop app connected to it;
# `make test` runs every test. Both install what is missing first.

export CARGO_TARGET_DIR ?= $(HOME)/.cache/ling/target
LING_DATA ?= ./ling-data
LING_LISTEN ?= 127.0.0.1:7878

.PHONY: all setup ui build package test test-ui test-desktop test-package icons screenshots run server app bench bench-cache bench-desktop lint fmt clean

all: build

setup:
	@scripts/setup.sh

# The web UI, built into ui/dist (the desktop app embeds it).
ui: setup
	npm --prefix ui run build --silent

build: ui
	cargo build --workspace --locked

# Installers this machine can build (.deb, .rpm) and the server's tarball, into
# dist/; says which formats need Windows or macOS (the release workflow).
package:
	scripts/package.sh

test: ui
	scripts/icons.sh --check
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	$(MAKE) --no-print-directory test-ui
	cargo test --workspace --locked
	scripts/test-keychain.sh
	scripts/test-package.sh

# Only the desktop window tests (a private Xvfb display, tauri-driver and
# WebKitWebDriver, the real server; ling-cli as the other people).
test-desktop: ui
	cargo test --locked -p ling-e2e --test desktop

# The app's icons, generated from icons/source.png (Tauri's icon generator).
icons: setup
	scripts/icons.sh

# The packages: builds what make package builds, checks the .rpm and the
# server's tarball, installs the .deb (root or sudo), runs it, lets it update
# itself, removes it (tests/package).
test-package: ui
	scripts/test-package.sh

# Runs the window tests and keeps their screenshots as the README's.
screenshots: ui
	LING_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots cargo test --locked -p ling-e2e --test desktop

# The UI's type check and unit tests (vitest).
test-ui: setup
	npm --prefix ui run check --silent
	npm --prefix ui test --silent

# A local server on an embedded SQLite database in $(LING_DATA), and the
# desktop app (its first screen takes the address printed here).
run: ui
	scripts/run.sh $(LING_LISTEN) $(LING_DATA)

# Only the server.
server: setup
	cargo run --locked --release -p ling-server -- --listen $(LING_LISTEN) --data $(LING_DATA)

# Only the desktop app (the UI embedded, debug build).
app: ui
	cargo run --locked -p ling-desktop

# The load benchmark against a server it starts itself (see docs/benchmarks.md).
bench: setup
	scripts/bench-server.sh --secs 10

# The client cache benchmark: a 1M-message conversation (docs/benchmarks.md).
bench-cache: setup
	cargo bench --locked -p ling-client --bench cache

# The desktop app's launch time and memory with 10,000 cached messages,
# against an empty Tauri window (release builds; docs/benchmarks.md).
bench-desktop: ui
	cargo run --locked --release -p ling-e2e --bin desktop-bench

lint: ui
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
	cargo fmt --all

clean:
	cargo clean
