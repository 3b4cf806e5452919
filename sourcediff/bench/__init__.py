"""The benchmark workloads run by ``sourcediff bench``.

Each workload is one module of this package with the small interface
described in :mod:`sourcediff.bench.harness`; adding a workload is one module and
one line in ``WORKLOADS`` below. A family (``FAMILIES``) is a package of many
small programs measured together and printed as one table (see
:mod:`sourcediff.bench.family`).
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

# family name -> package in this package (``sourcediff.bench.family`` runs them)
FAMILIES = {
    "programs": "programs",
    "heldout": "heldout",
    "fresh": "fresh",
    "unseen": "unseen",
    "smallstate": "smallstate",
}

# peers a workload may implement as ``peer_<name>(data)``
PEERS = ("jax", "torch", "autograd")


def names() -> list[str]:
    """Every workload and family, in the order ``sourcediff bench`` runs them."""
    return [*WORKLOADS, *FAMILIES]


def is_family(name: str) -> bool:
    """Whether ``name`` is a family (a key of ``FAMILIES``)."""
    return name in FAMILIES


def load(name: str) -> ModuleType:
    """The module of workload or family ``name`` (a key of ``WORKLOADS`` or ``FAMILIES``)."""
    module = WORKLOADS.get(name) or FAMILIES.get(name)
    if module is None:
        raise ValueError(f"unknown workload {name!r}; choose from "
                         f"{', '.join(names())}")
    return importlib.import_module(f"{__name__}.{module}")
