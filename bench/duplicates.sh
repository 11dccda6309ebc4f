#!/usr/bin/env bash
# bench/duplicates.sh — duplicate candidates among 10,000 generated register entries with
# 500 planted pairs: Portfolio's blocked search (find_duplicates) side by side with rapidfuzz's
# full-matrix process.cdist on the same entries, in one run.
#
# Usage:
#   bench/duplicates.sh            builds the benchmark with --release first
#
# Env knobs:
#   REPEAT=3            runs of each; the median is reported
#   ENTRIES=10000 PLANTED=500
#   SCORER=token_set_ratio   rapidfuzz scorer (or WRatio)
#   THRESHOLDS="70 80 90"    rapidfuzz score thresholds reported (one matrix per run)
#   OUT=/tmp/portfolio-duplicates-bench/<timestamp>
#
# Needs python3 with rapidfuzz and numpy (pip install rapidfuzz numpy). Prints `RESULT` lines
# (also in $OUT/results.txt) and a table of medians.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
REPEAT=${REPEAT:-3}
export ENTRIES=${ENTRIES:-10000} PLANTED=${PLANTED:-500}
export SCORER=${SCORER:-token_set_ratio} THRESHOLDS=${THRESHOLDS:-"70 80 90"}
OUT=${OUT:-/tmp/portfolio-duplicates-bench/$(date -u +%Y%m%dT%H%M%SZ)}

die() { echo "duplicates-bench: $*" >&2; exit 1; }
python3 -c 'import rapidfuzz, numpy' 2> /dev/null || die "python3 needs rapidfuzz and numpy (pip install rapidfuzz numpy)"
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: > "$RESULTS"

echo "== building: cargo build --release -p portfolio-domain --example duplicates-bench"
(cd "$ROOT" && cargo build --release -q -p portfolio-domain --example duplicates-bench)
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
BIN=$TARGET_DIR/release/examples/duplicates-bench
[ -x "$BIN" ] || die "no benchmark binary at $BIN"

echo "== run $(date -u +%FT%TZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo ?), $(rustc --version), python $(python3 -c 'import platform; print(platform.python_version())')"
echo "$ENTRIES entries, $PLANTED planted pairs; entries and planted pairs in $OUT"

for run in $(seq "$REPEAT"); do
  echo "-- run $run of $REPEAT"
  timeout 600 "$BIN" "$OUT" | tee -a "$RESULTS"
  timeout 1800 python3 "$HERE/duplicates_rapidfuzz.py" "$OUT" | tee -a "$RESULTS"
done

echo
echo "== Medians of $REPEAT runs"
python3 - "$RESULTS" << 'PY'
import statistics, sys
from collections import defaultdict

runs = defaultdict(list)
for line in open(sys.argv[1]):
    if not line.startswith("RESULT "):
        continue
    fields = dict(kv.split("=", 1) for kv in line.split()[1:])
    label = fields["system"]
    if label == "rapidfuzz":
        label = f"rapidfuzz cdist {fields['scorer']} >= {fields['threshold']}"
    runs[label].append(fields)

portfolio = statistics.median(float(r["seconds"]) for r in runs.get("portfolio", [{"seconds": "nan"}]))
print("| | seconds (median) | runs | recall | candidates | other pairs of the same area and object | planted pairs in the first", runs["portfolio"][0]["planted"] if "portfolio" in runs else "", "| time ÷ Portfolio's |")
print("|---|---:|---|---:|---:|---:|---:|---:|")
for label, rs in runs.items():
    seconds = [float(r["seconds"]) for r in rs]
    median = statistics.median(seconds)
    last = rs[-1]
    related = last.get("related", "")
    print(f"| {label} | {median:.3f} | {' · '.join(f'{s:.3f}' for s in seconds)} | {last['recall']} "
          f"| {int(last['candidates']):,} | {int(related):,} | {last['planted_in_top']} | {median / portfolio:.0f}× |")
PY
