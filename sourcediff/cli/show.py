"""``sourcediff show MODULE:FUNC``: print the generated source."""

from __future__ import annotations

import argparse
import sys

from ._common import CliError, eval_args, load_function, parse_wrt, wrt_indices


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "show", help="print the generated source of a function's derivative",
        description="Print the module sourcediff generates for MODULE:FUNC: the primal copy "
                    "and the adjoint (reverse mode) or the JVP (forward mode). Argument types "
                    "are guessed from the source unless --args gives example arguments.")
    parser.add_argument("function", metavar="MODULE:FUNC",
                        help="dotted module or path to a .py file, then the function's name")
    parser.add_argument("--wrt", help="parameters to differentiate with respect to: indices "
                                      "or names, comma-separated (default: the first)")
    parser.add_argument("--mode", choices=("reverse", "forward"), default="reverse")
    parser.add_argument("--target", default="cpu", help="cpu (default), parallel or python")
    parser.add_argument("--args", metavar="EXPR",
                        help='example arguments for the types, e.g. "np.ones(5), 2.0" '
                             "(evaluated with numpy as np and math)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="syntax highlighting (auto: when stdout is a terminal)")
    parser.set_defaults(run=run)


def generated_source(func, wrt, mode: str, target: str, args: tuple | None) -> str:
    """The source sourcediff generates for ``func`` (nothing is compiled)."""
    import sourcediff as sd
    from sourcediff.errors import TransformError

    try:
        if mode == "forward":
            if not hasattr(sd, "jvp"):
                raise CliError("forward mode is not available in this version of sourcediff "
                               "(no sourcediff.jvp)")
            transform = sd.jvp(func, wrt=wrt, target=target)
            if args is not None:
                # a tangent like each differentiated argument
                positions = wrt_indices(wrt, func)
                tangent = tuple(args[k] for k in positions)
                return transform.source_for(*args, tangent if isinstance(wrt, tuple)
                                            else tangent[0])
        else:
            transform = sd.grad(func, wrt=wrt, target=target)
            if args is not None:
                return transform.source_for(*args)
        return transform.source
    except TransformError as exc:
        raise CliError(str(exc), status=1) from None
    except (TypeError, ValueError) as exc:
        hint = "" if args is not None else " (give example arguments with --args)"
        raise CliError(f"{exc}{hint}") from None


def print_source(source: str, color: str = "auto", stream=None) -> None:
    """Print ``source``, syntax-highlighted with rich or pygments (whichever is installed)
    when ``color`` is ``"always"``, or ``"auto"`` and the stream is a terminal."""
    stream = stream or sys.stdout
    if not source.endswith("\n"):
        source += "\n"
    if color == "always" or (color == "auto" and stream.isatty()):
        try:
            from rich.console import Console
            from rich.syntax import Syntax

            Console(file=stream, force_terminal=True).print(
                Syntax(source, "python", background_color="default"))
            return
        except ImportError:
            pass
        try:
            from pygments import highlight
            from pygments.formatters import TerminalFormatter
            from pygments.lexers import PythonLexer

            source = highlight(source, PythonLexer(), TerminalFormatter())
        except ImportError:
            pass
    stream.write(source)


def run(options: argparse.Namespace) -> int:
    func = load_function(options.function)
    wrt = parse_wrt(options.wrt, func)
    args = eval_args(options.args) if options.args is not None else None
    print_source(generated_source(func, wrt, options.mode, options.target, args), options.color)
    return 0
