# Trial of 3 December 2026: adds aggregate columns to an exported portfolio model and solves it in highspy.
# python highs_aggregate_trial.py MODEL.mps LIMIT_SECONDS MODE [-v]; MODE letters: y (in/out per project),
# z (per start year), b (budget rows over z), o (objective on y), r (restarts on); "none" for the model as exported.
import highspy, sys, time, re
import numpy as np
path, limit, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.readModel(path)
lp = h.getLp()
ncol0 = lp.num_col_
names = [h.getColName(j)[1] for j in range(ncol0)]
groups = {}
for j, n in enumerate(names):
    m = re.match(r"x_(.*)_(-?\d+)$", n)
    groups.setdefault(m.group(1), []).append((j, int(m.group(2))))
rows = [h.getRowName(i)[1] for i in range(lp.num_row_)]
budget = [i for i, r in enumerate(rows) if r.endswith("capital") or r.endswith("revenue")]
E = np.array([], dtype=np.int32); F = np.array([], dtype=np.float64)
def newbin(cost=0.0):
    h.addCol(cost, 0.0, 1.0, 0, E, F)
    c = h.getNumCol() - 1
    h.changeColIntegrality(c, highspy.HighsVarType.kInteger)
    return c
def link(js, v):
    idx = js + [v]
    h.addRow(0.0, 0.0, len(idx), np.array(idx, dtype=np.int32), np.array([1.0]*len(js) + [-1.0]))
cost = lp.col_cost_
A = lp.a_matrix_
coef = {}
for j in range(ncol0):
    for k in range(A.start_[j], A.start_[j+1]):
        coef[(A.index_[k], j)] = A.value_[k]
for key, cols in groups.items():
    js = [j for j, _ in cols]
    years = {}
    for j, s in cols:
        years.setdefault(s // 4, []).append(j)
    y = None
    if "y" in mode and len(js) > 1:
        y = newbin(cost[js[0]] if "o" in mode else 0.0)
        link(js, y)
        if "o" in mode:
            for j in js: h.changeColCost(j, 0.0)
    zs = {}
    if "z" in mode:
        for Y, yj in years.items():
            if len(yj) == 1:
                zs[Y] = yj[0]
            elif len(years) == 1 and y is not None:
                zs[Y] = y
            else:
                z = newbin(); link(yj, z); zs[Y] = z
    if "b" in mode and "z" in mode:
        for r in budget:
            for Y, yj in years.items():
                v = coef.get((r, yj[0]), 0.0)
                if v != 0.0 and zs[Y] not in yj:
                    for j in yj: h.changeCoeff(r, j, 0.0)
                    h.changeCoeff(r, zs[Y], v)
h.setOptionValue("output_flag", "-v" in sys.argv)
h.setOptionValue("threads", 1)
h.setOptionValue("random_seed", 0)
h.setOptionValue("mip_rel_gap", 0.0)
h.setOptionValue("mip_abs_gap", 0.999)
h.setOptionValue("mip_allow_restart", "r" in mode)
h.setOptionValue("time_limit", limit)
t = time.time()
h.run()
i = h.getInfo()
print(path, mode, "time %.2f" % (time.time() - t), round(i.objective_function_value), "%.2f" % i.mip_dual_bound, i.mip_node_count, flush=True)
