"""``target="parallel"`` without a batch (SPEC section 2): the outermost loops
whose iterations are independent run as ``prange`` (passes/parallel_loops.py);
the others stay ``range``.  Results agree with the ``cpu`` target up to the
order of the sums, and with finite differences."""
import math
import os
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

import sourcediff as sd
from sourcediff.passes.parallel_loops import prange_source


def logistic_loss(w, X, y):
    n, d = X.shape
    s = 0.0
    for i in range(n):
        z = 0.0
        for j in range(d):
            z += X[i, j] * w[j]
        s += math.log(1.0 + math.exp(-y[i] * z))
    return s / n


def mapped_then_summed(x, a):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            t = math.sin(a * x[i])
        else:
            t = a * x[i]
        out[i] = t * t
    total = 0.0
    for i in range(x.shape[0]):
        total += out[i] * x[i]
    return total


def recurrence(x, a):
    h = 0.0
    for i in range(x.shape[0]):
        h = math.tanh(a * h + x[i])
    return h


def sines_and_cosines(x, c):
    # dc is added to twice per iteration: Numba's parfor reductions refused it
    # ("use of reduction variable 'dc' other than in a supported reduction function")
    s = 0.0
    for v in x:
        s += math.sin(v * c) + math.cos(v * c)
    return s


def rolled_steps(u0, vel, c):
    # Numba's array analysis (parallel=True) asserts at run time that `up` and `u`
    # have one size, misled by the placeholder before the loop: the serial compile
    # runs instead (a RuntimeWarning says so)
    u = u0.copy()
    vf = vel * 0.5
    for it in range(3):
        up = np.roll(u, -1)
        dr = up - u
        u = u - c * dr * vf
    return np.sum(u * u)


def _data():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 4))
    return rng.standard_normal(4) * 0.3, X, np.sign(rng.standard_normal(300))


CASES = [
    (logistic_loss, _data, 0),
    (mapped_then_summed, lambda: (np.random.default_rng(6).standard_normal(500), 1.3), (0, 1)),
    (recurrence, lambda: (np.random.default_rng(7).standard_normal(50) * 0.5, 0.7), (0, 1)),
    (sines_and_cosines, lambda: (np.random.default_rng(9).standard_normal(200), 0.7), (0, 1)),
    (rolled_steps, lambda: (np.random.default_rng(10).standard_normal(16), np.ones(16), 0.3),
     (0, 1, 2)),
]


@pytest.mark.filterwarnings("ignore:target='parallel'.*runs serially:RuntimeWarning")
@pytest.mark.parametrize("f, make, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_parallel_agrees_with_cpu_and_finite_differences(f, make, wrt):
    args = make()
    value, grads = sd.value_and_grad(f, wrt=wrt, target="parallel")(*args)
    ref_value, ref_grads = sd.value_and_grad(f, wrt=wrt)(*args)
    assert value == pytest.approx(ref_value, rel=1e-12)
    for g, r in zip(grads if isinstance(wrt, tuple) else (grads,),
                    ref_grads if isinstance(wrt, tuple) else (ref_grads,)):
        np.testing.assert_allclose(g, r, rtol=1e-11, atol=1e-14)
    check_grad(f, args, wrt=wrt, target="parallel")


def test_what_runs_in_parallel():
    g = sd.value_and_grad(logistic_loss, target="parallel")
    g(*_data())
    grad = g.source[g.source.index("def logistic_loss_grad"):]
    # the fused loop over rows: chunks, each with its own part of s and dw
    assert "for _chunk in prange(_chunks):" in grad
    assert "dw_part[j] += " in grad and "dw += dw_part" in grad and "s += s_part" in grad
    g = sd.value_and_grad(recurrence, wrt=(0, 1), target="parallel")
    g(np.ones(3), 0.5)
    assert "prange" not in g.source          # each step reads the last one's h
    # what `sourcediff show --target parallel` prints, without compiling
    shown = sd.grad(mapped_then_summed, wrt=(0, 1), target="parallel").source_for(
        np.ones(4), 1.0)
    assert "for i in prange(x.shape[0]):" in shown


def test_jvp_on_the_parallel_target():
    x = np.random.default_rng(8).standard_normal(200)
    v, t = sd.jvp(mapped_then_summed, wrt=0, target="parallel")(x, 1.3, np.ones_like(x))
    rv, rt = sd.jvp(mapped_then_summed, wrt=0)(x, 1.3, np.ones_like(x))
    assert v == pytest.approx(rv, rel=1e-12) and t == pytest.approx(rt, rel=1e-12)


# -- the decision, on generated-looking functions (no compiling) -------------
def _decide(text):
    return prange_source(textwrap.dedent(text))


def test_private_temporaries_and_index_writes_are_parallel():
    out = _decide("""
        def f(x, out):
            s = 0.0
            for i in range(1, x.shape[0]):
                if x[i] > 0.0:
                    t = x[i]
                else:
                    t = -x[i]
                out[i] = t * 2.0
                s += t
            return s
        """)
    assert "for i in prange(1, x.shape[0]):" in out and "its sums (s)" in out


SERIAL = {
    "reads what the last iteration wrote": "out[i + 1] = out[i] * 2.0",
    "a number carried from the last iteration": "t = t * x[i]\nout[i] = t",
    "leaves the loop": "out[i] = x[i]\nif x[i] > 9.0:\n    break",
    "a list tape (a call that writes)": "tape.append(x[i])",
    "two operators into one sum": "s -= x[i]\ns += x[i] * x[i]",
    "a view of a shared array": "v = out[1:]\nv[i] = x[i]",
    "a generated helper (it may write)": "out[i] = helper(x[i])",
    "one generator shared by threads": "out[i] = np.random.normal()",
    "an element of another iteration": "out[0] += x[i]\nout[i] = out[0]",
}


@pytest.mark.parametrize("body", SERIAL.values(), ids=SERIAL.keys())
def test_dependent_or_unknown_loops_stay_serial(body):
    text = ("def f(x, out, tape, helper):\n    s = 0.0\n    t = 1.0\n"
            "    for i in range(x.shape[0]):\n" + textwrap.indent(body, " " * 8) +
            "\n    return s + t\n")
    assert "prange" not in prange_source(text), text


def test_a_temporary_read_after_the_loop_keeps_it_serial():
    out = _decide("""
        def f(x, out):
            for i in range(x.shape[0]):
                t = x[i] * 2.0
                out[i] = t
            return t
        """)
    assert "prange" not in out


def test_generated_source_matches_golden():
    """The parallel adjoint users read (regenerate with SOURCEDIFF_REGEN_GOLDEN=1
    and review the diff)."""
    g = sd.value_and_grad(logistic_loss, target="parallel")
    g(*_data())
    text = g.source.split("\n", 1)[1]          # the first line names this file's path
    path = Path(__file__).parent.parent / "golden" / "parallel_logistic_loss.py"
    if os.environ.get("SOURCEDIFF_REGEN_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), "generated source changed; review and regenerate"


# -- the decision's soundness, on random loops (python target, no compiling) --
# A loop taken as independent must give the same results with its iterations
# run in any order: the generated python source, with the taken loops' ranges
# run backwards (chunks too), against the python target itself.
STATEMENTS = [
    "out[i] = t * t",
    "out[i] += a * x[i]",
    "s += t * x[i]",
    "acc[i % 3] += t",
    "acc[0] += out[i] * t",
    "if x[i] > 0.0:\n    v = t\nelse:\n    v = -t\ns += v * v",
    "out[i + 1] = out[i] + t",           # reads what the last iteration wrote
    "c = c * 0.5 + t",                   # carried
    "s += out[i - 1] * t",               # reads another iteration's element
    "r = x[i] * w[i % 3]\nfor j in range(3):\n    acc[j] += r * w[j]",
    "if t > 0.5:\n    q = t * t\n    out[i] = q",
]


def _program(chosen):
    body = "\n".join(chosen)
    return ("import math\nimport numpy as np\n\n\n"
            "def f(x, w, a):\n"
            "    n = x.shape[0] - 1\n"
            "    out = np.zeros(n + 1)\n"
            "    acc = np.zeros(3)\n"
            "    s = 0.0\n"
            "    c = 1.0\n"
            "    for i in range(n):\n"
            "        t = math.sin(a * x[i]) + x[i + 1]\n"
            + textwrap.indent(body, " " * 8) + "\n"
            "    return s + c + np.sum(out * out) + np.sum(acc * w)\n")


def _backwards(*args):
    return list(range(*args))[::-1]


@pytest.mark.parametrize("seed", range(24))
def test_taken_loops_do_not_depend_on_the_order(seed, tmp_path):
    import importlib.util
    rng = np.random.default_rng(seed)
    chosen = [STATEMENTS[k] for k in rng.choice(len(STATEMENTS), size=rng.integers(1, 5),
                                                replace=False)]
    path = tmp_path / f"par_random_{seed}.py"
    path.write_text(_program(chosen))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = (rng.standard_normal(9), rng.standard_normal(3), 0.7)
    g = sd.value_and_grad(module.f, wrt=(0, 1, 2), target="python")
    value, grads = g(*args)
    text = g.source_for(*args)
    pieces = text.split("\ndef ")
    text = "\ndef ".join([pieces[0]] + [prange_source("def " + p).removeprefix("def ")
                                         for p in pieces[1:]])
    namespace = {"prange": _backwards}
    exec(compile(text, str(path), "exec"), namespace)  # noqa: S102
    value2, grads2 = namespace["f_grad"](*args)
    assert value2 == pytest.approx(value, rel=1e-12, abs=1e-12), text
    for a, b in zip(grads2, grads):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12, err_msg=text)


def test_a_loop_left_serial_says_why():
    """Each outermost loop tried and left ``range`` carries a ``# serial:`` line
    (a new user read no reason for a gradient's pair loop staying serial)."""
    text = textwrap.dedent('''
        def f(x, n):
            s = 0.0
            for t in range(n):
                s = s * 0.5 + x[0]
            for i in range(n):
                if x[i] > 1.0:
                    break
            for i in range(n - 1, -1, -1):
                x[i] += 1.0
            for i in range(n):
                x[i] = x[i] * 2.0
            return s
    ''').strip()
    out = prange_source(text)
    assert "# serial: 's' goes from one iteration to the next" in out
    assert "# serial: it may leave early" in out
    assert "# serial: not a range with step 1" in out
    assert "# parallel: the iterations are independent\n    for i in prange(n):" in out
    compile(out, "<parallel>", "exec")
