#!/usr/bin/env bash
# Build times a maintainer feels, for one revision and profile: `cargo build` from a clean target
# directory, then the rebuild after a one-line change in the simulated tenant
# (src/simulate/mod.rs) and after one in the wizard (src/commands/invite/mod.rs). Each change adds
# a public function, so the crate is recompiled and relinked as after a real edit. Works in a
# fresh clone of REV in a temporary directory (your target/ and work tree are not touched);
# the crates come from cargo's cache (fetched first, not timed).
#   bash scripts/bench-build.sh [REV] [PROFILE]     # default: HEAD release
set -euo pipefail
cd "$(dirname "$0")/.."

rev=${1:-HEAD}
profile=${2:-release}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q --no-checkout . "$work/src"
git -C "$work/src" checkout -q "$rev"
cd "$work/src"
export CARGO_TARGET_DIR="$work/target"
cargo fetch --locked --quiet

timed() { # timed: seconds a `cargo build` of the profile takes
  local start end
  start=$(date +%s.%N)
  cargo build --locked --quiet --profile "$profile" --bin onboard >&2
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.0f} s')"
}

clean=$(timed)
echo 'pub fn build_time_probe() -> u64 { 1 }' >>src/simulate/mod.rs
simulate=$(timed)
echo 'pub fn build_time_probe() -> u64 { 2 }' >>src/commands/invite/mod.rs
invite=$(timed)
size=$(stat -c %s "$CARGO_TARGET_DIR/$profile/onboard")
echo "| $(git rev-parse --short HEAD) | $profile | $clean | $simulate | $invite | $size bytes |"
