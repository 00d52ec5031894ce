#!/usr/bin/env bash
# Installs what the Windows and macOS checks and the release archives need, when any is missing:
#   rustup targets   x86_64-pc-windows-gnu, aarch64-apple-darwin, x86_64-unknown-linux-musl
#   gcc-mingw-w64-x86-64   links onboard.exe (and the ProcessPrng shim of the Wine suite)
#   wine + wine64          runs onboard.exe in the Wine suite (tests/integration/wine.rs)
#   musl-tools             the static Linux binary of scripts/dist.sh
#   ziglang (PyPI)         a C compiler for aarch64-apple-darwin (ring's build script), through
#                          scripts/zig-cc-macos; installed into ONBOARD_ZIG_DIR
#                          (default ~/.cache/onboard-cross/ziglang), not into the system Python
# Quick when everything is there already.
set -euo pipefail

targets=(x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-unknown-linux-musl)
installed=$(rustup target list --installed)
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

packages=(gcc-mingw-w64-x86-64 wine wine64 musl-tools)
# pip, for ziglang, when this python3 comes without it (Debian's own python3).
python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
bash "$(dirname "$0")/apt-install-missing.sh" "cross-build packages" "${packages[@]}"

zig_dir="${ONBOARD_ZIG_DIR:-$HOME/.cache/onboard-cross/ziglang}"
if ! PYTHONPATH="$zig_dir" python3 -m ziglang version >/dev/null 2>&1; then
  echo "Installing ziglang into $zig_dir" >&2
  # --target keeps it out of the system's Python (and clear of Debian's externally-managed guard).
  python3 -m pip install --quiet --disable-pip-version-check --upgrade --target "$zig_dir" ziglang
fi
