#!/usr/bin/env bash
# Release archives, built on this machine into dist/ (DIST_DIR):
#   onboard-VERSION-x86_64-unknown-linux-musl.tar.gz  a static Linux binary, with the man pages
#   onboard-VERSION-x86_64-pc-windows-gnu.zip         onboard.exe
#   SHA256SUMS
# Each archive holds README.md, both licenses and the completion scripts. The static binary is
# checked before it is packed: no dynamic dependency, --version runs, and a non-interactive
# invite plus validate pass against `onboard simulate`. macOS binaries need an Apple SDK, which
# this machine has not (see docs/ci/release.yml). Not part of scripts/test.sh: release builds
# take minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-cross.sh

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
dist="${DIST_DIR:-$PWD/dist}"
linux=x86_64-unknown-linux-musl
windows=x86_64-pc-windows-gnu

# ring compiles C for the target: musl's own gcc wrapper for the static build.
CC_x86_64_unknown_linux_musl=musl-gcc cargo build --locked --release --target "$linux"
cargo build --locked --release --target "$windows"

bin="$target_dir/$linux/release/onboard"
exe="$target_dir/$windows/release/onboard.exe"

echo "Checking the static binary" >&2
ldd_out=$(ldd "$bin" 2>&1 || true)
if ! grep -qE "not a dynamic executable|statically linked" <<<"$ldd_out"; then
  echo "dist: $bin has dynamic dependencies:" >&2
  echo "$ldd_out" >&2
  exit 1
fi
"$bin" --version
python3 scripts/dist-smoke.py "$bin"

rm -rf "$dist"
mkdir -p "$dist"
stage() { # stage NAME FILE...: a folder NAME in dist/ with the common files and FILEs
  local name=$1
  shift
  mkdir -p "$dist/$name/completions"
  cp README.md LICENSE-MIT LICENSE-APACHE "$@" "$dist/$name/"
  cp completions/* "$dist/$name/completions/"
}

linux_name="onboard-$version-$linux"
stage "$linux_name" "$bin"
mkdir -p "$dist/$linux_name/man"
cp man/*.1 "$dist/$linux_name/man/"
tar -C "$dist" -czf "$dist/$linux_name.tar.gz" "$linux_name"

windows_name="onboard-$version-$windows"
stage "$windows_name" "$exe"
(cd "$dist" && python3 -m zipfile -c "$windows_name.zip" "$windows_name")

rm -rf "${dist:?}/$linux_name" "${dist:?}/$windows_name"
(cd "$dist" && sha256sum "$linux_name.tar.gz" "$windows_name.zip" >SHA256SUMS)
ls -l "$dist"
cat "$dist/SHA256SUMS"
