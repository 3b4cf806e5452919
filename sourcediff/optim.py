"""``sourcediff.optim``: SGD and Adam with PyTorch's update rules.

Updates work on the parameters' NumPy buffers in place (no graph is
recorded) and bump their version counters, as torch's in-place updates do.
"""

from __future__ import annotations

import math

import numpy as np

from .tensor.core import Tensor


class Optimizer:
    """Holds parameter groups (lists of parameters with their hyper-parameters) and state."""

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: dict = {}
        self.param_groups: list = []
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients (to None by default, like torch)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    p._grad._data[...] = 0

    def _with_grads(self, group):
        for p in group["params"]:
            if p._grad is not None:
                yield p, p._grad._data

    def step(self, closure=None):
        loss = None
        if closure is not None:
            from .tensor.grad_mode import enable_grad

            with enable_grad():
                loss = closure()
        self._update()
        return loss

    def _update(self) -> None:  # pragma: no cover - subclasses implement it
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {"state": self.state, "param_groups": self.param_groups}

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _bump(p: Tensor) -> None:
    p._version_counter.value += 1


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov and
    weight decay (torch's formulation: the momentum buffer holds the velocity)."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                      "weight_decay": weight_decay, "nesterov": nesterov,
                                      "maximize": maximize})

    def _update(self) -> None:
        for group in self.param_groups:
            lr, momentum = group["lr"], group["momentum"]
            dampening, decay = group["dampening"], group["weight_decay"]
            for p, grad in self._with_grads(group):
                if decay:
                    grad = grad + decay * p._data
                if momentum:
                    state = self.state.setdefault(p, {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = Tensor._wrap(np.array(grad, copy=True))
                    else:
                        buf._data *= momentum
                        buf._data += (1 - dampening) * grad
                    grad = grad + momentum * buf._data if group["nesterov"] else buf._data
                step = grad * (lr if group["maximize"] else -lr)
                p._data += step.astype(p._data.dtype, copy=False)
                _bump(p)


class Adam(Optimizer):
    """Adam (Kingma & Ba) with torch's bias correction and optional AMSGrad."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameters: {betas}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                      "amsgrad": amsgrad, "maximize": maximize})

    def _update(self) -> None:
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, decay = group["lr"], group["eps"], group["weight_decay"]
            for p, grad in self._with_grads(group):
                if group["maximize"]:
                    grad = -grad
                if decay:
                    grad = grad + decay * p._data
                state = self.state.setdefault(p, {})
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = Tensor._wrap(np.zeros_like(p._data))
                    state["exp_avg_sq"] = Tensor._wrap(np.zeros_like(p._data))
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = Tensor._wrap(np.zeros_like(p._data))
                state["step"] += 1
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                m *= beta1
                m += (1 - beta1) * grad
                v *= beta2
                v += (1 - beta2) * grad * grad
                if group["amsgrad"]:
                    np.maximum(state["max_exp_avg_sq"]._data, v, out=state["max_exp_avg_sq"]._data)
                    v = state["max_exp_avg_sq"]._data
                t = state["step"]
                bias1, bias2 = 1 - beta1 ** t, 1 - beta2 ** t
                denom = np.sqrt(v) / math.sqrt(bias2) + eps
                p._data -= ((lr / bias1) * m / denom).astype(p._data.dtype, copy=False)
                _bump(p)


__all__ = ["SGD", "Adam", "Optimizer"]
