#!/usr/bin/env bash
# bench/roadmap.sh — loopback load test of the public roadmap's open data:
# GET /public/northmere/roadmap.json of the demo council (`portfolio demo`), signed out, once
# without and once with If-None-Match (the ETag of the first response, so every answer is a
# 304 with no body).
#
# Usage:
#   bench/roadmap.sh [PORTFOLIO_BINARY]      default: target/release/portfolio (builds nothing;
#                                            cargo build --release -p portfolio-cli)
#
# Env knobs:
#   DUR=20               seconds per measured wrk run (a 3 s warm-up precedes each)
#   CONN=16 THREADS=2    wrk connections / threads
#   OUT=/tmp/portfolio-bench/roadmap-<timestamp>   working folder (data dir, log, raw wrk output)
#
# Output: `RESULT key=value …` lines and the raw wrk output in $OUT. Traffic goes to
# 127.0.0.1 only; the server and every wrk run are bounded by `timeout`.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${1:-$ROOT/target/release/portfolio}
DUR=${DUR:-20}
CONN=${CONN:-16}
THREADS=${THREADS:-2}
OUT=${OUT:-/tmp/portfolio-bench/roadmap-$(date -u +%Y%m%dT%H%M%SZ)}

die() { echo "roadmap-bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no binary at $BIN (build it: cargo build --release -p portfolio-cli)"
for tool in wrk curl; do command -v $tool > /dev/null || die "$tool not installed"; done
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
mkdir -p "$OUT/data"

PORTFOLIO_DEMO_PASSWORD=bench-password-$RANDOM$RANDOM \
  timeout 600 "$BIN" demo --listen 127.0.0.1:0 --data-dir "$OUT/data" > "$OUT/demo.log" 2>&1 < /dev/null &
SERVER_PID=$!
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() { kill -TERM "$SERVER_PID" 2> /dev/null || true; pkill -TERM -P "$SERVER_PID" 2> /dev/null || true; }
trap cleanup EXIT
URL=""
for _ in $(seq 300); do
  URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$OUT/demo.log" | head -1 || true)
  [ -n "$URL" ] && break
  [ -d "/proc/$SERVER_PID" ] || { cat "$OUT/demo.log"; die "the demo exited"; }
  sleep 0.2
done
[ -n "$URL" ] || { cat "$OUT/demo.log"; die "the demo did not print its address"; }
PATH_JSON=/public/northmere/roadmap.json
ETAG=$(curl -sS -D - -o "$OUT/roadmap.json" "$URL$PATH_JSON" | awk 'tolower($1)=="etag:"{print $2}' | tr -d '\r')
[ -n "$ETAG" ] || die "no ETag on $PATH_JSON"
BYTES=$(wc -c < "$OUT/roadmap.json")
CODE=$(curl -sS -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$URL$PATH_JSON")
[ "$CODE" = 304 ] || die "If-None-Match gave $CODE, not 304"

echo "== run $(date -u +%FT%TZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo ?); $PATH_JSON is $BYTES bytes, ETag $ETAG"
echo "wrk -t$THREADS -c$CONN -d${DUR}s --latency (3 s warm-up each); output in $OUT"

wrk_run full "$OUT/wrk-full.txt" "$URL$PATH_JSON"
echo "RESULT case=roadmap_json_200 $(parse_wrk "$OUT/wrk-full.txt")"
wrk_run not_modified "$OUT/wrk-304.txt" -H "If-None-Match: $ETAG" "$URL$PATH_JSON"
echo "RESULT case=roadmap_json_304 $(parse_wrk "$OUT/wrk-304.txt")"
