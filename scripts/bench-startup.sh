#!/usr/bin/env bash
# Start-up time of the commands that send no request, beside `onboard --version` and
# `gh auth status`, on a release build, in one hyperfine run.
#
#   scripts/bench-startup.sh        (env: RUNS=300 WARMUP=20; needs hyperfine, python3, and gh
#                                    if present)
#
# The onboard commands run with an empty --config-dir, so no profile is saved: `list`,
# `__profiles` (what a Tab in the shell runs) and `validate` (exit 3, not onboarded). gh runs
# with an empty GH_CONFIG_DIR, so `gh auth status` finds no account (exit 1) and sends nothing.
# Not a test: the numbers depend on the machine and on what else it is doing.
set -euo pipefail

RUNS=${RUNS:-300}
WARMUP=${WARMUP:-20}

cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --locked --quiet --bin onboard
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/onboard

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/config" "$work/gh"
# Nothing from the caller's environment may give onboard a profile or a credential.
unset ONBOARD_PROFILE ONBOARD_CONFIG_DIR ONBOARD_STORE ONBOARD_CREDENTIAL ONBOARD_CA_CERT

args=(
  -n "onboard --version" "$BIN --version"
  -n "onboard list" "$BIN list --config-dir $work/config"
  -n "onboard __profiles" "$BIN __profiles --config-dir $work/config"
  -n "onboard validate" "$BIN validate --config-dir $work/config"
)
if command -v gh >/dev/null; then
  args+=(-n "gh auth status" "gh auth status")
else
  echo "gh is not installed (apt-get install gh): measuring onboard only" >&2
fi

"$BIN" --version
command -v gh >/dev/null && gh --version | head -1
GH_CONFIG_DIR=$work/gh hyperfine -N -i --warmup "$WARMUP" --runs "$RUNS" \
  --export-json "$work/startup.json" "${args[@]}"

# Medians and minimums resist other load on the machine better than means.
python3 - "$work/startup.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
print("| command | median | min | mean ± σ |")
print("|---|---:|---:|---:|")
for r in results:
    ms = lambda s: f"{s * 1000:.1f} ms"
    print(f"| `{r['command']}` | {ms(r['median'])} | {ms(r['min'])} | {ms(r['mean'])} ± {ms(r['stddev'])} |")
PY
