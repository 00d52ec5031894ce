#!/usr/bin/env bash
# A Debian package of BINARY into DIR: onboard-m365_VERSION_amd64.deb, built with dpkg-deb alone.
#   /usr/bin/onboard
#   /usr/share/man/man1/onboard*.1.gz
#   /usr/share/bash-completion/completions/onboard       (bash-completion loads it on first Tab)
#   /usr/share/zsh/vendor-completions/_onboard           (Debian's zsh fpath)
#   /usr/share/fish/vendor_completions.d/onboard.fish
#   /usr/share/doc/onboard-m365/copyright, changelog.gz, README.md.gz, docs/*.md.gz
# The package is named onboard-m365 because Debian and Ubuntu already have a package `onboard`
# (an on-screen keyboard), which also installs /usr/bin/onboard: the two conflict.
# Usage: dist-deb.sh BINARY DIR, with ONBOARD_REPOSITORY (owner/name on GitHub) set;
# ONBOARD_MAINTAINER (default: the owner's GitHub no-reply address) names the maintainer;
# ONBOARD_DEB_COMPRESSION (default xz) is dpkg-deb's compressor.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=$1
out=$2
repository=${ONBOARD_REPOSITORY:?set ONBOARD_REPOSITORY to the GitHub repository (owner/name)}
maintainer=${ONBOARD_MAINTAINER:-${repository%%/*} <${repository%%/*}@users.noreply.github.com>}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
package=onboard-m365
deb="$out/${package}_${version}_amd64.deb"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
doc="$root/usr/share/doc/$package"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" "$doc" \
  "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
  "$root/usr/share/fish/vendor_completions.d"
install -m 755 "$binary" "$root/usr/bin/onboard"
for page in man/*.1; do
  gzip -9n <"$page" >"$root/usr/share/man/man1/$(basename "$page").gz"
done
install -m 644 completions/onboard.bash "$root/usr/share/bash-completion/completions/onboard"
install -m 644 completions/_onboard "$root/usr/share/zsh/vendor-completions/_onboard"
install -m 644 completions/onboard.fish "$root/usr/share/fish/vendor_completions.d/onboard.fish"
gzip -9n <README.md >"$doc/README.md.gz"
# README's links into docs/, compressed as Debian's policy asks of documentation.
for page in docs/*.md; do
  install -d "$doc/docs"
  gzip -9n <"$page" >"$doc/docs/$(basename "$page").gz"
done

# Debian's machine-readable copyright file; the MIT text is not in /usr/share/common-licenses.
{
  cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: onboard
Comment: The binary links the Rust crates listed, with their licences, in the CycloneDX SBOM
 released beside this package (onboard-$version-x86_64-unknown-linux-musl.cdx.json).

Files: *
Copyright: the onboard authors
License: MIT or Apache-2.0

License: MIT
EOF
  sed -e 's/^$/./' -e 's/^/ /' LICENSE-MIT
  cat <<EOF

License: Apache-2.0
 On Debian systems the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
EOF
} >"$doc/copyright"

date=$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")
gzip -9n >"$doc/changelog.gz" <<EOF
$package ($version) unstable; urgency=medium

  * Release $version of onboard. What changed is in the release notes of v$version.

 -- $maintainer  $date
EOF

# The dist binary is static; the test command's debug binary links glibc.
depends=""
if ldd "$root/usr/bin/onboard" 2>&1 | grep -q 'libc\.so'; then
  depends="Depends: libc6, libgcc-s1"$'\n'
fi
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: $package
Version: $version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $installed_size
${depends}Conflicts: onboard
Section: utils
Priority: optional
Homepage: https://github.com/$repository
Description: connect a Microsoft 365 tenant through OAuth and check it from CI
 onboard connects a customer's Microsoft 365 tenant to a service provider
 through OAuth 2.0 device-code sign-in (Entra ID), keeps the refresh token in
 the system's keyring, and checks that connection from CI with exit codes
 that say what to do.
EOF
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 755 {} +
find "$root/usr/share" -type f -exec chmod 644 {} +
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

mkdir -p "$out"
dpkg-deb --root-owner-group -Z"${ONBOARD_DEB_COMPRESSION:-xz}" --build "$root" "$deb" >/dev/null
echo "$deb"
