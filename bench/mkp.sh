#!/usr/bin/env bash
# bench/mkp.sh — OR-Library 0-1 multidimensional knapsack: `portfolio bench-mkp` on every
# instance of mknap1.txt and the first ten of mknapcb1.txt (n=100, m=5), side by side with raw
# HiGHS (highspy, mip_rel_gap=0) and PuLP's bundled CBC (gap 0), each with the same time limit,
# in one run. Writes the section "Optimiser: OR-Library multidimensional knapsack" of
# docs/benchmarks.md. A benchmark, not a test: run it on a quiet machine, one at a time.
#
# Usage:
#   bench/mkp.sh                 builds `portfolio` with --release first (the first release
#                                build of HiGHS takes about 5 minutes)
#
# Env knobs:
#   PORTFOLIO_BIN=path           use this binary instead of building one
#   MKP_DATA=../shared/data/mkp  the OR-Library files and mknapcb_bestknown.csv
#   TIME_LIMIT=60                seconds per instance and solver
#   FIRST_CB=10                  instances of mknapcb1.txt
#   OUT=/tmp/portfolio-mkp-bench/<timestamp>
#
# Bounded: every solver stops at TIME_LIMIT per instance, so the run takes at most about
# 3 x (7 + FIRST_CB) x TIME_LIMIT seconds (in practice a few minutes).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
DATA=${MKP_DATA:-$ROOT/../shared/data/mkp}
TIME_LIMIT=${TIME_LIMIT:-60}
FIRST_CB=${FIRST_CB:-10}
OUT=${OUT:-/tmp/portfolio-mkp-bench/$(date -u +%Y%m%dT%H%M%SZ)}

die() { echo "mkp-bench: $*" >&2; exit 1; }
[ -f "$DATA/mknap1.txt" ] && [ -f "$DATA/mknapcb1.txt" ] || die "no OR-Library files in $DATA (set MKP_DATA)"
python3 -c 'import highspy, pulp' 2> /dev/null || python3 -m pip install --quiet 'highspy==1.16.*' pulp ||
  die "could not install highspy and pulp"
mkdir -p "$OUT"

if [ -n "${PORTFOLIO_BIN:-}" ]; then
  BIN=$PORTFOLIO_BIN
  BUILT="the binary $BIN"
else
  echo "== building: cargo build --release -p portfolio-cli"
  (cd "$ROOT" && cargo build --release -q -p portfolio-cli)
  TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
  BIN=$TARGET_DIR/release/portfolio
  BUILT="release build"
fi
[ -x "$BIN" ] || die "no portfolio binary at $BIN"

MACHINE="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr); run $(date -u +%FT%TZ)"
echo "== $MACHINE"

# Our engine: one instance after another, each bounded by the time limit.
BOUND=$(( (7 + FIRST_CB) * ${TIME_LIMIT%.*} + 60 ))
echo "== portfolio bench-mkp mknap1.txt"
timeout "$BOUND" "$BIN" bench-mkp "$DATA/mknap1.txt" --time-limit "$TIME_LIMIT" \
  --export "$OUT/models" --format json > "$OUT/ours-mknap1.json"
echo "== portfolio bench-mkp mknapcb1.txt --first $FIRST_CB"
timeout "$BOUND" "$BIN" bench-mkp "$DATA/mknapcb1.txt" --first "$FIRST_CB" \
  --time-limit "$TIME_LIMIT" --format json > "$OUT/ours-mknapcb1.json"

echo "== raw HiGHS and PuLP+CBC on the same instances"
python3 "$HERE/mkp_peers.py" --data "$DATA" --time-limit "$TIME_LIMIT" --first-cb "$FIRST_CB" \
  --ours-mknap1 "$OUT/ours-mknap1.json" --ours-cb1 "$OUT/ours-mknapcb1.json" \
  --models "$OUT/models" --doc "$ROOT/docs/benchmarks.md" \
  --machine "$MACHINE" --binary "$BUILT" | tee "$OUT/table.md"
echo "== results in $OUT; docs/benchmarks.md updated"
