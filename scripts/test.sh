#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: the system packages the tests need, then
# formatting, lints and every test. Run from anywhere: `bash scripts/test.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh
bash tests/interop/setup.sh
bash tests/vault/setup.sh

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
