#!/usr/bin/env bash
# Adjudication benchmark: the command operators run (`msp adjudicate`), on SQLite and on
# PostgreSQL, beside the DuckDB peer, on the same inputs and in the same run.
#
#   scripts/bench-adjudicate.sh                       # 2,000,000 claims over 300,000 patients
#   N=10000000 P=1500000 ROUNDS=1 scripts/bench-adjudicate.sh
#
# Steps: generate the inputs once with the peers' generator (`gen_claims.py DIR N P`), then for
# each round, interleaved: import the references into an empty SQLite file and time
# `msp adjudicate`; time the peer; the same on an empty PostgreSQL database. Each timed command
# runs under /usr/bin/time -v (wall time, peak resident memory of that process; the PostgreSQL
# server's own memory is not included). At the end: whether the decisions of both engines are
# identical, and how many agree with the peer's.
#
# Environment: DATA (inputs and outputs, outside the repository; default /tmp/msp-bench),
# MSP (the binary; default target/release/msp, built if missing), PEERS (default
# ../shared/peers beside the repository), PYTHON (a python3 with duckdb), PG (server URL without
# database; default postgres://postgres@127.0.0.1:5432), ENGINES (default "sqlite postgres"),
# ROUNDS (default 2), PEER=0 to skip the peer.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000000}
P=${P:-300000}
DATA=${DATA:-/tmp/msp-bench}
MSP=${MSP:-target/release/msp}
PEERS=${PEERS:-$(cd .. && pwd)/shared/peers}
PYTHON=${PYTHON:-python3}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
ENGINES=${ENGINES:-sqlite postgres}
ROUNDS=${ROUNDS:-2}
PEER=${PEER:-1}

if [[ ! -x $MSP ]]; then
  nice -n 10 cargo build --release --bin msp
fi
IN="$DATA/in-$N-$P"
if [[ ! -f $IN/claims.csv ]]; then
  echo "génération : $N demandes, $P patients → $IN"
  python3 "$PEERS/gen_claims.py" "$IN" "$N" "$P"
fi
OUT="$DATA/out"
mkdir -p "$OUT"

# Runs a command under /usr/bin/time -v; prints "seconds peak_mb" of that process.
timed() {
  local log
  log=$(mktemp)
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log" >&2; rm -f "$log"; return 1; }
  awk '
    /Elapsed \(wall clock\)/ { n = split($NF, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
    /Maximum resident set size/ { kb = $NF }
    END { printf "%.2f %d\n", s, kb / 1024 }' "$log"
  rm -f "$log"
}

fresh_db() {
  case $1 in
    sqlite)
      rm -f "$OUT/bench.db" "$OUT/bench.db-wal" "$OUT/bench.db-shm"
      echo "sqlite://$OUT/bench.db"
      ;;
    postgres)
      psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS msp_bench_adjudicate" >/dev/null
      psql -q "$PG/postgres" -c "CREATE DATABASE msp_bench_adjudicate" >/dev/null
      echo "$PG/msp_bench_adjudicate"
      ;;
  esac
}

import_refs() {
  local db=$1
  for kind in registry conventions suspensions beneficiaries exclusions; do
    [[ -f $IN/$kind.csv ]] && "$MSP" --db "$db" import "$kind" "$IN/$kind.csv" >/dev/null 2>&1
  done
}

declare -A SECS MEM
row() { # label seconds mb peer_seconds
  awk -v l="$1" -v s="$2" -v m="$3" -v p="$4" -v n="$N" 'BEGIN {
    r = (p > 0) ? sprintf("%.2f", p / s) : "-";
    printf "| %-22s | %8.2f s | %9.0f claims/s | %6d MB | × %s of the peer |\n", l, s, n / s, m, r }'
}

echo "| run | time | throughput | peak RSS | ratio |"
echo "|---|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
  peer_s=0
  first=1
  for engine in $ENGINES; do
    db=$(fresh_db "$engine")
    import_refs "$db"
    sync
    read -r s m < <(timed "$MSP" --db "$db" adjudicate "$IN/claims.csv" --out "$OUT/decisions-$engine.csv")
    SECS[$engine]=$s MEM[$engine]=$m
    if [[ $PEER == 1 && $first == 1 ]]; then
      # The peer between the two engines, so that each msp run has a neighbour.
      read -r peer_s peer_m < <(timed "$PYTHON" "$PEERS/duckdb_adjudicate.py" "$IN" "$OUT/decisions-peer.csv")
      first=0
    fi
  done
  for engine in $ENGINES; do
    row "round $round msp $engine" "${SECS[$engine]}" "${MEM[$engine]}" "$peer_s"
  done
  if [[ $PEER == 1 ]]; then
    row "round $round DuckDB peer" "$peer_s" "$peer_m" "$peer_s"
  fi
done

engines=($ENGINES)
if [[ ${#engines[@]} == 2 ]]; then
  if cmp -s "$OUT/decisions-${engines[0]}.csv" "$OUT/decisions-${engines[1]}.csv"; then
    echo "décisions identiques entre ${engines[0]} et ${engines[1]}"
  else
    echo "DÉCISIONS DIFFÉRENTES entre ${engines[0]} et ${engines[1]}"
    exit 1
  fi
fi
if [[ $PEER == 1 ]]; then
  "$PYTHON" - "$OUT/decisions-${engines[0]}.csv" "$OUT/decisions-peer.csv" <<'EOF'
import csv, sys
a = {r["claim_id"]: r for r in csv.DictReader(open(sys.argv[1]))}
same = total = 0
for r in csv.DictReader(open(sys.argv[2])):
    m = a.get(r["claim_id"])
    total += 1
    same += m is not None and m["status"] == r["status"] and (m["reason"] or "") == (r["reason"] or "")
print(f"accord avec le pair (statut et motif) : {same}/{total} = {100 * same / total:.2f} %")
EOF
fi
