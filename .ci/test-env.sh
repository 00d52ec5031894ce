#!/bin/sh
# Installs the Debian packages the tests need: dbus-daemon and gnome-keyring for the private
# Secret Service, libsecret-tools (secret-tool) to check what the keyring really holds, and
# xvfb/xauth/xclip/tmux for the terminal and clipboard tests. Skips apt when all are present.
set -eu

packages="dbus-daemon gnome-keyring libsecret-tools xvfb xauth xclip tmux"

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "test-env: all present:$(printf ' %s' $packages)"
    exit 0
fi

echo "test-env: installing$missing"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is intended
$sudo apt-get install -y --no-install-recommends $missing
