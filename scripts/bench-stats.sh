#!/usr/bin/env bash
# Statistics benchmark (issues 14 and 15): disclosure control and `msp stats --as-of` on a
# generated demo, on SQLite and on PostgreSQL, then the attacker of crates/stats/tests/disclosure.rs
# on the same database. Not run in CI (the national demo takes minutes to generate).
#
#   scripts/bench-stats.sh                      # national demo
#   SIZE=small ENGINES=sqlite scripts/bench-stats.sh
#
# For each engine: `msp demo --size $SIZE` into an empty database (its last line times the
# solve of disclosure control, stored in stats_secrecy), then the statuses are deleted and
# `msp stats --as-of` is timed twice under /usr/bin/time (the first solves and stores, the
# second reads the stored statuses: what every later process and page does), on several dates
# and scopes; then the attacker reads every scope for three month ends and must recover 0 cells.
#
# Environment: DATA (default /tmp/msp-bench-stats), MSP (default target/release/msp, built if
# missing), PG (server URL without database; default postgres://postgres@127.0.0.1:5432),
# ENGINES (default "sqlite postgres"), SIZE (default national), SEED (default 2022),
# TODAY (default 2026-11-23), ATTACK=0 to skip the attacker.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-/tmp/msp-bench-stats}
MSP=${MSP:-target/release/msp}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
ENGINES=${ENGINES:-sqlite postgres}
SIZE=${SIZE:-national}
SEED=${SEED:-2022}
TODAY=${TODAY:-2026-11-23}
ATTACK=${ATTACK:-1}
mkdir -p "$DATA"
[ -x "$MSP" ] || nice -n 10 cargo build --release --bin msp

timed() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e s wall, %M KB max RSS" -o "$DATA/time" "$@" >/dev/null
  echo "$label: $(cat "$DATA/time")"
}

for engine in $ENGINES; do
  case $engine in
    sqlite) rm -f "$DATA/$SIZE.db"*; url="sqlite://$DATA/$SIZE.db"; sql() { sqlite3 "$DATA/$SIZE.db" "$1"; } ;;
    postgres)
      db="msp_bench_stats_$SIZE"
      psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
      url="$PG/$db"; sql() { psql "$url" -qc "$1"; } ;;
  esac
  echo "== $engine, demo $SIZE (seed $SEED, today $TODAY)"
  timed "demo" "$MSP" --db "$url" demo --size "$SIZE" --seed "$SEED" --as-of "$TODAY"
  for round in first stored; do
    [ "$round" = first ] && sql "DELETE FROM stats_secrecy"
    for q in "2025-02-28 france json" "2025-06-17 region:84 json" "2024-03-12 departement:69 csv" "$TODAY france html"; do
      set -- $q
      timed "stats --as-of $1 --scope $2 --format $3 ($round)" \
        "$MSP" --db "$url" stats --as-of "$1" --scope "$2" --format "$3"
      round=stored
    done
  done
  "$MSP" --db "$url" stats --as-of "$TODAY" --format json |
    python3 -c 'import json,sys; j=json.load(sys.stdin); s=j.get("secret",{}); print("masked cells on the France page:", len(s))'
  if [ "$ATTACK" = 1 ]; then
    start=$(date +%s)
    MSP_ATTACK_DB="$url" nice -n 10 cargo test --release -q -p msp-stats --test disclosure \
      the_attacker_recovers_nothing_from_generated_demos -- --nocapture 2>&1 | grep -E "attack on|recovered|test result"
    echo "attacker: $(( $(date +%s) - start )) s (build included)"
  fi
done
