"""The one Namer: each style the passes use, against a shared set of taken names."""
import math

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.names import Namer
from tests.fdcheck import check_grad


def test_fresh_adds_a_number_to_a_taken_base():
    taken = {"x", "x2"}
    namer = Namer(taken)
    assert [namer.fresh("x"), namer.fresh("x"), namer.fresh("y")] == ["x3", "x4", "y"]
    assert {"x3", "x4", "y"} <= taken            # the caller's set, not a copy
    assert Namer({"f", "f_2"}, sep="_").fresh("f") == "f_3"


def test_once_gives_the_same_name_per_key():
    namer = Namer({"_saved_t"})
    a = namer.once("_saved_t", ("saved", "t"))
    assert a == "_saved_t2" and namer.once("_saved_t", ("saved", "t")) == a
    assert namer.once("_saved_t", ("saved", "_t")) == "_saved_t3"


def test_numbered_counted_prefixed_and_groups():
    namer = Namer({"_c1", "x_v3", "_u2", "p_0", "_skip1"})
    assert [namer.numbered("_c"), namer.numbered("_c")] == ["_c2", "_c3"]
    assert [namer.numbered("x_v", 2), namer.numbered("x_v", 2)] == ["x_v2", "x_v4"]
    assert [namer.counted("_t"), namer.counted("_u"), namer.counted("_t")] == ["_t1", "_u3", "_t4"]
    assert [namer.prefixed("p_0"), namer.prefixed("p_0")] == ["_p_0", "__p_0"]
    assert namer.numbered_group(("_skip", "_n"), 1) == 2 and {"_skip2", "_n2"} <= namer.taken


def test_fresh_never_makes_a_keyword():
    assert Namer(set()).fresh("del") == "del2" and Namer(set()).fresh("def") == "def2"


def keyword_prefixes(el, ef, w):
    """Names that ``d`` turns into keywords: ``del``, ``def``."""
    a = el * w
    b = math.sin(ef) * a
    return b * b + a


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_variables_whose_adjoint_would_be_a_keyword(target):
    args = (0.3, 0.7, 1.3)
    check_grad(keyword_prefixes, args, wrt=(0, 1, 2), target=target)
    text = sd.grad(keyword_prefixes, wrt=(0, 1, 2), target="python").source_for(*args)
    assert "d_el" in text and "d_ef" in text
    # forward mode too
    _, tangent = sd.jvp(keyword_prefixes, wrt=0, target=target)(*args, 1.0)
    assert np.isclose(tangent, sd.grad(keyword_prefixes, wrt=0, target=target)(*args))
