"""Run a script in a process of its own compiling at Numba's default
optimization level (the suite compiles at ``NUMBA_OPT=0``: no vectorizer), for
tests that read optimized LLVM IR; the script prints one JSON line last."""
import json
import os
import subprocess
import sys
from pathlib import Path


def run_optimized(script: str, tmp_path_factory) -> dict:
    env = {**os.environ, "NUMBA_OPT": "3",
           "SOURCEDIFF_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
           "NUMBA_CACHE_DIR": str(tmp_path_factory.mktemp("numba"))}
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-c", script], check=False, env=env, cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])
