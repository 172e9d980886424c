"""The one-call native path of a compiled function: arguments the trampoline cannot take
as they are (Python numbers, lists, strided, Fortran-order, unaligned or byte-swapped
arrays, keywords, defaults) are converted and give the same results; updates land in the
shared variables; errors name the input or the node."""
import threading

import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph import In, function, shared


def _unaligned(values):
    raw = np.zeros(len(values) * 8 + 1, dtype=np.uint8)
    view = np.ndarray((len(values),), np.float64, raw.data, 1)
    assert not view.flags.aligned
    view[...] = values
    return view


@pytest.fixture
def f():
    x = T.dvector("x")
    y = T.dscalar("y")
    return function([x, In(y, value=2.0)], x * y)


def test_is_one_native_call(f):
    assert f._fast is not None
    assert len(f._program.stages) == 1


@pytest.mark.parametrize("make", [
    lambda v: v,
    lambda v: list(v),
    lambda v: np.repeat(v, 2)[::2],
    lambda v: np.asfortranarray(v),
    lambda v: v.astype(">f8"),
    lambda v: v.astype(np.int32),
    _unaligned,
])
def test_arguments_are_converted(f, make):
    v = np.array([1.0, -2.0, 3.0])
    arg = make(v)
    np.testing.assert_array_equal(f(arg, 3.0), v * 3.0)
    np.testing.assert_array_equal(f(arg), v * 2.0)
    np.testing.assert_array_equal(f(x=arg, y=0.5), v * 0.5)


def test_errors_name_input_and_node(f):
    with pytest.raises(TypeError, match=r"input 0 \('x'\)"):
        f(np.zeros((2, 2)))
    v32 = T.fvector("v")
    h = function([v32], v32 * 2)
    with pytest.raises(TypeError, match="allow_input_downcast"):
        h(np.zeros(3))
    a, b = T.dvectors("a", "b")
    g = function([a, b], a + b)
    with pytest.raises(ValueError, match=r"Elemwise\{add\}.*\(3,\), \(4,\)"):
        g(np.zeros(3), np.zeros(4))


def test_updates_in_the_native_path():
    state = shared(np.zeros(2), name="state")
    inc = T.dvector("inc")
    acc = function([inc], [state, state * 2], updates=[(state, state + inc)])
    assert acc._fast is not None
    out, twice = acc(np.ones(2))
    np.testing.assert_array_equal(out, [0, 0])
    np.testing.assert_array_equal(state.get_value(), [1, 1])
    out, twice = acc([2.0, 3.0])
    np.testing.assert_array_equal(out, [1, 1])
    np.testing.assert_array_equal(twice, [2, 2])
    np.testing.assert_array_equal(state.get_value(), [3, 4])


def test_results_do_not_alias_state_or_inputs():
    s = shared(np.arange(3.0))
    x = T.dvector("x")
    g = function([x], [x, s, s.T])
    arr = np.ones(3)
    outs = g(arr)
    assert not np.shares_memory(outs[0], arr)
    assert not any(np.shares_memory(o, s.get_value(borrow=True)) for o in outs[1:])
    assert not np.shares_memory(outs[1], outs[2])


def test_four_threads_at_once():
    x = T.dmatrix("x")
    g = function([x], T.tanh(x).sum(axis=1))
    errors = []

    def worker(seed):
        rng = np.random.RandomState(seed)
        for _ in range(100):
            v = rng.rand(5, 7)
            if not np.allclose(g(v), np.tanh(v).sum(axis=1)):
                errors.append(seed)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    _ = jitgraph
