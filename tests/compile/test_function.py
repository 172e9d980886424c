"""function(): argument forms, givens, updates, defaults, copies, errors."""
import collections
import threading

import numpy as np
import pytest

import jitgraph as theano
import jitgraph.tensor as T
from jitgraph import In, Out, function, shared
from jitgraph.compile.function import MissingInputError, UnusedInputError


def test_single_output_vs_list(mode):
    x = T.dvector("x")
    assert isinstance(function([x], x * 2, mode=mode)([1.0]), np.ndarray)
    res = function([x], [x * 2], mode=mode)([1.0])
    assert isinstance(res, list) and len(res) == 1
    assert function([x], [], mode=mode, on_unused_input="ignore")([1.0]) == []


@pytest.mark.parametrize("form", ["list", "tuple", "dict", "ordered", "pair"])
def test_update_forms(form, mode):
    s = shared(np.float64(1.0))
    pair = (s, s * 3)
    updates = {"list": [pair], "tuple": (pair,), "dict": {s: s * 3},
               "ordered": collections.OrderedDict([pair]), "pair": pair}[form]
    f = function([], s, updates=updates, mode=mode)
    assert f() == 1.0
    assert s.get_value() == 3.0


@pytest.mark.parametrize("form", ["dict", "pairs", "flat"])
def test_givens_forms(form, mode):
    x = T.dscalar("x")
    v = shared(2.5)
    givens = {"dict": {x: v}, "pairs": [(x, v)], "flat": [x, v]}[form]
    assert function([], x * 2, givens=givens, mode=mode)() == 5.0


def test_updates_use_pre_call_values_and_apply_after_outputs(mode):
    a = shared(np.float64(1.0), name="a")
    b = shared(np.float64(10.0), name="b")
    f = function([], [a + b], updates=[(a, b), (b, a)], mode=mode)
    assert f()[0] == 11.0
    assert (a.get_value(), b.get_value()) == (10.0, 1.0)


def test_givens_slice_of_cast_shared_with_symbolic_index(mode):
    data = np.arange(40.0).reshape(20, 2)
    labels = np.arange(20.0)
    shared_x = shared(data)
    shared_y = T.cast(shared(labels), "int32")
    index = T.lscalar("index")
    x = T.matrix("x")
    y = T.ivector("y")
    batch = 5
    f = function([index], [x.sum(), y.sum()], mode=mode,
                 givens={x: shared_x[index * batch:(index + 1) * batch],
                         y: shared_y[index * batch:(index + 1) * batch]})
    sx, sy = f(1)
    assert sx == data[5:10].sum()
    assert sy == labels[5:10].sum()
    assert sy.dtype == np.int64  # sum of int32 -> int64, as Theano


def test_givens_value_is_cast_same_kind(mode):
    x = T.fvector("x")
    src = shared(np.array([1.5, 2.5]))       # float64 -> float32 is the same kind: cast
    f = function([], x * 2, givens={x: src}, mode=mode)
    out = f()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [3.0, 5.0])


def test_givens_value_of_other_kind_is_type_error():
    x = T.lvector("x")
    with pytest.raises(TypeError, match="T.cast"):
        function([], x * 2, givens={x: shared(np.array([1.5]))})


def test_givens_ndim_mismatch():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="dimension"):
        function([], x * 2, givens={x: shared(np.zeros((2, 2)))})


def test_given_replacing_explicit_input_is_error():
    x = T.dscalar("x")
    with pytest.raises(ValueError, match="explicit input"):
        function([x], x * 2, givens={x: shared(1.0)})


def test_update_type_errors():
    s = shared(np.zeros(3), name="s")
    with pytest.raises(TypeError, match="dimension"):
        function([], [], updates=[(s, T.dmatrix().sum(axis=0).sum())])
    i = shared(np.zeros(3, dtype="int64"), name="i")
    with pytest.raises(TypeError, match="i"):
        function([], [], updates=[(i, i * 1.5)])
    with pytest.raises(TypeError, match="not a shared variable"):
        function([], [], updates=[(T.dvector(), s)])
    with pytest.raises(ValueError, match="more than once"):
        function([], [], updates=[(s, s + 1), (s, s + 2)])


def test_update_of_same_kind_is_cast(mode):
    w = shared(np.ones(2, dtype="float32"), name="W")
    f = function([], [], updates=[(w, w * 0.1)], mode=mode)  # 0.1 is a float64 constant
    f()
    assert w.get_value().dtype == np.float32
    np.testing.assert_allclose(w.get_value(), [0.1, 0.1], rtol=1e-6)


def test_wrong_number_of_arguments():
    x, y = T.dscalars("x", "y")
    f = function([x, y], x + y, name="adder")
    with pytest.raises(TypeError, match="at most 2"):
        f(1, 2, 3)
    with pytest.raises(TypeError, match=r"missing input 1 \('y'\)"):
        f(1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        f(1, z=2)
    with pytest.raises(TypeError, match="multiple values"):
        f(1, 2, x=3)


def test_wrong_ndim_names_the_input():
    x = T.dmatrix("x")
    f = function([x], x * 2)
    with pytest.raises(TypeError, match=r"input 0 \('x'\).*expected 2 dimension"):
        f(np.zeros(3))


def test_lossy_dtype_conversion_is_type_error():
    x = T.fvector("x")
    f = function([x], x * 2)
    with pytest.raises(TypeError, match="allow_input_downcast"):
        f(np.zeros(3, dtype="float64"))
    assert function([x], x * 2, allow_input_downcast=True)(np.ones(3)).dtype == np.float32
    i = T.iscalar("i")
    g = function([i], i + 1)
    assert g(5) == 6
    with pytest.raises(TypeError, match="int32"):
        g(2 ** 40)
    with pytest.raises(TypeError):
        g(1.5)


def test_lossless_conversions_are_accepted(mode):
    x = T.dvector("x")
    f = function([x], x * 2, mode=mode)
    np.testing.assert_array_equal(f(np.array([1, 2], dtype="int32")), [2.0, 4.0])
    np.testing.assert_array_equal(f([1, 2]), [2.0, 4.0])
    s = T.fscalar("s")
    assert function([s], s * 2, mode=mode)(0.25) == 0.5   # a Python float into float32


def test_incompatible_runtime_shapes_name_the_node():
    x, y = T.dvectors("x", "y")
    f = function([x, y], x + y)
    with pytest.raises(ValueError, match="Elemwise{add}"):
        f(np.zeros(3), np.zeros(4))
    m = T.dmatrix("m")
    g = function([m, x], T.dot(m, x))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        g(np.zeros((2, 3)), np.zeros(4))


def test_unknown_keyword_to_function():
    x = T.dscalar()
    with pytest.raises(TypeError, match="bogus"):
        function([x], x, bogus=1)


def test_missing_input_names_variable():
    x, y = T.dscalars("x", "y")
    with pytest.raises(MissingInputError, match="needs y"):
        function([x], x + y)


def test_unused_input_policy():
    x, y = T.dscalars("x", "y")
    with pytest.raises(UnusedInputError, match="input 1"):
        function([x, y], x * 2)
    with pytest.warns(UserWarning):
        function([x, y], x * 2, on_unused_input="warn")
    assert function([x, y], x * 2, on_unused_input="ignore")(1, 2) == 2


def test_shared_variable_as_explicit_input_is_error():
    s = shared(1.0)
    with pytest.raises(TypeError, match="givens"):
        function([s], s * 2)


def test_outputs_never_alias_inputs_or_state(mode):
    x = T.dvector("x")
    s = shared(np.zeros(3))
    f = function([x], [x, x.T, s, x[1:]], mode=mode)
    arr = np.ones(3)
    outs = f(arr)
    for o in outs:
        assert not np.shares_memory(o, arr)
        assert not np.shares_memory(o, s.get_value(borrow=True))
    fb = function([x], Out(x * 2, borrow=True), mode=mode)
    assert fb(arr)[0] == 2


def test_function_copy_swap_and_delete_updates(mode):
    state = shared(0, name="state")
    inc = T.iscalar("inc")
    acc = function([inc], state, updates=[(state, state + inc)], mode=mode)
    new_state = shared(100, name="new_state")
    acc2 = acc.copy(swap={state: new_state})
    assert acc2(5) == 100
    assert new_state.get_value() == 105
    assert state.get_value() == 0
    acc3 = acc.copy(delete_updates=True)
    assert acc3(5) == 0
    assert state.get_value() == 0
    with pytest.raises(TypeError, match="type"):
        acc.copy(swap={state: shared(np.zeros(2))})


def test_maker_fgraph_is_available():
    x = T.dscalar("x")
    f = function([x], x * 2)
    fg = f.maker.fgraph
    assert len(fg.inputs) == 1 and len(fg.outputs) == 1
    assert fg.outputs[0].owner is not None


def test_concurrent_calls_from_threads(mode):
    x = T.dvector("x")
    f = function([x], (x * 2).sum(), mode=mode)
    errors = []

    def worker(k):
        for _ in range(50):
            v = np.full(100, float(k))
            if f(v) != 200.0 * k:
                errors.append(k)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_static_shape_is_checked_at_call():
    x = T.TensorType("float64", shape=(None, 3))("x")
    f = function([x], x.sum())
    assert f(np.ones((2, 3))) == 6
    with pytest.raises(ValueError, match="size 4"):
        f(np.ones((2, 4)))


def test_broadcastable_input_requires_size_one():
    r = T.drow("r")
    f = function([r], r * 2)
    with pytest.raises(ValueError, match="broadcastable"):
        f(np.ones((2, 3)))


def test_mode_names():
    x = T.dscalar()
    for m in ("FAST_RUN", "FAST_COMPILE", "DEBUG", "DebugMode", theano.Mode(linker="py")):
        assert function([x], x + 1, mode=m)(1) == 2
    with pytest.raises(ValueError, match="unknown mode"):
        function([x], x + 1, mode="TURBO")
