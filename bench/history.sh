#!/usr/bin/env bash
# bench/history.sh — loopback load test of the history views on an organisation with 10,000
# projects and 1,000,000 audit records spread over three years: "what changed" between two
# dates (page and API) and the register "as at" a past date (page and API), with the design
# as shipped (the indexes of migration 20261201000030) and, in the same run, on a copy of the
# same database without them (the audit trail indexed only by entity and id, as before).
#
# Usage:
#   bench/history.sh [PORTFOLIO_BINARY]      default: target/release/portfolio (builds nothing)
#
# Env knobs:
#   PROJECTS=10000 HISTORY=1000000   size of the generated organisation and of its audit trail
#   DUR=10               seconds per measured wrk run (a 3 s warm-up precedes each)
#   CONN=16 THREADS=2    wrk connections / threads
#   SINCE_DAYS=35 UNTIL_DAYS=7   the "changes" period: from SINCE_DAYS to UNTIL_DAYS days ago
#   AS_AT_DAYS=365       the "as at" date: this many days ago
#   VARIANTS="indexed unindexed"
#   DISTINCT=1000        periods and dates the "cold" runs rotate through (each request asks for
#                        another one, so the snapshot cache of the app rarely holds it)
#   OUT=/tmp/portfolio-bench/history-<timestamp>   working folder (data dirs, logs, raw wrk output)
#
# Output: `RESULT key=value …` lines, the raw wrk output in $OUT and a markdown table. Traffic
# goes to 127.0.0.1 only; every wrk run and every server is bounded by `timeout`.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${1:-$ROOT/target/release/portfolio}
PROJECTS=${PROJECTS:-10000}
HISTORY=${HISTORY:-1000000}
DUR=${DUR:-10}
CONN=${CONN:-16}
THREADS=${THREADS:-2}
SINCE_DAYS=${SINCE_DAYS:-35}
UNTIL_DAYS=${UNTIL_DAYS:-7}
AS_AT_DAYS=${AS_AT_DAYS:-365}
VARIANTS=${VARIANTS:-"indexed unindexed"}
DISTINCT=${DISTINCT:-1000}
OUT=${OUT:-/tmp/portfolio-bench/history-$(date -u +%Y%m%dT%H%M%SZ)}
PASSWORD=${PORTFOLIO_BENCH_PASSWORD:-bench-password-$RANDOM$RANDOM}

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no binary at $BIN (build it: cargo build --release -p portfolio-cli)"
for tool in wrk curl jq sqlite3; do command -v $tool > /dev/null || die "$tool not installed"; done
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: > "$RESULTS"

SERVER_PID=""
SERVER_CHILD=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  if [ -n "$SERVER_CHILD" ] && [ -d "/proc/$SERVER_CHILD" ]; then
    kill -TERM "$SERVER_CHILD" 2> /dev/null || true
  fi
}
trap cleanup EXIT

day_ago() { date -u -d "$1 days ago" +%F; }
SINCE=$(day_ago "$SINCE_DAYS")
UNTIL=$(day_ago "$UNTIL_DAYS")
AS_AT=$(day_ago "$AS_AT_DAYS")

echo "== run $(date -u +%FT%TZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "portfolio: $("$BIN" --version) (commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?))"
echo "wrk -t$THREADS -c$CONN -d${DUR}s --latency (3 s warm-up each); changes $SINCE..$UNTIL; as at $AS_AT; output in $OUT"

base="$OUT/indexed/data"
mkdir -p "$base"
echo "== generating $PROJECTS projects and $HISTORY audit records"
start=$(date +%s)
PORTFOLIO_PASSWORD=$PASSWORD timeout 3600 "$BIN" --data-dir "$base" generate --org big \
  --name "Big County Council" --projects "$PROJECTS" --history "$HISTORY" --seed 1 | tee "$OUT/generate.txt"
echo "generated in $(( $(date +%s) - start )) s; $(sqlite3 "$base/portfolio.sqlite" 'SELECT COUNT(*) FROM audit_log') audit records," \
  "database $(du -m "$base/portfolio.sqlite" | cut -f1) MiB"

# The naive alternative: the same database without the history indexes, the trail indexed by
# (entity, entity_id) alone as before this change. The migration stays recorded, so serving
# it does not add them back.
if [[ " $VARIANTS " == *" unindexed "* ]]; then
  mkdir -p "$OUT/unindexed/data"
  sqlite3 "$base/portfolio.sqlite" "VACUUM INTO '$OUT/unindexed/data/portfolio.sqlite'"
  sqlite3 "$OUT/unindexed/data/portfolio.sqlite" \
    "DROP INDEX audit_org_at; DROP INDEX audit_org_entity_at; CREATE INDEX audit_entity ON audit_log(entity, entity_id);"
fi

# rotating_lua FILE HEADER VALUE PATH_PREFIX KIND: a wrk script asking for another period
# (KIND=changes: 28 days ending UNTIL_DAYS+k days ago) or another day (KIND=as_at) each request.
rotating_lua() {
  local file=$1 header=$2 value=$3 prefix=$4 kind=$5 k
  {
    echo "wrk.headers[\"$header\"] = \"$value\""
    echo "local paths = {"
    for k in $(seq 0 $((DISTINCT - 1))); do
      if [ "$kind" = changes ]; then
        echo "  \"${prefix}since=$(day_ago $((UNTIL_DAYS + k + 28)))&until=$(day_ago $((UNTIL_DAYS + k)))\","
      else
        echo "  \"${prefix}as_at=$(day_ago $((UNTIL_DAYS + k)))\","
      fi
    done
    echo "}"
    echo "local i = 0"
    echo "function init(args) math.randomseed(os.time() + (tonumber(tostring({}):match(\"0x(%x+)\") or \"0\", 16) or 0) % 1000003); i = math.random(#paths) end"
    echo "function request() i = i % #paths + 1; return wrk.format(\"GET\", paths[i]) end"
  } > "$file"
}

bench_variant() {
  local variant=$1 dir="$OUT/$1" url token cookie
  local data="$dir/data"
  echo "== $variant: $(sqlite3 "$data/portfolio.sqlite" "SELECT group_concat(name, ', ') FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log'")"
  token=$(timeout 60 "$BIN" --data-dir "$data" token create --user admin@big.example --name "bench $variant" --scope admin | grep -o 'pf_[A-Za-z0-9_-]*' | head -1)
  [ -n "$token" ] || die "no token printed"
  start_server "$data" "$dir/serve.log"
  url=$SERVER_URL
  cookie=$(sign_in "$url" admin@big.example "$PASSWORD" "$dir/cookies.txt")

  local changes_q="since=$SINCE&until=$UNTIL"
  local code t0
  t0=$(date +%s%N)
  code=$(curl -s -o "$dir/changes.json" -w '%{http_code}' -H "Authorization: Bearer $token" "$url/api/v1/changes?$changes_q")
  [ "$code" = 200 ] || die "GET /api/v1/changes gave HTTP $code: $(head -c 300 "$dir/changes.json")"
  echo "changes: $(( ($(date +%s%N) - t0) / 1000000 )) ms for the first request; counts $(jq -c .counts "$dir/changes.json"); $(wc -c < "$dir/changes.json") bytes"
  t0=$(date +%s%N)
  code=$(curl -s -o "$dir/as-at.json" -w '%{http_code}' -H "Authorization: Bearer $token" "$url/api/v1/projects?as_at=$AS_AT&limit=100")
  echo "as at: $(( ($(date +%s%N) - t0) / 1000000 )) ms for the first request (HTTP $code)"
  t0=$(date +%s%N)
  curl -s -o /dev/null -H "Authorization: Bearer $token" "$url/api/v1/projects?as_at=$AS_AT&limit=100"
  echo "as at: $(( ($(date +%s%N) - t0) / 1000000 )) ms for the second (the day's snapshot)"
  echo "as at $AS_AT: $(jq .total "$dir/as-at.json") projects; live: $(curl -fsS -H "Authorization: Bearer $token" "$url/api/v1/projects?limit=1" | jq .total)"
  code=$(curl -s -o "$dir/changes.html" -w '%{http_code}' -H "Cookie: portfolio_session=$cookie" "$url/changes?$changes_q")
  [ "$code" = 200 ] || die "GET /changes gave HTTP $code"
  echo "changes page: $(wc -c < "$dir/changes.html") bytes"

  run_one() {  # $1 label, $2 slug, rest: wrk args
    local label=$1 slug=$2; shift 2
    echo "-- $label"
    wrk_run "$label" "$dir/wrk-$slug.txt" "$@"
    grep -E '^ +(50|99)%|requests in|Requests/sec|Non-2xx|Socket errors' "$dir/wrk-$slug.txt" || true
    echo "RESULT variant=$variant endpoint=$slug $(parse_wrk "$dir/wrk-$slug.txt") rss_kib=$(rss_kib "$SERVER_CHILD") hwm_kib=$(hwm_kib "$SERVER_CHILD")" \
      | tee -a "$RESULTS"
  }
  run_one "GET /changes?$changes_q (page)" changes_page -H "Cookie: portfolio_session=$cookie" "$url/changes?$changes_q"
  run_one "GET /api/v1/changes?$changes_q" changes_api -H "Authorization: Bearer $token" "$url/api/v1/changes?$changes_q"
  run_one "GET /projects?as_at=$AS_AT (page)" as_at_page -H "Cookie: portfolio_session=$cookie" "$url/projects?as_at=$AS_AT"
  run_one "GET /api/v1/projects?as_at=$AS_AT&limit=100" as_at_api -H "Authorization: Bearer $token" "$url/api/v1/projects?as_at=$AS_AT&limit=100"
  run_one "GET /?as_at=$AS_AT (dashboard page)" as_at_dashboard -H "Cookie: portfolio_session=$cookie" "$url/?as_at=$AS_AT"
  run_one "GET /projects (live register page, for scale)" live_page -H "Cookie: portfolio_session=$cookie" "$url/projects"

  # Cold: another period or day each request, so nearly every one is read from the database.
  rotating_lua "$dir/changes-page.lua" Cookie "portfolio_session=$cookie" "/changes?" changes
  rotating_lua "$dir/changes-api.lua" Authorization "Bearer $token" "/api/v1/changes?" changes
  rotating_lua "$dir/as-at-page.lua" Cookie "portfolio_session=$cookie" "/projects?" as_at
  rotating_lua "$dir/as-at-api.lua" Authorization "Bearer $token" "/api/v1/projects?limit=100&" as_at
  run_one "GET /changes, $DISTINCT periods in turn (page, cold)" changes_page_cold -s "$dir/changes-page.lua" "$url"
  run_one "GET /api/v1/changes, $DISTINCT periods in turn (cold)" changes_api_cold -s "$dir/changes-api.lua" "$url"
  run_one "GET /projects?as_at, $DISTINCT days in turn (page, cold)" as_at_page_cold -s "$dir/as-at-page.lua" "$url"
  run_one "GET /api/v1/projects?as_at, $DISTINCT days in turn (cold)" as_at_api_cold -s "$dir/as-at-api.lua" "$url"
  stop_server
}

for v in $VARIANTS; do bench_variant "$v"; done

echo
echo "== Results (RESULT lines in $RESULTS)"
echo "| variant | endpoint | req/s | p50 ms | p99 ms | requests | non-2xx | socket errors | RSS MiB |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
sed 's/^RESULT //' "$RESULTS" | awk '{
  for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
  printf "| %s | %s | %s | %s | %s | %s | %s | %s | %.1f |\n", v["variant"], v["endpoint"], v["rps"], v["p50_ms"],
    v["p99_ms"], v["requests"], v["non2xx"], v["socket_errors"], v["rss_kib"] / 1024 }'
exit 0
