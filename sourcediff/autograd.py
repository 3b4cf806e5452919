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
from .tensor.engine import backward, grad
from .tensor.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .tensor.gradcheck import GradcheckError, gradcheck, gradgradcheck
from .tensor.graph import AccumulateGrad, Node


def Variable(data, requires_grad: bool = False):
    """Old PyTorch API: a Variable is just a Tensor (shares ``data``)."""
    from .tensor.core import Tensor

    out = Tensor._wrap(data._data) if isinstance(data, Tensor) else Tensor(data)
    return out.requires_grad_(requires_grad)


class set_detect_anomaly:
    """Accepted for compatibility: anomaly detection is not implemented (no-op)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.mode = mode

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


detect_anomaly = set_detect_anomaly

__all__ = [
    "AccumulateGrad",
    "BackwardCFunction",
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "InplaceFunction",
    "NestedIOFunction",
    "Node",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
]
