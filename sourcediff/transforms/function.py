"""``@sd.function`` and the helpers that take any transform: ``sd.source``,
``sd.show``, ``sd.checkpoint``.  The top of :mod:`sourcediff.transforms`: an
``@sd.function`` hands out every transform of its function, and called with
Tensors it becomes one node of the Tensor graph (``bridge.py``).
"""
from __future__ import annotations

import ast
import inspect

from ..bridge import call_with_tensors, has_tensor
from ..frontend.source import get_source, unwrap
from .base import Transformed, check_subset
from .batched import BatchedGrad, BatchedValueAndGrad
from .forward import JVP
from .grad import grad
from .reverse import Grad, ValueAndGrad
from .vjp import VJP


class Function:
    """``@sd.function``: the primal compiled with Numba, with its transforms."""

    def __init__(self, func, target="cpu"):
        self.__sourcediff_function__, _ = unwrap(func)
        # void_ok: a helper that only writes into its argument arrays is fine here
        src = get_source(self.__sourcediff_function__)
        check_subset(src, void_ok=True)
        self._params = src.params      # (not read again per call: that hashes global arrays)
        self.py_func = self.__sourcediff_function__
        self.target = target
        self.__name__ = self.py_func.__name__
        self.__doc__ = self.py_func.__doc__
        self.__wrapped__ = self.py_func
        self._transforms: dict = {}

    def __deepcopy__(self, memo):
        # a callable, like a function: a copied AST that calls it calls this one
        return self

    def _transform(self, cls, wrt, target, batch=None, reduce=None):
        key = (cls, wrt if not isinstance(wrt, list) else tuple(wrt), target or self.target,
               batch if not isinstance(batch, list) else tuple(batch), reduce)
        t = self._transforms.get(key)
        if t is None:
            if batch is not None and batch is not False:
                mode = "grad" if cls is Grad else "value_and_grad"
                cls = BatchedGrad if cls is Grad else BatchedValueAndGrad
                t = cls(self.py_func, wrt, target or self.target, mode, batch, reduce)
            else:
                if reduce is not None:
                    raise ValueError(f"reduce={reduce!r} sums over a batch: pass batch= too")
                t = cls(self.py_func, wrt, target or self.target)
            self._transforms[key] = t
        return t

    def __call__(self, *args, **kwargs):
        if has_tensor(args) or has_tensor(tuple(kwargs.values())):
            if kwargs:
                args = self._positional(args, kwargs)
            return call_with_tensors(self, args)
        if not self._params:
            return self.py_func()
        t = self._primal_transform()
        values, types = t.bind_primal(args, kwargs)
        c = t.compiled(types)
        value = c.names["primal"](*values)
        return None if t.void else value

    def _positional(self, args, kwargs) -> tuple:
        """``args`` and ``kwargs`` as the function's positional arguments, its
        defaults filled in (the Tensor graph passes arguments by position)."""
        sig = inspect.signature(self.py_func)
        if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               for p in sig.parameters.values()):
            raise TypeError(f"'{self.__name__}' called with Tensors and keyword arguments: "
                            "pass its arguments positionally (it has *args, **kwargs or "
                            "keyword-only parameters)")
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        return tuple(bound.args)

    def _primal_transform(self):
        t = self._transforms.get("primal")
        if t is None:
            t = self._transforms["primal"] = _Primal(self.py_func, 0, self.target)
        return t

    def grad(self, wrt=0, target=None, batch=None, reduce=None) -> Grad:
        return self._transform(Grad, wrt, target, batch, reduce)

    def value_and_grad(self, wrt=0, target=None, batch=None, reduce=None) -> ValueAndGrad:
        return self._transform(ValueAndGrad, wrt, target, batch, reduce)

    def vjp(self, wrt=0, target=None):
        """``g(*args, cotangent) -> (value, grads)`` (see :func:`sourcediff.vjp`)."""
        return self._transform(VJP, wrt, target)

    def jvp(self, wrt=0, target=None):
        """Forward mode: ``F.jvp(wrt)(*args, tangents) -> (value, jvp)``."""
        return self._transform(JVP, wrt, target)

    def source(self, kind: str = "grad", wrt=0) -> str:
        """Generated source: ``"primal"``, ``"grad"`` or ``"jvp"``."""
        if kind not in ("primal", "grad", "jvp"):
            raise ValueError(f"kind must be 'primal', 'grad' or 'jvp', got {kind!r}")
        if kind == "jvp":
            return self.jvp(wrt).function_source("jvp")
        return self.grad(wrt).function_source(kind)

    def __repr__(self):
        return f"<sourcediff.function {self.__name__}>"


class _Primal(Transformed):
    def __init__(self, func, wrt, target):
        super().__init__(func, 0, target, "primal")
        self.wrt = ()
        # no ``return``: run for its writes into argument arrays, returns None
        self.void = not any(isinstance(n, ast.Return) for n in ast.walk(self.src.tree))

    def _new_program(self, types):
        program = super()._new_program(types)
        program.void_root = self.void
        return program

    def bind_primal(self, args, kwargs):
        return self.bind(args, kwargs)


def function(func=None, *, target: str = "cpu"):
    """Decorator: compile ``func`` with Numba and give it ``.grad``,
    ``.value_and_grad`` and ``.source``."""
    if func is None:
        return lambda f: Function(f, target)
    return Function(func, target)


def source(obj, kind: str = "grad") -> str:
    """The generated Python source of a transform, an ``@sd.function`` or a
    plain function (its gradient)."""
    if isinstance(obj, Transformed):
        return obj.source
    if isinstance(obj, Function):
        return obj.source(kind)
    return grad(obj).source


def show(func, wrt=0, args=None) -> None:
    """Print the generated primal and adjoint source of ``func``; ``args``:
    example arguments, for code that depends on their types (which arrays
    have two dimensions, which numbers are integers), else guessed from the
    source."""
    if isinstance(func, Function):
        func = func.py_func
    transformed = func if isinstance(func, Transformed) else grad(func, wrt)
    print(transformed.source if args is None else transformed.source_for(*args))


def checkpoint(func=None, *, every=True):
    """Mark ``func`` so that every adjoint generated for it (as the function
    differentiated or as a callee) checkpoints its top-level ``for`` loops:
    the forward sweep keeps a snapshot of the loop's state every ``every``
    iterations (``True``: about sqrt(trip count)) instead of a tape entry per
    iteration, and the reverse sweep re-runs one segment at a time.

    Memory for a loop of T iterations drops from O(T) to O(T / every + every)
    (O(sqrt T) by default) for one extra run of the loop.  Same as
    ``sd.grad(f, checkpoint=every)`` for the function differentiated.

    >>> import sourcediff as sd
    >>> @sd.checkpoint
    ... def power(x, n):
    ...     y = 1.0
    ...     for i in range(n):
    ...         y = y * x
    ...     return y
    >>> sd.grad(power, target="python")(2.0, 10)   # 10 * 2**9
    5120.0
    """
    if func is None:
        return lambda f: checkpoint(f, every=every)
    if every is not True and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
        raise ValueError(f"every must be True or a positive int, got {every!r}")
    target = func.py_func if isinstance(func, Function) else unwrap(func)[0]
    target.__sourcediff_checkpoint__ = every
    return func
