"""sourcediff: automatic differentiation of Python numeric code by source
transformation, compiled with Numba.

>>> import sourcediff as sd
>>> def f(x, w):
...     return w * x * x
>>> sd.grad(f, wrt=(0, 1), target="python")(3.0, 2.0)
(12.0, 9.0)
"""
from .api import (
    checkpoint,
    function,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    show,
    source,
    value_and_grad,
    vjp,
)
from .errors import TransformError
from .rules.registry import adjoint, defjvp

__version__ = "0.1.0"

__all__ = ["TransformError", "adjoint", "checkpoint", "defjvp", "function", "grad", "hessian",
           "hvp", "jacobian", "jvp", "show", "source", "value_and_grad", "vjp"]

# The PyTorch-style Tensor API (`import sourcediff as torch`)
from . import autograd, func, nn, optim, utils
from .tensor import *
from .tensor import __all__ as _tensor_all

__all__ += list(_tensor_all) + ["autograd", "func", "nn", "optim", "utils"]
