"""Runtime helpers are declared once, with their Numba overload
(``sourcediff/runtime/declare.py``): the registry is what generated modules
import from, what names generated code keeps free, and what Numba is given."""
import subprocess
import sys

import numpy as np
import pytest

from sourcediff.runtime import declare


def test_import_does_not_import_numba():
    code = "import sys, sourcediff; assert 'numba' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_helpers_are_imported_from_where_they_are_declared():
    modules = declare.helper_modules()
    assert "reverse_cumsum" in modules["sourcediff.rules.cumulative"]
    assert "unbroadcast" in modules["sourcediff.runtime.helpers"]
    assert list(modules) == sorted(modules)
    assert declare.helper_names() >= {"reverse_cumsum", "unbroadcast", "mean_axis"}


def test_two_helpers_of_one_name_are_refused():
    def unbroadcast(g, x):
        return g
    with pytest.raises(ValueError, match="two runtime helpers named 'unbroadcast'"):
        declare.runtime_helper(unbroadcast)


def test_an_overload_declared_after_installation_is_installed_next_time():
    numba = pytest.importorskip("numba")
    declare.install_numba_overloads()

    @declare.runtime_helper(jit=True)
    def sd_test_twice_plus_one(x):
        return 2.0 * x + 1.0

    try:
        declare.install_numba_overloads()
        use = numba.njit(lambda x: sd_test_twice_plus_one(x))
        np.testing.assert_array_equal(use(np.arange(3.0)), [1.0, 3.0, 5.0])
    finally:
        del declare.HELPERS["sd_test_twice_plus_one"]


def test_unbroadcast_of_a_vector_onto_a_vector_compiled():
    """The vector-onto-vector overload (its own, cheaper to compile): ``g``
    itself when nothing is summed, the sum when the target has length 1, as the
    Python version (generated code treats the result as a view of ``g``); a copy
    where ``g``'s type is not a new array's (a strided view), so that one
    compiled function returns one type."""
    numba = pytest.importorskip("numba")
    import numpy as np

    from sourcediff.runtime.helpers import unbroadcast
    declare.install_numba_overloads()
    compiled = numba.njit(lambda g, x: unbroadcast(g, x))
    g = np.array([0.5, -1.0, 2.0])
    for x in (np.zeros(3), np.zeros(1)):
        out = compiled(g, x)
        np.testing.assert_array_equal(out, unbroadcast(g, x))
        assert out.shape == x.shape
        assert np.shares_memory(out, g) == (x.shape == g.shape) == np.shares_memory(
            unbroadcast(g, x), g)
    strided = np.arange(6.0)[::2]
    out = compiled(strided, np.zeros(3))
    np.testing.assert_array_equal(out, strided)
    assert not np.shares_memory(out, strided)
    assert compiled(g.astype(np.float32), np.zeros(1, np.float32)).dtype == np.float32


def test_the_cpu_overloads_machine_code_is_cached_under_the_runtime_digest():
    """The CPU backends install the overloads with Numba's cache on, located
    by :func:`cache_overloads` in a folder named by the runtime's digest (which
    covers every file declaring helpers, ``rules/cumulative.py`` included);
    a function of the user's keeps Numba's own cache locators."""
    numba = pytest.importorskip("numba")
    from numba.core import caching

    from sourcediff.backends.numba_cpu import cache_overloads, runtime_stamp
    from sourcediff.runtime.helpers import unbroadcast
    assert any(f.endswith("cumulative.py") for f in declare.declaring_files())
    folder = cache_overloads()
    assert folder.name == f"overloads_{runtime_stamp()[:16]}_opt{int(numba.config.OPT)}"
    declare.install_numba_overloads("cpu", {"cache": True})
    compiled = numba.njit(lambda g, x: unbroadcast(g, x))
    np.testing.assert_array_equal(compiled(np.ones(3), np.zeros(1)), [3.0])
    assert any(p.name.startswith("helpers.") and p.suffix == ".nbi" for p in folder.iterdir())

    def users_own(x):
        return x + 1.0
    impl = caching.CacheImpl._locator_classes[0]
    assert impl.from_function(users_own, __file__) is None
