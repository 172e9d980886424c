"""shared(): values, borrow semantics, set_value checks."""
import numpy as np
import pytest

import jitgraph.tensor as T
from jitgraph import function, shared
from jitgraph.compile.sharedvalue import SharedVariable


def test_python_scalars_and_arrays():
    assert shared(0).dtype == "int64" and shared(0).ndim == 0
    assert shared(1.5).dtype == "float64"
    s = shared(np.zeros((1, 3), dtype="float32"), name="W")
    assert s.broadcastable == (False, False)       # Theano: never broadcastable by default
    assert s.name == "W" and s.dtype == "float32"
    assert shared(np.zeros((1, 3)), broadcastable=(True, False)).broadcastable == (True, False)


def test_copy_unless_borrow():
    arr = np.zeros(3)
    s = shared(arr)
    arr[0] = 5
    assert s.get_value()[0] == 0
    b = shared(arr, borrow=True)
    assert b.get_value(borrow=True) is arr
    v = s.get_value()
    v[1] = 7
    assert s.get_value()[1] == 0


def test_set_value_shape_may_change_dtype_may_not():
    s = shared(np.zeros(3), name="s")
    s.set_value(np.ones(5))
    assert s.get_value().shape == (5,)
    with pytest.raises(TypeError, match="set_value of shared variable s"):
        s.set_value(np.ones((2, 2)))
    i = shared(np.zeros(3, dtype="int32"), name="i")
    with pytest.raises(TypeError, match="losing information"):
        i.set_value(np.ones(3))
    f = shared(np.zeros(2, dtype="float32"))
    f.set_value(np.array([1, 2], dtype="int8"))   # lossless: accepted
    assert f.get_value().dtype == np.float32


def test_set_value_seen_by_compiled_functions():
    s = shared(np.float64(2.0))
    f = function([], s * 2)
    assert f() == 4
    s.set_value(5.0)
    assert f() == 10


def test_random_state_shared():
    rs = shared(np.random.RandomState(3))
    assert isinstance(rs, SharedVariable)
    got = rs.get_value()
    assert isinstance(got, np.random.RandomState)
    assert got.uniform() == np.random.RandomState(3).uniform()
    assert rs.get_value().uniform() == got.__class__(3).uniform()   # get_value returned a copy


def test_bad_values():
    with pytest.raises(TypeError, match="symbolic"):
        shared(T.dvector())
    with pytest.raises(TypeError, match="string"):
        shared(np.array(["a"]))
    with pytest.raises(TypeError, match="unexpected keyword"):
        shared(1.0, colour="red")
