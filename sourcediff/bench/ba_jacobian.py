"""Benchmark: per-residual Jacobians of ADBench's bundle-adjustment reprojection error.

Each observation (a camera with ADBench's 11 parameters, a 3-D point, a
feature) gives a 2-component residual; its Jacobian has 2 x (11 + 3) entries.
sourcediff computes them with two batched gradients (one per component: the
component index is a shared argument); peers with ``vmap`` of a Jacobian.

Tools return ``(sum of all residuals, (d_cams, d_points))`` where ``d_cams``
(n, 11) and ``d_points`` (n, 3) sum each observation's two Jacobian rows --
the gradient of the sum of the residuals with respect to the per-observation
camera and point rows, which is what ``sourcediff bench``'s cross-check and
finite-difference check compare; every tool computes the full Jacobian first.

* ``sourcediff``: ``sd.value_and_grad(residual, wrt=(0, 1), target="cpu",
  batch=(0, 0, 0, None))``, twice; ``sourcediff-parallel`` with
  ``target="parallel"``;
* JAX ``jit(vmap(jacrev(residuals)))`` and PyTorch
  ``torch.func.vmap(jacrev(residuals))``, float64.

Run ``python benchmarks/ba_jacobian.py [--size small|default|large] [--repeat N]``.
No timing here is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import math
import os

import numpy as np

TITLE = "ADBench bundle adjustment: per-residual Jacobians (batched, float64)"
SIZES = {
    "small": {"observations": 10_000},
    "default": {"observations": 1_000_000},
    "large": {"observations": 4_000_000},
}
WRT = ("cams", "points")
RTOL = 1e-9
TARGETS = {"faster_than": ("jax",)}
EXTRA_TOOLS = {"sourcediff-parallel": "sourcediff_parallel"}


def residual(cam, point, feature, component):
    """Component 0 (x) or 1 (y) of the reprojection error (as in
    examples/bundle_adjustment.py)."""
    px = point[0] - cam[3]
    py = point[1] - cam[4]
    pz = point[2] - cam[5]
    theta_sq = cam[0] * cam[0] + cam[1] * cam[1] + cam[2] * cam[2]
    if theta_sq > 1e-20:
        theta = math.sqrt(theta_sq)
        c = math.cos(theta)
        s = math.sin(theta)
        wx = cam[0] / theta
        wy = cam[1] / theta
        wz = cam[2] / theta
        along = (wx * px + wy * py + wz * pz) * (1.0 - c)
        rx = px * c + (wy * pz - wz * py) * s + wx * along
        ry = py * c + (wz * px - wx * pz) * s + wy * along
        rz = pz * c + (wx * py - wy * px) * s + wz * along
    else:
        rx = px + cam[1] * pz - cam[2] * py
        ry = py + cam[2] * px - cam[0] * pz
        rz = pz + cam[0] * py - cam[1] * px
    u = rx / rz
    v = ry / rz
    r2 = u * u + v * v
    distortion = 1.0 + cam[9] * r2 + cam[10] * r2 * r2
    if component == 0:
        return cam[6] * u * distortion + cam[7] - feature[0]
    return cam[6] * v * distortion + cam[8] - feature[1]


def make_data(size: str) -> dict:
    """Per-observation camera and point rows drawn around a plausible scene."""
    n = SIZES[size]["observations"]
    rng = np.random.default_rng(0)
    cams = np.empty((n, 11))
    cams[:, 0:3] = 0.3 * rng.standard_normal((n, 3))
    cams[:, 3:6] = rng.standard_normal((n, 3)) + np.array([0.0, 0.0, -8.0])
    cams[:, 6] = 500.0 + 10.0 * rng.standard_normal(n)
    cams[:, 7:9] = 0.1 * rng.standard_normal((n, 2))
    cams[:, 9:11] = np.array([1e-3, -1e-5]) * (1.0 + 0.1 * rng.standard_normal((n, 2)))
    points = rng.uniform(-1.0, 1.0, (n, 3))
    features = 50.0 * rng.standard_normal((n, 2))
    return {"cams": cams, "points": points, "features": features}


def wrt_values(data: dict) -> tuple:
    return data["cams"], data["points"]


def primal(data: dict):
    """Sum of both residual components over the observations (``numba.njit``)."""
    import numba

    one = numba.njit(cache=True)(residual)

    @numba.njit(cache=True)
    def total(cams, points, features):
        acc = 0.0
        for i in range(cams.shape[0]):
            acc += one(cams[i], points[i], features[i], 0) + one(cams[i], points[i],
                                                                 features[i], 1)
        return acc

    return lambda cams, points: total(cams, points, data["features"])


def _sourcediff(data: dict, target: str):
    import sourcediff as sd

    vg = sd.value_and_grad(residual, wrt=(0, 1), target=target, batch=(0, 0, 0, None))
    args = (data["cams"], data["points"], data["features"])

    def call():
        rx, (dcam_x, dpoint_x) = vg(*args, 0)
        ry, (dcam_y, dpoint_y) = vg(*args, 1)
        return float(np.sum(rx) + np.sum(ry)), (dcam_x + dcam_y, dpoint_x + dpoint_y)
    return call


def sourcediff(data: dict):
    """``target="cpu"``."""
    return _sourcediff(data, "cpu")


def sourcediff_parallel(data: dict):
    """``target="parallel"``."""
    return _sourcediff(data, "parallel")


def sourcediff_cuda(data: dict):
    """``target="cuda"`` with device arrays; needs a GPU."""
    from numba import config, cuda

    import sourcediff as sd
    if config.ENABLE_CUDASIM or not cuda.is_available():
        raise ImportError("no CUDA GPU")
    vg = sd.value_and_grad(residual, wrt=(0, 1), target="cuda", batch=(0, 0, 0, None))
    args = tuple(cuda.to_device(data[k]) for k in ("cams", "points", "features"))

    def call():
        # the two components' gradients stay on the device, as parts that the
        # harness adds on the host (the other tools add them in the call)
        rx, (dcam_x, dpoint_x) = vg(*args, 0)
        ry, (dcam_y, dpoint_y) = vg(*args, 1)
        cuda.synchronize()
        return (rx, ry), ((dcam_x, dcam_y), (dpoint_x, dpoint_y))
    return call


def peer_jax(data: dict, threads_one: bool = True):
    """JAX ``jit(vmap(jacrev(residuals)))``, float64."""
    if threads_one:
        from .harness import import_jax
        jax = import_jax()
    else:
        import jax
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def residuals(cam, point, feature):
        p = point - cam[3:6]
        theta = jnp.sqrt(jnp.sum(cam[0:3] ** 2))
        w = cam[0:3] / theta
        c, s = jnp.cos(theta), jnp.sin(theta)
        rotated = p * c + jnp.cross(w, p) * s + w * jnp.dot(w, p) * (1.0 - c)
        uv = rotated[:2] / rotated[2]
        r2 = jnp.sum(uv * uv)
        return cam[6] * uv * (1.0 + cam[9] * r2 + cam[10] * r2 * r2) + cam[7:9] - feature

    jac = jax.jit(jax.vmap(lambda c, p, f: (residuals(c, p, f),
                                            jax.jacrev(residuals, argnums=(0, 1))(c, p, f))))
    args = tuple(jnp.asarray(data[k]) for k in ("cams", "points", "features"))

    def call():
        r, (dc, dp) = jax.block_until_ready(jac(*args))
        return float(jnp.sum(r)), (jnp.sum(dc, axis=1), jnp.sum(dp, axis=1))
    return call


def peer_torch(data: dict, threads_one: bool = True):
    """PyTorch ``torch.func.vmap(jacrev(residuals))``, float64."""
    if threads_one:
        from .harness import import_torch
        torch = import_torch()
    else:
        import torch

    def residuals(cam, point, feature):
        p = point - cam[3:6]
        theta = torch.sqrt(torch.sum(cam[0:3] ** 2))
        w = cam[0:3] / theta
        c, s = torch.cos(theta), torch.sin(theta)
        rotated = p * c + torch.linalg.cross(w, p) * s + w * torch.dot(w, p) * (1.0 - c)
        uv = rotated[:2] / rotated[2]
        r2 = torch.sum(uv * uv)
        return cam[6] * uv * (1.0 + cam[9] * r2 + cam[10] * r2 * r2) + cam[7:9] - feature

    jac = torch.func.vmap(torch.func.jacrev(residuals, argnums=(0, 1)))
    res = torch.func.vmap(residuals)
    args = tuple(torch.from_numpy(data[k]) for k in ("cams", "points", "features"))

    def call():
        dc, dp = jac(*args)
        return float(res(*args).sum()), (dc.sum(dim=1), dp.sum(dim=1))
    return call


def run(size: str = "default", repeat: int = 5) -> dict:
    """Time the targets and the peers (one thread each, as in ``sourcediff
    bench``); medians of ``repeat`` calls after a warm-up, seconds."""
    import numba

    data = make_data(size)
    report = {"workload": "ba-jacobian", "size": size, **SIZES[size],
              "numba_threads": numba.get_num_threads(), "load_before": os.getloadavg(),
              "tools": {}}
    tools = [("sourcediff-cpu", sourcediff), ("sourcediff-parallel", sourcediff_parallel),
             ("sourcediff-cuda", sourcediff_cuda), ("jax-1-thread", peer_jax),
             ("torch-1-thread", peer_torch)]
    from .harness import relative_to_first, time_targets
    report["tools"] = time_targets(tools, data, repeat)
    relative_to_first(report["tools"])
    report["load_after"] = os.getloadavg()
    return report


def main():
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--size", default="default", choices=list(SIZES))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", help="write the report to this file")
    args = parser.parse_args()
    report = run(args.size, args.repeat)
    print(f"{TITLE}: {report['observations']:,} observations; {report['numba_threads']} Numba "
          f"threads; load {report['load_before']}")
    for name, row in report["tools"].items():
        if row["status"] != "ok":
            print(f"  {name:22} {row['status']}")
            continue
        print(f"  {name:22} {row['median_s']:8.3f} s  ({row['time_over_cpu_target']:.2f}x the "
              f"cpu target's time; first call {row['first_call_s']:.1f} s; max rel diff "
              f"{row['max_rel_diff']:.1e})")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=2)


if __name__ == "__main__":
    main()
