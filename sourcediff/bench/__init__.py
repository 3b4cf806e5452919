"""The benchmark workloads run by ``sourcediff bench``.

Each workload is one module of this package with the small interface
described in :mod:`sourcediff.bench.harness`; adding a workload is one module and
one line in ``WORKLOADS`` below.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# workload name (as typed on the command line) -> module in this package
WORKLOADS = {
    "rosen-loop": "rosen_loop",
    "gmm": "gmm",
    "ode-rk4": "ode_rk4",
    "mlp-step": "mlp_step",
    "mc-greeks": "mc_greeks",
    "ba-jacobian": "ba_jacobian",
}

# peers a workload may implement as ``peer_<name>(data)``
PEERS = ("jax", "torch", "autograd")


def load(name: str) -> ModuleType:
    """The module of workload ``name`` (a key of ``WORKLOADS``)."""
    try:
        module = WORKLOADS[name]
    except KeyError:
        raise ValueError(f"unknown workload {name!r}; choose from "
                         f"{', '.join(WORKLOADS)}") from None
    return importlib.import_module(f"{__name__}.{module}")
