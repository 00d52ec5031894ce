#!/usr/bin/env bash
# Installs the Debian package DEB with dpkg -i, checks it as a user would, and removes it:
#   `onboard --version` from PATH, `man -w onboard-invite`, and `onboard inv` + Tab typed into a
#   fresh interactive bash (Debian's default ~/.bashrc, which loads bash-completion) in tmux
#   completing to `onboard invite`; then dpkg -r, after which no file of the package is left.
# Needs root, dpkg, man-db, bash-completion and tmux (scripts/install-dist-tools.sh). Refuses to
# run where onboard is installed already; whatever fails, the package is removed on the way out.
# Usage: check-deb.sh DEB
set -euo pipefail

deb=$1
package=$(dpkg-deb --field "$deb" Package)
version=$(dpkg-deb --field "$deb" Version)
fail() {
  echo "check-deb: $*" >&2
  exit 1
}

installed() { dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; }
installed && fail "$package is installed on this machine already; remove it first (dpkg -r $package)"
if command -v onboard >/dev/null; then
  fail "$(command -v onboard) exists already; this check installs /usr/bin/onboard and must not shadow or replace another"
fi

work=$(mktemp -d)
socket="onboard-check-deb-$$"
cleanup() {
  tmux -L "$socket" kill-server 2>/dev/null || true
  if installed; then
    echo "check-deb: removing $package after a failure" >&2
    dpkg -r "$package" >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The package's files and links, as dpkg-deb lists them (./usr/bin/onboard -> /usr/bin/onboard).
dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -n 's#^\./#/#p' | grep -v '/$' >"$work/files"

grep -qx "/usr/share/doc/$package/docs/guide.md.gz" "$work/files" ||
  fail "the package lacks docs/guide.md, which README links to"

echo "check-deb: dpkg -i $deb" >&2
dpkg -i "$deb" >/dev/null

out=$(onboard --version) || fail "onboard --version failed: $out"
[ "$out" = "onboard $version" ] || fail "onboard --version printed '$out', expected 'onboard $version'"

page=$(man -w onboard-invite) || fail "man -w onboard-invite found no page"
[ "$page" = /usr/share/man/man1/onboard-invite.1.gz ] || fail "man -w onboard-invite found $page"

# A fresh user's interactive bash, with Debian's default ~/.bashrc (it loads bash-completion).
mkdir -p "$work/home"
cp /etc/skel/.bashrc "$work/home/.bashrc"
tmux -L "$socket" -f /dev/null new-session -d -x 120 -y 20 -c "$work/home" \
  env -i HOME="$work/home" TERM=xterm PATH=/usr/local/bin:/usr/bin:/bin bash -i
completed=""
for _ in $(seq 1 50); do
  screen=$(tmux -L "$socket" capture-pane -p)
  if [ -z "$completed" ] && grep -q '[$#] *$' <<<"$screen"; then
    tmux -L "$socket" send-keys -l "onboard inv"
    tmux -L "$socket" send-keys Tab
    completed=sent
  elif [ -n "$completed" ] && grep -q '[$#] onboard invite *$' <<<"$screen"; then
    completed=yes
    break
  fi
  sleep 0.2
done
[ "$completed" = yes ] || fail "bash did not complete 'onboard inv<TAB>' to 'onboard invite'; the screen was:
$(tmux -L "$socket" capture-pane -p)"
tmux -L "$socket" kill-server

echo "check-deb: dpkg -r $package" >&2
dpkg -r "$package" >/dev/null
installed && fail "$package is still installed after dpkg -r"
left=()
while IFS= read -r f; do
  [ -e "$f" ] || [ -L "$f" ] && left+=("$f")
done <"$work/files"
[ ${#left[@]} -eq 0 ] || fail "dpkg -r left ${left[*]}"
command -v onboard >/dev/null && fail "onboard is still on PATH after dpkg -r"
echo "check-deb: $package $version installed, answered --version, man -w and bash completion, and was removed leaving no file ($(wc -l <"$work/files") files)" >&2
