"""Transforms of array-valued functions: ``vjp`` and ``jacobian``.

``sd.vjp(f, wrt)`` is the reverse mode seeded with a cotangent instead of
1.0; ``sd.jacobian`` builds the dense Jacobian row by row from VJPs (reverse
mode) or column by column from JVPs (forward mode), whichever needs fewer
sweeps.
"""
from __future__ import annotations

import numpy as np

from .base import Transformed, as_result_type, like_argument, unwrap_value
from .forward import JVP, jvp, user_params
from .higher import VJPOfGrad, basis


class VJP(Transformed):
    """``g(*args, cotangent) -> (value, grads)``: value of ``f`` and the
    vector-Jacobian product ``cotangent @ J`` for each ``wrt`` argument."""

    def __init__(self, func, wrt=0, target="cpu"):
        super().__init__(func, wrt, target, "vjp")

    def _generate(self, program, entry, types, wrt_names) -> dict:
        pname = program._primal_name = entry[0]
        ret = entry[3]
        if ret is None:
            raise TypeError(f"vjp of {self.func.__name__}() needs a result, but it returns "
                            "nothing")
        self.ret_types = getattr(self, "ret_types", {})
        self.ret_types[tuple(types)] = ret
        aname = program._grad_name = program.adjoint(self.func, types, wrt_names, "vjp")
        return {"primal": pname, "grad": aname}

    def __call__(self, *args):
        if not args:
            raise TypeError(f"{self.__name__}() takes the arguments of "
                            f"{self.func.__name__}() followed by the cotangent")
        *primal_args, cotangent = args
        try:
            values, types = self.bind(tuple(primal_args), {})
        except TypeError as exc:
            if "missing" in str(exc) and len(args) == len(self.src.params):
                # (the last argument given was taken as the cotangent)
                raise TypeError(f"{self.__name__}() takes the arguments of "
                                f"{self.func.__name__}() followed by the cotangent: is the "
                                "cotangent missing?") from None
            raise
        c = self.compiled(types)
        ret = self.ret_types[tuple(types)]
        cotangent = _check_cotangent(cotangent, ret, self.func.__name__)
        values = self._protect(values, c)
        try:
            value, grads = c.names["grad"](*values, cotangent)
        except Exception:
            # a cotangent of the wrong shape fails inside the generated code:
            # say so in the user's terms when that is the cause
            value = c.names["primal"](*self._protect(list(primal_args), c))
            _check_cotangent_shape(cotangent, value, self.func.__name__)
            raise
        _check_cotangent_shape(cotangent, value, self.func.__name__)
        grads = tuple(like_argument(g, values[k]) for g, k in zip(grads, self.wrt))
        return unwrap_value(as_result_type(value, ret)), (grads[0] if self.single else grads)


def _check_cotangent(cot, ret, name):
    """The cotangent must have the type of the result (checked before running)."""
    if ret.kind == "tuple":
        if not isinstance(cot, tuple) or len(cot) != len(ret.elts):
            raise TypeError(f"the cotangent of {name}() must be a tuple of {len(ret.elts)} "
                            f"values like its result, got {type(cot).__name__}")
        return tuple(_check_cotangent(c, r, name) for c, r in zip(cot, ret.elts))
    if ret.is_array and ret.ndim > 0:      # (a 0-d result is a number, as to NumPy)
        if not isinstance(cot, np.ndarray) or cot.ndim != ret.ndim:
            raise TypeError(f"the cotangent of {name}() must be a {ret.ndim}-d array like its "
                            f"result, got {_describe(cot)}")
        return np.ascontiguousarray(cot, dtype=ret.dtype)
    if isinstance(cot, np.ndarray) and cot.ndim == 0:
        cot = cot[()]
    if not isinstance(cot, (int, float, np.floating, np.integer)) or isinstance(cot, bool):
        raise TypeError(f"the cotangent of {name}() must be a float like its result, got "
                        f"{_describe(cot)}")
    return float(cot)


def _check_cotangent_shape(cot, value, name):
    """Raised after the run: the result's shape is known only then."""
    if isinstance(value, tuple):
        for c, v in zip(cot, value):
            _check_cotangent_shape(c, v, name)
    elif isinstance(value, np.ndarray) and cot.shape != value.shape:
        raise ValueError(f"the cotangent of {name}() has shape {cot.shape}, but the result "
                         f"has shape {value.shape}") from None


def _describe(v):
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape}"
    return type(v).__name__


def vjp(func, wrt=0, target: str = "cpu") -> VJP:
    """Vector-Jacobian product of a (possibly array- or tuple-valued) ``func``.

    Returns ``g(*args, cotangent) -> (value, grads)``; ``cotangent`` has the
    shape of ``func``'s result (a tuple of them for a tuple result); ``grads``
    has the shape of the ``wrt`` argument (a tuple for a tuple ``wrt``).

    >>> import numpy as np, sourcediff as sd
    >>> def f(x):
    ...     return x * x
    >>> value, g = sd.vjp(f, target="python")(np.array([1.0, 2.0]), np.array([1.0, 10.0]))
    >>> g                       # cotangent * 2x
    array([ 2., 40.])

    ``func`` may be ``sd.grad(f)``: the VJP of a gradient (second derivatives,
    by forward mode over the adjoint).
    """
    if isinstance(func, Transformed):
        return VJPOfGrad(func, wrt, target)
    return VJP(func, wrt, target)


class Jacobian:
    """``jacobian(f, wrt)(*args)``: the dense Jacobian, output shape + input
    shape (as in JAX), a tuple over a tuple ``wrt``."""

    def __init__(self, func, wrt=0, target="cpu", mode="auto"):
        if mode not in ("auto", "forward", "reverse"):
            raise ValueError(f"mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
        self.mode = mode
        self.transform = None
        if isinstance(func, Transformed):
            # e.g. jacobian(grad(f)): forward mode over the transform's code
            if mode == "reverse":
                raise ValueError("the jacobian of a transform is built in forward mode; "
                                 "use mode='auto' or 'forward'")
            self.transform = func
            self.params = list(user_params(func))
            self._jvp = JVP(func, wrt, target)
            self.wrt = self._jvp.wrt
            self.single = self._jvp.single
            self.__name__ = f"jacobian_{func.__name__}"
            return
        self.vjp = VJP(func, wrt, target)
        self.func = self.vjp.func
        self.single = self.vjp.single
        self.wrt = self.vjp.wrt
        self.target = target
        self._jvp = None
        self.__name__ = f"jacobian_{self.func.__name__}"

    @property
    def jvp(self):
        if self._jvp is None:
            self._jvp = jvp(self.func, tuple(self.wrt), self.target)
        return self._jvp

    def __call__(self, *args, **kwargs):
        if self.transform is not None:
            return self._forward_of_transform(list(args))
        values, types = self.vjp.bind(args, kwargs)
        c = self.vjp.compiled(types)
        ret = self.vjp.ret_types[tuple(types)]
        if ret.kind == "tuple":
            raise TypeError(f"jacobian of {self.func.__name__}(): tuple results are not "
                            "supported; take the jacobian of each element")
        protected = self.vjp._protect(values, c)
        out = np.asarray(c.names["primal"](*protected))
        ins = [np.asarray(values[k]) for k in self.wrt]
        n_in = sum(a.size for a in ins)
        mode = self.mode
        if mode == "auto":
            mode = "forward" if n_in < out.size else "reverse"
        dtype = np.result_type(out.dtype, *[a.dtype for a in ins])
        jacs = [np.zeros(out.shape + a.shape, dtype=dtype) for a in ins]
        if mode == "reverse":
            for k in range(out.size):
                cot = np.zeros(out.shape, dtype=out.dtype)
                cot.flat[k] = 1.0
                _, grads = self.vjp(*values, cot if out.ndim else float(cot))
                grads = (grads,) if self.single else grads
                for jac, g in zip(jacs, grads):
                    jac.reshape(out.size, -1)[k] = np.ravel(g)
        else:
            jvp = self.jvp
            for i, a in enumerate(ins):
                for k in range(a.size):
                    tangents = [np.zeros_like(b) if b.ndim else 0.0 for b in ins]
                    if a.ndim:
                        tangents[i].flat[k] = 1.0
                    else:
                        tangents[i] = 1.0
                    _, t = jvp(*values, tuple(tangents))
                    jacs[i].reshape(out.size, -1)[:, k] = np.ravel(t)
        jacs = [j if j.ndim else j[()] for j in jacs]
        jacs = [_like_float(j, values[k]) for j, k in zip(jacs, self.wrt)]
        return jacs[0] if self.single else tuple(jacs)


    def _forward_of_transform(self, values):
        ins = [values[k] for k in self.wrt]
        out = None
        cols = {}
        for i, k, tangents in basis(values, self.wrt):
            _, t = self._jvp(*values, tangents[0] if self.single else tangents)
            if isinstance(t, tuple):
                raise TypeError(f"jacobian of {self.transform.__name__}: tuple results are not "
                                "supported")
            out = np.asarray(t)
            cols[(i, k)] = np.ravel(out)
        if out is None:
            raise ValueError("nothing to differentiate")
        jacs = []
        for i, a in enumerate(ins):
            n = np.size(a)
            J = np.zeros((out.size, n))
            for k in range(n):
                J[:, k] = cols[(i, k)]
            J = J.reshape(out.shape + np.shape(a))
            jacs.append(_like_float(J if J.ndim else J[()], a))
        return jacs[0] if self.single else tuple(jacs)


def _like_float(j, arg):
    if isinstance(j, np.ndarray):
        if isinstance(arg, np.ndarray) and arg.dtype == np.float32:
            return j.astype(np.float32)
        return j
    return float(j)


def jacobian(func, wrt=0, target: str = "cpu", mode: str = "auto") -> Jacobian:
    """Dense Jacobian of ``func`` with respect to ``wrt``: shape output-shape +
    input-shape.  ``mode="auto"`` uses forward mode (one JVP per input
    element) when the inputs are fewer than the outputs and reverse mode (one
    VJP per output element) otherwise.

    >>> import numpy as np, sourcediff as sd
    >>> def f(x):
    ...     return np.sin(x) * x[0]
    >>> sd.jacobian(f, target="python")(np.array([0.0, 1.0])).round(3)
    array([[0.   , 0.   ],
           [0.841, 0.   ]])
    """
    return Jacobian(func, wrt, target, mode)
