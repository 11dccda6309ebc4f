#!/usr/bin/env python3
"""The full-matrix way of finding duplicate titles, for comparison with Portfolio's search.

    python3 bench/duplicates_rapidfuzz.py DIR

DIR holds entries.csv and planted.csv, as the Portfolio benchmark writes them
(`cargo run --release -p portfolio-domain --example duplicates-bench -- DIR`).
Every title is scored against every other with rapidfuzz's `process.cdist`
(the whole 10,000 x 10,000 matrix, on all cores: `workers=-1`); pairs scoring
at least the threshold are the candidates. The time covers the matrix and
picking the pairs out of it, not reading the files.

Prints one `RESULT` line per threshold (THRESHOLDS, default "70 80 90"), with
the same measures as the Portfolio benchmark: recall of the planted pairs, the
number of candidates, how many other candidates are about the same service
area and product (`related`), and how many planted pairs are among the first
PLANTED candidates ranked by score.

Env knobs: SCORER (token_set_ratio, the default, or WRatio), THRESHOLDS.
Needs rapidfuzz and numpy (pip install rapidfuzz numpy).
"""

import csv
import os
import sys
import time
from pathlib import Path

import numpy as np
import rapidfuzz
from rapidfuzz import fuzz, process, utils

SCORERS = {"token_set_ratio": fuzz.token_set_ratio, "WRatio": fuzz.WRatio}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = Path(sys.argv[1])
    scorer_name = os.environ.get("SCORER", "token_set_ratio")
    if scorer_name not in SCORERS:
        sys.exit(f"SCORER must be one of {', '.join(SCORERS)}")
    thresholds = sorted(int(t) for t in os.environ.get("THRESHOLDS", "70 80 90").split())

    with open(folder / "entries.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    titles = [row["title"] for row in rows]
    # What each entry is about, to count the other candidates about the same thing.
    kinds = [(row["area"], row["object"]) for row in rows]
    with open(folder / "planted.csv", newline="", encoding="utf-8") as f:
        planted = {(int(row["a"]), int(row["b"])) for row in csv.DictReader(f)}

    started = time.perf_counter()
    matrix = process.cdist(
        titles,
        titles,
        scorer=SCORERS[scorer_name],
        processor=utils.default_process,
        score_cutoff=thresholds[0],
        dtype=np.uint8,
        workers=-1,
    )
    # Each unordered pair once, lower index first; the diagonal is a title against itself.
    a, b = np.nonzero(matrix)
    keep = a < b
    a, b, scores = a[keep], b[keep], matrix[a[keep], b[keep]]
    # Best first, ties in index order, like Portfolio's list.
    order = np.lexsort((b, a, -scores.astype(np.int16)))
    a, b, scores = a[order], b[order], scores[order]
    seconds = time.perf_counter() - started

    for threshold in thresholds:
        above = scores >= threshold
        pairs = list(zip(a[above].tolist(), b[above].tolist()))
        found = sum(1 for p in pairs if p in planted)
        related = sum(1 for p in pairs if p not in planted and kinds[p[0]] == kinds[p[1]])
        top = sum(1 for p in pairs[: len(planted)] if p in planted)
        print(
            f"RESULT system=rapidfuzz scorer={scorer_name} threshold={threshold} "
            f"entries={len(titles)} planted={len(planted)} seconds={seconds:.3f} "
            f"recall={found / len(planted):.3f} found={found} candidates={len(pairs)} related={related} "
            f"planted_in_top={top} pairs_scored={len(titles) * (len(titles) - 1) // 2} "
            f"rapidfuzz={rapidfuzz.__version__} cores={os.cpu_count()}"
        )


if __name__ == "__main__":
    main()
