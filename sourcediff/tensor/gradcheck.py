"""Finite-difference checks of autograd gradients (``torch.autograd.gradcheck``)."""

from __future__ import annotations

import warnings

import numpy as np

from . import engine
from .common import wrap
from .core import Tensor


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when the two Jacobians differ."""


FLOAT_INPUT_WARNING = (
    "Input #{} requires gradient and is not a double precision floating point or complex. "
    "This check will likely fail if all the inputs are not of double precision floating point "
    "or complex. "
)


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func, inputs) -> tuple:
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def _numerical_jacobian(func, inputs, index: int, eps: float) -> list:
    """One (numel_in, numel_out) matrix per output, by central differences."""
    x = inputs[index]
    flat = x._data.reshape(-1) if x._data.flags.c_contiguous else None
    columns = []
    # the data is perturbed behind autograd's back (as torch does); func may need grad mode
    for j in range(x.numel()):
        position = np.unravel_index(j, x.shape) if x.ndim else ()
        original = x._data[position].item() if flat is None else flat[j].item()
        x._data[position] = original - eps
        minus = [o._data.astype(np.float64).reshape(-1) for o in _outputs(func, inputs)]
        x._data[position] = original + eps
        plus = [o._data.astype(np.float64).reshape(-1) for o in _outputs(func, inputs)]
        x._data[position] = original
        columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    n_out = len(columns[0]) if columns else len(_outputs(func, inputs))
    return [np.array([col[k] for col in columns]).reshape(x.numel(), -1) for k in range(n_out)]


def _analytical_jacobian(outputs, inputs, index: int) -> list:
    x = inputs[index]
    jacobians = []
    for out in outputs:
        jac = np.zeros((x.numel(), out.numel()))
        for k in range(out.numel()):
            seed = np.zeros(out.numel(), dtype=out.dtype.np)
            seed[k] = 1
            (g,) = engine.grad(out, x, grad_outputs=wrap(seed.reshape(out.shape)),
                              retain_graph=True, allow_unused=True)
            if g is not None:
                jac[:, k] = g._data.astype(np.float64).reshape(-1)
        jacobians.append(jac)
    return jacobians


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked=None) -> bool:
    """Compare autograd's Jacobian with central finite differences, as torch does.

    >>> import sourcediff as sd
    >>> x = sd.rand(3, dtype=sd.float64, requires_grad=True)
    >>> sd.autograd.gradcheck(lambda a: (a * a.sin()).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    outputs = _outputs(func, inputs)
    try:
        for i, x in enumerate(inputs):
            if isinstance(x, Tensor) and x.requires_grad:
                _check_input(func, inputs, outputs, i, eps, atol, rtol, nondet_tol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _check_inputs(inputs) -> None:
    any_differentiable = False
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        if x.dtype.name != "float64":
            warnings.warn(FLOAT_INPUT_WARNING.format(i), UserWarning, stacklevel=3)
        if any(st == 0 and sz > 1 for st, sz in zip(x.stride(), x.shape)):
            raise RuntimeError(f"The {i}th input has a dimension with stride 0. gradcheck only "
                               "supports inputs that are non-overlapping to be able to compute "
                               "the numerical gradients correctly. You should call .contiguous "
                               "on the input before passing it to gradcheck.")
        any_differentiable = True
    if not any_differentiable:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")


def _check_input(func, inputs, outputs, i: int, eps, atol, rtol, nondet_tol) -> None:
    """Numerical against analytical Jacobians for input ``i``; then backward run twice."""
    numerical = _numerical_jacobian(func, inputs, i, eps)
    analytical = _analytical_jacobian(outputs, inputs, i)
    dtype = inputs[i].dtype.np
    for k, (num, ana) in enumerate(zip(numerical, analytical)):
        if not np.allclose(ana, num, rtol=rtol, atol=atol):
            raise GradcheckError(
                f"Jacobian mismatch for output {k} with respect to input {i},\n"
                f"numerical:{wrap(num.astype(dtype))!r}\n"
                f"analytical:{wrap(ana.astype(dtype))!r}\n"
            )
    again = _analytical_jacobian(outputs, inputs, i)
    if any(np.abs(a - b).max(initial=0.0) > nondet_tol for a, b in zip(analytical, again)):
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with same input and grad_output "
            "multiple times gives different values, although analytical gradient matches "
            f"numerical gradient.The tolerance for nondeterminism was {nondet_tol}."
        )


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, **kwargs) -> bool:
    """Check second derivatives: gradcheck of the (create_graph) gradient function."""
    inputs = _as_tuple(inputs)
    outputs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            wrap(rng.standard_normal(o.shape).astype(o.dtype.np)).requires_grad_()
            for o in outputs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)
    diff_positions = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_derivatives(*args):
        ins, gos = args[:n], args[n:]
        outs = _outputs(func, ins)
        grads = engine.grad(outs, [ins[i] for i in diff_positions], gos, create_graph=True,
                           allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=kwargs.get("nondet_tol", 0.0))
