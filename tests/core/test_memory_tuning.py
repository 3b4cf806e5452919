"""The allocator keeps freed tape memory (sourcediff/runtime/memory.py): set
before the first compiled function, and left alone when turned off."""
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

import sourcediff

CHECK = """
import ctypes, numpy as np, sourcediff as sd
from sourcediff.runtime import memory
def f(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s
g = sd.grad(f, target="cpu")(np.ones(3))
print(memory._done, g.tolist())
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="the setting is glibc's")
@pytest.mark.parametrize("setting,expected", [("1", "True"), ("0", "False")])
def test_set_once_a_function_is_compiled_unless_turned_off(setting, expected, tmp_path):
    script = tmp_path / "check.py"
    script.write_text(CHECK)
    package = str(Path(sourcediff.__file__).resolve().parents[1])
    env = {**os.environ, "SOURCEDIFF_MALLOC_TUNING": setting,
           "PYTHONPATH": os.pathsep.join([package, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, check=False,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [expected, "[2.0,", "2.0,", "2.0]"], out.stdout
