#!/usr/bin/env bash
# bench/scale.sh — the register page (first page), the dashboard and the API list as
# the register grows, and as other organisations grow (issue 8):
#   scaling:  one organisation of 100, 1,000, 10,000 and 100,000 projects (SQLite);
#   tenancy:  an organisation of $MEASURED projects sharing the database with 100 or with
#             100,000 projects of another organisation (SQLite, and PostgreSQL when
#             TENANCY_BACKENDS includes it).
# Latency is measured with wrk on loopback at $CONN connection(s) (3 s warm-up, then $DUR s).
#
# Usage:
#   bench/scale.sh [PORTFOLIO_BINARY]   default: target/release/portfolio (builds nothing)
#
# Env knobs:
#   SIZES="100 1000 10000 100000"   organisation sizes of the scaling curve
#   OTHERS="100 100000"             other organisations' projects for tenancy (each must be in SIZES)
#   MEASURED=1000                   the measured organisation's projects (tenancy)
#   TENANCY_BACKENDS="sqlite"       or "sqlite postgres"
#   PG_ADMIN=postgres://postgres@127.0.0.1:5432/postgres
#   DUR=10 CONN=1 THREADS=1         wrk
#   COLD=20                         rounds of the cold measurement: a write (one new
#                                   project, which moves the organisation's data
#                                   version and so empties its read caches), then one
#                                   request of each page, timed by curl
#   OUT=/tmp/portfolio-bench/scale-<timestamp>
#
# Output: `RESULT …` lines and the raw wrk output in $OUT. Traffic goes to 127.0.0.1 only;
# servers and wrk runs are bounded by `timeout`.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${1:-$ROOT/target/release/portfolio}
SIZES=${SIZES:-"100 1000 10000 100000"}
OTHERS=${OTHERS:-"100 100000"}
MEASURED=${MEASURED:-1000}
TENANCY_BACKENDS=${TENANCY_BACKENDS:-sqlite}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
DUR=${DUR:-10}
CONN=${CONN:-1}
THREADS=${THREADS:-1}
COLD=${COLD:-20}
OUT=${OUT:-/tmp/portfolio-bench/scale-$(date -u +%Y%m%dT%H%M%SZ)}
PASSWORD=${PORTFOLIO_BENCH_PASSWORD:-bench-password-$RANDOM$RANDOM}

die() { echo "scale-bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no binary at $BIN (cargo build --release --workspace --bins)"
for tool in wrk curl psql jq; do command -v $tool > /dev/null || die "$tool not installed"; done
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
mkdir -p "$OUT"
PG_SERVER=${PG_ADMIN%/*}
DBS=()
SERVER_PID=""
SERVER_CHILD=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  [ -n "$SERVER_CHILD" ] && [ -d "/proc/$SERVER_CHILD" ] && kill -TERM "$SERVER_CHILD" 2> /dev/null
  local db
  for db in "${DBS[@]}"; do
    psql "$PG_ADMIN" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" > /dev/null 2>&1 || true
  done
}
trap cleanup EXIT

# gen DB_ARGS… -- ORG PROJECTS SEED
gen() {
  local args=() org n seed
  while [ "$1" != "--" ]; do args+=("$1"); shift; done
  shift; org=$1; n=$2; seed=$3
  PORTFOLIO_PASSWORD=$PASSWORD timeout 3600 "$BIN" "${args[@]}" generate --org "$org" \
    --name "Council $org" --projects "$n" --seed "$seed" > /dev/null
}

# start DB_ARGS…: a server (SERVER_URL, SERVER_CHILD) on these database options
start() {
  local log=$OUT/server-$RANDOM.log i
  timeout 1800 "$BIN" "$@" serve --listen 127.0.0.1:0 > "$log" 2>&1 < /dev/null &
  SERVER_PID=$!
  SERVER_URL=""
  for i in $(seq 300); do
    SERVER_URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1 || true)
    [ -n "$SERVER_URL" ] && break
    [ -d "/proc/$SERVER_PID" ] || { cat "$log"; die "server exited"; }
    sleep 0.2
  done
  [ -n "$SERVER_URL" ] || die "server did not print its address"
  SERVER_CHILD=$(pgrep -P "$SERVER_PID" -x portfolio || echo "$SERVER_PID")
}

# measure LABEL ORG DB_ARGS…: wrk on the register, the dashboard and the API list of ORG
measure() {
  local label=$1 org=$2 cookie token file; shift 2
  start "$@"
  cookie=$(sign_in "$SERVER_URL" "admin@$org.example" "$PASSWORD" "$OUT/jar-$label")
  token=$(timeout 60 "$BIN" "$@" token create --user "admin@$org.example" --name scale --scope write)
  for page in register dashboard api_list; do
    file=$OUT/wrk-$label-$page.txt
    case $page in
      register) wrk_run "$label $page" "$file" -H "Cookie: portfolio_session=$cookie" "$SERVER_URL/projects" ;;
      dashboard) wrk_run "$label $page" "$file" -H "Cookie: portfolio_session=$cookie" "$SERVER_URL/" ;;
      api_list) wrk_run "$label $page" "$file" -H "Authorization: Bearer $token" "$SERVER_URL/api/v1/projects?stage=delivery" ;;
    esac
    echo "RESULT case=$label page=$page $(parse_wrk "$file") load=$(cut -d' ' -f1 /proc/loadavg)"
  done
  cold "$label" "$cookie" "$token"
  stop_server
  SERVER_CHILD=""
}

# cold LABEL COOKIE TOKEN: COLD rounds of one write then one uncached request of each page;
# prints the median and the largest of each page's times
cold() {
  local label=$1 cookie=$2 token=$3 round page dept file
  local -a args
  dept=$(curl -fsS -H "Authorization: Bearer $token" "$SERVER_URL/api/v1/departments" | jq -r '.[0].slug')
  for page in register dashboard api_list; do : > "$OUT/cold-$label-$page.txt"; done
  for round in $(seq "$COLD"); do
    curl -fsS -o /dev/null --max-time 30 -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' \
      -d "{\"title\":\"Cold round $round\",\"department\":\"$dept\",\"stage\":\"idea\"}" \
      "$SERVER_URL/api/v1/projects"
    for page in register dashboard api_list; do
      case $page in
        register) args=(-H "Cookie: portfolio_session=$cookie" "$SERVER_URL/projects") ;;
        dashboard) args=(-H "Cookie: portfolio_session=$cookie" "$SERVER_URL/") ;;
        api_list) args=(-H "Authorization: Bearer $token" "$SERVER_URL/api/v1/projects?stage=delivery") ;;
      esac
      curl -fsS -o /dev/null --max-time 30 -w '%{time_total}\n' "${args[@]}" >> "$OUT/cold-$label-$page.txt"
    done
  done
  for page in register dashboard api_list; do
    file=$OUT/cold-$label-$page.txt
    echo "RESULT case=$label page=$page cold_rounds=$(wc -l < "$file") $(sort -g "$file" | awk '{ t[NR] = $1 * 1000 } END { printf "cold_median_ms=%.2f cold_max_ms=%.2f", (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2), t[NR] }')"
  done
}

echo "== run $(date -u +%FT%TZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "portfolio: $("$BIN" --version) (commit $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo ?))"
echo "wrk -t$THREADS -c$CONN -d${DUR}s --latency (3 s warm-up each); output in $OUT"

echo "== scaling: one organisation"
for n in $SIZES; do
  start_s=$(date +%s)
  gen --data-dir "$OUT/size-$n" -- big "$n" 1
  echo "generated $n projects in $(( $(date +%s) - start_s )) s"
  measure "size-$n" big --data-dir "$OUT/size-$n"
done

echo "== tenancy: an organisation of $MEASURED projects beside others"
for backend in $TENANCY_BACKENDS; do
  for others in $OTHERS; do
    label=tenancy-$backend-others-$others
    case $backend in
      sqlite)
        [ -d "$OUT/size-$others" ] || die "OTHERS=$others is not in SIZES"
        cp -a "$OUT/size-$others" "$OUT/$label"
        args=(--data-dir "$OUT/$label") ;;
      postgres)
        db=portfolio_scale_$$_$others
        DBS+=("$db")
        psql "$PG_ADMIN" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" > /dev/null
        args=(--data-dir "$OUT/$label-unused" --database-url "$PG_SERVER/$db")
        gen "${args[@]}" -- big "$others" 1 ;;
      *) die "unknown backend '$backend'" ;;
    esac
    gen "${args[@]}" -- measured "$MEASURED" 2
    measure "$label" measured "${args[@]}"
  done
done
