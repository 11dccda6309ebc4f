#!/usr/bin/env bash
# bench/run.sh — loopback load test of Portfolio (1,000 and 10,000 projects) side by side with
# Redmine (measured in the same run by ../shared/tools/peer-redmine.sh bench).
#
# Usage:
#   bench/run.sh [PORTFOLIO_BINARY]          default: target/release/portfolio (builds nothing)
#
# Env knobs:
#   SIZES="1000 10000"   organisation sizes to generate
#   DUR=15               seconds per measured wrk run (a 3 s warm-up precedes each)
#   CONN=16 THREADS=2    wrk connections / threads
#   REDMINE=1            also run `peer-redmine.sh bench` (needs root and `peer-redmine.sh start` first;
#                        REDMINE=0 skips it)
#   REDMINE_PORT=3100    port the Redmine peer listens on
#   PEER=/work/shared/tools/peer-redmine.sh
#   OUT=/tmp/portfolio-bench/<timestamp>   working folder (data dirs, logs, raw wrk output)
#
# Output: `RESULT key=value …` lines (one per measured run, greppable), the raw wrk output in $OUT,
# and a markdown table per system. Traffic goes to 127.0.0.1 only; every wrk run and every server
# is bounded by `timeout`; servers are stopped with SIGTERM (then SIGKILL if they linger).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${1:-$ROOT/target/release/portfolio}
SIZES=${SIZES:-"1000 10000"}
DUR=${DUR:-15}
CONN=${CONN:-16}
THREADS=${THREADS:-2}
REDMINE=${REDMINE:-1}
REDMINE_PORT=${REDMINE_PORT:-3100}
PEER=${PEER:-/work/shared/tools/peer-redmine.sh}
OUT=${OUT:-/tmp/portfolio-bench/$(date -u +%Y%m%dT%H%M%SZ)}
PASSWORD=${PORTFOLIO_BENCH_PASSWORD:-bench-password-$RANDOM$RANDOM}

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no binary at $BIN (build it: cargo build --release -p portfolio-cli)"
command -v wrk > /dev/null || die "wrk not installed"
command -v curl > /dev/null || die "curl not installed"
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: > "$RESULTS"

SERVER_PID=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  if [ -n "$SERVER_PID" ] && [ -d "/proc/$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2> /dev/null || true
  fi
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

# POST body: the brief's body, with a department/theme the generated organisation really has.
post_body() {
  local url=$1 token=$2 dept theme
  dept=$(curl -fsS -H "Authorization: Bearer $token" "$url/api/v1/departments" | jq -r '
    (map(.slug) | if index("health-and-care") then "health-and-care" else .[0] end)')
  theme=$(curl -fsS -H "Authorization: Bearer $token" "$url/api/v1/themes" | jq -r '
    (map(.slug) | if index("communities") then "communities" else .[0] end)')
  jq -cn --arg d "$dept" --arg t "$theme" '{title: "wrk create", department: $d, stage: "idea",
    themes: [$t], costs: [{year: "2026/27", capital_pence: 100000, revenue_pence: 0}]}'
}

write_post_lua() {  # $1 file, $2 token, $3 body file, $4 folder for failure samples
  local body; body=$(cat "$3")
  cat > "$1" << EOF
-- POST a project; count statuses per thread and keep the first non-2xx body of each thread.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $2"
wrk.body = [[$body]]
local threads, counter = {}, 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
function init(args) statuses = {}; failed = false end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if (status < 200 or status > 299) and not failed then
    failed = true
    local f = io.open("$4/post-failure-" .. id .. ".txt", "w")
    if f then f:write("HTTP ", status, "\n", body or "", "\n"); f:close() end
  end
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("statuses") or {}) do total[s] = (total[s] or 0) + n end
  end
  local parts = {}
  for s, n in pairs(total) do table.insert(parts, s .. ":" .. n) end
  table.sort(parts)
  io.write("Statuses: ", table.concat(parts, " "), "\n")
end
EOF
}

# Portfolio at one size
bench_portfolio() {
  local n=$1
  local dir="$OUT/portfolio-$n" url token cookie i
  mkdir -p "$dir"
  local data="$dir/data"
  echo "== Portfolio, $n projects (data dir $data)"
  PORTFOLIO_PASSWORD=$PASSWORD timeout 900 "$BIN" --data-dir "$data" generate --org big \
    --name "Big County Council" --projects "$n" --seed 1 | tee "$dir/generate.txt"
  token=$(timeout 60 "$BIN" --data-dir "$data" token create --user admin@big.example --name bench --scope admin | grep -o 'pf_[A-Za-z0-9_-]*' | head -1)
  [ -n "$token" ] || die "no token printed"

  start_server "$data" "$dir/serve.log"
  url=$SERVER_URL
  local spid=$SERVER_CHILD
  echo "server PID $spid on $url; RSS after start $(rss_kib "$spid") KiB"
  cookie=$(sign_in "$url" admin@big.example "$PASSWORD" "$dir/cookies.txt")
  local code; code=$(curl -s -o "$dir/register.html" -w '%{http_code}' -H "Cookie: portfolio_session=$cookie" "$url/projects")
  [ "$code" = 200 ] || die "GET /projects with the session gave HTTP $code"
  code=$(curl -s -o "$dir/list.json" -w '%{http_code}' -H "Authorization: Bearer $token" "$url/api/v1/projects?limit=100")
  [ "$code" = 200 ] || die "GET /api/v1/projects gave HTTP $code"
  echo "register page: $(grep -c '<tr' "$dir/register.html" || true) <tr> rows, $(wc -c < "$dir/register.html") bytes;" \
    "API page: $(jq '.projects | length' "$dir/list.json") projects of $(jq .total "$dir/list.json"), $(wc -c < "$dir/list.json") bytes"

  post_body "$url" "$token" > "$dir/post-body.json"
  mkdir -p "$dir/failures"
  write_post_lua "$dir/post.lua" "$token" "$dir/post-body.json" "$dir/failures"
  code=$(curl -s -o "$dir/post-check.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data @"$dir/post-body.json" "$url/api/v1/projects")
  echo "POST check: HTTP $code $(head -c 200 "$dir/post-check.json")"

  run_one() {  # $1 endpoint label, $2 slug, rest: wrk args
    local label=$1 slug=$2; shift 2
    echo "-- $label"
    wrk_run "$label" "$dir/wrk-$slug.txt" "$@"
    local rss hwm; rss=$(rss_kib "$spid"); hwm=$(hwm_kib "$spid")
    grep -E '^ +(50|99)%|requests in|Requests/sec|Non-2xx|Socket errors|Statuses' "$dir/wrk-$slug.txt" || true
    local line
    line="RESULT system=portfolio projects=$n endpoint=$slug $(parse_wrk "$dir/wrk-$slug.txt") rss_kib=$rss hwm_kib=$hwm"
    echo "$line" | tee -a "$RESULTS"
  }
  run_one "GET /projects (register page, session cookie)" register \
    -H "Cookie: portfolio_session=$cookie" "$url/projects"
  run_one "GET /api/v1/projects?limit=100" api_list \
    -H "Authorization: Bearer $token" "$url/api/v1/projects?limit=100"
  run_one "POST /api/v1/projects" api_post -s "$dir/post.lua" "$url/api/v1/projects"

  # Any non-2xx POST: capture one failing body with curl under the same concurrency
  if grep "projects=$n endpoint=api_post " "$RESULTS" | grep -Eq "non2xx=[1-9]|socket_errors=[1-9]"; then
    echo "-- non-2xx POSTs: capturing failing responses with curl ($CONN parallel, 5 rounds)"
    for round in 1 2 3 4 5; do
      for i in $(seq "$CONN"); do
        timeout 20 curl -s -o "$dir/failures/curl-$round-$i.body" -w '%{http_code}\n' \
          -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
          --data @"$dir/post-body.json" "$url/api/v1/projects" > "$dir/failures/curl-$round-$i.code" &
      done
      wait
    done
    for f in "$dir"/failures/curl-*.code; do
      c=$(cat "$f")
      case $c in 2??) ;; *) echo "curl: HTTP $c: $(head -c 600 "${f%.code}.body")"; break ;; esac
    done
    for f in "$dir"/failures/post-failure-*.txt; do
      [ -f "$f" ] && { echo "wrk lua sample ($f):"; head -c 800 "$f"; echo; }
    done
  fi
  echo "projects after the run: $(curl -fsS -H "Authorization: Bearer $token" "$url/api/v1/projects?limit=1" | jq .total)"

  stop_server
}

bench_redmine() {
  echo "== Redmine (peer-redmine.sh bench $REDMINE_PORT)"
  "$PEER" status "$REDMINE_PORT" | tee "$OUT/redmine-status.txt"
  DUR=$DUR CONN=$CONN WRK_THREADS=$THREADS timeout $((8 * (DUR + 40))) "$PEER" bench "$REDMINE_PORT" \
    | tee "$OUT/redmine-bench.txt"
  # Split the peer's output into one block per endpoint and parse each like a wrk file
  awk -v out="$OUT" '
    /^== /{ n++; f = out "/redmine-block-" n ".txt"; print > f; next }
    n { print >> f }' "$OUT/redmine-bench.txt"
  local f label slug rss
  for f in "$OUT"/redmine-block-*.txt; do
    label=$(head -1 "$f" | sed 's/^== //; s/  (-t.*//')
    case $label in
      "GET /projects.json"*) slug=projects_json ;;
      "GET /issues.json?limit=100&project_id"*) slug=issues_json_project ;;
      "GET /issues.json?limit=100&status_id"*) slug=issues_json_all ;;
      "POST /issues.json"*) slug=issues_post ;;
      *) slug=other ;;
    esac
    rss=$(grep -o 'total=[0-9]*MiB' "$f" | tail -1 | tr -dc 0-9)
    echo "RESULT system=redmine projects=1000 endpoint=$slug $(parse_wrk "$f") rss_kib=$((${rss:-0} * 1024))" \
      | tee -a "$RESULTS"
  done
}

table() {  # markdown table of one system's RESULT lines
  echo
  echo "| system | projects | endpoint | req/s | p50 ms | p99 ms | requests | non-2xx | socket errors | RSS MiB |"
  echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
  grep "system=$1 " "$RESULTS" | sed 's/^RESULT //' | awk '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f |\n", v["system"], v["projects"], v["endpoint"],
      v["rps"], v["p50_ms"], v["p99_ms"], v["requests"], v["non2xx"], v["socket_errors"], v["rss_kib"] / 1024 }'
}

echo "== run $(date -u +%FT%TZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "portfolio: $("$BIN" --version) (commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?))"
echo "wrk -t$THREADS -c$CONN -d${DUR}s --latency (3 s warm-up each); output in $OUT"
for n in $SIZES; do bench_portfolio "$n"; done
if [ "$REDMINE" = 1 ]; then bench_redmine; fi

echo
echo "== Results (RESULT lines in $RESULTS)"
table portfolio
[ "$REDMINE" = 1 ] && table redmine
exit 0
