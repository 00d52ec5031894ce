#!/usr/bin/env bash
# Benchmark `onboard validate --all --store vault` against the simulated tenant with added
# latency and a real OpenBao server (`bao server -dev`, in memory, on loopback).
#
#   scripts/bench-validate-vault.sh [N...]   (default: 1000; env: JOBS=64 LATENCY_MS=50,
#                                             ONBOARD_BIN=a built binary instead of the release build)
#
# For each N: starts OpenBao (installed by tests/vault/setup.sh) and
# `onboard simulate --latency-ms $LATENCY_MS`, signs in one profile through
# `onboard invite --non-interactive --store vault`, gives N profiles a refresh token of their
# own (one refresh grant each, 64 at a time) and writes them to the vault, then times
#   1. `onboard list --store vault`: reading N profiles from the vault, no tenant traffic;
#   2. `onboard validate --all --jobs $JOBS --store vault` under /usr/bin/time -v.
# Each profile makes 3 requests to the tenant (token, Graph /me, Graph /organization), so the
# latency bound is N x 3 x latency / jobs; the vault adds, per profile, a profile read and a
# credential read and write (check-and-set) during the run, and a profile read and write for
# the last validation at its end.
# Not a test: numbers depend on the machine. Needs curl, jq, python3 and GNU time.
set -euo pipefail
trap 'echo "bench-validate-vault.sh: failed at line $LINENO" >&2' ERR

JOBS=${JOBS:-64}
LATENCY_MS=${LATENCY_MS:-50}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000)
REQUESTS_PER_PROFILE=3
ROOT_TOKEN=bench-root-token

cd "$(dirname "$0")/.."
bash tests/vault/setup.sh >/dev/null
BAO=$PWD/tests/vault/bin/bao
if [ -z "${ONBOARD_BIN:-}" ]; then
  cargo build --release --quiet --bin onboard
fi
BIN=${ONBOARD_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/onboard}
command -v /usr/bin/time >/dev/null || { echo "install GNU time (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d)
sim_pid=
bao_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
  [ -n "$bao_pid" ] && kill "$bao_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cpu() { # CPU seconds (user + system) a running process has used so far
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"
}

seconds() { # GNU time's wall clock as seconds
  python3 -c 'import sys,re
t=re.search(r"Elapsed \(wall clock\) time.*: (.*)", open(sys.argv[1]).read()).group(1).split(":")
print(round(sum(float(x)*60**i for i,x in enumerate(reversed(t))),2))' "$1"
}

bench() {
  local n=$1 dir=$work/config-$1 port
  mkdir -p "$dir"
  port=$(free_port)
  HOME=$work "$BAO" server -dev -dev-no-store-token -dev-root-token-id="$ROOT_TOKEN" \
    -dev-listen-address="127.0.0.1:$port" >"$work/bao.log" 2>&1 &
  bao_pid=$!
  export VAULT_ADDR=http://127.0.0.1:$port VAULT_TOKEN=$ROOT_TOKEN
  until curl -sf "$VAULT_ADDR/v1/sys/health" >/dev/null; do sleep 0.1; done

  "$BIN" simulate --json --port 0 --interval 1 --latency-ms "$LATENCY_MS" >"$work/sim.out" 2>/dev/null &
  sim_pid=$!
  until [ -s "$work/sim.out" ]; do sleep 0.05; done
  local info authority client_id account control
  info=$(head -1 "$work/sim.out")
  authority=$(jq -r .authority <<<"$info"); client_id=$(jq -r .client_id <<<"$info")
  account=$(jq -r .account <<<"$info"); control=$(jq -r .control <<<"$info")

  # One real onboarding into the vault; the user approves the code through the control API.
  "$BIN" invite --non-interactive --json --store vault --config-dir "$dir" --profile seed \
      --authority "$authority" --client-id "$client_id" --account "$account" 2>/dev/null |
    while read -r event; do
      if [ "$(jq -r .event <<<"$event")" = device_code ]; then
        curl -sf -X POST -d "{\"user_code\":\"$(jq -r .user_code <<<"$event")\"}" "$control/approve" >/dev/null
      fi
    done

  # N profiles in the vault, each with a refresh token of its own from one refresh grant.
  python3 - "$n" "$authority" "$client_id" <<'PY'
import json, os, sys, urllib.parse, urllib.request
from concurrent.futures import ThreadPoolExecutor
n, authority, client_id = int(sys.argv[1]), sys.argv[2], sys.argv[3]
addr, token = os.environ["VAULT_ADDR"], os.environ["VAULT_TOKEN"]
def vault(method, path, body=None):
    req = urllib.request.Request(f"{addr}/v1/secret/{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-Vault-Token": token})
    with urllib.request.urlopen(req) as r:
        text = r.read()
        return json.loads(text) if text else None
seed = vault("GET", "data/onboard/profiles/seed")["data"]["data"]
seed_token = vault("GET", "data/onboard/credentials/seed")["data"]["data"]["refresh_token"]
with urllib.request.urlopen(f"{authority}/.well-known/openid-configuration") as r:
    token_url = json.load(r)["token_endpoint"]
def one(i):
    form = urllib.parse.urlencode({"grant_type": "refresh_token", "client_id": client_id,
                                   "refresh_token": seed_token}).encode()
    with urllib.request.urlopen(token_url, data=form) as r:
        own = json.load(r)["refresh_token"]
    name = f"tenant-{i:05d}"
    vault("POST", f"data/onboard/credentials/{name}", {"data": {"refresh_token": own}})
    vault("POST", f"data/onboard/profiles/{name}", {"data": seed})
with ThreadPoolExecutor(64) as pool:
    list(pool.map(one, range(1, n + 1)))
vault("DELETE", "metadata/onboard/profiles/seed")
vault("DELETE", "metadata/onboard/credentials/seed")
PY

  /usr/bin/time -v -o "$work/time-list" "$BIN" list --json --store vault --config-dir "$dir" \
      >"$work/list.out" 2>"$work/list.err" || { cat "$work/list.err" >&2; exit 1; }
  local listed
  listed=$(jq '.profiles | length' "$work/list.out")

  local requests_before bao_cpu_before sim_cpu_before
  requests_before=$(curl -sf "$control/requests" | jq length)
  bao_cpu_before=$(cpu "$bao_pid"); sim_cpu_before=$(cpu "$sim_pid")
  /usr/bin/time -v -o "$work/time" "$BIN" validate --all --jobs "$JOBS" --store vault \
      --config-dir "$dir" >"$work/validate.out" 2>"$work/validate.err" || true
  local wall rss summary requests bound list_wall onboard_cpu bao_cpu sim_cpu
  bao_cpu=$(python3 -c "print(round($(cpu "$bao_pid") - $bao_cpu_before, 1))")
  sim_cpu=$(python3 -c "print(round($(cpu "$sim_pid") - $sim_cpu_before, 1))")
  onboard_cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.1f", u + s}' "$work/time")
  wall=$(seconds "$work/time")
  list_wall=$(seconds "$work/time-list")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
  summary=$(tail -1 "$work/validate.out")
  grep -m 3 "✗" "$work/validate.out" >&2 || true
  grep -v "^warning" "$work/validate.err" | head -3 >&2 || true
  requests=$(( $(curl -sf "$control/requests" | jq length) - requests_before ))
  bound=$(python3 -c "print(round($n*$REQUESTS_PER_PROFILE*$LATENCY_MS/1000/$JOBS,2))")
  printf '| %s | %s | %s s | %s s | %s s / %s s / %s s | %s | %s MiB | %s |\n' "$n" "$requests" \
    "$wall" "$bound" "$onboard_cpu" "$bao_cpu" "$sim_cpu" "$list_wall s ($listed profiles)" \
    "$(( rss / 1024 ))" "$summary"
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=
  kill "$bao_pid"; wait "$bao_pid" 2>/dev/null || true; bao_pid=
}

echo "validate --all --jobs $JOBS --store vault (OpenBao $("$BAO" version | awk '{print $2}'), dev mode, in memory, loopback), simulated latency ${LATENCY_MS} ms, $(nproc) cores, ${ONBOARD_BIN:-release build}"
echo
echo "| profiles | tenant requests | wall time | latency bound | CPU onboard / vault / tenant | list (vault reads only) | peak RSS | summary |"
echo "|---:|---:|---:|---:|---:|---:|---:|---|"
for n in "${SIZES[@]}"; do bench "$n"; done
