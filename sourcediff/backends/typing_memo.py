"""The types of operators on numbers typed once per process, not once per use.

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

- the callee is a plain ``Function`` (not a bound method, a dispatcher or a user's
  ``@overload`` of something of their own) keyed by an operator, a ``math``
  function or a builtin (``bool``, ``abs``, ``min``, ``max``, ...);
- every argument is a number or a bool (a literal number is its own key), and there
  are no keyword arguments;
- the key holds the typing context and the target whose templates were tried
  (``cpu``, ``cuda``: each orders them its own way).

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
_SCALARS = (types.Number, types.Boolean)
SIGNATURES: dict = {}           # (callee type, typing context, target class, argument types) -> signature


def memo_key(fn, context, args, kws):
    """The key of a call whose signature may be kept, or None."""
    if fn.__class__ is not types.Function or kws:
        return None
    if getattr(fn.typing_key, "__module__", None) not in _MODULES:
        return None
    for a in args:
        if not isinstance(a, _SCALARS):
            return None
    return fn, context, get_local_target(context).__class__, tuple(args)


def numba_get_call_type(fn, context, args, kws):
    """Numba's own ``get_call_type`` (the templates tried in turn)."""
    return _NUMBA["get_call_type"](fn, context, args, kws)


_NUMBA: dict = {}


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
