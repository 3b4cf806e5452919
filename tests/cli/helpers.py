"""Running the ``sourcediff`` command (or a script) in a subprocess, from the repository root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def run_cli(*args: str, prelude: str | None = None, timeout: float = 300.0):
    """``python -m sourcediff ARGS`` (or, with ``prelude``, that Python code first and then
    the CLI's ``main``) in the repository root; returns the CompletedProcess."""
    env = _env()
    if prelude is None:
        command = [sys.executable, "-m", "sourcediff", *args]
    else:
        code = (f"{prelude}\nimport sys\nfrom sourcediff.cli import main\n"
                f"sys.exit(main({list(args)!r}))")
        command = [sys.executable, "-c", code]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def run_script(path: str, *args: str, timeout: float = 300.0):
    """``python PATH ARGS`` (``PATH`` relative to the repository root), run there."""
    return subprocess.run([sys.executable, str(REPO_ROOT / path), *args], cwd=REPO_ROOT,
                          env=_env(), capture_output=True, text=True, timeout=timeout,
                          check=False)
