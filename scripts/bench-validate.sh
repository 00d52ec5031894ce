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
# `onboard validate --all --jobs $JOBS` under /usr/bin/time -v, with the CPU time onboard and
# the simulated tenant used meanwhile. Each profile makes 3 requests (token, Graph /me, Graph
# /organization), so the latency bound is N x 3 x latency / jobs.
# Not a test: numbers depend on the machine. Needs curl, jq, python3 and GNU time.
set -Eeuo pipefail
trap 'echo "bench-validate.sh: failed at line $LINENO" >&2' ERR

cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 1000)
BIN=$(onboard_binary)
require_gnu_time

work=$(mktemp -d)
sim_pid=
cleanup() { stop "$sim_pid"; rm -rf "$work"; }
trap cleanup EXIT

bench() {
  local n=$1 dir=$work/config-$1
  mkdir -p "$dir"
  start_simulator
  onboard_seed --store file --config-dir "$dir"

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
  local requests_before sim_cpu_before
  requests_before=$(tenant_requests)
  sim_cpu_before=$(cpu "$sim_pid")
  /usr/bin/time -v -o "$work/time" "$BIN" validate --all --jobs "$JOBS" --config-dir "$dir" \
      >"$work/validate.out" 2>"$work/validate.err" || true
  local sim_cpu requests
  sim_cpu=$(python3 -c "print(round($(cpu "$sim_pid") - $sim_cpu_before, 1))")
  requests=$(( $(tenant_requests) - requests_before ))
  grep -m 3 "✗" "$work/validate.out" >&2 || true
  printf '| %s | %s | %s s | %s s | %s s / %s s | %s MiB | %s |\n' "$n" "$requests" \
    "$(seconds "$work/time")" "$(latency_bound "$n")" "$(cpu_of_report "$work/time")" "$sim_cpu" \
    "$(peak_rss_mib "$work/time")" "$(tail -1 "$work/validate.out")"
  stop "$sim_pid"; sim_pid=
}

echo "validate --all --jobs $JOBS, simulated latency ${LATENCY_MS} ms, $(nproc) cores, ${ONBOARD_BIN:-release build}"
echo
echo "| profiles | requests | wall time | latency bound | CPU onboard / tenant | peak RSS | summary |"
echo "|---:|---:|---:|---:|---:|---:|---|"
for n in "${SIZES[@]}"; do bench "$n"; done
