"""Canonicalize: each simplification's graph before and after, results unchanged against
the unoptimized graph (FAST_RUN and FAST_COMPILE), and what it must leave alone."""
import numpy as np
import pytest

import jitgraph as theano
import jitgraph.tensor as T
from jitgraph import function
from jitgraph.compile.mode import Mode
from jitgraph.graph.basic import Constant, graph_inputs
from jitgraph.graph.fg import FunctionGraph
from jitgraph.printing import pp
from jitgraph.rewrite.canonicalize import canonicalize
from jitgraph.scalar.basic import Cast
from jitgraph.tensor.elemwise import DimShuffle, Elemwise
from jitgraph.tensor.shape import Reshape
from jitgraph.tensor.subtensor import Subtensor

UNOPTIMIZED = Mode(linker="py", optimizer=None)
RNG = np.random.RandomState(42)


def op_names(fg):
    return sorted(str(n.op) for n in fg.apply_nodes)


def assert_same_results(inputs, outputs, values):
    single = not isinstance(outputs, list)
    expected = function(inputs, outputs, mode=UNOPTIMIZED)(*values)
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        got = function(inputs, outputs, mode=mode)(*values)
        for g, e in zip([got] if single else got, [expected] if single else expected):
            np.testing.assert_allclose(g, e, rtol=1e-12)
            assert np.asarray(g).dtype == np.asarray(e).dtype


def mat(shape=(3, 4), low=-2, high=2):
    return RNG.uniform(low, high, shape)


x = T.dmatrix("x")
v = T.dvector("v")
i = T.imatrix("i")
b = T.bmatrix("b")
r = T.drow("r")
s = T.dtensor3("s")
fixed = T.dmatrix("fixed", shape=(3, 4))

# (id, inputs, expression, op names after canonicalize, input values)
CASES = [
    ("x*1", [x], x * 1, [], [mat()]),
    ("1*x*1", [x], 1 * x * 1.0, [], [mat()]),
    ("x*1*x", [x], x * 1 * x, ["Elemwise{mul}"], [mat()]),
    ("int*1.0 casts", [i], i * 1.0, ["Elemwise{cast_float64}"], [np.arange(12, dtype="int32").reshape(3, 4)]),
    ("x+0", [x], 0 + x + 0, [], [mat()]),
    ("x-0", [x], x - 0, [], [mat()]),
    ("x/1", [x], x / 1, [], [mat()]),
    ("x**1", [x], x ** 1, [], [mat()]),
    ("x**0", [x], x ** 0, ["DimShuffle{x,x}", "Elemwise{second}"], [mat()]),
    ("x-x", [x], x - x, ["DimShuffle{x,x}", "Elemwise{second}"], [mat()]),
    ("int x-x", [i], i - i, ["DimShuffle{x,x}", "Elemwise{second}"], [np.arange(12, dtype="int32").reshape(3, 4)]),
    ("x/x", [x], x / x, ["DimShuffle{x,x}", "Elemwise{second}"], [mat(low=0.5)]),
    ("--x", [x], -(-x), [], [mat()]),
    ("---x", [x], -(-(-x)), ["Elemwise{neg}"], [mat()]),
    ("--bool", [b], -(-T.cast(b, "bool")), ["Elemwise{cast_bool}", "Elemwise{cast_int8}"],
     [np.array([[0, 1], [2, 0]], dtype="int8")]),
    ("log(exp(x))", [x], T.log(T.exp(x)), [], [mat()]),
    ("exp(log(x))", [x], T.exp(T.log(x)),
     ["DimShuffle{x,x}", "DimShuffle{x,x}", "Elemwise{ge}", "Elemwise{switch}"], [mat()]),
    ("x.T.T", [x], x.T.T, [], [mat()]),
    ("dimshuffle chain", [x], x.dimshuffle(1, "x", 0).dimshuffle(2, 1, 0), ["DimShuffle{0,x,1}"], [mat()]),
    ("dimshuffle dropping", [r], r.dimshuffle("x", 0, 1).dimshuffle(2, 0), ["DimShuffle{1,x}"], [mat((1, 4))]),
    ("reshape of reshape", [x], x.reshape((12,)).reshape((2, 6)),
     [str(Reshape(2))], [mat()]),
    ("sum of x.T", [x], x.T.sum(axis=0), ["Sum{axis=[1]}"], [mat()]),
    ("sum over an added dim", [x], x.dimshuffle(0, "x", 1).sum(axis=1), [], [mat()]),
    ("sum of transposed tensor3", [s], s.dimshuffle(2, 0, 1).sum(axis=[0, 2]),
     ["Sum{axis=[1, 2]}"], [mat((2, 3, 4))]),
    ("max of dimshuffle keeps order", [s], s.dimshuffle(2, "x", 0, 1).max(axis=2),
     ["DimShuffle{1,x,0}", "Max{axis=[0]}"], [mat((2, 3, 4))]),
    ("int sum over added dim", [i], i.dimshuffle(0, "x", 1).sum(axis=1), ["Elemwise{cast_int64}"],
     [np.arange(12, dtype="int32").reshape(3, 4)]),
    ("static shape", [fixed], fixed.shape, [], [mat()]),
    ("static shape[1]", [fixed], fixed.shape[1] * 2, [], [mat()]),
    ("row shape[0]", [r], r.shape[0] + r.shape[1], ["Shape", "Subtensor{i}", "Elemwise{add}"], [mat((1, 5))]),
    ("cast to same dtype", [x], Elemwise(Cast("float64"))(x), [], [mat()]),
    ("useless fill", [x], T.fill(x, x + 1), ["DimShuffle{x,x}", "Elemwise{add}"], [mat()]),
    ("useless alloc", [v], T.alloc(v, v.shape[0]), [], [RNG.uniform(-1, 1, 4)]),
    ("x[:]", [x], Subtensor([("slice", False, False, False)])(x), [], [mat()]),
    ("x[0:, ::1]", [x], x[0:, ::1], [], [mat()]),
    ("fixed[:10]", [fixed], fixed[:10], [], [mat()]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_simplification(case):
    _, inputs, out, after, values = case
    fg = FunctionGraph(inputs, [out])
    before = op_names(fg)
    assert canonicalize(fg) > 0
    assert op_names(fg) == sorted(after) != before
    assert fg.outputs[0].type == out.type
    assert_same_results(inputs, out, values)


def test_sum_of_x_T_reads_x_directly():
    fg = FunctionGraph([x], [x.T.sum(axis=0)])
    canonicalize(fg)
    (node,) = fg.apply_nodes
    assert node.inputs[0] is fg.inputs[0]


def test_reshape_of_reshape_reads_the_original():
    fg = FunctionGraph([x], [x.reshape((12,)).reshape((2, 6))])
    canonicalize(fg)
    (node,) = fg.apply_nodes
    assert isinstance(node.op, Reshape) and node.inputs[0] is fg.inputs[0]


def test_static_shapes_become_constants():
    fg = FunctionGraph([fixed], [fixed.shape, fixed.shape[-1]])
    canonicalize(fg)
    assert fg.apply_nodes == set()
    assert fg.outputs[0].data.tolist() == [3, 4] and fg.outputs[0].dtype == "int64"
    assert int(fg.outputs[1].data) == 4


@pytest.mark.parametrize("build", [
    lambda: x * 2,                               # not a neutral constant
    lambda: x * T.constant(np.ones((3, 4))),    # ones that set the shape: dropping them changes the type
    lambda: x + T.constant(np.zeros((1, 4))),   # zeros broadcast over a non-broadcastable dim
    lambda: x - v,                              # different operands
    lambda: i // i,                             # Theano leaves integer division alone
    lambda: T.exp(x) * T.log(x),
    lambda: x.T,
    lambda: x.shape[0],                         # size unknown
    lambda: x[1:],
    lambda: x[:3],                              # size unknown: might cut
    lambda: fixed[:2],
    lambda: T.fill(x, v),                       # the value is broadcast: the fill does something
    lambda: T.alloc(v, 3, 4),
    lambda: T.alloc(v, 4),                      # v would lose the static size 4 the alloc gives
    lambda: T.cast(i, "float32"),
])
def test_left_alone(build):
    out = build()
    inputs = [w for w in graph_inputs([out]) if not isinstance(w, Constant)]
    fg = FunctionGraph(inputs, [out])
    before = op_names(fg)
    assert canonicalize(fg) == 0
    assert op_names(fg) == before


def test_fixed_point_with_constant_folding():
    # fill(x**2, 1.0) * 2 * x ** (2 - 1): the useless fill goes, 1.0 * 2 folds, x ** 1 goes
    y = T.dscalar("y")
    g = T.grad(y ** 2, y)
    fg = FunctionGraph([y], [g])
    canonicalize(fg)
    assert op_names(fg) == ["Elemwise{mul}"]
    (node,) = fg.apply_nodes
    const, var = node.inputs
    assert isinstance(const, Constant) and const.data == 2.0 and const.dtype == "float64"
    assert var is fg.inputs[0]


def test_pp_of_theano_gradient_example():
    """Theano's gradients page: pp of the optimized gradient of x**2 is (2.0 * x)."""
    xs = T.dscalar("x")
    gy = T.grad(xs ** 2, xs)
    f = theano.function([xs], gy)
    assert pp(f.maker.fgraph.outputs[0]) == "(TensorConstant{2.0} * x)"
    assert f(4) == 8.0
    f = theano.function([xs], gy, mode="FAST_COMPILE")
    assert pp(f.maker.fgraph.outputs[0]) == "(TensorConstant{2.0} * x)"
    # the graph as built is untouched
    assert pp(gy) == ("((fill((x ** TensorConstant{2}), TensorConstant{1.0}) * TensorConstant{2}) "
                      "* (x ** (TensorConstant{2} - TensorConstant{1})))")


def test_exp_log_keeps_nan_for_negatives_and_special_values():
    f = function([v], T.exp(T.log(v)))
    values = np.array([-1.0, 0.0, 2.5, np.inf, np.nan, 1e-300])
    got = f(values)
    np.testing.assert_array_equal(np.isnan(got), [True, False, False, False, True, False])
    np.testing.assert_allclose(got[1:4], [0.0, 2.5, np.inf])
    assert got[5] == 1e-300       # exact, where exp(log(x)) would round


def test_results_through_gradients_unchanged():
    w = T.dmatrix("w")
    cost = T.sum(T.tanh(T.dot(x, w)) ** 2) + T.mean(x.T.sum(axis=0) * 1)
    g = T.grad(cost, [x, w])
    assert_same_results([x, w], g, [mat((3, 4)), mat((4, 2))])


def test_dimshuffle_node_count_in_a_chain():
    out = x.dimshuffle(1, 0).dimshuffle("x", 0, 1).dimshuffle(1, 2, 0)
    fg = FunctionGraph([x], [out])
    assert sum(isinstance(n.op, DimShuffle) for n in fg.apply_nodes) == 3
    canonicalize(fg)
    assert [str(n.op) for n in fg.apply_nodes] == ["DimShuffle{1,0,x}"]
    assert_same_results([x], out, [mat()])


def test_simplified_to_an_input_still_returns_a_new_array(mode):
    f = function([x], [x * 1, x[0:] + 0], mode=mode)
    assert f.maker.fgraph.toposort() == []
    a = mat()
    first, second = f(a)
    assert first is not a and not np.shares_memory(first, a) and not np.shares_memory(first, second)
    first[:] = 0
    np.testing.assert_array_equal(second, a)
