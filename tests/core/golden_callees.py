"""A function whose callee keeps an adjoint of its own (an ``@sd.function`` is
never inlined), kept as golden files next to ``golden_funcs.calls_helper``
(a small plain helper, inlined)."""
import math

import sourcediff as sd


@sd.function
def sd_helper(v):
    return v * math.exp(-v)


def calls_sd_helper(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += sd_helper(x[i])
    return s
