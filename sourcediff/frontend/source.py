"""Read a function's source, parse it and collect the names it can see."""
from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass, field

from ..errors import SourceInfo, TransformError


@dataclass
class FunctionSource:
    """A user function ready for the passes: its ``FunctionDef``, where it
    came from, and the globals/closure values its names resolve to."""

    func: object
    tree: ast.FunctionDef
    info: SourceInfo
    namespace: dict = field(default_factory=dict)
    jit_options: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.tree.name

    @property
    def params(self) -> list[str]:
        return [a.arg for a in self.tree.args.args]


def unwrap(func):
    """The plain Python function behind a Numba dispatcher or an
    ``@sd.function`` object, and the jit options it was compiled with."""
    options = {}
    py_func = getattr(func, "py_func", None)
    if py_func is not None and hasattr(func, "targetoptions"):
        options = {k: v for k, v in dict(func.targetoptions).items()
                   if k in ("fastmath", "error_model", "boundscheck", "nogil")}
        func = py_func
    inner = getattr(func, "__sourcediff_function__", None)
    if inner is not None:
        func = inner
    return func, options


_CACHE: dict = {}


def get_source(func) -> FunctionSource:
    """Parse ``func`` into a :class:`FunctionSource`.

    Raises :class:`TransformError` when the source cannot be found (lambdas,
    functions typed at the prompt, builtins) or has unsupported arguments.
    """
    func, options = unwrap(func)
    if not inspect.isfunction(func):
        raise TypeError(f"sourcediff can only transform Python functions, got {func!r}")
    key = func
    code = func.__code__
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is code:
        return cached[1]
    filename = code.co_filename
    try:
        lines, start = inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        raise TransformError(f"cannot read the source of '{func.__name__}': {exc}",
                             filename, code.co_firstlineno, 0, "") from None
    raw = "".join(lines)
    dedented = textwrap.dedent(raw)
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    info = SourceInfo(filename, dedented.splitlines(), start - 1, indent, func.__name__)
    try:
        module = ast.parse(dedented)
    except SyntaxError as exc:
        raise TransformError(f"cannot parse the source of '{func.__name__}': {exc.msg}",
                             filename, (exc.lineno or 1) + start - 1, exc.offset or 0,
                             exc.text or "") from None
    tree = module.body[0] if module.body else None
    if isinstance(tree, ast.AsyncFunctionDef):
        raise info.error(tree, "cannot differentiate an 'async' function")
    if not isinstance(tree, ast.FunctionDef):
        raise TransformError(f"'{func.__name__}' is not defined by a 'def' statement "
                             "(lambdas are not supported)", filename, start, 0,
                             lines[0] if lines else "")
    _check_signature(tree, info)
    namespace = dict(func.__globals__)
    if func.__closure__:
        for name, cell in zip(code.co_freevars, func.__closure__):
            try:
                namespace[name] = cell.cell_contents
            except ValueError:
                pass
    tree.decorator_list = []
    src = FunctionSource(func, tree, info, namespace, options)
    _CACHE[key] = (code, src)
    return src


def _check_signature(tree: ast.FunctionDef, info: SourceInfo) -> None:
    args = tree.args
    if args.vararg is not None:
        raise info.error(args.vararg, "'*args' parameters are not supported")
    if args.kwarg is not None:
        raise info.error(args.kwarg, "'**kwargs' parameters are not supported")
    if args.kwonlyargs:
        raise info.error(args.kwonlyargs[0], "keyword-only parameters are not supported")
    if args.posonlyargs:
        raise info.error(args.posonlyargs[0], "positional-only parameters are not supported")
