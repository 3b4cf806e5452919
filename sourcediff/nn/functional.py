"""Stateless layer functions (``torch.nn.functional``): activations, linear, losses."""

from __future__ import annotations

import warnings

import numpy as np

from ..tensor import pointwise, reductions
from ..tensor.common import as_operand, sum_to, wrap
from ..tensor.core import Tensor, needs_grad
from ..tensor.graph import Node, attach
from ..tensor.linalg import addmm, matmul

sigmoid = pointwise.sigmoid
tanh = pointwise.tanh
softmax = reductions.softmax
log_softmax = reductions.log_softmax


def relu_(input: Tensor) -> Tensor:
    """In-place :func:`relu`."""
    return input.relu_()


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)``."""
    return input.relu_() if inplace else pointwise.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for positive ``x``, else ``negative_slope * x``."""
    return pointwise.where(input > 0, input, input * negative_slope)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``; a 2-D input is one ``addmm``, as in torch."""
    x = as_operand(input)
    if x.ndim == 2:
        if bias is None:
            return x.mm(weight.t())
        return addmm(bias, x, weight.t())
    if bias is None:
        return matmul(x, weight.t())
    lead = x.shape[:-1]
    out = addmm(bias, x.reshape(-1, x.shape[-1]), weight.t())
    return out.view(*lead, weight.shape[0])


# ---------------------------------------------------------------------------
# losses


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


class MseLossBackward0(Node):
    def __init__(self, x, target, reduction):
        super().__init__(x, target)
        self.reduction = reduction
        self.shapes = (x.shape, target.shape)
        self.save(self=x, target=target)

    def backward(self, grad):
        diff = self.saved("self") - self.saved("target")
        scale = 2.0 / diff.numel() if self.reduction == "mean" else 2.0
        g = diff * (grad * scale)
        g_x = sum_to(g, self.shapes[0]) if self.needs_input_grad(0) else None
        g_t = sum_to(-g, self.shapes[1]) if self.needs_input_grad(1) else None
        return g_x, g_t


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean") -> Tensor:
    """Mean (or sum) of squared differences."""
    x, t = as_operand(input), as_operand(target)
    if x.shape != t.shape:
        warnings.warn(
            f"Using a target size ({t.shape}) that is different to the input size ({x.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure "
            "they have the same size.", UserWarning, stacklevel=2)
    if reduction == "none":
        return (x - t) ** 2
    diff = np.subtract(x._data, t._data)
    squared = np.multiply(diff, diff)
    total = np.add.reduce(squared, axis=None)
    value = total / squared.size if reduction == "mean" else total
    out = wrap(np.asarray(value), x.dtype)
    if needs_grad(x, t):
        attach(out, MseLossBackward0(x, t, reduction))
    return out


class NllLossBackward0(Node):
    def __init__(self, x, target, reduction, ignore_index, count):
        super().__init__(x)
        self.reduction, self.ignore_index, self.count = reduction, ignore_index, count
        self.shape = x.shape
        self.save(target=target)

    def backward(self, grad):
        target = self.saved("target")._data
        rows = np.arange(target.shape[0])
        keep = target != self.ignore_index
        pick = np.zeros(self.shape, dtype=grad.dtype.np)
        pick[rows[keep], target[keep]] = -1.0
        if self.reduction == "mean":
            return (wrap(pick / max(self.count, 1)) * grad,)
        if self.reduction == "sum":
            return (wrap(pick) * grad,)
        return (wrap(pick) * grad.unsqueeze(1),)


def nll_loss(input: Tensor, target: Tensor, weight=None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of the ``target`` classes in ``input`` (log-probabilities)."""
    if weight is not None:
        raise NotImplementedError("nll_loss with class weights is not supported")
    x, t = as_operand(input), as_operand(target)
    if x.ndim == 1:
        out = nll_loss(x.unsqueeze(0), t.reshape(1), ignore_index=ignore_index,
                       reduction=reduction)
        return out.squeeze(0) if reduction == "none" else out
    if x.ndim != 2:
        raise NotImplementedError("nll_loss supports (N, C) inputs")
    if t.shape != (x.shape[0],):
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                         f"({t.shape[0] if t.ndim else 0}).")
    labels = t._data
    keep = labels != ignore_index
    rows = np.arange(labels.shape[0])
    picked = np.zeros(labels.shape, dtype=x._data.dtype)
    picked[keep] = x._data[rows[keep], labels[keep]]
    count = int(keep.sum())
    if reduction == "mean":
        value = -np.add.reduce(picked) / count if count else np.float64("nan")
    elif reduction == "sum":
        value = -np.add.reduce(picked)
    elif reduction == "none":
        value = -picked
    else:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    out = wrap(np.asarray(value), x.dtype)
    if needs_grad(x):
        attach(out, NllLossBackward0(x, t, reduction, ignore_index, count))
    return out


def cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """``nll_loss(log_softmax(input, 1), target)``; ``target`` holds class indices or
    class probabilities."""
    x, t = as_operand(input), as_operand(target)
    class_dim = 1 if x.ndim > 1 else 0
    logp = log_softmax(x, class_dim)
    if t.dtype.is_floating_point:
        if label_smoothing:
            t = t * (1 - label_smoothing) + label_smoothing / x.shape[class_dim]
        return _reduce(-(t * logp).sum(class_dim), reduction)
    if label_smoothing:
        n_classes = x.shape[class_dim]
        nll = nll_loss(logp, t, weight, ignore_index=ignore_index, reduction=reduction)
        smooth = _reduce(-logp.sum(class_dim) / n_classes, reduction)
        return nll * (1 - label_smoothing) + smooth * label_smoothing
    return nll_loss(logp, t, weight, ignore_index=ignore_index, reduction=reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean (or sum) of absolute differences."""
    return _reduce((as_operand(input) - target).abs(), reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Cross-entropy of probabilities ``input`` against 0/1 ``target``."""
    x = as_operand(input)
    loss = -(target * x.clamp(min=1e-12).log() + (1 - target) * (1 - x).clamp(min=1e-12).log())
    return _reduce(loss, reduction)
