"""``torch.autograd.function``: custom differentiable operations."""

from ..tensor.custom_function import (
    BackwardCFunction,
    Function,
    FunctionCtx,
    InplaceFunction,
    NestedIOFunction,
    once_differentiable,
)

__all__ = ["BackwardCFunction", "Function", "FunctionCtx", "InplaceFunction",
           "NestedIOFunction", "once_differentiable"]
