"""What the commands share: finding ``MODULE:FUNC``, reading ``--wrt`` and ``--args``."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np


class CliError(Exception):
    """A problem to report in one line; ``status`` is the exit status."""

    def __init__(self, message: str, status: int = 2):
        super().__init__(message)
        self.status = status


def _import_module(name: str):
    """A dotted module name, or a path to a ``.py`` file."""
    path = Path(name)
    if name.endswith(".py") or path.is_file():
        if not path.is_file():
            raise CliError(f"no such file: {name}")
        path = path.resolve()
        # its directory first on the path, as `python FILE` does, for its own imports
        sys.path.insert(0, str(path.parent))
        module_name = f"_sourcediff_cli_{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise CliError(f"importing {name} failed: {type(exc).__name__}: {exc}") from exc
        return module
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # the console script does not add it, python -m does
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise CliError(f"no module named {name!r} (give a dotted module name importable "
                           "from here, or a path to a .py file)") from exc
        raise CliError(f"importing {name} failed: {exc}") from exc
    except Exception as exc:
        raise CliError(f"importing {name} failed: {type(exc).__name__}: {exc}") from exc


def load_function(spec: str):
    """The function named by ``MODULE:FUNC`` (``FUNC`` may be dotted, ``Class.method``).

    An ``@sd.function`` gives its plain Python function."""
    module_name, sep, attribute = spec.rpartition(":")
    if not sep or not module_name or not attribute:
        raise CliError(f"expected MODULE:FUNC (e.g. mypkg.models:loss or path/to/file.py:loss), "
                       f"got {spec!r}")
    obj: Any = _import_module(module_name)
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            available = sorted(name for name, value in vars(_import_module(module_name)).items()
                               if inspect.isfunction(value) and not name.startswith("_"))
            hint = f" (functions there: {', '.join(available)})" if available else ""
            raise CliError(f"{module_name} has no attribute {attribute!r}{hint}") from None
    obj = getattr(obj, "__sourcediff_function__", obj)  # @sd.function
    obj = getattr(obj, "py_func", obj)  # numba.njit
    if not inspect.isfunction(obj):
        raise CliError(f"{spec} is a {type(obj).__name__}, not a Python function")
    return obj


def parse_wrt(text: str | None, func) -> int | str | tuple:
    """``--wrt``: parameter indices or names, comma-separated (a tuple when several)."""
    if text is None:
        return 0
    items: list[int | str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        items.append(int(item) if item.lstrip("-").isdigit() else item)
    if not items:
        raise CliError("--wrt names no argument")
    params = list(inspect.signature(func).parameters)
    for item in items:
        if isinstance(item, str) and item not in params:
            raise CliError(f"--wrt {item!r} is not a parameter of {func.__name__} "
                           f"(parameters: {', '.join(params)})")
        if isinstance(item, int) and not -len(params) <= item < len(params):
            raise CliError(f"--wrt {item} is out of range: {func.__name__} has "
                           f"{len(params)} parameters")
    return items[0] if len(items) == 1 else tuple(items)


def wrt_indices(wrt, func) -> tuple[int, ...]:
    """Parameter positions of a ``wrt`` value."""
    params = list(inspect.signature(func).parameters)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    return tuple(params.index(w) if isinstance(w, str) else w % len(params) for w in items)


def eval_args(expr: str) -> tuple:
    """``--args``: a Python expression evaluated with ``np`` (NumPy) and ``math``;
    a tuple gives several arguments, anything else one."""
    namespace = {"np": np, "numpy": np, "math": math, "__builtins__": __builtins__}
    try:
        value = eval(expr, namespace)  # the user's own expression, run like their code
    except Exception as exc:
        raise CliError(f"--args {expr!r} does not evaluate: {type(exc).__name__}: {exc}") \
            from exc
    return value if isinstance(value, tuple) else (value,)


def describe(value) -> str:
    """A short description of an argument value."""
    if isinstance(value, np.ndarray):
        return f"{value.dtype}[{', '.join(map(str, value.shape))}]"
    if isinstance(value, tuple):
        return "(" + ", ".join(describe(v) for v in value) + ")"
    return f"{type(value).__name__} {value!r}"
