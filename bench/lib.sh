# bench/lib.sh — what the load benchmarks share: reading wrk's output, a
# process's memory, one bounded wrk run, a server on a free port and a
# signed-in session. Sourced by bench/run.sh and
# bench/history.sh, which set THREADS, CONN and DUR first.

# wrk latency ("850.00us", "1.23ms", "2.10s", "1.5m") -> milliseconds
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

# Parse one wrk --latency output file: prints "rps=… p50_ms=… p99_ms=… requests=… non2xx=… socket_errors=…"
parse_wrk() {
  local f=$1 rps p50 p99 req non2xx sock
  rps=$(awk '/^Requests\/sec:/{print $2}' "$f")
  p50=$(awk '$1=="50%"{print $2}' "$f")
  p99=$(awk '$1=="99%"{print $2}' "$f")
  req=$(awk '/requests in/{print $1}' "$f")
  non2xx=$(awk '/Non-2xx or 3xx responses:/{print $NF}' "$f")
  sock=$(awk '/Socket errors:/{ s=0; for (i=3;i<=NF;i++) if ($i ~ /^[0-9]+,?$/) s+=$i; print s }' "$f")
  echo "rps=${rps:-0} p50_ms=$(to_ms "${p50:-0us}") p99_ms=$(to_ms "${p99:-0us}") requests=${req:-0} non2xx=${non2xx:-0} socket_errors=${sock:-0}"
}

rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2> /dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM:/{print $2}' "/proc/$1/status" 2> /dev/null || echo 0; }

# wrk_run LABEL FILE args…: 3 s warm-up, then the measured run (both bounded by timeout)
wrk_run() {
  local label=$1 file=$2; shift 2
  timeout 30 wrk -t"$THREADS" -c"$CONN" -d3s --timeout 10s "$@" > /dev/null 2>&1 || true
  timeout $((DUR + 30)) wrk -t"$THREADS" -c"$CONN" -d"${DUR}s" --timeout 10s --latency "$@" > "$file" 2>&1 \
    || echo "bench: wrk exited non-zero for $label (see $file)" >&2
}


# start_server DATA_DIR LOG: serves DATA_DIR on a free loopback port, bounded by timeout.
# Sets SERVER_PID (the timeout process), SERVER_CHILD (portfolio itself) and SERVER_URL.
start_server() {
  local data=$1 log=$2 i
  timeout 1800 "$BIN" --data-dir "$data" serve --listen 127.0.0.1:0 > "$log" 2>&1 < /dev/null &
  SERVER_PID=$!
  SERVER_URL=""
  for i in $(seq 100); do
    SERVER_URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1 || true)
    [ -n "$SERVER_URL" ] && break
    [ -d "/proc/$SERVER_PID" ] || { cat "$log"; die "server exited"; }
    sleep 0.2
  done
  [ -n "$SERVER_URL" ] || { cat "$log"; die "server did not print its address"; }
  # `timeout` is the parent: measure the portfolio process itself
  SERVER_CHILD=$(pgrep -P "$SERVER_PID" -x portfolio || echo "$SERVER_PID")
}

# stop_server: SIGTERM to the server started last (SIGKILL if it lingers 10 s).
stop_server() {
  local i
  kill -TERM "$SERVER_CHILD" 2> /dev/null || true
  for i in $(seq 40); do [ -d "/proc/$SERVER_CHILD" ] || break; sleep 0.25; done
  [ -d "/proc/$SERVER_CHILD" ] && { echo "server did not stop on SIGTERM in 10 s; SIGKILL"; kill -KILL "$SERVER_CHILD" 2> /dev/null || true; }
  wait "$SERVER_PID" 2> /dev/null || true
  SERVER_PID=""
}

# sign_in URL EMAIL PASSWORD JAR: prints the portfolio_session cookie of a fresh session
# (GET /sign-in for its cookie and hidden csrf_token, then POST /sign-in).
sign_in() {
  local url=$1 email=$2 password=$3 jar=$4 csrf cookie
  csrf=$(curl -fsS -c "$jar" "$url/sign-in" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  [ -n "$csrf" ] || die "no csrf_token on /sign-in"
  curl -sS -o /dev/null -b "$jar" -c "$jar" --data-urlencode "email=$email" \
    --data-urlencode "password=$password" --data-urlencode "csrf_token=$csrf" --data-urlencode "next=/" \
    "$url/sign-in"
  cookie=$(awk '$6=="portfolio_session"{print $7}' "$jar")
  [ -n "$cookie" ] || die "sign-in gave no portfolio_session cookie"
  echo "$cookie"
}
