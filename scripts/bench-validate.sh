#!/usr/bin/env bash
# Benchmark `onboard validate --all` against the simulated tenant with added latency.
#
#   scripts/bench-validate.sh [N...]        (default: 100 1000; env: JOBS=64 LATENCY_MS=50,
#                                           ONBOARD_BIN=prebuilt binary)
#
# For each N: starts `onboard simulate --latency-ms $LATENCY_MS`, signs in one profile through
# `onboard invite --non-interactive` (approving its code through the control API), gives N
# profiles a refresh token of their own (one refresh grant each against the simulated tenant,
# 8 at a time) in a temp --config-dir with --store file, then times
# `onboard validate --all --jobs $JOBS` under /usr/bin/time -v. Each profile makes 3 requests
# (token, Graph /me, Graph /organization), so the latency bound is N x 3 x latency / jobs.
# Not a test: numbers depend on the machine. Needs curl, jq, python3 and GNU time.
set -euo pipefail

JOBS=${JOBS:-64}
LATENCY_MS=${LATENCY_MS:-50}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 1000)
REQUESTS_PER_PROFILE=3

cd "$(dirname "$0")/.."
# ONBOARD_BIN: an onboard binary already built (release), instead of building one here.
if [ -n "${ONBOARD_BIN:-}" ]; then
  BIN=$ONBOARD_BIN
else
  cargo build --release --quiet --bin onboard
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/onboard
fi
command -v /usr/bin/time >/dev/null || { echo "install GNU time (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d)
sim_pid=
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

bench() {
  local n=$1 dir=$work/config-$1
  mkdir -p "$dir"
  "$BIN" simulate --json --port 0 --interval 1 --latency-ms "$LATENCY_MS" >"$work/sim.out" 2>/dev/null &
  sim_pid=$!
  until [ -s "$work/sim.out" ]; do sleep 0.05; done
  local info authority client_id account control
  info=$(head -1 "$work/sim.out")
  authority=$(jq -r .authority <<<"$info"); client_id=$(jq -r .client_id <<<"$info")
  account=$(jq -r .account <<<"$info"); control=$(jq -r .control <<<"$info")

  # One real onboarding; the user approves the code through the control API.
  "$BIN" invite --non-interactive --json --store file --config-dir "$dir" --profile seed \
      --authority "$authority" --client-id "$client_id" --account "$account" 2>/dev/null |
    while read -r event; do
      if [ "$(jq -r .event <<<"$event")" = device_code ]; then
        curl -sf -X POST -d "{\"user_code\":\"$(jq -r .user_code <<<"$event")\"}" "$control/approve" >/dev/null
      fi
    done

  # N profiles, each with a refresh token of its own from one refresh grant.
  local seed_token token_url
  # The file store keeps each profile's credential in credentials/<first 16 bytes of the
  # SHA-256 of its name, in hex>.json.
  seed_token=$(python3 -c 'import hashlib,json,sys; d,n=sys.argv[1:]
print(json.load(open(f"{d}/credentials/{hashlib.sha256(n.encode()).hexdigest()[:32]}.json"))["refresh_token"])' "$dir" seed)
  token_url=$(curl -sf "$authority/.well-known/openid-configuration" | jq -r .token_endpoint)
  seq 1 "$n" | xargs -P 8 -I{} sh -c \
    'curl -sf -d grant_type=refresh_token -d "client_id=$1" --data-urlencode "refresh_token=$2" "$3" | jq -r .refresh_token' \
    _ "$client_id" "$seed_token" "$token_url" >"$work/tokens"
  python3 - "$dir" "$work/tokens" <<'PY'
import hashlib, json, os, sys
d, tokens = sys.argv[1], open(sys.argv[2]).read().split()
def credential(name):
    return f"{d}/credentials/{hashlib.sha256(name.encode()).hexdigest()[:32]}.json"
profiles = json.load(open(f"{d}/profiles.json"))
seed = profiles["profiles"].pop("seed"); os.remove(credential("seed"))
for i, token in enumerate(tokens, 1):
    name = f"tenant-{i:05d}"
    profiles["profiles"][name] = dict(seed)
    fd = os.open(credential(name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"version": 1, "profile": name, "refresh_token": token}, f)
json.dump(profiles, open(f"{d}/profiles.json", "w"))
PY
  local requests_before
  requests_before=$(curl -sf "$control/requests" | jq length)
  /usr/bin/time -v -o "$work/time" "$BIN" validate --all --jobs "$JOBS" --config-dir "$dir" \
      >"$work/validate.out" 2>"$work/validate.err" || true
  local wall rss summary requests bound
  wall=$(python3 -c 'import sys,re
t=re.search(r"Elapsed \(wall clock\) time.*: (.*)", open(sys.argv[1]).read()).group(1).split(":")
print(round(sum(float(x)*60**i for i,x in enumerate(reversed(t))),2))' "$work/time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
  summary=$(tail -1 "$work/validate.out")
  grep -m 3 "✗" "$work/validate.out" >&2 || true
  requests=$(( $(curl -sf "$control/requests" | jq length) - requests_before ))
  bound=$(python3 -c "print(round($n*$REQUESTS_PER_PROFILE*$LATENCY_MS/1000/$JOBS,2))")
  printf '| %s | %s | %s s | %s s | %s MiB | %s |\n' "$n" "$requests" "$wall" "$bound" \
    "$(( rss / 1024 ))" "$summary"
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=
}

echo "validate --all --jobs $JOBS, simulated latency ${LATENCY_MS} ms, $(nproc) cores, release build"
echo
echo "| profiles | requests | wall time | latency bound | peak RSS | summary |"
echo "|---:|---:|---:|---:|---:|---|"
for n in "${SIZES[@]}"; do bench "$n"; done
