#!/usr/bin/env bash
# bench/reports.sh — a board pack for an organisation of N projects (1,000 by default), written by
# `portfolio report board` as DOCX, PDF and HTML, each timed with hyperfine (the whole command:
# start, open the database, gather the register as at today, check, lay out, write) and measured
# for peak memory with /usr/bin/time -v. In the same run, the named alternative way to a PDF:
# LibreOffice converting the DOCX (`soffice --headless --convert-to pdf`).
#
# Usage:
#   bench/reports.sh [PORTFOLIO_BINARY]      default: target/release/portfolio (builds nothing;
#                                            cargo build --release -p portfolio-cli)
#
# Env knobs:
#   PROJECTS=1000        projects in the generated organisation
#   RUNS=10              hyperfine runs per format (after 2 warm-ups); LibreOffice gets RUNS/2, at least 3
#   OUT=/tmp/portfolio-bench/reports-<timestamp>   working folder (data dir, documents, raw output)
#
# Output: `RESULT key=value …` lines (medians in ms, peak RSS in KiB) and hyperfine's JSON in $OUT.
# Nothing is served and nothing leaves the machine.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${1:-$ROOT/target/release/portfolio}
PROJECTS=${PROJECTS:-1000}
RUNS=${RUNS:-10}
OUT=${OUT:-/tmp/portfolio-bench/reports-$(date -u +%Y%m%dT%H%M%SZ)}

die() { echo "reports-bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no binary at $BIN (build it: cargo build --release -p portfolio-cli)"
for tool in hyperfine jq soffice /usr/bin/time; do command -v $tool > /dev/null || die "$tool not installed"; done
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
mkdir -p "$OUT/data"
cd "$OUT"

PORTFOLIO_PASSWORD=bench-password-$RANDOM$RANDOM timeout 900 "$BIN" --data-dir "$OUT/data" generate \
  --org big --name "Big County Council" --projects "$PROJECTS" --seed 1 > generate.txt
TODAY=$(date -u +%F)
report() { echo "$BIN --data-dir $OUT/data report board --org big --as-at $TODAY --format $1 --out $OUT/board.$1"; }

echo "== run $(date -u +%FT%TZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo ?); load $(cut -d' ' -f1-3 /proc/loadavg); $PROJECTS projects"

median_ms() { jq '.results[0].median * 1000 | . * 10 | round / 10' "$1"; }
for format in docx pdf html; do
  timeout 900 hyperfine --runs "$RUNS" --warmup 2 --prepare "rm -f $OUT/board.$format" \
    --export-json "hyperfine-$format.json" "$(report $format)" > "hyperfine-$format.txt"
  rm -f "board.$format"
  # shellcheck disable=SC2046  # the command is split into its words on purpose
  /usr/bin/time -v $(report $format) 2> "time-$format.txt"
  rss=$(awk -F: '/Maximum resident set size/{gsub(/ /, "", $2); print $2}' "time-$format.txt")
  bytes=$(wc -c < "board.$format")
  echo "RESULT format=$format median_ms=$(median_ms "hyperfine-$format.json") min_ms=$(jq '.results[0].min * 1000 | round' "hyperfine-$format.json") max_ms=$(jq '.results[0].max * 1000 | round' "hyperfine-$format.json") peak_rss_kib=$rss bytes=$bytes"
done
pdfinfo board.pdf 2> /dev/null | awk '/^Pages:/{print "PDF pages: " $2}' || true

# The alternative: LibreOffice turning the DOCX into a PDF (a fresh profile made once, outside the timing).
PROFILE="-env:UserInstallation=file://$OUT/lo-profile"
mkdir -p lo
timeout 300 soffice "$PROFILE" --headless --convert-to pdf --outdir lo board.docx > /dev/null 2>&1
LO_RUNS=$((RUNS / 2 > 3 ? RUNS / 2 : 3))
timeout 1800 hyperfine --runs "$LO_RUNS" --warmup 1 --prepare "rm -f $OUT/lo/board.pdf" \
  --export-json hyperfine-libreoffice.json \
  "soffice $PROFILE --headless --convert-to pdf --outdir $OUT/lo $OUT/board.docx" > hyperfine-libreoffice.txt
rm -f lo/board.pdf
# shellcheck disable=SC2086
/usr/bin/time -v soffice $PROFILE --headless --convert-to pdf --outdir lo board.docx > /dev/null 2> time-libreoffice.txt
rss=$(awk -F: '/Maximum resident set size/{gsub(/ /, "", $2); print $2}' time-libreoffice.txt)
echo "RESULT format=libreoffice-docx-to-pdf median_ms=$(median_ms hyperfine-libreoffice.json) min_ms=$(jq '.results[0].min * 1000 | round' hyperfine-libreoffice.json) max_ms=$(jq '.results[0].max * 1000 | round' hyperfine-libreoffice.json) peak_rss_kib=$rss bytes=$(wc -c < lo/board.pdf)"
echo "output in $OUT"
