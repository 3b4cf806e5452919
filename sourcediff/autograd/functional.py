"""``torch.autograd.functional``: vjp, jvp, jacobian, hessian, vhp and hvp of tensor functions."""

from ..tensor.functional import hessian, hvp, jacobian, jvp, vhp, vjp

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
