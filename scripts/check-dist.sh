#!/usr/bin/env bash
# The release steps as the test command runs them, without the minutes of a dist build: runs
# `scripts/dist.sh --prebuilt` on the binaries the test command has built already (LINUX: the
# debug binary; WINDOWS: onboard.exe, built with `cargo auditable`), signing SHA256SUMS with a
# throwaway ssh key, then checks what it wrote:
#   - SHA256SUMS.sig verifies with ssh-keygen (and a SHA256SUMS changed by one byte does not),
#     and every file matches its line in SHA256SUMS;
#   - scripts/check-dist.py: manifests against their schemas, SBOMs, the embedded dependency list;
#   - `ruby -c` on the Homebrew formula (Homebrew itself does not run on Linux without its own
#     installation, which needs the network);
#   - scripts/check-deb.sh: dpkg -i, checked as a user would, dpkg -r.
# Usage: check-dist.sh LINUX_BINARY WINDOWS_EXE
set -euo pipefail
cd "$(dirname "$0")/.."

linux_bin=$1
windows_exe=$2
bash scripts/install-dist-tools.sh
export PYTHONPATH="${ONBOARD_DIST_PY_DIR:-$HOME/.cache/onboard-dist/python}${PYTHONPATH:+:$PYTHONPATH}"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dist="$work/dist"
ssh-keygen -q -t ed25519 -N "" -C "throwaway key of check-dist.sh" -f "$work/release-key"

# gzip: xz takes many seconds over a debug binary, and dpkg reads both alike.
DIST_DIR="$dist" ONBOARD_REPOSITORY="${ONBOARD_REPOSITORY:-onboard-example/onboard}" ONBOARD_DEB_COMPRESSION=gzip \
  ONBOARD_SIGNING_KEY="$work/release-key" \
  bash scripts/dist.sh --prebuilt "$linux_bin" "$windows_exe" >"$work/dist.log" 2>&1 || {
  cat "$work/dist.log" >&2
  echo "check-dist: scripts/dist.sh --prebuilt failed" >&2
  exit 1
}

# What a user does with the maintainers' allowed-signers line (docs/install.md).
echo "release@onboard namespaces=\"onboard-release\" $(cat "$work/release-key.pub")" >"$work/allowed_signers"
verify() {
  ssh-keygen -Y verify -f "$work/allowed_signers" -I release@onboard -n onboard-release \
    -s "$dist/SHA256SUMS.sig" <"$1"
}
verify "$dist/SHA256SUMS" >/dev/null || {
  echo "check-dist: SHA256SUMS.sig does not verify" >&2
  exit 1
}
# One hex digit of the first checksum changed.
first=$(head -c 1 "$dist/SHA256SUMS")
{ if [ "$first" = 0 ]; then printf 1; else printf 0; fi; tail -c +2 "$dist/SHA256SUMS"; } >"$work/SHA256SUMS.changed"
if verify "$work/SHA256SUMS.changed" >/dev/null 2>&1; then
  echo "check-dist: a changed SHA256SUMS verified too: the signature check cannot fail" >&2
  exit 1
fi
(cd "$dist" && sha256sum --check --quiet SHA256SUMS)
for f in "$dist"/*.tar.gz "$dist"/*.zip "$dist"/*.deb "$dist"/*.cdx.json; do
  grep -q " $(basename "$f")\$" "$dist/SHA256SUMS" || {
    echo "check-dist: $(basename "$f") is not in SHA256SUMS" >&2
    exit 1
  }
done
echo "check-dist: SHA256SUMS.sig verifies with ssh-keygen; every file matches SHA256SUMS" >&2

python3 scripts/check-dist.py --dist "$dist" --version "$version" \
  --auditable x86_64-pc-windows-gnu
ruby -c "$dist/manifests/homebrew/onboard.rb" >/dev/null
echo "check-dist: the Homebrew formula passes ruby -c" >&2
bash scripts/check-deb.sh "$dist"/*.deb
