import json, glob, os, statistics, sys  # python summ.py ROUND
rows = []
for p in sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), sys.argv[1], "rr", "*.json"))):
    rows.append(json.load(open(p)))
def fmt(v, f):
    return (f % v) if isinstance(v, (int, float)) else "-"
print("| name | primal ms | sd ms | ratio | jax ms | sd/jax | first call s | FD err | JAX diff | note |")
print("|---|---|---|---|---|---|---|---|---|---|")
ratios = []
for r in rows:
    note = []
    for k in ("error", "sd_error", "jax_error"):
        if k in r:
            note.append(k + ": " + r[k].strip().splitlines()[-1][:90])
    for k in ("nonfinite_sd_grad", "nonfinite_jax_grad"):
        if k in r:
            note.append(k + "=" + str(r[k]))
    if "ratio" in r:
        ratios.append((r["ratio"], r["name"]))
    sj = r["sd_ms"] / r["jax_ms"] if "sd_ms" in r and "jax_ms" in r else None
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        r["name"], fmt(r.get("primal_ms"), "%.3f"), fmt(r.get("sd_ms"), "%.3f"), fmt(r.get("ratio"), "%.2f"),
        fmt(r.get("jax_ms"), "%.3f"), fmt(sj, "%.2f"), fmt(r.get("first_call_s"), "%.1f"),
        fmt(r.get("fd_err"), "%.1e"), fmt(r.get("jax_diff"), "%.1e"), "; ".join(note)))
if ratios:
    rs = sorted(ratios)
    print("\nmedian ratio: %.2f   worst ratio: %.2f (%s)   n=%d" % (
        statistics.median([x for x, _ in rs]), rs[-1][0], rs[-1][1], len(rs)))
