"""Global switch for recording the autograd graph: ``no_grad`` and friends.

Each works as a context manager and as a decorator, as in PyTorch.
"""

from __future__ import annotations

import functools
import threading

_state = threading.local()


def is_grad_enabled() -> bool:
    """Whether operations on tensors that require grad are recorded."""
    return getattr(_state, "enabled", True)


def _set_enabled(mode: bool) -> None:
    _state.enabled = bool(mode)


class _GradModeContext:
    """Base: a context manager that sets the mode on entry and restores it on exit."""

    mode = True

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set_enabled(self.mode)

    def __exit__(self, *exc) -> None:
        _set_enabled(self._prev)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return type(self)()


class _NoParamContext(_GradModeContext):
    """Usable as ``@no_grad()`` and, like torch, as a bare ``@no_grad``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __init__(self, orig_func=None):
        pass


class no_grad(_NoParamContext):
    """Disable graph recording: results of operations do not require grad.

    >>> import sourcediff as sd
    >>> x = sd.ones(2, requires_grad=True)
    >>> with sd.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_NoParamContext):
    """Enable graph recording inside a ``no_grad`` region."""

    mode = True


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (NumPy tensors have no cheaper inference path)."""

    def __init__(self, mode: bool = True):
        self.mode = not mode

    def clone(self):
        return type(self)(not self.mode)


class set_grad_enabled(_GradModeContext):
    """Set recording on or off: takes effect at once, and as a context manager
    restores the previous mode on exit."""

    def __init__(self, mode: bool):
        self._prev = is_grad_enabled()
        self.mode = bool(mode)
        _set_enabled(self.mode)

    def __enter__(self):
        pass

    def __exit__(self, *exc) -> None:
        _set_enabled(self._prev)

    def __call__(self, func):
        # as a decorator the mode applies only while the function runs
        _set_enabled(self._prev)
        return super().__call__(func)

    def clone(self):
        return _Restoring(self.mode)


class _Restoring(_GradModeContext):
    def __init__(self, mode: bool):
        self.mode = mode
