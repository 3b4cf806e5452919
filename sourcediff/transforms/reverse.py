"""Reverse mode of a scalar function: what ``sd.grad`` and ``sd.value_and_grad``
return for a plain function.

The generated module holds a copy of the primal and its adjoint (see
:class:`~sourcediff.transforms.base.Transformed`); these classes only decide
what a call returns.
"""
from __future__ import annotations

from .base import Transformed, unwrap_value


class Grad(Transformed):
    shares = "reverse"      # the module value_and_grad builds
    equal_shapes = True
    row_lengths = True
    def __call__(self, *args, **kwargs):
        _, grads = self.run(args, kwargs)
        return grads[0] if self.single else grads


class ValueAndGrad(Transformed):
    shares = "reverse"
    equal_shapes = True
    row_lengths = True
    def __call__(self, *args, **kwargs):
        value, grads = self.run(args, kwargs)
        return unwrap_value(value), (grads[0] if self.single else grads)
