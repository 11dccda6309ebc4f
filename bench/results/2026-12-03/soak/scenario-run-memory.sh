#!/usr/bin/env bash
# scenario-run-memory.sh LABEL [ENV=VALUE…]: the RSS of one server after each of RUNS
# scenario runs one after another, over PROJECTS generated projects (default 500).
# With CANCEL_AFTER=SECONDS each run is asked to stop that long after it starts.
# Loopback only; the server runs under timeout and is stopped at the end.
set -euo pipefail
B=${PORTFOLIO_BIN:-target/release/portfolio}
label=$1; shift
D=/tmp/memx/$label; rm -rf $D; mkdir -p $D
PORTFOLIO_PASSWORD=memtest-password-1 $B --data-dir $D generate --org m --name M --projects ${PROJECTS:-500} --seed 3 > /dev/null
T=$($B --data-dir $D token create --user admin@m.example --name t --scope write 2>/dev/null | tail -1)
env "$@" timeout 900 $B --data-dir $D serve --listen 127.0.0.1:0 > $D/log 2>&1 &
sleep 2
URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' $D/log | head -1)
PID=$(pgrep -f "data-dir $D serve" | tail -1)
curl -fsS -H "Authorization: Bearer $T" -H 'Content-Type: application/json' -d '{"name":"Mem","first_year":"2026/27","years":3,"time_limit_seconds":1}' $URL/api/v1/scenarios > $D/sc.json
S=$(jq -r '.definition.slug // .slug' $D/sc.json)
for i in $(seq ${RUNS:-10}); do
  R=$(curl -fsS -X POST -H "Authorization: Bearer $T" $URL/api/v1/scenarios/$S/runs | jq -r '.id')
  if [ -n "${CANCEL_AFTER:-}" ]; then
    sleep "$CANCEL_AFTER"
    curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $T" $URL/api/v1/scenario-runs/$R/cancel || true
  fi
  for j in $(seq 600); do st=$(curl -fsS -H "Authorization: Bearer $T" $URL/api/v1/scenario-runs/$R | jq -r '.status'); case $st in running|queued) sleep 0.5;; *) break;; esac; done
  echo "$label run=$i status=$st rss_mib=$(( $(awk '/^VmRSS:/{print $2}' /proc/$PID/status) / 1024 ))"
done
kill $PID
