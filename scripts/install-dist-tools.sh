#!/usr/bin/env bash
# Installs what scripts/dist.sh and its checks (scripts/check-dist.sh) need, when any is missing:
#   bash-completion + man-db + tmux  the Debian package is checked as a user would: `man -w`, and
#                                    Tab completion typed into a fresh interactive bash
#   ruby                             `ruby -c` on the Homebrew formula (Homebrew itself does not
#                                    run on this machine)
#   openssh-client                   ssh-keygen, which signs and verifies SHA256SUMS
#   binutils                         objcopy, which reads the dependency list out of a binary
#   cargo-auditable (crates.io)      embeds that list in the binaries (`cargo auditable build`);
#                                    a small crate, about a minute to compile on two cores
#   jsonschema + PyYAML (PyPI)       validate the manifests and the SBOMs against their published
#                                    schemas (tests/data/schemas/); installed into
#                                    ONBOARD_DIST_PY_DIR (default ~/.cache/onboard-dist/python),
#                                    not into the system Python
# Quick when everything is there already.
set -euo pipefail

packages=(bash-completion man-db tmux ruby openssh-client binutils)
python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
bash "$(dirname "$0")/apt-install-missing.sh" "packaging tools" "${packages[@]}"

auditable_version=0.7.7
if ! cargo install --list | grep -qx "cargo-auditable v$auditable_version:"; then
  echo "Installing cargo-auditable $auditable_version" >&2
  cargo install --locked --quiet cargo-auditable --version "$auditable_version"
fi

py_dir="${ONBOARD_DIST_PY_DIR:-$HOME/.cache/onboard-dist/python}"
if ! PYTHONPATH="$py_dir" python3 -c 'import jsonschema, referencing, yaml' 2>/dev/null; then
  echo "Installing jsonschema and PyYAML into $py_dir" >&2
  python3 -m pip install --quiet --disable-pip-version-check --upgrade --target "$py_dir" \
    'jsonschema==4.26.0' 'PyYAML==6.0.3'
fi
