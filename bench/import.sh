#!/usr/bin/env bash
# bench/import.sh — import of a department's spreadsheet (CSV and XLSX) into SQLite and
# PostgreSQL, side by side with pandas reading the same files (parse only), in one run.
#
# Usage:
#   bench/import.sh [PORTFOLIO_BINARY]      default: target/release/portfolio (builds nothing)
#
# Env knobs:
#   ROWS=100000        rows in the generated spreadsheet (bench/make_sheets.py)
#   REPEAT=3           runs of each measurement; the median is reported
#   PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres   (databases bench_import_* are made and dropped)
#   OUT=/tmp/portfolio-import-bench/<timestamp>
#
# Needs python3 with pandas and openpyxl, GNU time (/usr/bin/time) and psql. Each Portfolio
# import is a fresh database with a generated organisation of 10 projects; the import is the
# whole job: read, map columns, parse money and dates, validate every row, and write every
# project, its audit record and its provenance in one transaction. The import's own log
# also gives its phases (read, check, write): "phases" lines report the median parse +
# validate time, which is what pandas' parse-only time compares with.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${1:-$ROOT/target/release/portfolio}
ROWS=${ROWS:-100000}
REPEAT=${REPEAT:-3}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
OUT=${OUT:-/tmp/portfolio-import-bench/$(date -u +%Y%m%dT%H%M%SZ)}
PASSWORD=bench-password-$RANDOM$RANDOM

die() { echo "import-bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no binary at $BIN (build it: cargo build --release -p portfolio-cli)"
[ -x /usr/bin/time ] || die "GNU time is not installed (Debian package: time)"
command -v psql > /dev/null || die "psql is not installed"
python3 -c 'import pandas, openpyxl' 2> /dev/null || die "python3 needs pandas and openpyxl"
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: > "$RESULTS"

echo "== generating $ROWS rows (CSV and XLSX) in $OUT"
timeout 600 python3 "$HERE/make_sheets.py" "$ROWS" "$OUT"
CSV=$OUT/projects-$ROWS.csv
XLSX=$OUT/projects-$ROWS.xlsx
ls -l "$CSV" "$XLSX"

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# portfolio_once BACKEND FILE: prints "seconds max_rss_kib"
portfolio_once() {
  local backend=$1 file=$2 dir url db=""
  dir=$(mktemp -d "$OUT/run-XXXXXX")
  if [ "$backend" = postgres ]; then
    db=bench_import_$RANDOM$RANDOM
    psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $db" > /dev/null
    url=${PG_ADMIN_URL%/*}/$db
  else
    url=sqlite://$dir/portfolio.sqlite
  fi
  PORTFOLIO_PASSWORD=$PASSWORD timeout 300 "$BIN" --database-url "$url" --data-dir "$dir" generate --org big \
    --name "Big County Council" --projects 10 --seed 1 > /dev/null
  RUST_LOG=info,portfolio_app::import=debug /usr/bin/time -f "%e %M" -o "$dir/time.txt" timeout 900 "$BIN" --database-url "$url" --data-dir "$dir" \
    import --org big --source bench "$file" > "$dir/import.txt" 2>&1 \
    || { cat "$dir/import.txt" >&2; die "import of $file into $backend failed"; }
  grep -q "Created $ROWS," "$dir/import.txt" || { cat "$dir/import.txt" >&2; die "import did not create $ROWS projects"; }
  # The import logs its phases: reading the file, checking every row, writing.
  sed 's/\x1b\[[0-9;]*m//g' "$dir/import.txt" |
    awk -v label="$backend-${file##*.}" '
      /rows checked/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "read_ms") r = kv[2]; if (kv[1] == "check_ms") c = kv[2] } }
      /import: written/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "write_ms") w = kv[2] } }
      END { printf "%s %.2f %.2f %.2f\n", label, r / 1000, c / 1000, w / 1000 }' >> "$OUT/phases.txt"
  cat "$dir/time.txt"
  [ -n "$db" ] && psql -q "$PG_ADMIN_URL" -c "DROP DATABASE $db WITH (FORCE)" > /dev/null
  rm -rf "$dir"
}

# pandas_once FILE: prints "seconds max_rss_kib"
pandas_once() {
  local reader
  case $1 in *.csv) reader="pandas.read_csv(sys.argv[1])" ;; *) reader="pandas.read_excel(sys.argv[1], engine='openpyxl')" ;; esac
  /usr/bin/time -f "%e %M" -o "$OUT/pandas-time.txt" timeout 900 python3 -c "import sys, pandas; df = $reader; assert len(df) == $ROWS, len(df)" "$1"
  cat "$OUT/pandas-time.txt"
}

measure() {  # LABEL command...
  local label=$1; shift
  local times=() rss=() i line
  for i in $(seq "$REPEAT"); do
    line=$("$@")
    times+=("${line% *}"); rss+=("${line#* }")
    echo "   $label run $i: ${line% *} s, max RSS ${line#* } KiB"
  done
  local t r
  t=$(printf '%s\n' "${times[@]}" | median)
  r=$(printf '%s\n' "${rss[@]}" | median)
  echo "RESULT $label rows=$ROWS seconds=$t max_rss_kib=$r all_seconds=$(IFS=,; echo "${times[*]}")" | tee -a "$RESULTS"
}

echo "== run $(date -u +%FT%TZ) on $(nproc) cores; portfolio $("$BIN" --version) (commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)); pandas $(python3 -c 'import pandas; print(pandas.__version__)')"
measure portfolio_csv_sqlite portfolio_once sqlite "$CSV"
measure pandas_read_csv pandas_once "$CSV"
measure portfolio_xlsx_sqlite portfolio_once sqlite "$XLSX"
measure pandas_read_excel pandas_once "$XLSX"
measure portfolio_csv_postgres portfolio_once postgres "$CSV"
measure portfolio_xlsx_postgres portfolio_once postgres "$XLSX"
# Parse + validate alone (the import's own read and check phases), per file type and backend.
for label in $(awk '{ print $1 }' "$OUT/phases.txt" | sort -u); do
  awk -v l="$label" '$1 == l { print $2 + $3, $2, $3, $4 }' "$OUT/phases.txt" | sort -g |
    awk -v l="$label" -v rows="$ROWS" '{ v[NR] = $0 } END { split(v[int((NR + 1) / 2)], m, " ");
      printf "RESULT phases_%s rows=%s parse_and_validate_seconds=%s read=%s check=%s write=%s\n", l, rows, m[1], m[2], m[3], m[4] }' |
    tee -a "$RESULTS"
done
echo "== results in $RESULTS"
