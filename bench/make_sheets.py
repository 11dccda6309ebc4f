#!/usr/bin/env python3
"""Writes a department's spreadsheet of N projects, as CSV and XLSX, for the import benchmark.

    bench/make_sheets.py N OUTDIR

The columns are named and filled the way departments do it by hand: "Ref", "Scheme",
"Directorate", "Status", "Indicative cost" ("£1.2m", "350k", "tbc"), "Start" (01/04/2026).
Deterministic: the same N gives the same files.
"""
import csv
import random
import sys
from pathlib import Path

import openpyxl

DEPARTMENTS = ["Health & Care", "Families and Communities", "Economy, Infrastructure and Skills",
               "Corporate Services", "Public Health"]
STAGES = ["Concept", "Design", "Delivery"]
WORDS = ["case management", "portal", "telephony", "RPA", "assessments", "records", "booking",
         "payments", "chatbot", "data platform", "scheduling", "mobile working"]
HEADERS = ["Ref", "Scheme", "Directorate", "Status", "Indicative cost", "Start"]


def money(rng):
    kind = rng.randrange(4)
    if kind == 0:
        return f"£{rng.randrange(1, 40) / 10:.1f}m"
    if kind == 1:
        return f"{rng.randrange(10, 900)}k"
    if kind == 2:
        return f"£{rng.randrange(1000, 900000):,}"
    return "tbc"


def rows(n):
    rng = random.Random(1)
    for i in range(1, n + 1):
        day, month = rng.randrange(1, 29), rng.randrange(1, 13)
        yield [f"R{i:06d}", f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {i}",
               rng.choice(DEPARTMENTS), rng.choice(STAGES), money(rng), f"{day:02d}/{month:02d}/2026"]


def main():
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"projects-{n}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        w.writerows(rows(n))
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Projects")
    sheet.append(HEADERS)
    for r in rows(n):
        sheet.append(r)
    book.save(out / f"projects-{n}.xlsx")


if __name__ == "__main__":
    main()
