"""The ``sourcediff`` command (also ``python -m sourcediff``).

    sourcediff show MODULE:FUNC [--wrt ...] [--mode reverse|forward] [--args EXPR]
    sourcediff check MODULE:FUNC [--args EXPR] [--wrt ...] [--target ...]
    sourcediff bench [WORKLOAD ...] [--peers torch,jax,autograd] [--size ...] [--json F]
                     [--plot F.png]

Exit status: 0 on success, 1 when ``check`` finds a disagreement (or the
function cannot be differentiated), 2 on bad usage (unknown module, function,
workload, or an argument expression that does not evaluate).
"""

from __future__ import annotations

import argparse
import sys

from ._common import CliError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``sourcediff`` command."""
    from . import bench, check, show

    parser = argparse.ArgumentParser(
        prog="sourcediff",
        description="Source-transformation automatic differentiation for Python numeric "
                    "code: look at generated code, check gradients, run the benchmarks.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for module in (show, check, bench):
        module.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``sourcediff`` command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return args.run(args)
    except CliError as exc:
        print(f"sourcediff {args.command}: error: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
