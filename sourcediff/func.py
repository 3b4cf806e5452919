"""``torch.func`` for sourcediff Tensors: ``grad``, ``grad_and_value``, ``vjp``, ``jacrev``, ``jacfwd``.

Not to be confused with ``sourcediff.grad`` and friends, which transform
Python *source*; these transform functions of Tensors on the autograd engine.
"""

from .tensor.func import grad, grad_and_value, jacfwd, jacrev, vjp

__all__ = ["grad", "grad_and_value", "jacfwd", "jacrev", "vjp"]
