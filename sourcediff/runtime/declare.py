"""Runtime helpers are declared once, with their Numba overload next to them.

A helper is plain NumPy (the ``"python"`` target runs it as is); its
overload is what the ``"cpu"``/``"parallel"``/``"cuda"`` targets compile::

    @runtime_helper
    def reverse_cumsum(g, axis):
        return np.flip(np.cumsum(np.flip(g, axis), axis), axis)

    @numba_overload(reverse_cumsum)
    def _(g, axis):                # Numba types in, an implementation out
        return lambda g, axis: ...

``@runtime_helper(jit=True)`` says the NumPy code itself compiles (Numba's
``register_jitable``); ``@jitable`` does the same for a function helpers
call that generated code never names; ``numba_overload`` also fills gaps in
Numba's NumPy and math support (``np.flip`` with ``axis``).  The helper may
live anywhere, next to the rule that emits it: the registry is what the
generated module imports from (:func:`helper_modules`), what names generated
code may not take (:func:`helper_names`), and what
:func:`install_numba_overloads` gives Numba when it is first needed, so that
``import sourcediff`` does not import Numba.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field


@dataclass
class Helper:
    """A function generated code calls by name."""
    fn: object
    name: str
    module: str                  # where generated modules import it from
    overloads: list = field(default_factory=list)   # its Numba overload functions
    of: str | None = None        # the function whose derivative calls it ("np.interp"),
    #                              for a helper with no derivative of its own


HELPERS: dict = {}           # name -> Helper, in declaration order
OVERLOADS: list = []         # (target, overload function, options), in declaration order
_installed: dict = {}        # Numba target -> how many of OVERLOADS Numba has for it


def numba_overload(target, **options):
    """Declare the Numba overload of ``target`` (a helper, or a NumPy or math
    function Numba lacks); it is installed by :func:`install_numba_overloads`."""
    def deco(overload_fn):
        OVERLOADS.append((target, overload_fn, options))
        helper = HELPERS.get(getattr(target, "__name__", None))
        if helper is not None and helper.fn is target:
            helper.overloads.append(overload_fn)
        return overload_fn
    return deco


def _itself(fn):
    def overload_fn(*args, **kwargs):
        return fn
    return overload_fn


def jitable(fn):
    """Declare that Numba compiles ``fn``'s own source (called by helpers' overloads)."""
    numba_overload(fn, strict=False)(_itself(fn))
    return fn


def runtime_helper(fn=None, *, overload=None, jit=False, of=None):
    """Declare ``fn`` a helper generated code may call by its name.

    ``overload``: its Numba overload (or declare one with :func:`numba_overload`);
    ``jit=True``: Numba compiles ``fn`` itself; ``of``: the function whose
    derivative calls it, named in the error when a second derivative meets it
    and it has no rule.
    """
    def deco(fn):
        name = fn.__name__
        known = HELPERS.get(name)
        if known is not None and known.fn is not fn:
            raise ValueError(f"two runtime helpers named {name!r}: "
                             f"{known.module} and {fn.__module__}")
        HELPERS[name] = Helper(fn, name, fn.__module__, of=of)
        if jit:
            jitable(fn)
        if overload is not None:
            numba_overload(fn)(overload)
        return fn
    return deco if fn is None else deco(fn)


def helper_named(name: str):
    """The helper generated code calls ``name`` (``None`` if there is none)."""
    h = HELPERS.get(name)
    return None if h is None else h.fn


def helper_name(fn) -> str | None:
    """The name generated code calls the helper ``fn`` by (``None``: not a helper)."""
    h = HELPERS.get(getattr(fn, "__name__", None))
    return h.name if h is not None and h.fn is fn else None


def helper_of(fn) -> str | None:
    """The function whose derivative calls the helper ``fn`` (if declared)."""
    h = HELPERS.get(getattr(fn, "__name__", None))
    return h.of if h is not None and h.fn is fn else None


def helper_names() -> set:
    return set(HELPERS)


def helper_modules() -> dict:
    """``{module: [helper names]}`` (sorted: generated modules do not depend on
    the order the helpers' modules were imported in)."""
    modules: dict = {}
    for h in sorted(HELPERS.values(), key=lambda h: (h.module, h.name)):
        modules.setdefault(h.module, []).append(h.name)
    return modules


def declaring_files() -> list:
    """The source files that declare helpers or overloads (sorted): what
    compiled code calling them depends on."""
    import sys
    modules = {h.module for h in HELPERS.values()}
    modules |= {getattr(fn, "__module__", None) for _, fn, _ in OVERLOADS}
    files = {getattr(sys.modules.get(m), "__file__", None) for m in modules}
    return sorted(f for f in files if f)


def install_numba_overloads(target: str = "generic", jit_options: dict | None = None):
    """Give Numba the overloads declared so far (each once per ``target``; a
    no-op without Numba).  ``target="cpu"`` with ``jit_options={"cache": True}``
    is what the CPU backends install: Numba then keeps the overloads' machine
    code on disk (where is the backend's choice: a cache locator); other
    targets get the generic overloads, compiled in each process."""
    done = _installed.get(target, 0)
    if done == len(OVERLOADS):
        return
    try:
        from numba.extending import overload
    except ImportError:  # the "python" target works without Numba
        return
    while done < len(OVERLOADS):
        fn, overload_fn, options = OVERLOADS[done]
        done += 1
        _installed[target] = done
        overload(fn, target=target, jit_options=dict(jit_options or {}),
                 **options)(_named(overload_fn, getattr(fn, "__name__", "overload")))


def _named(overload_fn, owner: str):
    """``overload_fn`` with each implementation it returns named after the
    function it implements and the line it is written on.

    Numba names compiled code by module, qualified name, argument types and a
    number counted in the process that compiled it: two closures named
    ``_.<locals>.impl`` (two helpers' overloads in one module), compiled for
    the same types by two processes that happened to count alike, are one
    name to the linker once both are loaded from the cache, and the second
    caller runs the first one's code (numba/numba#10486). Named apart, they
    cannot meet."""
    @functools.wraps(overload_fn)
    def named(*args, **kwargs):
        impl = overload_fn(*args, **kwargs)
        code = getattr(impl, "__code__", None)
        if code is not None and "<locals>" in getattr(impl, "__qualname__", ""):
            impl.__qualname__ = f"{owner}_{impl.__name__}_{code.co_firstlineno}"
        return impl
    return named
