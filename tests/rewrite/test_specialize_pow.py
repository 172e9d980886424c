"""x ** constant becomes sqr / sqrt / inv / a copy: graph before and after, same values."""
import numpy as np
import pytest

import jitgraph.tensor as T
from jitgraph import function
from jitgraph.graph.fg import FunctionGraph
from jitgraph.rewrite.specialize_pow import specialize_pow


@pytest.mark.parametrize("exponent,op,ref", [
    (2, "Elemwise{sqr}", np.square), (0.5, "Elemwise{sqrt}", np.sqrt),
    (-1, "Elemwise{inv}", np.reciprocal), (1, "Elemwise{identity}", lambda a: a),
])
def test_constant_exponents(exponent, op, ref):
    x = T.fmatrix("x")
    fg = FunctionGraph([x], [x ** exponent])
    assert "Elemwise{pow}" in {str(n.op) for n in fg.apply_nodes}
    assert specialize_pow(fg) == 1
    ops = {str(n.op) for n in fg.apply_nodes}
    assert op in ops and "Elemwise{pow}" not in ops
    f = function([x], x ** exponent)
    a = np.random.RandomState(0).uniform(0.5, 2, (3, 4)).astype("float32")
    np.testing.assert_allclose(f(a), ref(a), rtol=1e-6)
    assert f(a).dtype == np.float32


def test_other_exponents_and_integer_inverse_are_left_alone():
    x = T.dvector("x")
    i = T.ivector("i")
    p = T.dscalar("p")
    fg = FunctionGraph([x, i, p], [x ** 3, i ** -1, x ** p])
    assert specialize_pow(fg) == 0
