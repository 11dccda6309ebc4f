#!/usr/bin/env python3
"""Build the fuzz targets' seed corpora from the text seeds in fuzz/seeds/.

    python3 fuzz/make_seeds.py OUT_DIR

Writes OUT_DIR/<target>/ for each target:

- money, date: one file per line of seeds/money.txt and seeds/date.txt.
- csv_reader: the CSV seeds as they are, plus a Windows-1252 copy of each
  (as Excel saves CSV on Windows) and a zip's first bytes under a .csv name.
- xlsx_reader: the text seeds (parts marked "=== path", which the target
  zips itself), plus each zipped here with deflate into a real .xlsx file, so
  the fuzzer also mutates compressed workbooks.

Everything is made from text checked in next to this script: the repository
holds no binary seeds. The output is the same on every run.
"""

import shutil
import sys
import zipfile
from pathlib import Path

SEEDS = Path(__file__).resolve().parent / "seeds"
FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def lines(target, out):
    folder = out / target
    folder.mkdir(parents=True)
    text = (SEEDS / f"{target}.txt").read_text(encoding="utf-8")
    for i, line in enumerate(text.splitlines()):
        (folder / f"{i:03d}.txt").write_bytes(line.encode("utf-8"))


def csv_seeds(out):
    folder = out / "csv_reader"
    folder.mkdir(parents=True)
    for seed in sorted((SEEDS / "csv_reader").iterdir()):
        data = seed.read_bytes()
        (folder / seed.name).write_bytes(data)
        text = data.decode("utf-8-sig")
        cp1252 = text.encode("cp1252", errors="replace")
        if cp1252 != data:
            (folder / f"{seed.stem}-windows-1252.csv").write_bytes(cp1252)
    # A zip under a CSV name is read as text, not as a workbook.
    (folder / "zip-named-csv.csv").write_bytes(b"PK\x03\x04Title,Cost\nA,1\n")


def parts(text):
    """The (path, content) parts of a text seed, as the xlsx_reader target splits them."""
    assert text.startswith("=== "), "an xlsx seed starts with '=== path'"
    found = []
    for chunk in text[len("=== "):].split("\n=== "):
        name, _, body = chunk.partition("\n")
        found.append((name.strip(), body))
    return found


def xlsx_seeds(out):
    folder = out / "xlsx_reader"
    folder.mkdir(parents=True)
    for seed in sorted((SEEDS / "xlsx_reader").iterdir()):
        text = seed.read_text(encoding="utf-8")
        (folder / seed.name).write_text(text, encoding="utf-8")
        workbook_parts = parts(text)
        if not any(name == "[Content_Types].xml" for name, _ in workbook_parts):
            continue  # only complete workbooks make a real file
        with zipfile.ZipFile(folder / f"{seed.stem}.xlsx", "w", zipfile.ZIP_DEFLATED) as book:
            for name, body in workbook_parts:
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                book.writestr(info, body.encode("utf-8"))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    lines("money", out)
    lines("date", out)
    csv_seeds(out)
    xlsx_seeds(out)


if __name__ == "__main__":
    main()
