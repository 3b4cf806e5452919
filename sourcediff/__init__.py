"""sourcediff: automatic differentiation of Python numeric code by source
transformation, compiled with Numba.

>>> import sourcediff as sd
>>> def f(x, w):
...     return w * x * x
>>> sd.grad(f, wrt=(0, 1), target="python")(3.0, 2.0)
(12.0, 9.0)
"""
from .errors import TransformError
from .rules.registry import adjoint
from .api import function, grad, show, source, value_and_grad

__version__ = "0.1.0"

__all__ = ["TransformError", "adjoint", "function", "grad", "show", "source",
           "value_and_grad"]

# The PyTorch-style Tensor API (`import sourcediff as torch`)
from .tensor import *  # noqa: F401,F403,E402
from .tensor import __all__ as _tensor_all  # noqa: E402
from . import autograd, nn, optim  # noqa: E402

__all__ += list(_tensor_all) + ["autograd", "nn", "optim"]
