#!/usr/bin/env bash
# Installs those of the Debian packages named after WHAT that are not installed yet (with
# recommends, as on the machines the suite was written on: gnome-keyring, Xvfb fonts), through
# sudo when not root. Quick when all are there. Usage: apt-install-missing.sh WHAT PACKAGE...
set -euo pipefail
what=$1
shift
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing $what: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
