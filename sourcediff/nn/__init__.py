"""``sourcediff.nn``: a minimal ``torch.nn`` on top of the Tensor API."""

from . import functional, init
from .layers import (
    CrossEntropyLoss,
    Flatten,
    Identity,
    L1Loss,
    Linear,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .module import Module, Parameter

__all__ = [
    "CrossEntropyLoss", "Flatten", "Identity", "L1Loss", "Linear", "MSELoss", "Module",
    "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "functional", "init",
]
