"""Global switches for recording the autograd graph: ``no_grad`` and friends.

Each works as a context manager and as a decorator, as in PyTorch; a decorated
generator runs every step (``next``, ``send``, ``throw``, ``close``) in the
mode, and its caller keeps its own mode between steps.

``inference_mode`` also disables recording; tensors created under it are
*inference tensors* (see ``Tensor.is_inference``).
"""

from __future__ import annotations

import functools
import inspect
import threading
import warnings


class _ThreadState(threading.local):
    enabled = True  # grad mode, per thread
    inference = False


# read directly (``grad_mode.state.enabled``) where a function call would cost too much
state = _state = _ThreadState()

# Number of inference_mode blocks active in any thread: while it is 0 (the usual
# case) tensor creation skips the per-thread lookup altogether.
INFERENCE_BLOCKS = 0


def is_grad_enabled() -> bool:
    """Whether operations on tensors that require grad are recorded."""
    return _state.enabled


def _set_enabled(mode: bool) -> None:
    _state.enabled = bool(mode)


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode`` block is active in this thread."""
    return INFERENCE_BLOCKS > 0 and _state.inference


def _set_inference(mode: bool) -> None:
    global INFERENCE_BLOCKS
    before = _state.inference
    if before != mode:
        INFERENCE_BLOCKS += 1 if mode else -1
        _state.inference = mode


def _run_generator_in_mode(context_factory, gen):
    """Drive ``gen`` so that each of its steps runs inside a fresh ``context_factory()``."""
    try:
        with context_factory():
            request = gen.send(None)
        while True:
            try:
                reply = yield request
            except GeneratorExit:
                with context_factory():
                    gen.close()
                raise
            except BaseException as error:  # noqa: BLE001 - forwarded into the generator
                with context_factory():
                    request = gen.throw(error)
            else:
                with context_factory():
                    request = gen.send(reply)
    except StopIteration as stop:
        return stop.value


class _GradModeContext:
    """Base: a context manager that sets the mode on entry and restores it on exit."""

    mode = True

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set_enabled(self.mode)

    def __exit__(self, *exc) -> None:
        _set_enabled(self._prev)

    def __call__(self, func):
        if inspect.isclass(func):
            warnings.warn("Decorating classes is deprecated and will be disabled in future "
                          "versions. You should only decorate functions or methods. To preserve "
                          "the current behavior of class decoration, you can directly decorate "
                          "the `__init__` method and nothing else.", FutureWarning, stacklevel=2)
            func.__init__ = self(func.__init__)
            return func
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def generator_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                return (yield from _run_generator_in_mode(self.clone, gen))

            return generator_wrapper

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
    """No recording, and new tensors are inference tensors (cannot join a graph later).

    >>> import sourcediff as sd
    >>> with sd.inference_mode():
    ...     y = sd.ones(2) * 2
    >>> y.is_inference(), y.requires_grad
    (True, False)
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare @inference_mode

    def __init__(self, mode: bool = True):
        self.inference = mode if isinstance(mode, bool) else True

    def __enter__(self):
        self._prev = (is_grad_enabled(), _state.inference)
        _set_enabled(not self.inference)  # like torch: inference_mode(False) enables grad
        _set_inference(self.inference)

    def __exit__(self, *exc) -> None:
        _set_enabled(self._prev[0])
        _set_inference(self._prev[1])

    def clone(self):
        return type(self)(self.inference)


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
