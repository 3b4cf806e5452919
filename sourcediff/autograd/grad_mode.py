"""``torch.autograd.grad_mode``: the context managers that switch graph recording."""

from ..tensor.grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled

__all__ = ["enable_grad", "inference_mode", "no_grad", "set_grad_enabled"]
