#!/usr/bin/env bash
# Load benchmark of the directory search API against the trivial /health endpoint.
#
#   scripts/bench-directory.sh            # 50,000 psychologists, 20 s per run
#   N=10000 DURATION=10s CONNECTIONS=32 scripts/bench-directory.sh
#
# Targets (issue 3): search p99 < 10 ms, search throughput >= 50 % of /health, server RSS < 300 MB,
# checked on the server as it runs (with its cache of JSON answers); the same load is then run
# against a server without that cache (MSP_SEARCH_CACHE=0) and reported for information.
# Prints the figures and exits 1 when a target is missed (STRICT=0 to only report).
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-50000}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-1}"
PORT="${PORT:-18089}"
STRICT="${STRICT:-1}"

if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""; if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi

cargo build --release --locked -p msp-web --example directory_bench
BIN="${CARGO_TARGET_DIR:-target}/release/examples/directory_bench"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

DB="sqlite://$WORK/bench.db"
"$BIN" generate "$DB" "$N"
"$BIN" serve "$DB" "127.0.0.1:$PORT" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null
cat "$WORK/server.log" >&2
# Into a file first: `curl | head` fails under pipefail when head closes the pipe early.
curl -fsS "http://127.0.0.1:$PORT/api/psychologues?q=Paris" -o "$WORK/first.json"
head -c 300 "$WORK/first.json"; echo

# Warm-up.
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s scripts/bench-directory.lua "http://127.0.0.1:$PORT" >/dev/null

echo "== /health"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$PORT/health" | tee "$WORK/health.txt"
echo "== /api/psychologues (places and filters varied)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/bench-directory.lua \
  "http://127.0.0.1:$PORT" | tee "$WORK/search.txt"

RSS_KB=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
HWM_KB=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""

# The same load without the answer cache: every request runs the search and the JSON.
MSP_SEARCH_CACHE=0 "$BIN" serve "$DB" "127.0.0.1:$PORT" 2>"$WORK/server2.log" &
SERVER_PID=$!
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s scripts/bench-directory.lua "http://127.0.0.1:$PORT" >/dev/null
echo "== /api/psychologues without the answer cache (MSP_SEARCH_CACHE=0)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/bench-directory.lua \
  "http://127.0.0.1:$PORT" | tee "$WORK/uncached.txt"
U_HWM_KB=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")

# wrk prints latencies as 1.23ms / 456.78us / 1.20s; convert to ms.
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v } else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 } else print v }'; }
rps() { awk '/^Requests\/sec/ {print $2}' "$1"; }
p99() { to_ms "$(awk '$1 == "99%" {print $2}' "$1")"; }
p50() { to_ms "$(awk '$1 == "50%" {print $2}' "$1")"; }

H_RPS=$(rps "$WORK/health.txt"); S_RPS=$(rps "$WORK/search.txt")
H_P99=$(p99 "$WORK/health.txt"); S_P99=$(p99 "$WORK/search.txt"); S_P50=$(p50 "$WORK/search.txt")
U_RPS=$(rps "$WORK/uncached.txt"); U_P99=$(p99 "$WORK/uncached.txt"); U_P50=$(p50 "$WORK/uncached.txt")
U_RATIO=$(awk -v s="$U_RPS" -v h="$H_RPS" 'BEGIN { printf "%.1f", 100 * s / h }')
U_HWM_MB=$(awk -v k="$U_HWM_KB" 'BEGIN { printf "%.0f", k / 1024 }')
RATIO=$(awk -v s="$S_RPS" -v h="$H_RPS" 'BEGIN { printf "%.1f", 100 * s / h }')
RSS_MB=$(awk -v k="$RSS_KB" 'BEGIN { printf "%.0f", k / 1024 }')
HWM_MB=$(awk -v k="$HWM_KB" 'BEGIN { printf "%.0f", k / 1024 }')

echo
echo "== Summary ($N psychologists, $CONNECTIONS connections, $THREADS wrk thread(s), $DURATION, $(nproc) cores)"
echo "health: ${H_RPS} req/s, p99 ${H_P99} ms"
echo "search: ${S_RPS} req/s, p50 ${S_P50} ms, p99 ${S_P99} ms, ${RATIO} % of health"
echo "server RSS: ${RSS_MB} MB (peak ${HWM_MB} MB)"
echo "search without cache: ${U_RPS} req/s, p50 ${U_P50} ms, p99 ${U_P99} ms, ${U_RATIO} % of health, RSS peak ${U_HWM_MB} MB (informational)"

FAIL=0
awk -v v="$S_P99" 'BEGIN { exit !(v < 10) }' || { echo "MISSED: search p99 ${S_P99} ms >= 10 ms"; FAIL=1; }
awk -v v="$RATIO" 'BEGIN { exit !(v >= 50) }' || { echo "MISSED: search throughput ${RATIO} % < 50 % of health"; FAIL=1; }
awk -v v="$HWM_MB" 'BEGIN { exit !(v < 300) }' || { echo "MISSED: server RSS peak ${HWM_MB} MB >= 300 MB"; FAIL=1; }
if [ "$FAIL" = 0 ]; then echo "All targets met."; fi
if [ "$STRICT" = "1" ]; then exit "$FAIL"; fi
