import os, sys, tempfile, json, time, traceback, importlib
os.environ["NUMBA_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"
os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
_tmp = tempfile.mkdtemp(prefix="probe_")
os.environ["SOURCEDIFF_CACHE_DIR"] = os.path.join(_tmp, "sd")
os.environ["NUMBA_CACHE_DIR"] = os.path.join(_tmp, "nb")

import numpy as np
import numba
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import sourcediff as sd

# python driver.py ROUND NAME: the program ROUND/NAME.py; results in ROUND/rr/
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), sys.argv[1])
sys.path.insert(0, HERE)
NREP = 40


def tmin(fn, n=NREP):
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def copy_args(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def main(name):
    out = {"name": name}
    rr = os.path.join(HERE, "rr")
    os.makedirs(rr, exist_ok=True)
    try:
        mod = importlib.import_module(name)
        wrt = mod.WRT
        args = mod.make_args()
        out["wrt"] = list(wrt)
        fj = numba.njit(mod.f)
        # ---- first sd call (transform + compile + run)
        t0 = time.perf_counter()
        try:
            vg = sd.value_and_grad(mod.f, wrt=wrt)
            val, grads = vg(*copy_args(args))
        except Exception as e:
            out["sd_error"] = "".join(traceback.format_exception(e))
            raise
        out["first_call_s"] = time.perf_counter() - t0
        try:
            with open(os.path.join(rr, name + ".src.py"), "w") as fh:
                fh.write(vg.source_for(*args))
        except Exception as e:
            out["source_for_error"] = repr(e)
        # ---- primal
        pv = fj(*copy_args(args))
        out["primal_value"] = float(pv)
        out["sd_value"] = float(val)
        out["value_rel_diff"] = abs(pv - val) / max(abs(pv), 1e-300)
        out["primal_ms"] = 1e3 * tmin(lambda: fj(*args))
        out["sd_ms"] = 1e3 * tmin(lambda: vg(*args))
        out["ratio"] = out["sd_ms"] / out["primal_ms"]
        # ---- JAX
        static = tuple(i for i, a in enumerate(args) if isinstance(a, (int, np.integer)) and not isinstance(a, bool))
        static = tuple(sorted(set(static) | set(getattr(mod, "JAX_STATIC", ()))))
        jargs = tuple(int(a) if (i in static and isinstance(a, (int, np.integer))) else (jnp.asarray(a) if isinstance(a, np.ndarray) else a)
                      for i, a in enumerate(args))
        jvg = jax.jit(jax.value_and_grad(mod.jax_f, argnums=wrt), static_argnums=static)
        try:
            t0 = time.perf_counter()
            jv, jg = jvg(*jargs)
            jax.block_until_ready(jg)
            out["jax_first_s"] = time.perf_counter() - t0
            out["jax_value"] = float(jv)
            out["jax_value_rel_diff"] = abs(float(jv) - pv) / max(abs(pv), 1e-300)
            out["jax_ms"] = 1e3 * tmin(lambda: jax.block_until_ready(jvg(*jargs)))
            diffs = []
            ediffs = []
            for k, (a, b) in enumerate(zip(grads, jg)):
                a = np.asarray(a, dtype=float)
                b = np.asarray(b, dtype=float)
                sc = max(np.max(np.abs(b)), 1e-300)
                diffs.append(float(np.max(np.abs(a - b)) / sc))
                ediffs.append(float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-8 * sc))))
                if not np.all(np.isfinite(a)):
                    out.setdefault("nonfinite_sd_grad", []).append(wrt[k])
                if not np.all(np.isfinite(b)):
                    out.setdefault("nonfinite_jax_grad", []).append(wrt[k])
            out["jax_diff_per_arg"] = diffs
            out["jax_diff"] = max(diffs)
            out["jax_elem_diff"] = max(ediffs)
        except Exception as e:
            out["jax_error"] = "".join(traceback.format_exception(e))[-3000:]
        # ---- finite differences at small size
        sargs = mod.make_args(small=True)
        sv, sg = vg(*copy_args(sargs))
        rng = np.random.default_rng(1)
        errs = []
        for trial in range(4):
            dirs = {}
            for i in wrt:
                a = sargs[i]
                if isinstance(a, np.ndarray):
                    dirs[i] = rng.standard_normal(a.shape) * 1e-6 * max(1.0, float(np.max(np.abs(a))))
                else:
                    dirs[i] = rng.standard_normal() * 1e-6 * max(1.0, abs(a))
            def shifted(sign):
                return tuple((a + sign * dirs[i]) if i in dirs else (a.copy() if isinstance(a, np.ndarray) else a)
                             for i, a in enumerate(sargs))
            fd = (fj(*shifted(1.0)) - fj(*shifted(-1.0))) / 2.0
            ad = sum(float(np.sum(np.asarray(g) * dirs[i])) for i, g in zip(wrt, sg))
            errs.append(abs(fd - ad) / max(abs(fd), abs(ad), 1e-300))
        out["fd_errs"] = errs
        out["fd_err"] = max(errs)
    except Exception as e:
        out.setdefault("error", "".join(traceback.format_exception(e))[-4000:])
    with open(os.path.join(rr, name + ".json"), "w") as fh:
        json.dump(out, fh, indent=1, default=str)
    short = {k: v for k, v in out.items() if not k.endswith("error")}
    print(json.dumps(short, default=str))
    for k in out:
        if k.endswith("error"):
            print(k, ":\n", out[k][-2500:])


if __name__ == "__main__":
    main(sys.argv[2])
