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
# own (one refresh grant each, 64 at a time) and writes each profile's entry (the profile and
# its token) to the vault, then times
#   1. `onboard list --store vault`: reading N profiles from the vault, no tenant traffic;
#   2. `onboard validate --all --jobs $JOBS --store vault` under /usr/bin/time -v.
# Each profile makes 3 requests to the tenant (token, Graph /me, Graph /organization), so the
# latency bound is N x 3 x latency / jobs; the vault adds one list of the profiles and, per
# profile, 2 requests (the integration test `vault::validate_all_makes_a_fixed_number_of_vault_
# requests_per_profile` counts them in OpenBao's audit log): the read of the profile's entry
# (profile, last validation and refresh token in one) as its check starts, and its check-and-set
# write with the rotated token and the check's success, which the seed's last validation (a
# success) allows; a check that fails writes its failure too.
# CPU is reported per process: onboard (GNU time), OpenBao and
# the simulated tenant (/proc/PID/stat), since on a small machine they share the cores.
# Not a test: numbers depend on the machine. Needs curl, jq, python3 and GNU time.
set -Eeuo pipefail
trap 'echo "bench-validate-vault.sh: failed at line $LINENO" >&2' ERR

cd "$(dirname "$0")/.."
. scripts/bench-lib.sh
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000)
ROOT_TOKEN=bench-root-token
bash tests/vault/setup.sh >/dev/null
BAO=$PWD/tests/vault/bin/bao
BIN=$(onboard_binary)
require_gnu_time

work=$(mktemp -d)
sim_pid=
bao_pid=
cleanup() { stop "$sim_pid"; stop "$bao_pid"; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bench() {
  local n=$1 dir=$work/config-$1 port
  mkdir -p "$dir"
  port=$(free_port)
  HOME=$work "$BAO" server -dev -dev-no-store-token -dev-root-token-id="$ROOT_TOKEN" \
    -dev-listen-address="127.0.0.1:$port" >"$work/bao.log" 2>&1 &
  bao_pid=$!
  export VAULT_ADDR=http://127.0.0.1:$port VAULT_TOKEN=$ROOT_TOKEN
  until curl -sf "$VAULT_ADDR/v1/sys/health" >/dev/null; do sleep 0.1; done

  start_simulator
  # One real onboarding into the vault.
  onboard_seed --store vault --config-dir "$dir"

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
seed_token = seed.pop("refresh_token")
with urllib.request.urlopen(f"{authority}/.well-known/openid-configuration") as r:
    token_url = json.load(r)["token_endpoint"]
def one(i):
    form = urllib.parse.urlencode({"grant_type": "refresh_token", "client_id": client_id,
                                   "refresh_token": seed_token}).encode()
    with urllib.request.urlopen(token_url, data=form) as r:
        own = json.load(r)["refresh_token"]
    name = f"tenant-{i:05d}"
    vault("POST", f"data/onboard/profiles/{name}", {"data": {**seed, "refresh_token": own}})
with ThreadPoolExecutor(64) as pool:
    list(pool.map(one, range(1, n + 1)))
vault("DELETE", "metadata/onboard/profiles/seed")
PY

  /usr/bin/time -v -o "$work/time-list" "$BIN" list --json --store vault --config-dir "$dir" \
      >"$work/list.out" 2>"$work/list.err" || { cat "$work/list.err" >&2; exit 1; }
  local listed
  listed=$(jq '.profiles | length' "$work/list.out")

  local requests_before bao_cpu_before sim_cpu_before
  requests_before=$(tenant_requests)
  bao_cpu_before=$(cpu "$bao_pid"); sim_cpu_before=$(cpu "$sim_pid")
  # The simulated tenant is not a Microsoft cloud: vault profiles that sign in there must be
  # allowed on this machine.
  local tenant_host=${authority#*://}
  tenant_host=${tenant_host%%/*}
  /usr/bin/time -v -o "$work/time" "$BIN" validate --all --jobs "$JOBS" --store vault \
      --allow-authority "$tenant_host" \
      --config-dir "$dir" >"$work/validate.out" 2>"$work/validate.err" || true
  local requests bao_cpu sim_cpu
  bao_cpu=$(python3 -c "print(round($(cpu "$bao_pid") - $bao_cpu_before, 1))")
  sim_cpu=$(python3 -c "print(round($(cpu "$sim_pid") - $sim_cpu_before, 1))")
  requests=$(( $(tenant_requests) - requests_before ))
  grep -m 3 "✗" "$work/validate.out" >&2 || true
  grep -v "^warning" "$work/validate.err" | head -3 >&2 || true
  printf '| %s | %s | %s s | %s s | %s s / %s s / %s s | %s | %s MiB | %s |\n' "$n" "$requests" \
    "$(seconds "$work/time")" "$(latency_bound "$n")" "$(cpu_of_report "$work/time")" "$bao_cpu" \
    "$sim_cpu" "$(seconds "$work/time-list") s, $(peak_rss_mib "$work/time-list") MiB ($listed profiles)" \
    "$(peak_rss_mib "$work/time")" "$(tail -1 "$work/validate.out")"
  stop "$sim_pid"; sim_pid=
  stop "$bao_pid"; bao_pid=
}

echo "validate --all --jobs $JOBS --store vault (OpenBao $("$BAO" version | awk '{print $2}'), dev mode, in memory, loopback), simulated latency ${LATENCY_MS} ms, $(nproc) cores, ${ONBOARD_BIN:-release build}"
echo
echo "| profiles | tenant requests | wall time | latency bound | CPU onboard / vault / tenant | list (vault reads only) | peak RSS | summary |"
echo "|---:|---:|---:|---:|---:|---:|---:|---|"
for n in "${SIZES[@]}"; do bench "$n"; done
