#!/usr/bin/env python3
"""OR-Library MKP benchmark: raw HiGHS (highspy) and PuLP+CBC next to Portfolio's bench-mkp.

Called by bench/mkp.sh, which runs `portfolio bench-mkp --format json` first and passes the
JSON files here. This script
  1. parses the same OR-Library files (the format of ../shared/data/mkp/README.md);
  2. solves every instance with highspy (HiGHS 1.16, defaults except mip_rel_gap=0) and with
     PuLP's bundled CBC (gapRel=0), each with the same time limit;
  3. checks that highspy reads back the MPS and LP files Portfolio exported for mknap1 and finds
     the same optima;
  4. prints the table and writes it into docs/benchmarks.md as the section
     "Optimiser: OR-Library multidimensional knapsack" (replacing that section if present).

Usage: mkp_peers.py --data DIR --time-limit S --first-cb N --ours-mknap1 F --ours-cb1 F
                    --models DIR --doc docs/benchmarks.md --machine TEXT --binary TEXT
"""

import argparse
import csv
import json
import os
import re
import statistics
import sys
import time

import highspy
import pulp

SECTION = "## Optimiser: OR-Library multidimensional knapsack"


def parse(path):
    tokens = open(path).read().split()
    pos = 0

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    k = int(take())
    out = []
    for index in range(k):
        n, m, opt = int(take()), int(take()), float(take())
        profits = [float(take()) for _ in range(n)]
        weights = [[float(take()) for _ in range(n)] for _ in range(m)]
        caps = [float(take()) for _ in range(m)]
        out.append(dict(index=index, n=n, m=m, opt=opt or None, p=profits, w=weights, b=caps))
    assert pos == len(tokens), f"{path}: {len(tokens) - pos} tokens left over"
    return out


def solve_highs(inst, limit):
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("time_limit", float(limit))
    n = inst["n"]
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = inst["m"]
    lp.col_cost_ = inst["p"]
    lp.col_lower_ = [0.0] * n
    lp.col_upper_ = [1.0] * n
    lp.row_lower_ = [-inf] * inst["m"]
    lp.row_upper_ = inst["b"]
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    # Column-wise matrix.
    starts, index, value = [0], [], []
    for j in range(n):
        for i in range(inst["m"]):
            a = inst["w"][i][j]
            if a != 0:
                index.append(i)
                value.append(a)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = inst["m"]
    h.passModel(lp)
    t = time.perf_counter()
    h.run()
    secs = time.perf_counter() - t
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    return dict(value=info.objective_function_value, proven=status == "Optimal", seconds=secs,
                nodes=info.mip_node_count, status=status)


def solve_cbc(inst, limit):
    prob = pulp.LpProblem("mkp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(inst["n"])]
    prob += pulp.lpSum(p * v for p, v in zip(inst["p"], x))
    for i in range(inst["m"]):
        prob += pulp.lpSum(a * v for a, v in zip(inst["w"][i], x) if a) <= inst["b"][i]
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit, gapRel=0.0, gapAbs=0.0)
    t = time.perf_counter()
    prob.solve(solver)
    secs = time.perf_counter() - t
    status = pulp.LpStatus[prob.status]
    value = pulp.value(prob.objective)
    # PuLP says "Optimal" also when CBC stopped at the time limit with a solution;
    # count a proof only when it finished inside the limit.
    proven = status == "Optimal" and secs < limit * 0.98
    return dict(value=value, proven=proven, seconds=secs, status=status)


def readback(models, stem, count, ours):
    """highspy reads Portfolio's MPS and LP files and finds the same optima."""
    rows = []
    for k in range(1, count + 1):
        for ext in ("mps", "lp"):
            path = os.path.join(models, f"{stem}-{k}.{ext}")
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            h.setOptionValue("mip_rel_gap", 0.0)
            h.readModel(path)
            h.run()
            got = h.getInfo().objective_function_value
            want = ours[k - 1]["value"]
            rows.append((f"{stem}-{k}.{ext}", got, want, abs(got - want) < 1e-6))
    return rows


def fmt(v):
    if v is None:
        return "–"
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--time-limit", type=float, default=60)
    ap.add_argument("--first-cb", type=int, default=10)
    ap.add_argument("--ours-mknap1", required=True)
    ap.add_argument("--ours-cb1", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--doc", required=True)
    ap.add_argument("--machine", required=True)
    ap.add_argument("--binary", required=True)
    args = ap.parse_args()

    best = {}
    with open(os.path.join(args.data, "mknapcb_bestknown.csv")) as f:
        for row in csv.DictReader(f):
            best[(row["file"], int(row["index"]))] = float(row["best_known"])

    sets = [
        ("mknap1.txt", parse(os.path.join(args.data, "mknap1.txt")),
         json.load(open(args.ours_mknap1))["instances"]),
        ("mknapcb1.txt", parse(os.path.join(args.data, "mknapcb1.txt"))[: args.first_cb],
         json.load(open(args.ours_cb1))["instances"]),
    ]
    table = []
    for name, instances, ours in sets:
        assert len(ours) == len(instances), f"{name}: {len(ours)} results for {len(instances)}"
        for inst, our in zip(instances, ours):
            ref = inst["opt"] if name == "mknap1.txt" else best.get((name, inst["index"]))
            hs = solve_highs(inst, args.time_limit)
            cbc = solve_cbc(inst, args.time_limit)
            row = dict(name=f"{name}#{inst['index']}", n=inst["n"], m=inst["m"], ref=ref,
                       ours=dict(value=our["value"], proven=our["proven"],
                                 seconds=our["seconds"], nodes=our["nodes"],
                                 fixed=our["fixed_by_reduced_cost"]),
                       highs=hs, cbc=cbc)
            table.append(row)
            print(f"{row['name']}: ref {fmt(ref)} | ours {fmt(our['value'])} "
                  f"{'P' if our['proven'] else '-'} {our['seconds']:.2f}s | highs {fmt(hs['value'])} "
                  f"{'P' if hs['proven'] else '-'} {hs['seconds']:.2f}s | cbc {fmt(cbc['value'])} "
                  f"{'P' if cbc['proven'] else '-'} {cbc['seconds']:.2f}s", flush=True)

    back = readback(args.models, "mknap1", len(sets[0][1]), sets[0][2])

    def tick(b):
        return "yes" if b else "**no**"

    lines = [SECTION, ""]
    lines.append(
        "Issue 4 (Prioritise) asks `portfolio bench-mkp` for proven optima on every instance of "
        "OR-Library's `mknap1.txt` and the first ten of `mknapcb1.txt` (n = 100, m = 5), with time "
        "to proof no slower than raw HiGHS and faster than PuLP with CBC. One run of "
        "`bench/mkp.sh` on this machine; every solver had the same time limit per instance.")
    lines.append("")
    lines.append("### Machine and run")
    lines.append("")
    lines.append(f"- Machine: {args.machine}.")
    lines.append(f"- Portfolio: {args.binary}. The engine: the LP relaxation (HiGHS), an "
                 "LP-guided greedy with local search (swaps, drop-and-refill) and reduced-cost "
                 "fixing, then, these being small pure 0/1 models, its own depth-first branch and "
                 "bound (dense bounded dual simplex per node, reduced-cost fixing in every node, "
                 "reliability branching; one thread, deterministic, proof to the unit).")
    lines.append(f"- Raw HiGHS: highspy {highspy.Highs().version() if hasattr(highspy.Highs(), 'version') else '1.16'}"
                 " from PyPI, default options except `mip_rel_gap = 0` (so its own thread count).")
    lines.append(f"- PuLP {pulp.__version__} with its bundled CBC, `gapRel = 0`, `gapAbs = 0`.")
    lines.append(f"- Time limit {args.time_limit:g} s per instance and solver. Seconds are each "
                 "solver's wall time for the solve (ours as reported by `bench-mkp`, model "
                 "building included; highspy's `run()`; PuLP's `solve()`, which includes writing "
                 "the model file and starting CBC).")
    lines.append("- Reference: the stated optimum for mknap1; `best_known` of "
                 "`mknapcb_bestknown.csv` for mknapcb1 (all proven optimal in the literature).")
    lines.append("")
    lines.append("### Results")
    lines.append("")
    lines.append("| instance | n×m | reference | Portfolio value | proven | s | nodes | fixed "
                 "| HiGHS value | proven | s | CBC value | proven | s |")
    lines.append("|---|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---|---:|")
    for r in table:
        o, h, c = r["ours"], r["highs"], r["cbc"]
        lines.append(
            f"| {r['name']} | {r['n']}×{r['m']} | {fmt(r['ref'])} | {fmt(o['value'])} | "
            f"{tick(o['proven'])} | {o['seconds']:.2f} | {o['nodes']} | {o['fixed']} | "
            f"{fmt(h['value'])} | {tick(h['proven'])} | {h['seconds']:.2f} | "
            f"{fmt(c['value'])} | {tick(c['proven'])} | {c['seconds']:.2f} |")
    lines.append("")
    lines.append("Medians and ratios (median of the per-instance ratios solver ÷ Portfolio; "
                 "above 1 means Portfolio is faster):")
    lines.append("")
    lines.append("| set | instances | Portfolio proven | matches reference | Portfolio median s "
                 "| HiGHS median s | CBC median s | HiGHS ÷ Portfolio | CBC ÷ Portfolio |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, _, _ in sets:
        rows = [r for r in table if r["name"].startswith(name)]
        ours_s = [r["ours"]["seconds"] for r in rows]
        floor = 0.005  # tiny times: compare no finer than 5 ms
        ratio_h = [max(r["highs"]["seconds"], floor) / max(r["ours"]["seconds"], floor) for r in rows]
        ratio_c = [max(r["cbc"]["seconds"], floor) / max(r["ours"]["seconds"], floor) for r in rows]
        matched = sum(1 for r in rows if r["ref"] is not None and r["ours"]["value"] is not None
                      and abs(r["ours"]["value"] - r["ref"]) < 1e-6)
        lines.append(
            f"| {name} | {len(rows)} | {sum(r['ours']['proven'] for r in rows)} | {matched} | "
            f"{statistics.median(ours_s):.2f} | "
            f"{statistics.median([r['highs']['seconds'] for r in rows]):.2f} | "
            f"{statistics.median([r['cbc']['seconds'] for r in rows]):.2f} | "
            f"{statistics.median(ratio_h):.2f} | {statistics.median(ratio_c):.2f} |")
    lines.append("")
    lines.append("Model export check: highspy read Portfolio's exported files "
                 "(`bench-mkp --export`) of every mknap1 instance and found the same optimum: "
                 + ", ".join(f"{p} {fmt(g)} ({'same' if ok else '**differs: ' + fmt(w) + '**'})"
                             for p, g, w, ok in back) + ".")
    lines.append("")
    section = "\n".join(lines) + "\n"
    print(section)

    doc = open(args.doc).read() if os.path.exists(args.doc) else "# Benchmarks\n"
    pattern = re.compile(re.escape(SECTION) + r".*?(?=\n## |\Z)", re.S)
    if pattern.search(doc):
        doc = pattern.sub(lambda _: section.rstrip("\n") + "\n", doc)
    else:
        doc = doc.rstrip("\n") + "\n\n" + section
    open(args.doc, "w").write(doc)
    bad = [p for p, _, _, ok in back if not ok]
    if bad:
        print(f"export check failed: {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
