# What the `validate --all` benchmarks share: settings, the binary, the simulated tenant and
# the timing helpers. Sourced by scripts/bench-validate*.sh, which set BIN and work (a temp dir).

JOBS=${JOBS:-64}
LATENCY_MS=${LATENCY_MS:-50}
# Each profile asks the tenant for a token, Graph /me and Graph /organization.
REQUESTS_PER_PROFILE=3

# $ONBOARD_BIN, or the release build, built here.
onboard_binary() {
  if [ -n "${ONBOARD_BIN:-}" ]; then
    echo "$ONBOARD_BIN"
    return
  fi
  cargo build --release --quiet --bin onboard >&2
  echo "${CARGO_TARGET_DIR:-$PWD/target}/release/onboard"
}

require_gnu_time() {
  command -v /usr/bin/time >/dev/null || { echo "install GNU time (apt-get install time)" >&2; exit 1; }
}

# CPU seconds (user + system) a running process has used so far.
cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"
}

# GNU time's wall clock (from its -v report in file $1), as seconds.
seconds() {
  python3 -c 'import sys,re
t=re.search(r"Elapsed \(wall clock\) time.*: (.*)", open(sys.argv[1]).read()).group(1).split(":")
print(round(sum(float(x)*60**i for i,x in enumerate(reversed(t))),2))' "$1"
}

# User plus system seconds from GNU time's -v report in file $1.
cpu_of_report() {
  awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.1f", u + s}' "$1"
}

# Peak RSS in MiB from GNU time's -v report in file $1.
peak_rss_mib() {
  awk -F': ' '/Maximum resident set size/ {print int($2 / 1024)}' "$1"
}

# N profiles x requests x latency / jobs: the time the checks take if only latency counted.
latency_bound() {
  python3 -c "print(round($1*$REQUESTS_PER_PROFILE*$LATENCY_MS/1000/$JOBS,2))"
}

# Starts `onboard simulate` with the latency; sets sim_pid, authority, client_id, account and
# control (its control API).
start_simulator() {
  # A file left by the previous size would name a simulator that is gone.
  rm -f "$work/sim.out"
  "$BIN" simulate --json --port 0 --interval 1 --latency-ms "$LATENCY_MS" >"$work/sim.out" 2>/dev/null &
  sim_pid=$!
  until [ -s "$work/sim.out" ]; do sleep 0.05; done
  local info
  info=$(head -1 "$work/sim.out")
  authority=$(jq -r .authority <<<"$info"); client_id=$(jq -r .client_id <<<"$info")
  account=$(jq -r .account <<<"$info"); control=$(jq -r .control <<<"$info")
}

# One real onboarding as profile `seed`, with the extra flags given (store, config dir); the
# user approves the code through the control API.
onboard_seed() {
  "$BIN" invite --non-interactive --json --profile seed --authority "$authority" \
      --client-id "$client_id" --account "$account" "$@" 2>/dev/null |
    while read -r event; do
      if [ "$(jq -r .event <<<"$event")" = device_code ]; then
        curl -sf -X POST -d "{\"user_code\":\"$(jq -r .user_code <<<"$event")\"}" "$control/approve" >/dev/null
      fi
    done
}

# How many requests the simulated tenant has answered so far.
tenant_requests() {
  curl -sf "$control/requests" | jq length
}

# Stops a process started by the benchmark, if it is running.
stop() {
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
