"""SciPy special functions inside Numba-compiled code.

Numba cannot call ``scipy.special`` ufuncs.  SciPy exports the compiled C
implementation of each one from ``scipy.special.cython_special``; for every
ufunc with an all-``double`` version we register a Numba overload that calls
it through its address.  A generated module (or a user's derivative rule)
that calls ``scipy.special.gammaln`` then compiles on the ``cpu`` target.
"""
from __future__ import annotations

import ctypes
import re
import sys

_DONE = False
_SIGNATURE = re.compile(r"^double \(((?:double, )+)int __pyx_skip_dispatch\)$")


def _capsule_name(capsule) -> str:
    get = ctypes.pythonapi.PyCapsule_GetName
    get.restype = ctypes.c_char_p
    get.argtypes = [ctypes.py_object]
    return get(capsule).decode()


def real_versions() -> dict:
    """``{ufunc name: (exported name, number of double arguments)}``."""
    import scipy.special.cython_special as cs
    out = {}
    for key, capsule in cs.__pyx_capi__.items():
        m = _SIGNATURE.match(_capsule_name(capsule))
        if m is None:
            continue
        name = re.sub(r"^__pyx_fuse_\d+", "", key)
        out.setdefault(name, (key, m.group(1).count("double")))
    return out


def _make_overload(cfunc, nargs):
    from numba import types
    if nargs == 1:
        def ov(x):
            if isinstance(x, (types.Float, types.Integer)):
                return lambda x: cfunc(float(x), 0)
        return ov
    if nargs == 2:
        def ov(x, y):
            if all(isinstance(a, (types.Float, types.Integer)) for a in (x, y)):
                return lambda x, y: cfunc(float(x), float(y), 0)
        return ov
    if nargs == 3:
        def ov(x, y, z):
            if all(isinstance(a, (types.Float, types.Integer)) for a in (x, y, z)):
                return lambda x, y, z: cfunc(float(x), float(y), float(z), 0)
        return ov
    return None


def _is_special(obj) -> bool:
    import numpy as np
    if getattr(obj, "__name__", None) == "scipy.special":
        return True
    return isinstance(obj, np.ufunc) and obj is not getattr(np, obj.__name__, None)


def uses_scipy_special(injected: dict) -> bool:
    """Whether generated code or a function it calls reaches ``scipy.special``."""
    if "scipy.special" not in sys.modules:
        return False
    import inspect
    for v in injected.values():
        if _is_special(v):
            return True
        if inspect.isfunction(v):
            for name in v.__code__.co_names:
                if _is_special(v.__globals__.get(name)):
                    return True
    return False


def install() -> None:
    """Register the overloads (once; only when SciPy is already imported)."""
    global _DONE
    if _DONE or "scipy.special" not in sys.modules:
        return
    _DONE = True
    import numpy as np
    import scipy.special as sp
    from numba.extending import get_cython_function_address, overload
    versions = real_versions()
    for attr in dir(sp):
        u = getattr(sp, attr)
        if not isinstance(u, np.ufunc) or u.__name__ not in versions:
            continue
        key, nargs = versions[u.__name__]
        if nargs != u.nin:
            continue
        addr = get_cython_function_address("scipy.special.cython_special", key)
        proto = ctypes.CFUNCTYPE(ctypes.c_double, *([ctypes.c_double] * nargs), ctypes.c_int)
        ov = _make_overload(proto(addr), nargs)
        if ov is not None:
            overload(u)(ov)
