#!/usr/bin/env bash
# Load through the proxy (issue 16): two `msp serve` (release build) on one PostgreSQL database
# behind Debian's nginx (round robin), against one server without the proxy, in the same run.
# Two loads, loopback only, bounded: the directory search, and a mix where one request in four
# is a signed-in page of the psychologist. Reports throughput, p99, errors, each server's memory,
# and the ratio fleet / one server.
#
#   scripts/bench-fleet.sh                      # demo --size small, 15 s per run, 32 connections
#   DURATION=10s CONNECTIONS=16 scripts/bench-fleet.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-32}"
SIZE="${SIZE:-small}"
ADMIN_URL="${MSP_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
DB_NAME="msp_bench_fleet"
DB_URL="${ADMIN_URL%/*}/$DB_NAME"
P1=18181; P2=18182; PX=18180

bash scripts/ensure-postgres.sh
bash scripts/ensure-nginx.sh
if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""; if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --locked -p msp-cli
MSP="${CARGO_TARGET_DIR:-target}/release/msp"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB_NAME" -c "CREATE DATABASE $DB_NAME" >/dev/null
echo "== demo --size $SIZE on PostgreSQL"
"$MSP" --db "$DB_URL" demo --size "$SIZE" >/dev/null
PASSWORD="mot de passe du banc de flotte"
MSP_DEMO_PASSWORD="$PASSWORD" "$MSP" --db "$DB_URL" demo-comptes >/dev/null 2>&1

wait_ready() {
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$1/ready" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "server :$1 not ready" >&2; exit 1
}
start_server() {
  RUST_LOG=warn "$MSP" --db "$DB_URL" serve --no-demo --addr "127.0.0.1:$1" 2>"$WORK/server-$1.log" &
  PIDS+=($!)
  eval "PID_$1=$!"
  wait_ready "$1"
}
cookie() {
  curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"email\":\"psychologue@demo.msp.test\",\"mot_de_passe\":\"$PASSWORD\"}" \
    "http://127.0.0.1:$1/api/connexion" | sed -n 's/^[Ss]et-[Cc]ookie: msp_session=\([^;]*\).*/\1/p'
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v } else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 } else print v }'; }
# name port cookie -> "rps p99_ms non2xx socket_errors"
load() {
  MSP_COOKIE="$3" wrk -t1 -c"$CONNECTIONS" -d3s -s scripts/bench-fleet.lua "http://127.0.0.1:$2" >/dev/null
  MSP_COOKIE="$3" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/bench-fleet.lua \
    "http://127.0.0.1:$2" >"$WORK/$1.txt"
  local rps p99 non2xx sock
  rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/$1.txt")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/$1.txt")")
  non2xx=$(sed -n 's/^non_2xx=//p' "$WORK/$1.txt")
  sock=$(sed -n 's/^socket_errors=//p' "$WORK/$1.txt")
  echo "$rps $p99 $non2xx $sock"
}
mem() { awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {printf "%d/%d", r/1024, h/1024}' "/proc/$1/status"; }

# One server, no proxy.
start_server $P1
C1="$(cookie $P1)"
[ -n "$C1" ] || { echo "sign-in failed" >&2; exit 1; }
read -r S1_RPS S1_P99 S1_BAD S1_SOCK <<<"$(load one-search $P1 "")"
read -r M1_RPS M1_P99 M1_BAD M1_SOCK <<<"$(load one-mix $P1 "$C1")"
ONE_MEM="$(mem "$PID_18181")"

# Two servers behind nginx.
start_server $P2
mkdir -p "$WORK/nginx"
for d in body proxy fastcgi uwsgi scgi; do mkdir -p "$WORK/nginx/$d"; done
N="$WORK/nginx"
cat >"$N/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $N/body; proxy_temp_path $N/proxy; fastcgi_temp_path $N/fastcgi;
  uwsgi_temp_path $N/uwsgi; scgi_temp_path $N/scgi;
  upstream msp { server 127.0.0.1:$P1; server 127.0.0.1:$P2; keepalive 64; }
  server {
    listen 127.0.0.1:$PX;
    location / {
      proxy_pass http://msp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout;
    }
  }
}
CONF
/usr/sbin/nginx -p "$N" -c "$N/nginx.conf" &
PIDS+=($!)
wait_ready $PX
CX="$(cookie $PX)"
read -r SX_RPS SX_P99 SX_BAD SX_SOCK <<<"$(load fleet-search $PX "")"
read -r MX_RPS MX_P99 MX_BAD MX_SOCK <<<"$(load fleet-mix $PX "$CX")"
FLEET_MEM="$(mem "$PID_18181") and $(mem "$PID_18182")"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "Fleet benchmark: demo --size $SIZE on PostgreSQL, wrk -t2 -c$CONNECTIONS -d$DURATION, $(nproc) cores"
printf '%-34s %10s %9s %8s %8s\n' "run" "req/s" "p99 ms" "non-2xx" "sock err"
printf '%-34s %10s %9s %8s %8s\n' "search, one server (direct)" "$S1_RPS" "$S1_P99" "$S1_BAD" "$S1_SOCK"
printf '%-34s %10s %9s %8s %8s\n' "search, two servers behind nginx" "$SX_RPS" "$SX_P99" "$SX_BAD" "$SX_SOCK"
printf '%-34s %10s %9s %8s %8s\n' "mix, one server (direct)" "$M1_RPS" "$M1_P99" "$M1_BAD" "$M1_SOCK"
printf '%-34s %10s %9s %8s %8s\n' "mix, two servers behind nginx" "$MX_RPS" "$MX_P99" "$MX_BAD" "$MX_SOCK"
echo "ratio fleet / one server: search $(ratio "$SX_RPS" "$S1_RPS"), mix $(ratio "$MX_RPS" "$M1_RPS")"
echo "memory, resident/peak MB: one server $ONE_MEM; fleet servers $FLEET_MEM"
