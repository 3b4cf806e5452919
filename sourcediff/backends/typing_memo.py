"""Numba's types of operators and of sourcediff's helpers found once per process,
not once per use.

Numba types each call in a function (``a * b``, ``x + 1.0``, ``math.cos(t)``) by
trying the templates registered for the callee in turn until one accepts the
argument types: ``operator.mul`` on two floats tries about seven (the integer,
complex, array, timedelta, ... ones first), each failure building its error
message.  It does that again for the same callee and argument types at every use,
and once more when it lowers each operator.  A generated adjoint is mostly
operators on numbers: the gradient of an adaptive RKF45 step (a Duffing oscillator,
1,100 lines) types 3,457 calls of 74 distinct kinds (1,637 of them ``float64 *
float64``), 0.92 s of its 4.8 s first call.

Here the signature Numba finds for one callee and argument types is kept and
returned at the next use, for the calls whose answer depends on nothing else:

- the callee is a plain ``Function`` (not a bound method or a dispatcher) keyed by an
  operator, a ``math`` function, a builtin (``bool``, ``abs``, ``min``, ``max``, ...)
  or one of sourcediff's own runtime functions (its helpers' overloads, the
  allocations of ``direct_numpy.py``, ``counted_range``);
- every argument is a number, a bool, an array, a dtype or a tuple of those (a
  literal number is its own key), and there are no keyword arguments;
- the key holds the typing context and the target whose templates were tried
  (``cpu``, ``cuda``: each orders them its own way).

A helper Numba inlines into its caller (``inline="always"``, ``wrap_index``) is the
dearest to type again: each use ran Numba's front end and type inference on the
helper's body (7-10 ms a use; 36 uses in the periodic wave's gradient).  Numba keeps
what it inlines per argument types on the overload's template, and copies it into
each call site, so a later use typed from the memo is inlined as before.

Only a signature found is kept; a call Numba refuses is tried again each time (and
raises the same error).  Numba keeps what a template registers for lowering
(``_impl_keys``) on the callee's type when it first accepts, so a later use that
skips the templates lowers as before.  The cache is process-wide and covers users'
own ``@njit`` functions compiled in the same process (the same answers, sooner).
"""
from __future__ import annotations

import functools
import math
import operator

from numba.core import types
from numba.core.target_extension import get_local_target
from numba.core.types.functions import BaseFunction

_MODULES = frozenset({operator.__name__, "_operator", math.__name__, "builtins"})
_OURS = __name__.split(".")[0] + "."          # sourcediff's own modules
SIGNATURES: dict = {}           # (callee type, typing context, target class, argument types) -> signature


def _plain(t) -> bool:
    """A number, a bool, an array, a dtype or a tuple of them: a type Numba's
    templates answer for by the type alone."""
    if isinstance(t, (types.Number, types.Boolean, types.Array, types.NumberClass)):
        return True
    return isinstance(t, types.BaseTuple) and all(_plain(x) for x in t)


def memo_key(fn, context, args, kws):
    """The key of a call whose signature may be kept, or None."""
    if fn.__class__ is not types.Function or kws:
        return None
    module = getattr(fn.typing_key, "__module__", None) or ""
    if module not in _MODULES and not module.startswith(_OURS):
        return None
    for a in args:
        if not _plain(a):
            return None
    return fn, context, get_local_target(context).__class__, tuple(args)


_NUMBA: dict = {}               # Numba's own get_call_type, once installed


def numba_get_call_type(fn, context, args, kws):
    """Numba's own ``get_call_type`` (the templates tried in turn)."""
    return _NUMBA["get_call_type"](fn, context, args, kws)


def get_call_type(self, context, args, kws):
    """``BaseFunction.get_call_type`` with the memo in front."""
    key = memo_key(self, context, args, kws)
    if key is None:
        return numba_get_call_type(self, context, args, kws)
    sig = SIGNATURES.get(key)
    if sig is None:
        sig = numba_get_call_type(self, context, args, kws)
        if sig is not None:
            SIGNATURES[key] = sig
    return sig


@functools.cache
def install() -> None:
    """Put the memo in front of Numba's ``BaseFunction.get_call_type``, once per process."""
    _NUMBA["get_call_type"] = BaseFunction.get_call_type
    BaseFunction.get_call_type = get_call_type
