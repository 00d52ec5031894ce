#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: the system packages the tests need, then
# formatting, lints (for Linux, Windows and macOS), the release steps (scripts/check-dist.sh)
# and every test, including the Windows build under Wine. Run from anywhere: `bash scripts/test.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh
bash scripts/install-cross.sh
bash scripts/install-dist-tools.sh
bash tests/interop/setup.sh
bash tests/vault/setup.sh

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
# The fuzz targets are their own workspace, which nothing else builds: check that they still
# compile (on stable; running them needs nightly and cargo-fuzz), so that they cannot rot.
cargo check --locked --manifest-path fuzz/Cargo.toml --bins
cargo clippy --locked --all-targets --target x86_64-pc-windows-gnu -- -D warnings
# No Apple SDK here: the macOS target is checked, not linked. ring's build script still compiles
# C for it, with zig (scripts/zig-cc-macos).
CC_aarch64_apple_darwin="$PWD/scripts/zig-cc-macos" AR_aarch64_apple_darwin="$PWD/scripts/zig-ar" \
  cargo clippy --locked --all-targets --target aarch64-apple-darwin -- -D warnings
# onboard.exe for the Wine suite (tests/integration/wine.rs), built before `cargo test` holds
# the build lock; through cargo auditable, so that the release checks below find its embedded
# dependency list.
cargo auditable build --locked --target x86_64-pc-windows-gnu --bin onboard
cargo test --locked --no-run
# The release steps on the binaries just built (no dist build: fat LTO for two targets takes
# minutes): the .deb installed, checked and removed, SBOMs, manifests against their schemas,
# the signed SHA256SUMS. See scripts/check-dist.sh.
target_dir="${CARGO_TARGET_DIR:-target}"
bash scripts/check-dist.sh "$target_dir/debug/onboard" "$target_dir/x86_64-pc-windows-gnu/debug/onboard.exe"
cargo test --locked
