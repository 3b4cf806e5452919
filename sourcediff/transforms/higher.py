"""Second and higher derivatives, built by transforming generated code.

Every transform's generated function is itself differentiable source, so
forward mode can run over it:

* ``sd.hvp(f)(x, v)`` is ``jvp(grad f)(x, v)``: a Hessian-vector product
  (forward over reverse), one sweep, no Hessian formed;
* ``sd.hessian(f)(x)`` stacks the HVPs of the unit vectors (one per input
  element, as JAX's ``jacfwd(jacrev(f))``);
* ``sd.grad(T)`` of a transform ``T`` whose result is a scalar (``sd.grad``
  of a one-variable function, an ``sd.jvp`` tangent, ...) differentiates T's
  generated code in forward mode, one sweep per input element, so
  ``sd.grad(sd.grad(sd.grad(f)))`` is the third derivative.
"""
from __future__ import annotations

import numpy as np

from .base import Transformed, wrt_positions
from .forward import JVP, user_params
from .reverse import Grad


def basis(values, positions):
    """Unit tangents: for every element of every argument in ``positions``,
    a tuple of tangents (one per position) with a single 1 in it."""
    zeros = [np.zeros_like(values[k]) if isinstance(values[k], np.ndarray) else 0.0
             for k in positions]
    for i, k in enumerate(positions):
        v = values[k]
        n = v.size if isinstance(v, np.ndarray) else 1
        for j in range(n):
            t = [z.copy() if isinstance(z, np.ndarray) else z for z in zeros]
            if isinstance(v, np.ndarray):
                t[i].flat[j] = 1.0
            else:
                t[i] = 1.0
            yield i, j, tuple(t)


def _check_scalar_wrt(values, positions, what):
    for k in positions:
        v = values[k]
        if isinstance(v, tuple) or (isinstance(v, np.ndarray) and v.size != 1):
            raise TypeError(f"{what}: the inner gradient must be a scalar to differentiate it "
                            "again; differentiate with respect to a scalar argument, or use "
                            "sd.hessian / sd.jacobian")


class GradOf:
    """``sd.grad(T)`` for a transform ``T`` with a scalar result.

    Held as a forward-mode transform ``jvp`` of the innermost code, the
    tangents fixed by the inner levels (``consts``, all 1.0: each inner level
    differentiates along its single scalar input) and the path that picks
    this level's derivative out of the nested ``(value, tangent)`` results.
    """

    def __init__(self, inner, wrt=0, target="cpu"):
        self.inner = inner
        self.target = target
        self.wrt_given = wrt
        if isinstance(inner, GradOf):
            self.params = inner.params
            self.positions, self.single = _positions(self.params, wrt, inner.__name__)
            # the inner jvp's parameters are the user's, then the fixed tangents
            self.jvp = JVP(inner.jvp, self.positions[0] if self.single else
                           tuple(self.positions), target)
            self.consts = inner.consts + [1.0]
            self.path = [1] + inner.path
        elif isinstance(inner, Transformed):
            self.params = list(user_params(inner))
            self.positions, self.single = _positions(self.params, wrt, inner.__name__)
            self.jvp = JVP(inner, wrt, target)
            self.consts = []
            self.path = []
        else:
            raise TypeError(f"cannot take the gradient of {inner!r}")
        name = getattr(inner, "__name__", "f")
        self.__name__ = f"grad_{name}"

    def __call__(self, *args):
        values = list(args)
        if len(values) != len(self.params):
            raise TypeError(f"{self.__name__}() takes {len(self.params)} arguments "
                            f"({', '.join(self.params)}), got {len(values)}")
        if isinstance(self.inner, GradOf):
            _check_scalar_wrt(values, self.inner.positions, self.__name__)
        grads = [np.zeros_like(values[k], dtype=float) if isinstance(values[k], np.ndarray)
                 else 0.0 for k in self.positions]
        for i, j, tangents in basis(values, self.positions):
            t = tangents[0] if self.single else tangents
            out = self.jvp(*values, *self.consts, t)[1]
            for p in self.path:
                out = out[p]
            if isinstance(out, (tuple, np.ndarray)) and np.size(out) != 1:
                raise TypeError(f"{self.__name__}: sd.grad needs a scalar result, but "
                                f"{getattr(self.inner, '__name__', 'the function')} returns "
                                f"{'a tuple' if isinstance(out, tuple) else 'an array'}; use "
                                "sd.jacobian")
            if isinstance(grads[i], np.ndarray):
                grads[i].flat[j] = float(np.asarray(out))
            else:
                grads[i] = float(np.asarray(out))
        grads = [g.astype(values[k].dtype) if isinstance(g, np.ndarray) else g
                 for g, k in zip(grads, self.positions)]
        return grads[0] if self.single else tuple(grads)

    @property
    def source(self) -> str:
        return self.jvp.source


def _positions(params, wrt, name):
    positions, single = wrt_positions(params, wrt, name)
    return list(positions), single


def is_transform(func) -> bool:
    """Whether ``func`` is a transform (its gradient is a higher derivative)."""
    return isinstance(func, (Transformed, GradOf))


def grad_of(func, wrt=0, target="cpu"):
    """``sd.grad(func, wrt, target)`` without batching or checkpointing: of a
    transform (:class:`GradOf`, forward mode over its code) or of a function
    (reverse mode)."""
    if is_transform(func):
        return GradOf(func, wrt, target)
    return Grad(func, wrt, target, "grad")


class HVP:
    """``sd.hvp(f, wrt)(*args, v)``: the Hessian of scalar ``f`` times ``v``."""

    def __init__(self, func, wrt=0, target="cpu"):
        if isinstance(wrt, (tuple, list)):
            raise TypeError("sd.hvp takes one argument to differentiate (wrt=int or name)")
        self.grad = grad_of(func, wrt, target)
        self.jvp = JVP(self.grad, wrt, target)
        self.__name__ = f"hvp_{getattr(func, '__name__', 'f')}"

    def __call__(self, *args):
        *primal, v = args
        return self.jvp(*primal, v)[1]

    @property
    def source(self) -> str:
        return self.jvp.source


def hvp(func, wrt=0, target: str = "cpu") -> HVP:
    """Hessian-vector product ``hvp(f)(*args, v) = H(args) @ v`` of a scalar
    function, by forward mode over the generated adjoint (one sweep; the
    Hessian is never formed).

    >>> import numpy as np, sourcediff as sd
    >>> def f(x):
    ...     return x[0] ** 2 * x[1]
    >>> sd.hvp(f, target="python")(np.array([1.0, 3.0]), np.array([1.0, 0.0]))
    array([6., 2.])
    """
    return HVP(func, wrt, target)


class Hessian:
    """``sd.hessian(f, wrt)(*args)``: dense Hessian, shape x.shape + x.shape;
    for a tuple ``wrt`` a tuple of tuples ``H[i][j]`` of shape
    ``xi.shape + xj.shape``."""

    def __init__(self, func, wrt=0, target="cpu"):
        self.grad = grad_of(func, wrt, target)
        self.single = not isinstance(wrt, (tuple, list))
        self.positions = list(self.grad.wrt)
        self.jvp = JVP(self.grad, wrt, target)
        self.__name__ = f"hessian_{getattr(func, '__name__', 'f')}"

    def __call__(self, *args):
        values = list(args)
        ins = [values[k] for k in self.positions]
        shapes = [np.shape(v) for v in ins]
        H = [[np.zeros(si + sj) for sj in shapes] for si in shapes]
        for j, k, tangents in basis(values, self.positions):
            t = tangents[0] if self.single else tangents
            cols = self.jvp(*values, t)[1]
            cols = (cols,) if self.single else cols
            for i, col in enumerate(cols):
                block = H[i][j].reshape(int(np.prod(shapes[i], dtype=int)), -1)
                block[:, k] = np.ravel(col)
        H = [[_cast(h, ins[i]) for h in row] for i, row in enumerate(H)]
        if self.single:
            return H[0][0]
        return tuple(tuple(row) for row in H)

    @property
    def source(self) -> str:
        return self.jvp.source


def _cast(h, like):
    if h.ndim == 0:
        return float(h)
    if isinstance(like, np.ndarray) and like.dtype == np.float32:
        return h.astype(np.float32)
    return h


def hessian(func, wrt=0, target: str = "cpu") -> Hessian:
    """Dense Hessian of a scalar function: forward mode over the generated
    adjoint, one Hessian-vector product per input element.

    >>> import numpy as np, sourcediff as sd
    >>> def f(x):
    ...     return x[0] ** 2 * x[1]
    >>> sd.hessian(f, target="python")(np.array([1.0, 3.0]))
    array([[6., 2.],
           [2., 0.]])
    """
    return Hessian(func, wrt, target)


class VJPOfGrad:
    """``sd.vjp(sd.grad(f, wrt=a), wrt=b)(*args, u)``: the gradient and
    ``u @ d(grad_a f)/d(args_b)``.  Second derivatives commute, so this is the
    derivative of ``grad_b f`` along ``u`` in the ``a`` arguments: one forward
    sweep over the adjoint of ``f`` with respect to ``b``."""

    def __init__(self, inner, wrt=0, target="cpu"):
        if not isinstance(inner, Grad) or getattr(inner, "batch", None) is not None:
            raise TypeError(f"sd.vjp takes a function or sd.grad(...), got "
                            f"{type(inner).__name__}")
        self.inner = inner
        self.grad_b = grad_of(inner.func, wrt, target)
        along = inner.wrt[0] if inner.single else tuple(inner.wrt)
        self.jvp = JVP(self.grad_b, along, target)
        self.__name__ = f"vjp_{inner.__name__}"

    def __call__(self, *args):
        *primal, u = args
        return self.inner(*primal), self.jvp(*primal, u)[1]
