"""``jax.grad`` of the same source text with ``np`` bound to ``jax.numpy`` (float64):
the differential check of the NumPy rule tests; skips the test where JAX is not
installed."""
import types

import numpy as np
import pytest


def jax_grad(f, args, wrt):
    """``jax.grad`` of ``f``'s code with ``np`` bound to ``jax.numpy``: a tuple, one
    gradient per argument of ``wrt`` (an int or a tuple of them)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jf = types.FunctionType(f.__code__, {**f.__globals__, "np": jax.numpy}, f.__name__,
                            f.__defaults__, f.__closure__)
    argnums = wrt if isinstance(wrt, tuple) else (wrt,)
    return tuple(np.asarray(g) for g in jax.grad(jf, argnums=argnums)(*args))
