"""Anomaly detection: ``detect_anomaly`` and ``set_detect_anomaly`` (process-wide, like torch).

While it is on, every node remembers the stack of the forward call that made
it (and, for nodes made by a backward with ``create_graph=True``, the node
whose backward made it). The engine then checks each backward result for NaN
and, when a node fails, warns with that stack before re-raising, so the error
points at the forward line that built the failing operation.

>>> import sourcediff as sd, warnings
>>> x = sd.tensor([0.0], requires_grad=True)
>>> with warnings.catch_warnings(), sd.autograd.set_detect_anomaly(True):
...     warnings.simplefilter("ignore")         # the warning carries the forward trace
...     (x * 0).sqrt().backward()
Traceback (most recent call last):
    ...
RuntimeError: Function 'MulBackward0' returned nan values in its 0th output.
"""

from __future__ import annotations

import os
import traceback
import warnings

import numpy as np

ENABLED = False  # read on the hot path (node creation): a plain module global
CHECK_NAN = True

# nodes whose backward is running (only tracked while anomaly mode is on)
RUNNING: list = []

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ENABLED_WARNING = ("Anomaly Detection has been enabled. This mode will increase the runtime "
                   "and should only be enabled for debugging.")


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return ENABLED


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection also checks backward results for NaN."""
    return CHECK_NAN


def set_anomaly_enabled(mode: bool, check_nan: bool = True) -> None:
    """Turn anomaly detection on or off."""
    global ENABLED, CHECK_NAN
    ENABLED, CHECK_NAN = bool(mode), bool(check_nan)


class detect_anomaly:
    """Context manager (or decorator) turning anomaly detection on, with a warning."""

    def __init__(self, check_nan: bool = True):
        self.prev = (ENABLED, CHECK_NAN)
        self.check_nan = check_nan
        warnings.warn(ENABLED_WARNING, UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        self.prev = (ENABLED, CHECK_NAN)
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(*self.prev)

    def __call__(self, func):
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Set anomaly detection at once; as a context manager, restore the old setting on exit."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = (ENABLED, CHECK_NAN)
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(*self.prev)


# ---------------------------------------------------------------------------
# used by graph.py (recording) and engine.py (reporting)


def record(node) -> None:
    """Remember where ``node`` was made: the user's stack and the running backward node."""
    frames = [f for f in traceback.extract_stack()[:-2]
              if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)]
    node.metadata["traceback_"] = traceback.format_list(frames)
    if RUNNING:
        node.metadata["parent_"] = RUNNING[-1]


def report(node) -> None:
    """Warn with the forward stack of ``node`` and of the nodes whose backward made it."""
    name = node.name()
    trace = node.metadata.get("traceback_") if node._metadata else None
    if trace is None:
        warnings.warn(f"Error detected in {name}. No forward pass information available. "
                      "Enable detect anomaly during forward pass for more information.",
                      UserWarning, stacklevel=3)
        return
    warnings.warn(f"Error detected in {name}. Traceback of forward call that caused the "
                  "error:\n" + "".join(trace), UserWarning, stacklevel=3)
    parent = node.metadata.get("parent_")
    while parent is not None:
        trace = parent.metadata.get("traceback_", [])
        warnings.warn(f"\n\nPrevious calculation was induced by {parent.name()}. Traceback of "
                      "forward call that induced the previous calculation:\n" + "".join(trace),
                      UserWarning, stacklevel=3)
        parent = parent.metadata.get("parent_")


def check_nan(node, grads) -> None:
    """Raise when a backward result holds NaN (names the node, as torch does)."""
    for i, g in enumerate(grads):
        if g is not None and g._data.dtype.kind == "f" and np.isnan(g._data).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
