#!/usr/bin/env bash
# Records the README's wizard transcript from a real run: `onboard invite --demo
# --require-approval` in a tmux pane, answered with the keys a person would press.
# Usage: bash scripts/capture-transcript.sh [BINARY]   (writes docs/transcript.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/onboard}
[ -x "$bin" ] || cargo build --release --quiet
session="onboard-transcript-$$"
out=docs/transcript.txt

wait_for() { # text
  for _ in $(seq 1 100); do
    tmux capture-pane -p -t "$session" -S - | grep -qF -- "$1" && return 0
    sleep 0.2
  done
  echo "never saw: $1" >&2
  tmux capture-pane -p -t "$session" -S - >&2
  exit 1
}

tmux new-session -d -s "$session" -x 200 -y 200 \
  "env -u DISPLAY -u WAYLAND_DISPLAY -u BROWSER NO_COLOR=1 $bin invite --demo --require-approval; echo; echo \"[exit code \$?]\"; sleep 30"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
wait_for "Start the sign-in?"
tmux send-keys -t "$session" y Enter
wait_for "Waiting for sign-in"
tmux send-keys -t "$session" s
wait_for "press [r] to request approval"
tmux send-keys -t "$session" r
# Entra answers "Request approval" like a plain decline, so the wizard asks which it was.
wait_for "[Enter] the reviewer has approved"
tmux send-keys -t "$session" v
wait_for "attempt 2"
wait_for "Waiting for sign-in"
sleep 1
tmux send-keys -t "$session" s
wait_for "[exit code"
# The pane as a person saw it, without the trailing blank lines and spinner leftovers.
tmux capture-pane -p -t "$session" -S - | sed -e 's/[[:space:]]*$//' | awk 'NF {blank=0} !NF {blank++} blank<2' > "$out"
echo "wrote $out"
