"""``sourcediff.autograd``: the Tensor API's autograd entry points, as ``torch.autograd``.

``grad`` and ``backward`` run the graph engine; ``Function`` defines custom
operations; ``gradcheck`` compares with finite differences.
"""

from .tensor.custom_function import (
    BackwardCFunction,
    Function,
    FunctionCtx,
    InplaceFunction,
    NestedIOFunction,
    once_differentiable,
)
from .tensor.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .tensor.gradcheck import GradcheckError, gradcheck, gradgradcheck
from .tensor.graph import AccumulateGrad, Node, backward, grad

__all__ = [
    "AccumulateGrad", "BackwardCFunction", "Function", "FunctionCtx", "GradcheckError",
    "InplaceFunction", "NestedIOFunction", "Node", "backward", "enable_grad", "grad",
    "gradcheck", "gradgradcheck", "inference_mode", "is_grad_enabled", "no_grad",
    "once_differentiable", "set_grad_enabled",
]
