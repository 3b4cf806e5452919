"""``sourcediff show``: the generated source, plain when piped; clear errors."""

import importlib.util

import pytest

import sourcediff as sd

from .helpers import run_cli

FUNCS = "tests.cli.cli_funcs"


def test_show_prints_the_adjoint_plain_when_piped():
    done = run_cli("show", f"{FUNCS}:weighted_sines", "--wrt", "x,w", "--target", "python")
    assert done.returncode == 0, done.stderr
    assert "def weighted_sines_grad(x, w, n):" in done.stdout
    assert "# weighted_sines:" in done.stdout  # comments quote the user's lines
    assert "\x1b[" not in done.stdout  # piped: no terminal colors


def test_show_a_file_path_with_example_arguments():
    done = run_cli("show", "tests/cli/cli_funcs.py:tanh_norm", "--args", "np.ones((2, 3))",
                   "--target", "python")
    assert done.returncode == 0, done.stderr
    assert "def tanh_norm_grad(x):" in done.stdout


def test_show_forward_mode():
    done = run_cli("show", f"{FUNCS}:weighted_sines", "--mode", "forward", "--wrt", "w",
                   "--target", "python")
    if hasattr(sd, "jvp"):
        assert done.returncode == 0, done.stderr
        assert "def weighted_sines_jvp(" in done.stdout
    else:
        assert done.returncode == 2
        assert "forward mode is not available" in done.stderr


@pytest.mark.skipif(not (importlib.util.find_spec("pygments") or importlib.util.find_spec("rich")),
                    reason="highlighting needs pygments or rich")
def test_show_color_always_highlights():
    done = run_cli("show", f"{FUNCS}:tanh_norm", "--color", "always", "--target", "python")
    assert done.returncode == 0, done.stderr
    assert "\x1b[" in done.stdout and "tanh_norm_grad" in done.stdout


@pytest.mark.parametrize("spec, message", [
    ("tests.cli.cli_funcs", "expected MODULE:FUNC"),
    ("no_such_module_here:f", "no module named 'no_such_module_here'"),
    (f"{FUNCS}:no_such_function", "has no attribute 'no_such_function'"),
    ("tests/cli/missing.py:f", "no such file"),
])
def test_bad_module_or_function_is_a_clear_error(spec, message):
    done = run_cli("show", spec)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_function_outside_the_subset_reports_where():
    done = run_cli("show", f"{FUNCS}:generator", "--target", "python")
    assert done.returncode == 1
    assert "cli_funcs.py:" in done.stderr and "yield" in done.stderr
    assert "Traceback" not in done.stderr
