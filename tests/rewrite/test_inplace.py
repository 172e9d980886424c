"""The inplace pass: updates overwrite their shared variable, elementwise results overwrite
dead inputs; graphs before and after, orderings, and unchanged results."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph import function
from jitgraph.graph.fg import FunctionGraph
from jitgraph.rewrite.fusion import FusedElemwise
from jitgraph.rewrite.inplace import inplace
from jitgraph.tensor.blas import Gemm


def op_names(fg):
    return sorted(str(n.op) for n in fg.apply_nodes)


def sgd_graph(rng):
    """Two layers' SGD step: w2 is read forward and, through a view (w2.T), backward."""
    w1 = jitgraph.shared(rng.normal(size=(4, 3)), name="w1")
    w2 = jitgraph.shared(rng.normal(size=(3, 2)), name="w2")
    b = jitgraph.shared(rng.normal(size=3), name="b")
    x = T.dmatrix("x")
    h = T.tanh(T.dot(x, w1) + b)
    cost = (T.dot(h, w2) ** 2).sum()
    g1, g2, gb = T.grad(cost, [w1, w2, b])
    return [x], cost, w2, b, [(w1, w1 - 0.1 * g1), (w2, w2 - 0.1 * g2), (b, b - 0.1 * gb)]


def test_updates_overwrite_their_shared_variables_after_every_other_reader():
    rng = np.random.default_rng(0)
    inputs, cost, w, b, updates = sgd_graph(rng)
    f = function(inputs, cost, updates=updates)
    fg = f.maker.fgraph
    order = fg.toposort()
    w2_in, b_in = (next(v for v in fg.inputs if v.name == n) for n in ("w2", "b"))
    gemms = [n for n in order if isinstance(n.op, Gemm)]
    assert sorted(n.inputs[0].name for n in gemms) == ["w1", "w2"] and all(n.op.inplace for n in gemms)
    gemm = [n for n in gemms if n.inputs[0] is w2_in]
    bias = [n for n in order if isinstance(n.op, FusedElemwise) and b_in in n.inputs
            and n.op.inplace_input is not None]
    assert len(bias) == 1 and bias[0].inputs[bias[0].op.inplace_input] is b_in
    # every node reading w2 (directly or through w2.T) runs before the gemm overwrites it
    readers = {c for c, _ in fg.clients[w2_in] if c != "output"}
    readers |= {c for r in list(readers) for out in r.outputs for c, _ in fg.clients[out]
                if r.op.__class__.__name__ == "DimShuffle"}
    assert all(order.index(r) < order.index(gemm[0]) for r in readers - {gemm[0]})

    assert any(r.op.__class__.__name__ == "DimShuffle" for r in readers)
    w_storage, b_storage = w.get_value(borrow=True), b.get_value(borrow=True)
    inputs2, cost2, w2, b2, updates2 = sgd_graph(np.random.default_rng(0))
    ref = function(inputs2, cost2, updates=updates2, mode="FAST_COMPILE")
    xv = rng.normal(size=(5, 4))
    for _ in range(3):
        np.testing.assert_allclose(f(xv), ref(xv), rtol=1e-10)
    np.testing.assert_allclose(w.get_value(), w2.get_value(), rtol=1e-10)
    np.testing.assert_allclose(b.get_value(), b2.get_value(), rtol=1e-10)
    # the same buffers hold the new values: no new large buffer per step
    assert w.get_value(borrow=True) is w_storage and b.get_value(borrow=True) is b_storage


def test_debug_mode_checks_in_place_nodes_on_copies():
    rng = np.random.default_rng(1)
    inputs, cost, w, b, updates = sgd_graph(rng)
    f = function(inputs, cost, updates=updates, mode="DEBUG")
    inputs2, cost2, w2, b2, updates2 = sgd_graph(np.random.default_rng(1))
    ref = function(inputs2, cost2, updates=updates2, mode="FAST_COMPILE")
    xv = rng.normal(size=(5, 4))
    for _ in range(2):
        np.testing.assert_allclose(f(xv), ref(xv), rtol=1e-10)
    np.testing.assert_allclose(w.get_value(), w2.get_value(), rtol=1e-10)


def test_an_update_whose_old_value_is_returned_is_not_in_place():
    s = jitgraph.shared(np.arange(4.0), name="s")
    x = T.dvector("x")
    f = function([x], [s * 1, s], updates=[(s, s + x)])
    old_out, s_out = f(np.ones(4))
    np.testing.assert_array_equal(s_out, np.arange(4.0))
    np.testing.assert_array_equal(s.get_value(), np.arange(4.0) + 1)
    assert not any(getattr(n.op, "destroy_map", None) and s in n.inputs for n in f.maker.fgraph.apply_nodes
                   if n.inputs and n.inputs[0] is f.maker.fgraph.inputs[1])


def test_a_read_only_shared_value_is_copied_so_updates_can_write():
    frozen = np.arange(3.0)
    frozen.flags.writeable = False
    s = jitgraph.shared(frozen, borrow=True)
    f = function([], [], updates=[(s, s * 2)])
    f()
    np.testing.assert_array_equal(s.get_value(), [0, 2, 4])
    np.testing.assert_array_equal(frozen, [0, 1, 2])
    s.set_value(frozen, borrow=True)
    f()
    np.testing.assert_array_equal(s.get_value(), [0, 2, 4])


def test_elementwise_results_overwrite_dead_temporaries():
    x, w = T.dmatrices("x", "w")
    b = T.dvector("b")
    out = T.tanh(T.dot(x, w) + b) * 2
    fg = FunctionGraph([x, w, b], [out])
    from jitgraph.rewrite.fusion import fuse_elementwise
    fuse_elementwise(fg)
    before = op_names(fg)
    assert inplace(fg) == 1
    after = op_names(fg)
    assert [n for n in before if n.startswith("FusedElemwise")] == ["FusedElemwise{add,tanh,mul}"]
    assert "FusedElemwise{add,tanh,mul; inplace=0}" in after          # into the product's buffer
    rng = np.random.default_rng(2)
    xv, wv, bv = rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=5)
    f = function([x, w, b], out)
    np.testing.assert_allclose(f(xv, wv, bv), np.tanh(xv @ wv + bv) * 2, rtol=1e-12)
    # inputs of the function and values read twice are never overwritten
    y = T.dvector("y")
    g = function([y], [T.exp(y) + 1, T.exp(y) * 2])
    yv = np.linspace(-1, 1, 5)
    r1, r2 = g(yv)
    np.testing.assert_allclose(r1, np.exp(yv) + 1)
    np.testing.assert_allclose(r2, np.exp(yv) * 2)
    np.testing.assert_array_equal(yv, np.linspace(-1, 1, 5))


def test_orderings_that_make_a_cycle_are_rejected():
    x = T.dvector("x")
    y = T.exp(x)
    z = T.log(y)
    fg = FunctionGraph([x], [z])
    exp_node, log_node = fg.toposort()
    fg.orderings[exp_node] = [log_node]
    with pytest.raises(ValueError, match="cycle"):
        fg.toposort()


def test_in_place_reference_writes_into_its_input_only_where_it_can():
    x, y = T.dvectors("x", "y")
    node = FusedElemwise.of_elemwise(T.add(x, y).owner).with_inplace(0).make_node(x, y)
    assert node.op.destroy_map == {0: [0]}
    target, other = np.arange(3.0), np.ones(3)
    storage = [[None]]
    node.op.perform(node, [target, other], storage)
    assert storage[0][0] is target and list(target) == [1, 2, 3]
    frozen = np.arange(3.0)
    frozen.flags.writeable = False       # e.g. a broadcast view from another op's reference
    node.op.perform(node, [frozen, other], storage)
    assert storage[0][0] is not frozen and list(storage[0][0]) == [1, 2, 3] and list(frozen) == [0, 1, 2]


def test_in_place_gemm_update_of_a_non_contiguous_shared_matrix():
    """BLAS cannot write a transposed view in place: computed aside, copied back into it."""
    rng = np.random.default_rng(3)
    w_value = np.asfortranarray(rng.normal(size=(4, 3)))
    w = jitgraph.shared(w_value, borrow=True)
    x, g = T.dmatrices("x", "g")
    f = function([x, g], [], updates=[(w, w - 0.5 * T.dot(x.T, g))])
    assert any(isinstance(n.op, Gemm) and n.op.inplace for n in f.maker.fgraph.apply_nodes)
    xv, gv = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    expected = w_value - 0.5 * xv.T @ gv
    storage = w.get_value(borrow=True)
    assert not storage.flags.c_contiguous
    f(xv, gv)
    np.testing.assert_allclose(w.get_value(), expected, rtol=1e-12)
    assert w.get_value(borrow=True) is storage
