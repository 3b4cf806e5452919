"""``sourcediff.autograd``: the Tensor API's autograd entry points, as ``torch.autograd``.

``grad`` and ``backward`` run the graph engine; ``Function`` defines custom
operations; ``functional`` holds jacobian/hessian/vjp/jvp/hvp/vhp;
``gradcheck`` compares with finite differences; ``detect_anomaly`` finds the
forward line behind a failing backward. Everything here is a re-export of
``sourcediff.tensor``, where it is implemented.
"""

from ..tensor.anomaly import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from ..tensor.core import Tensor
from ..tensor.custom_function import (
    BackwardCFunction,
    Function,
    FunctionCtx,
    InplaceFunction,
    NestedIOFunction,
    once_differentiable,
)
from ..tensor.engine import backward, grad
from ..tensor.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from ..tensor.graph import AccumulateGrad, Node
from . import anomaly_mode, function, functional, grad_mode, graph
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # the functions hide the module


def Variable(data, requires_grad: bool = False):
    """Old PyTorch API: a Variable is just a Tensor (shares ``data``)."""
    out = Tensor._wrap(data._data) if isinstance(data, Tensor) else Tensor(data)
    return out.requires_grad_(requires_grad)


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
    "anomaly_mode",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "function",
    "functional",
    "grad",
    "grad_mode",
    "gradcheck",
    "gradgradcheck",
    "graph",
    "inference_mode",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
]
