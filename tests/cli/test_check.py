"""``sourcediff check``: exit 0 when the gradient matches finite differences, 1 when not."""

from .helpers import run_cli

FUNCS = "tests.cli.cli_funcs"


def test_check_agrees_on_a_correct_function_at_a_random_point():
    done = run_cli("check", f"{FUNCS}:weighted_sines", "--wrt", "x,w")  # target cpu
    assert done.returncode == 0, done.stdout + done.stderr
    assert "agrees with central finite differences" in done.stdout
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    assert lines["x"].endswith("ok") and lines["w"].endswith("ok")


def test_check_at_given_arguments():
    done = run_cli("check", "tests/cli/cli_funcs.py:tanh_norm", "--args",
                   "np.linspace(-1.0, 2.0, 6).reshape(2, 3)", "--target", "python")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "x = float64[2, 3]" in done.stdout


def test_check_exits_1_on_a_wrong_gradient():
    done = run_cli("check", f"{FUNCS}:uses_wrong_rule", "--args", "np.linspace(0.1, 1.0, 4), 2.0",
                   "--wrt", "0,1", "--target", "python")
    assert done.returncode == 1, done.stdout + done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    assert rows["x"].endswith("DISAGREE")  # the wrong rule is on x's path ...
    assert rows["w"].endswith("ok")  # ... not on w's
    assert "DISAGREES" in done.stdout


def test_check_bad_arguments_are_usage_errors():
    done = run_cli("check", f"{FUNCS}:weighted_sines", "--args", "np.ones(3), 2.0")
    assert done.returncode == 2
    assert "takes 3 arguments" in done.stderr
    done = run_cli("check", f"{FUNCS}:weighted_sines", "--args", "np.ones(3), undefined_name, 3")
    assert done.returncode == 2
    assert "does not evaluate" in done.stderr
