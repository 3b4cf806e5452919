"""Read a function's source, parse it and collect the names it can see."""
from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap
from dataclasses import dataclass, field

import numpy as np

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
    # keyword-only parameters, which ``tree`` lists after the others as ordinary
    # ones (a helper's call binds its keywords by name: resolve.positional_args)
    keyword_only: list = field(default_factory=list)

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
    resolved = referenced(func)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is code and cached[1] == resolved:
        return cached[2]
    filename = code.co_filename
    if func.__name__ == "<lambda>":
        src = _lambda_source(func, options)
        _CACHE[key] = (code, resolved, src)
        return src
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
    keyword_only = _check_signature(tree, info)
    tree.decorator_list = []
    src = FunctionSource(func, tree, info, _namespace(func), options, keyword_only)
    _CACHE[key] = (code, resolved, src)
    return src


def register_source(func, src: FunctionSource) -> None:
    """Give :func:`get_source` the parsed source of a function made by the
    passes (a local function lifted out of the one being differentiated)."""
    _CACHE[func] = (func.__code__, referenced(func), src)


def referenced_deep(func) -> tuple:
    """:func:`referenced` of ``func`` and of every Python function it reads,
    and those they read."""
    out, seen, todo = [], set(), [func]
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        out.append(referenced(f))
        values = [f.__globals__.get(name) for name in _names_read(f.__code__)]
        for cell in f.__closure__ or ():
            try:
                values.append(cell.cell_contents)
            except ValueError:
                pass
        for v in values:
            v = getattr(v, "__sourcediff_function__", None) or getattr(v, "py_func", v)
            if inspect.isfunction(v):
                todo.append(v)
    return tuple(out)


def _names_read(code) -> set:
    names, stack = set(), [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if inspect.iscode(k))
    return names


def referenced(func) -> tuple:
    """What the global and closure names ``func``'s code reads are bound to now
    (their ids). A parsed function keeps the values its names had when it was
    parsed; when one is rebound since (a helper defined again in a notebook
    cell), it is parsed again, so its gradient follows the helper it calls."""
    space = func.__globals__
    out = [_identity(space.get(n)) for n in sorted(_names_read(func.__code__))]
    for cell in func.__closure__ or ():
        try:
            out.append(_identity(cell.cell_contents))
        except ValueError:
            out.append(0)
    return tuple(out)


def _identity(value):
    """The id of ``value``; of an array, its values too (compiled code holds a
    global array's values: one changed in place is another array to it)."""
    if isinstance(value, np.ndarray):
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return (id(value), value.dtype.str, value.shape, digest)
    return id(value)


def _namespace(func) -> dict:
    """The globals and closure values the function's names resolve to."""
    namespace = dict(func.__globals__)
    if func.__closure__:
        for name, cell in zip(func.__code__.co_freevars, func.__closure__):
            try:
                namespace[name] = cell.cell_contents
            except ValueError:
                pass
    return namespace


def _lambda_source(func, options) -> FunctionSource:
    """A lambda as ``def <name>(args): return <body>``.

    The lambda is found in its file's AST by its line, its parameter names
    and the source positions of its code; it is named after the variable it
    is assigned to (``g = lambda x: ...`` -> ``g``) or ``lambda_<line>``."""
    import linecache
    code = func.__code__
    filename = code.co_filename
    first = code.co_firstlineno
    all_lines = linecache.getlines(filename)
    problem = None
    candidates = []
    if not all_lines:
        problem = "its source file cannot be read"
    else:
        try:
            module = ast.parse("".join(all_lines))
        except SyntaxError:
            module = None
            problem = "its file cannot be parsed"
        if module is not None:
            params = list(code.co_varnames[:code.co_argcount])
            # spans of the lambda's instructions (a zero-width span marks none)
            positions = [(ln, col) for ln, end, col, end_col in code.co_positions()
                         if None not in (ln, end, col, end_col) and (end, end_col) > (ln, col)]
            parent_name = {}
            for node in ast.walk(module):
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda) and \
                        len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    parent_name[id(node.value)] = node.targets[0].id
            for node in ast.walk(module):
                if isinstance(node, ast.Lambda) and node.lineno == first and \
                        [a.arg for a in node.args.args] == params:
                    candidates.append(node)
            if len(candidates) > 1:
                def inside(lam):
                    b = lam.body
                    return all((b.lineno, b.col_offset) <= p <= (b.end_lineno, b.end_col_offset)
                               for p in positions)
                candidates = [c for c in candidates if inside(c)]
            if len(candidates) != 1:
                problem = "it cannot be told apart from the other lambdas on its line"
    if problem is not None:
        raise TransformError(f"cannot read the source of a lambda: {problem}; define it with "
                             "'def'", filename, first, 0,
                             all_lines[first - 1] if len(all_lines) >= first else "")
    lam = candidates[0]
    name = parent_name.get(id(lam), f"lambda_{first}")
    ret = ast.Return(value=lam.body)
    ast.copy_location(ret, lam.body)
    tree = ast.FunctionDef(name=name, args=lam.args, body=[ret], decorator_list=[],
                           returns=None, type_comment=None, type_params=[])
    ast.copy_location(tree, lam)
    tree.end_lineno, tree.end_col_offset = lam.end_lineno, lam.end_col_offset
    # positions relative to the lambda's first line, like a function's source
    ast.increment_lineno(tree, -(first - 1))
    lines = [ln.rstrip("\n") for ln in all_lines[first - 1:lam.end_lineno]]
    info = SourceInfo(filename, lines, first - 1, 0, name)
    keyword_only = _check_signature(tree, info)
    return FunctionSource(func, tree, info, _namespace(func), options, keyword_only)


def _check_signature(tree: ast.FunctionDef, info: SourceInfo) -> list:
    """Refuses the parameters the passes cannot take; keyword-only ones become
    ordinary parameters after the others (their nodes are returned)."""
    args = tree.args
    if args.vararg is not None:
        raise info.error(args.vararg, "'*args' parameters are not supported")
    if args.kwarg is not None:
        raise info.error(args.kwarg, "'**kwargs' parameters are not supported")
    if args.posonlyargs:
        raise info.error(args.posonlyargs[0], "positional-only parameters are not supported")
    keyword_only = list(args.kwonlyargs)
    if keyword_only:
        defaults = args.defaults + args.kw_defaults
        args.args = args.args + keyword_only
        args.defaults = defaults if None not in args.kw_defaults else []
        args.kwonlyargs, args.kw_defaults = [], []
    return keyword_only
