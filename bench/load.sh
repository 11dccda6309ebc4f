#!/usr/bin/env bash
# bench/load.sh — the mixed load (portfolio-load) against one instance on SQLite,
# one on PostgreSQL and two on one PostgreSQL database, all on loopback and on the
# same data: a synthetic organisation of $PROJECTS projects (`portfolio generate`),
# copied afresh for every case (the SQLite file copied, the PostgreSQL database
# created from a template), so that no case sees another's writes.
#
# Usage:
#   bench/load.sh [PORTFOLIO_BINARY]   default: target/release/portfolio; portfolio-load is
#                                      taken from the same folder (builds nothing:
#                                      cargo build --release --workspace --bins)
#
# Env knobs:
#   CASES="sqlite-1:120 postgres-1:120 postgres-2:120"   BACKEND-INSTANCES:SECONDS, in order
#   PROJECTS=10000  CONN=16  REQUESTS=1000000 (per case; the duration usually ends it first)
#   SAMPLE=10        seconds between memory samples of every server process
#   OPTIMISE_WAIT=30 seconds a scenario run may take before the load asks it to stop
#   PG_ADMIN=postgres://postgres@127.0.0.1:5432/postgres   where to create the databases
#   OUT=/tmp/portfolio-bench/load-<timestamp>   working folder: per case summary.txt,
#                    summary.json, minutes.csv, rss.csv, server logs
#
# Output: `RESULT case=… ops_per_s=… errors=… …` lines. Traffic goes to 127.0.0.1
# only; every server runs under `timeout` and is stopped at the end of its case.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${1:-$ROOT/target/release/portfolio}
LOAD=${LOAD:-$(dirname "$BIN")/portfolio-load}
CASES=${CASES:-"sqlite-1:120 postgres-1:120 postgres-2:120"}
PROJECTS=${PROJECTS:-10000}
CONN=${CONN:-16}
REQUESTS=${REQUESTS:-1000000}
SAMPLE=${SAMPLE:-10}
OPTIMISE_WAIT=${OPTIMISE_WAIT:-30}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
OUT=${OUT:-/tmp/portfolio-bench/load-$(date -u +%Y%m%dT%H%M%SZ)}
PASSWORD=${PORTFOLIO_BENCH_PASSWORD:-bench-password-$RANDOM$RANDOM}
ORG=big
EMAIL=admin@$ORG.example

die() { echo "load-bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no binary at $BIN (cargo build --release --workspace --bins)"
[ -x "$LOAD" ] || die "no load generator at $LOAD (cargo build --release --workspace --bins)"
for tool in psql jq; do command -v $tool > /dev/null || die "$tool not installed"; done
mkdir -p "$OUT"

PG_SERVER=${PG_ADMIN%/*}
BASE_DB=portfolio_load_base_$$
RUN_DBS=()
SERVERS=()   # the `timeout` processes
CHILDREN=()  # portfolio itself
psql_admin() { psql "$PG_ADMIN" -q -v ON_ERROR_STOP=1 -c "$1" > /dev/null; }
stop_servers() {
  local pid i
  for pid in "${CHILDREN[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
  for pid in "${CHILDREN[@]}"; do
    for i in $(seq 40); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
    [ -d "/proc/$pid" ] && kill -KILL "$pid" 2> /dev/null || true
  done
  for pid in "${SERVERS[@]}"; do wait "$pid" 2> /dev/null || true; done
  SERVERS=(); CHILDREN=()
}
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  stop_servers
  local db
  for db in "${RUN_DBS[@]}" "$BASE_DB"; do
    psql "$PG_ADMIN" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" > /dev/null 2>&1 || true
  done
}
trap cleanup EXIT

# start_server LOG ARGS…: one `portfolio … serve` on a free loopback port; appends to
# SERVERS/CHILDREN and sets URL.
start_server() {
  local log=$1 i pid child; shift
  timeout 3600 "$BIN" "$@" serve --listen 127.0.0.1:0 > "$log" 2>&1 < /dev/null &
  pid=$!
  URL=""
  for i in $(seq 300); do
    URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1 || true)
    [ -n "$URL" ] && break
    [ -d "/proc/$pid" ] || { cat "$log"; die "server exited"; }
    sleep 0.2
  done
  [ -n "$URL" ] || { cat "$log"; die "server did not print its address"; }
  child=$(pgrep -P "$pid" -x portfolio || echo "$pid")
  SERVERS+=("$pid"); CHILDREN+=("$child")
}

backends=$(for c in $CASES; do echo "${c%%-*}"; done | sort -u)
echo "== run $(date -u +%FT%TZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "portfolio: $("$BIN" --version) (commit $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo ?))"
echo "$PROJECTS projects; $CONN connections; cases: $CASES; output in $OUT"
for backend in $backends; do
  start=$(date +%s)
  case $backend in
    sqlite)
      mkdir -p "$OUT/base-sqlite"
      db_args=(--data-dir "$OUT/base-sqlite") ;;
    postgres)
      psql_admin "CREATE DATABASE $BASE_DB"
      db_args=(--data-dir "$OUT/base-pg-unused" --database-url "$PG_SERVER/$BASE_DB") ;;
    *) die "unknown backend '$backend' (sqlite or postgres)" ;;
  esac
  PORTFOLIO_PASSWORD=$PASSWORD timeout 3600 "$BIN" "${db_args[@]}" generate --org $ORG \
    --name "Big County Council" --projects "$PROJECTS" --seed 1 > "$OUT/generate-$backend.txt"
  timeout 60 "$BIN" "${db_args[@]}" token create --user "$EMAIL" --name load --scope write \
    > "$OUT/token-$backend.txt"
  echo "generated $PROJECTS projects on $backend in $(( $(date +%s) - start )) s"
done

n=0
for c in $CASES; do
  n=$((n + 1))
  name=${c%%:*}; secs=${c##*:}; backend=${name%%-*}; instances=${name##*-}
  dir="$OUT/$n-$name-${secs}s"
  mkdir -p "$dir"
  case $backend in
    sqlite)
      cp -a "$OUT/base-sqlite" "$dir/data"
      db_args=(--data-dir "$dir/data") ;;
    postgres)
      db=portfolio_load_run_$$_$n
      RUN_DBS+=("$db")
      psql_admin "CREATE DATABASE $db TEMPLATE $BASE_DB"
      db_args=(--data-dir "$dir/unused" --database-url "$PG_SERVER/$db") ;;
  esac
  urls=(); pids=()
  for i in $(seq "$instances"); do
    start_server "$dir/server-$i.log" "${db_args[@]}"
    urls+=(--url "$URL"); pids+=(--pid "${CHILDREN[-1]}")
  done
  echo "== case $name for $secs s: ${#CHILDREN[@]} server(s) ${CHILDREN[*]}; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  status=0
  PORTFOLIO_LOAD_TOKEN=$(cat "$OUT/token-$backend.txt") PORTFOLIO_LOAD_PASSWORD=$PASSWORD \
    timeout $((secs + 900)) "$LOAD" "${urls[@]}" "${pids[@]}" --email "$EMAIL" --connections "$CONN" \
    --duration "$secs" --requests "$REQUESTS" --sample-every "$SAMPLE" \
    --optimise-wait "$OPTIMISE_WAIT" --out "$dir" || status=$?
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  [ -f "$dir/summary.txt" ] && cat "$dir/summary.txt"
  stop_servers
  [ "$backend" = postgres ] && psql_admin "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  if [ -f "$dir/summary.json" ]; then
    rss=$(awk -F, 'NR>1 {print $3}' "$dir/rss.csv" | sort -n | sed -n '1p;$p' | paste -sd' ')
    echo "RESULT case=$name seconds=$secs $(jq -r '"ops_per_s=\(.throughput_per_s|.*10|round/10) operations=\(.operations) errors=\(.errors) http_requests=\(.http_requests)"' "$dir/summary.json") rss_kib_min_max=${rss// /-} exit=$status"
  else
    echo "RESULT case=$name seconds=$secs failed exit=$status"
  fi
done
