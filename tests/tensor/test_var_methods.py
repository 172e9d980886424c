"""Theano's TensorVariable methods that forward to tensor functions."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T

CASES = [
    ("repeat", lambda x: x.repeat(2, axis=0), lambda a: a.repeat(2, axis=0)),
    ("cumsum", lambda x: x.cumsum(axis=1), lambda a: a.cumsum(axis=1)),
    ("cumprod", lambda x: x.cumprod(axis=0), lambda a: a.cumprod(axis=0)),
    ("diagonal", lambda x: x.diagonal(), lambda a: a.diagonal()),
    ("ravel", lambda x: x.ravel(), lambda a: a.ravel()),
    ("take", lambda x: x.take([2, 0], axis=1), lambda a: a.take([2, 0], axis=1)),
    ("nonzero", lambda x: x.nonzero()[1], lambda a: a.nonzero()[1]),
    ("squeeze", lambda x: x.dimshuffle(0, "x", 1).squeeze(), lambda a: a),
]


@pytest.mark.parametrize("name,sym,ref", CASES, ids=[c[0] for c in CASES])
def test_method_matches_numpy(name, sym, ref, mode):
    x = T.dmatrix("x")
    a = np.array([[1.0, 0.0, 2.5], [-1.0, 3.0, 0.0]])
    f = jitgraph.function([x], sym(x), mode=mode)
    np.testing.assert_array_equal(f(a), ref(a))
