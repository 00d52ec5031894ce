#!/usr/bin/env bash
# Release files, built on this machine into dist/ (DIST_DIR):
#   onboard-VERSION-x86_64-unknown-linux-musl.tar.gz  a static Linux binary, with the man pages
#   onboard-VERSION-x86_64-pc-windows-gnu.zip         onboard.exe
#   onboard-m365_VERSION_amd64.deb                    the static binary, man pages, completions
#   onboard-VERSION-TARGET.cdx.json                   a CycloneDX SBOM for each archive
#   SHA256SUMS (and SHA256SUMS.sig, signed with ssh-keygen when ONBOARD_SIGNING_KEY is set)
#   manifests/                                        winget, Scoop and Homebrew, ready to submit
# Each archive holds README.md with the docs/ pages it links to, CHANGELOG.md, both licenses and
# the completion scripts. The binaries are built with the `dist` profile (fat LTO) by
# `cargo auditable`, which embeds their dependency list. The static binary is checked before it
# is packed: no dynamic dependency, --version runs, and a non-interactive invite plus validate
# pass against `onboard simulate`. macOS binaries need an Apple SDK, which this machine has not
# (docs/ci/release-github-actions.yml builds them on a macOS runner with `--archive`). Not part
# of scripts/test.sh: dist builds take minutes; the test command runs `--prebuilt` with its own
# debug binaries, then scripts/check-dist.sh.
#
#   dist.sh                          build both binaries, then everything above
#   dist.sh --prebuilt LINUX WINDOWS everything above from binaries built elsewhere (no build)
#   dist.sh --archive TARGET BINARY  one more archive and its SBOM into DIST_DIR (kept as it is)
#   dist.sh --finish                 SHA256SUMS, its signature and the manifests, over every
#                                    archive in DIST_DIR
#
# Environment: ONBOARD_REPOSITORY  the GitHub repository the release is published in (owner/name;
#                                  default: the origin remote's), for the manifests' URLs
#              ONBOARD_SIGNING_KEY an ssh-keygen private key file that signs SHA256SUMS
#              DIST_DIR            default dist/
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
dist="${DIST_DIR:-$PWD/dist}"
linux=x86_64-unknown-linux-musl
windows=x86_64-pc-windows-gnu

# The GitHub repository that publishes the release, for the packages' and manifests' URLs.
if [ "${1:-}" != "--archive" ] && [ -z "${ONBOARD_REPOSITORY:-}" ]; then
  ONBOARD_REPOSITORY=$(git remote get-url origin 2>/dev/null |
    sed -n 's#^\(https://github.com/\|git@github.com:\)\([^/]*/[^/]*\)$#\2#p' | sed 's/\.git$//' || true)
  if [ -z "$ONBOARD_REPOSITORY" ]; then
    echo "dist: set ONBOARD_REPOSITORY to the GitHub repository (owner/name) that publishes the release" >&2
    exit 2
  fi
fi
export ONBOARD_REPOSITORY

# archive TARGET BINARY: onboard-VERSION-TARGET.tar.gz (.zip for Windows) and its SBOM in dist/.
archive() {
  local target=$1 binary=$2 name="onboard-$version-$1"
  rm -rf "${dist:?}/$name"
  mkdir -p "$dist/$name/completions"
  cp README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE "$dist/$name/"
  cp -R docs "$dist/$name/" # README links into docs/
  cp completions/* "$dist/$name/completions/"
  case "$target" in
  *windows*)
    cp "$binary" "$dist/$name/onboard.exe"
    rm -f "$dist/$name.zip"
    (cd "$dist" && python3 -m zipfile -c "$name.zip" "$name")
    ;;
  *)
    cp "$binary" "$dist/$name/onboard"
    mkdir -p "$dist/$name/man"
    cp man/*.1 "$dist/$name/man/"
    tar -C "$dist" -czf "$dist/$name.tar.gz" "$name"
    ;;
  esac
  rm -rf "${dist:?}/$name"
  python3 scripts/dist-sbom.py --target "$target" --version "$version" >"$dist/$name.cdx.json"
}

# finish: checksums of every file released, their signature, and the manifests made from them.
finish() {
  (
    cd "$dist"
    shopt -s nullglob
    rm -f SHA256SUMS SHA256SUMS.sig
    files=(*.tar.gz *.zip *.deb *.cdx.json)
    sha256sum -- "${files[@]}" >SHA256SUMS
  )
  if [ -n "${ONBOARD_SIGNING_KEY:-}" ]; then
    ssh-keygen -q -Y sign -f "$ONBOARD_SIGNING_KEY" -n onboard-release "$dist/SHA256SUMS"
  else
    echo "dist: ONBOARD_SIGNING_KEY is not set: SHA256SUMS is not signed" >&2
  fi
  rm -rf "${dist:?}/manifests"
  python3 scripts/dist-manifests.py --dist "$dist" --version "$version" --repository "$ONBOARD_REPOSITORY"
  ls -lR "$dist"
  cat "$dist/SHA256SUMS"
}

case "${1:-}" in
--archive)
  [ $# -eq 3 ] || { echo "usage: dist.sh --archive TARGET BINARY" >&2; exit 2; }
  mkdir -p "$dist"
  archive "$2" "$3"
  exit 0
  ;;
--finish)
  finish
  exit 0
  ;;
--prebuilt)
  [ $# -eq 3 ] || { echo "usage: dist.sh --prebuilt LINUX_BINARY WINDOWS_EXE" >&2; exit 2; }
  # Debug binaries carry debug info that no package needs (the embedded dependency list stays).
  prebuilt=$(mktemp -d)
  trap 'rm -rf "$prebuilt"' EXIT
  bin="$prebuilt/onboard"
  exe="$prebuilt/onboard.exe"
  strip --strip-debug -o "$bin" "$2"
  x86_64-w64-mingw32-strip --strip-debug -o "$exe" "$3"
  ;;
"")
  bash scripts/install-cross.sh
  bash scripts/install-dist-tools.sh
  # ring compiles C for the target: musl's own gcc wrapper for the static build.
  CC_x86_64_unknown_linux_musl=musl-gcc cargo auditable build --locked --profile dist --target "$linux"
  cargo auditable build --locked --profile dist --target "$windows"
  bin="$target_dir/$linux/dist/onboard"
  exe="$target_dir/$windows/dist/onboard.exe"

  echo "Checking the static binary" >&2
  ldd_out=$(ldd "$bin" 2>&1 || true)
  if ! grep -qE "not a dynamic executable|statically linked" <<<"$ldd_out"; then
    echo "dist: $bin has dynamic dependencies:" >&2
    echo "$ldd_out" >&2
    exit 1
  fi
  "$bin" --version
  python3 scripts/dist-smoke.py "$bin"
  ;;
*)
  echo "usage: dist.sh [--prebuilt LINUX WINDOWS | --archive TARGET BINARY | --finish]" >&2
  exit 2
  ;;
esac

rm -rf "$dist"
mkdir -p "$dist"
archive "$linux" "$bin"
archive "$windows" "$exe"
bash scripts/dist-deb.sh "$bin" "$dist"
finish
if [ -z "${1:-}" ]; then
  # The release files checked as the test command checks its own (scripts/check-dist.sh), both
  # binaries' embedded dependency lists included.
  PYTHONPATH="${ONBOARD_DIST_PY_DIR:-$HOME/.cache/onboard-dist/python}${PYTHONPATH:+:$PYTHONPATH}" \
    python3 scripts/check-dist.py --dist "$dist" --version "$version" \
    --auditable "$linux" --auditable "$windows"
  ruby -c "$dist/manifests/homebrew/onboard.rb"
fi
